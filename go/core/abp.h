// abp.h: every declaration the C files of asherah-bun-core share, and the
// contract with TypeScript (src/core.ts). The lists below are X-macros so a
// name, its number and its meaning are written once; test/unit/core-abi.test.ts
// parses this file and fails when src/core.ts disagrees with it.
#ifndef ABP_H
#define ABP_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

// Bumped whenever an exported function's shape or meaning changes; the
// TypeScript side refuses a core whose ABI it does not know.
#define ABP_ABI_VERSION 10

// Results of the signal and thread functions. Every negative value means one
// thing only, whichever function returns it; the Node-API layer hands the
// name (third column) to JavaScript, never the number.
#define ABP_RESULTS(X)                                                         \
	X(ABP_DONE, 1, "done")                 /* the call changed something */     \
	X(ABP_UNCHANGED, 0, "unchanged")       /* nothing needed doing */           \
	X(ABP_E_INVALID, -1, "invalid")        /* bad signal number or argument */  \
	X(ABP_E_SYSCALL, -2, "syscall-failed") /* sigaction/pthread call failed */  \
	X(ABP_E_NO_SNAPSHOT, -3, "no-snapshot")                                     \
	X(ABP_E_NO_HANDLER, -4, "no-handler")  /* SIG_DFL/SIG_IGN: nothing to wrap */ \
	X(ABP_E_UNSUPPORTED, -5, "unsupported") /* not on this platform */          \
	X(ABP_E_NO_MEMORY, -6, "no-memory")                                         \
	X(ABP_E_STACK_UNKNOWN, -7, "stack-unknown") /* thread bounds unknown */     \
	X(ABP_E_NOT_LOADED, -8, "not-loaded")  /* the path is not mapped here */   \
	X(ABP_E_FOREIGN, -9, "foreign")        /* someone else rewrote the GOT slot */

enum abp_result {
#define ABP_ENUM(name, value, text) name = value,
	ABP_RESULTS(ABP_ENUM)
#undef ABP_ENUM
};

// Counters of the suspend-handler wrapper (abp_wrap_stats), in this order.
#define ABP_STATS(X)                                                                                   \
	X(ABP_STAT_CALLS, "calls")               /* wrapper invocations */                             \
	X(ABP_STAT_SWITCHED, "switched")         /* on the registered native stack: JSC ran there */   \
	X(ABP_STAT_OFF_NATIVE, "offNative")      /* on a goroutine stack: JSC backed off */            \
	X(ABP_STAT_OFF_EPISODES, "offEpisodes")  /* runs of consecutive offNative on one thread */      \
	X(ABP_STAT_ON_ALTSTACK, "onAltstack")    /* already on the alternate stack: JSC backed off */  \
	X(ABP_STAT_UNREGISTERED, "unregistered") /* unknown thread: JSC ran below the interrupted sp */ \
	X(ABP_STAT_DIRECT, "direct")             /* no alternate stack in use: called in place */      \
	X(ABP_STAT_NESTED, "nested")             /* the resume signal inside the switched call */      \
	X(ABP_STAT_LOW_HEADROOM, "lowHeadroom")  /* native stack nearly exhausted: backed off */       \
	X(ABP_STAT_ALT_ERROR, "altstackErrors")  /* sigaltstack(SS_DISABLE) failed: backed off */      \
	X(ABP_STAT_THREADS, "registeredThreads") /* live registered threads (a gauge) */               \
	X(ABP_STAT_FOREIGN, "foreign")           /* not JSC's own tgkill: dropped */                   \
	X(ABP_STAT_HELD, "held")                 /* foreign, inside JSC's wait: held until the resume */ \
	X(ABP_STAT_HELD_TIMEOUT, "heldTimedOut") /* a hold that saw no resume within 1 s: released */

enum abp_stat {
#define ABP_ENUM(name, text) name,
	ABP_STATS(ABP_ENUM)
#undef ABP_ENUM
	ABP_STAT_COUNT
};

// Why the warmup library was not loaded (abp_warmup_*). The name goes to
// JavaScript, which turns it into a PreloadError code and advice.
#define ABP_WARMUP_ERRORS(X)                                                          \
	X(ABP_WU_OK, 0, "ok")                                                             \
	X(ABP_WU_OPEN, 1, "open")               /* open(2) failed: errno in the message */ \
	X(ABP_WU_NOT_REGULAR, 2, "not-regular") /* a FIFO, device or folder */             \
	X(ABP_WU_TOO_LARGE, 3, "too-large")     /* over ABP_WARMUP_MAX_BYTES */            \
	X(ABP_WU_EMPTY, 4, "empty")                                                       \
	X(ABP_WU_UNSAFE, 5, "unsafe")           /* world-writable file or folder */        \
	X(ABP_WU_READ, 6, "read")               /* read(2) failed or the file changed */   \
	X(ABP_WU_CHECKSUM, 7, "checksum")       /* not the bytes this core was built with */ \
	X(ABP_WU_MEMFD, 8, "memfd")             /* memfd_create/write/seal failed */       \
	X(ABP_WU_DLOPEN, 9, "dlopen")           /* the loader refused it: dlerror() text */ \
	X(ABP_WU_SYMBOL, 10, "symbol")          /* no WarmupGoRuntime */                   \
	X(ABP_WU_RESULT, 11, "result")          /* WarmupGoRuntime did not return 1 */     \
	X(ABP_WU_THREAD, 12, "thread")          /* the warmup thread could not start */    \
	X(ABP_WU_CORE_CHECKSUM, 13, "core-checksum") /* the core's own file is not what was shipped */

enum abp_warmup_error {
#define ABP_ENUM(name, value, text) name = value,
	ABP_WARMUP_ERRORS(ABP_ENUM)
#undef ABP_ENUM
};

// States of the process-wide warmup.
#define ABP_WARMUP_STATES(X) \
	X(ABP_WS_IDLE, 0, "idle") X(ABP_WS_RUNNING, 1, "running") X(ABP_WS_DONE, 2, "done") X(ABP_WS_FAILED, 3, "failed")

enum abp_warmup_state {
#define ABP_ENUM(name, value, text) name = value,
	ABP_WARMUP_STATES(ABP_ENUM)
#undef ABP_ENUM
};

// The largest warmup library the core reads (the shipped one is ~1.3 MB).
#define ABP_WARMUP_MAX_BYTES (64u << 20)

// ---- abp_signals.c: snapshot and repair ------------------------------------
// Only the first abp_snapshot() counts: a later one could hold Go's changes.
int32_t abp_snapshot(void);
int32_t abp_snapshot_taken(void);
// which: 0 live, 1 snapshot. out[0] handler (0 SIG_DFL, 1 SIG_IGN), out[1] sa_flags.
int32_t abp_query(int32_t sig, int32_t which, uint64_t out[2]);
int32_t abp_restore_flags(int32_t sig);
int32_t abp_restore_disposition(int32_t sig);
// 1 Go runtime initialised, 0 none in that object, ABP_E_NOT_LOADED.
int32_t abp_wait_go_runtime(const char *path);
// The same question without waiting: 1 the object holds a Go runtime, 0 none, ABP_E_NOT_LOADED.
int32_t abp_has_go_runtime(const char *path);
int32_t abp_go_runtime_count(void);
// Waits until every Go runtime in the process has initialised; how many.
int32_t abp_wait_all_go_runtimes(void);
int32_t abp_handler_owner(int32_t sig, int32_t which, char *buf, int32_t len);
int32_t abp_wrap_supported(void);
// Registers the calling thread's native stack for the wrapper; DONE when new.
int32_t abp_register_thread(void);
int32_t abp_unregister_thread(void);
int32_t abp_wrap_suspend_handler(int32_t sig);
// 1 when the live handler of sig is the wrapper.
int32_t abp_wrap_query(int32_t sig);
void abp_wrap_stats(uint64_t out[ABP_STAT_COUNT]);

// The repair plan the warmup thread applies right after the Go runtime it
// loaded has initialised (set by the preload before the warmup starts).
// Bit n of each mask stands for signal n.
void abp_set_repair_plan(uint64_t restore_flags_mask, uint64_t restore_disposition_mask);
// Applies the plan; returns a mask of the signals it changed. When before is
// not NULL, before[sig] receives the handler and flags sig had until then.
uint64_t abp_repair_now(uint64_t before[64][2]);

// ---- abp_repair.c: the repair after a native load, on the core's thread -----
#define ABP_REPAIR_RECORDS 256
struct abp_repair_record {
	char trigger[256];     // the loaded path (its end when longer)
	uint64_t owner;        // the JavaScript environment that asked
	int32_t go_runtimes;   // Go runtimes in the process when the pass ran
	uint64_t changed;      // signals the pass put back (bit n: signal n)
	uint64_t before[64][2]; // their handler and flags just before
};
// Hands the wait for every Go runtime and the repair plan to the repair
// thread (started on first use); ABP_DONE, or ABP_E_SYSCALL when the thread
// could not start (the caller repairs in place).
int32_t abp_repair_later(const char *trigger, uint64_t owner);
// Starts the repair thread ahead of the first request (the warmup thread
// does, once the warmup is done); a failure is left to abp_repair_later.
void abp_repair_prestart(void);
// How many requests are not done yet, after waiting up to wait_ms for none to be.
int32_t abp_repair_settle(int32_t wait_ms);
// Moves the finished records of owner into out (at most max); how many.
int32_t abp_repair_take(uint64_t owner, struct abp_repair_record *out, int32_t max);
// Drops the records of an environment that is gone (a Worker that exited).
void abp_repair_forget(uint64_t owner);
// Requests and records that did not fit (ABP_REPAIR_RECORDS each).
uint64_t abp_repair_dropped(void);

// ---- abp_warmup.c: verify, map from the verified bytes, call ---------------
struct abp_warmup_info {
	int32_t state;  // enum abp_warmup_state
	int32_t error;  // enum abp_warmup_error
	char message[512];
	char sha256[65]; // of the bytes mapped
	uint64_t verify_us, dlopen_us, call_us;
	uint64_t repaired_mask; // signals abp_repair_now changed after the warmup
	uint64_t repaired_before[64][2]; // their handler and flags just before
};
// Starts the warmup on a thread of its own, once per process; later calls
// return at once (one with grace_ms 0 ends a grace period in progress). The
// thread first waits up to grace_ms unless someone needs the warmup sooner.
// With core_sha256 (64 hex digits; NULL or "" for none) the thread first
// hashes the core's own file and fails with ABP_WU_CORE_CHECKSUM unless it
// matches: the start path's check of the core, off the JavaScript thread
// (src/start.ts). Returns ABP_DONE when this call started it.
int32_t abp_warmup_start(const char *path, int32_t grace_ms, const char *core_sha256);
// Copies the current state; with wait != 0 blocks until done or failed.
void abp_warmup_info(struct abp_warmup_info *out, int wait);
// The sha256 of the warmup library this core was built with (64 hex digits).
const char *abp_warmup_expected_sha256(void);

// ---- abp_interpose.c: Bun's own dlopen, seen from the core -------------------
// Counters of the dlopen interposer (abp_interpose_stats), in this order.
#define ABP_INTERPOSE_STATS(X)                                                                     \
	X(ABP_IS_SLOTS, "slots")                 /* GOT slots of Bun's executable rewritten */        \
	X(ABP_IS_LOADS, "loads")                 /* loads the hook guarded itself */                  \
	X(ABP_IS_PASSED, "passedThrough")        /* inside process.dlopen's JS guard, or nested */    \
	X(ABP_IS_FAILED, "failed")               /* the loader returned NULL */                       \
	X(ABP_IS_REFUSED, "refused")             /* a FIFO/device, or the warmup failed */            \
	X(ABP_IS_WARMUP_WAITS, "warmupWaits")    /* guarded-package loads that waited for the warmup */ \
	X(ABP_IS_GO_RUNTIMES, "goRuntimeWaits")  /* loads after which a Go runtime was waited for */  \
	X(ABP_IS_REPAIRS, "repairs")             /* loads after which the repair changed a signal */   \
	X(ABP_IS_DROPPED, "dropped")             /* loads not kept in the record log (full) */        \
	X(ABP_IS_EXEC_TRACKED, "execRanges")     /* page ranges Bun made executable, remembered */     \
	X(ABP_IS_EXEC_KEPT, "execKept")          /* Bun's mprotect calls split to keep them executable */ \
	X(ABP_IS_EXEC_FULL, "execNotKept")       /* ranges not remembered: the table was full */

enum abp_interpose_stat {
#define ABP_ENUM(name, text) name,
	ABP_INTERPOSE_STATS(ABP_ENUM)
#undef ABP_ENUM
	ABP_IS_COUNT
};

// What became of one load the hook guarded.
#define ABP_LOAD_OUTCOMES(X) X(ABP_LOAD_LOADED, 0, "loaded") X(ABP_LOAD_FAILED, 1, "failed") X(ABP_LOAD_REFUSED, 2, "refused")

enum abp_load_outcome {
#define ABP_ENUM(name, value, text) name = value,
	ABP_LOAD_OUTCOMES(ABP_ENUM)
#undef ABP_ENUM
};

// The first loads of the process, kept for status(); later ones are counted (ABP_IS_DROPPED).
#define ABP_INTERPOSE_RECORDS 64
struct abp_load_record {
	char path[256]; // the end of the path when it is longer
	int32_t outcome; // enum abp_load_outcome
	int32_t go_runtimes; // Go runtimes waited for after it (this load's; all of them after a failure)
	uint64_t repaired; // signals the repair changed after it (bit n: signal n)
	int32_t ready; // set last (release): the record is complete
};

// Rewrites the GOT slots through which Bun's executable calls dlopen and
// dlerror (and, when keep_exec is set, mprotect, unless another interposer
// holds it or it has no safe target: abp_exec_keep.c), once per process (mutex); later calls return the first result,
// ABP_UNCHANGED for a success. packages: the guarded package names (their
// loads wait for the warmup at warmup_path unless warmup_on is 0, and are
// watched for watchdog_ms when > 0). ABP_E_UNSUPPORTED: no slot (a static
// Bun, not Linux x64/arm64); ABP_E_FOREIGN: a slot held neither the real
// function nor the hook; ABP_E_SYSCALL: mprotect failed (nothing changed).
int32_t abp_interpose(const char *warmup_path, const char *const *packages, int32_t count, int32_t warmup_on, int32_t watchdog_ms, int32_t keep_exec);
int32_t abp_interpose_result(void);
// Adds delta (1 or -1) to the calling thread's guard depth: while it is above
// 0 the hook passes loads straight through (process.dlopen's JS guard has them).
int32_t abp_guard_depth(int32_t delta);
void abp_interpose_stats(uint64_t out[ABP_IS_COUNT], uint64_t *repaired_mask, char *last_refused, int32_t len);
// Copies the complete records (at most max); returns how many.
int32_t abp_interpose_records(struct abp_load_record *out, int32_t max);
void abp_interpose_bump(enum abp_interpose_stat which);

// ---- abp_exec_keep.c: Bun's mprotect, seen from the core -------------------------
// Machine code Bun compiled into its heap (bun:ffi's trampolines) keeps its
// execute permission when Bun's allocator later re-protects the pages around
// it (abp_exec_keep.c has why). abp_interpose installs the hook in Bun's
// mprotect slot after abp_exec_keep_init has the real function.
typedef int (*abp_mprotect_fn)(void *, size_t, int);
void abp_exec_keep_init(abp_mprotect_fn real);
int abp_exec_keep_mprotect(void *addr, size_t len, int prot);

// ---- abp_files.c ----------------------------------------------------------------
// "FIFO", "folder", ... for a file that is not regular.
const char *abp_file_kind(unsigned mode);
// Checks that path (resolved with realpath) is a regular file that is not
// world-writable, in a folder that is not world-writable. Returns 0 when it
// is safe, else writes why into why (NUL-terminated) and returns -1.
int abp_check_path_safe(const char *path, char *why, int32_t len);

// Reads a whole regular file of at most max bytes into a malloc'd buffer
// (caller frees). Never blocks on a FIFO or device; NULL with why filled in.
char *abp_read_text(const char *path, uint32_t max, size_t *length, char *why, int32_t len);

// The sha256 of the core's own file; 0, or -1 with why filled in.
int abp_self_sha256(char out[65], char *why, int32_t len);

// How many bytes of a 64-bit little-endian ELF file its headers say the
// loader maps (the program header table, every PT_LOAD segment's file
// bytes), and the file's size: dlopen maps a library cut short whose headers
// are intact, and the process dies of SIGBUS at its first missing page.
// Never blocks (a FIFO or device is refused). Returns 0 with *size and
// *needed set (*needed is 0 for a file that is not such an ELF file: the
// loader judges it), or -1 with why filled in.
int abp_elf_span(const char *path, uint64_t *size, uint64_t *needed, char *why, int32_t len);

// ---- abp_thread.c -------------------------------------------------------------
// Starts fn on a detached thread with every signal blocked; creator_mask (if
// not NULL) receives the caller's mask. Returns 0 or pthread_create's error.
int abp_start_thread(void *(*fn)(void *), sigset_t *creator_mask);
// The time ms milliseconds from now on clock, for pthread_cond_timedwait.
struct timespec abp_deadline(clockid_t clock, int32_t ms);

// ---- abp_sha256.c ------------------------------------------------------------
struct abp_sha256 {
	uint32_t h[8];
	uint64_t length;
	uint8_t block[64];
	uint32_t used;
};
void abp_sha256_init(struct abp_sha256 *s);
void abp_sha256_update(struct abp_sha256 *s, const void *data, uint64_t n);
void abp_sha256_hex(struct abp_sha256 *s, char out[65]);

// ---- abp_watchdog.c: one deadline per guarded load ---------------------------
// Returns a watch id > 0, or a negative ABP_E_* result.
int64_t abp_watchdog_arm(int32_t ms, const char *what);
// Ends the watch id; ABP_DONE, or ABP_UNCHANGED when it was not armed.
int32_t abp_watchdog_disarm(int64_t id);

#endif
