// abp_signals: the native half of asherah-bun-preload's signal hygiene.
//
// A Go runtime that loads into a process it did not start (c-shared, or a
// c-archive linked into an N-API addon) walks every signal in runtime.initsig
// and, for handlers it does not take over, ORs SA_ONSTACK into their flags.
// On Linux, JavaScriptCore (Bun < 1.4) suspends threads for GC with a signal
// (SIGPWR on Bun 1.2+, SIGUSR1 on 1.0/1.1) whose handler refuses to work on an
// alternate signal stack and asks to be retried; with SA_ONSTACK it is always
// on one, so Thread::suspend() retries forever: a signal storm and a frozen
// JS thread.
//
// This is plain C (no Go runtime), part of the Node-API addon
// asherah-bun-core.node, so it can record the dispositions before any Go
// runtime exists and put back what Go changed afterwards. Every struct stays
// on this side: TypeScript never knows the layout of struct sigaction.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "abp.h"

#ifndef NSIG
#define NSIG 65
#endif

// The kernel reports SA_RESTORER in sa_flags; glibc uses it but does not
// export the name.
#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif

static struct sigaction snapshot[NSIG];
static int snapshot_taken;

static void *handler_of(const struct sigaction *sa) {
	if (sa->sa_flags & SA_SIGINFO) return (void *)sa->sa_sigaction;
	return (void *)sa->sa_handler;
}

static int valid_signal(int32_t sig) {
	// SIGKILL and SIGSTOP cannot be caught, so they can neither change nor be repaired.
	return sig > 0 && sig < NSIG && sig != SIGKILL && sig != SIGSTOP;
}

// Records every signal's disposition. Only the first call counts: a later
// snapshot could already contain Go's changes and would make them permanent.
// Returns ABP_DONE when this call took the snapshot, ABP_UNCHANGED when one
// existed already. Called once by the preload, on the JS thread, before any
// other function here can run.
int32_t abp_snapshot(void) {
	if (__atomic_load_n(&snapshot_taken, __ATOMIC_ACQUIRE)) return ABP_UNCHANGED;
	for (int sig = 1; sig < NSIG; sig++) {
		if (!valid_signal(sig)) continue;
		sigaction(sig, NULL, &snapshot[sig]);
	}
	__atomic_store_n(&snapshot_taken, 1, __ATOMIC_RELEASE);
	return ABP_DONE;
}

int32_t abp_snapshot_taken(void) { return __atomic_load_n(&snapshot_taken, __ATOMIC_ACQUIRE); }

// out[0] = handler address (0 = SIG_DFL, 1 = SIG_IGN), out[1] = sa_flags.
// which: 0 = the live disposition, 1 = the snapshot.
int32_t abp_query(int32_t sig, int32_t which, uint64_t out[2]) {
	if (!valid_signal(sig) || out == NULL) return ABP_E_INVALID;
	struct sigaction cur;
	const struct sigaction *sa = &cur;
	if (which == 1) {
		if (!abp_snapshot_taken()) return ABP_E_NO_SNAPSHOT;
		sa = &snapshot[sig];
	} else if (sigaction(sig, NULL, &cur) != 0) {
		return ABP_E_SYSCALL;
	}
	out[0] = (uint64_t)(uintptr_t)handler_of(sa);
	out[1] = (uint64_t)(unsigned long)sa->sa_flags;
	return ABP_UNCHANGED;
}

// Puts back the snapshot of a signal whose handler is still the one it had
// before Go loaded but whose flags or mask Go altered (setsigstack). A handler
// that was replaced is left alone: it belongs to whoever replaced it.
int32_t abp_restore_flags(int32_t sig) {
	if (!valid_signal(sig)) return ABP_E_INVALID;
	if (!abp_snapshot_taken()) return ABP_E_NO_SNAPSHOT;
	struct sigaction cur;
	if (sigaction(sig, NULL, &cur) != 0) return ABP_E_SYSCALL;
	void *handler = handler_of(&cur);
	if (handler != handler_of(&snapshot[sig])) return ABP_UNCHANGED;
	if (handler == (void *)SIG_DFL || handler == (void *)SIG_IGN) return ABP_UNCHANGED;
	// SA_RESTORER is libc's business and differs between glibc and Go's raw
	// rt_sigaction; it says nothing about how the handler runs.
	unsigned long relevant = ~(unsigned long)SA_RESTORER;
	if (((unsigned long)cur.sa_flags & relevant) == ((unsigned long)snapshot[sig].sa_flags & relevant)) return ABP_UNCHANGED;
	if (sigaction(sig, &snapshot[sig], NULL) != 0) return ABP_E_SYSCALL;
	return ABP_DONE;
}

// Puts back SIG_IGN / SIG_DFL for a signal that had it before Go loaded and
// has a handler now (Go catches SIGPIPE in library mode; Bun ignores it).
int32_t abp_restore_disposition(int32_t sig) {
	if (!valid_signal(sig)) return ABP_E_INVALID;
	if (!abp_snapshot_taken()) return ABP_E_NO_SNAPSHOT;
	void *before = handler_of(&snapshot[sig]);
	if (before != (void *)SIG_IGN && before != (void *)SIG_DFL) return ABP_UNCHANGED;
	struct sigaction cur;
	if (sigaction(sig, NULL, &cur) != 0) return ABP_E_SYSCALL;
	if (handler_of(&cur) == before) return ABP_UNCHANGED;
	if (sigaction(sig, &snapshot[sig], NULL) != 0) return ABP_E_SYSCALL;
	return ABP_DONE;
}

// The plan the warmup thread applies (abp.h). Written by the JS thread before
// it starts the warmup thread; pthread_create orders the two.
static uint64_t plan_flags_mask, plan_disposition_mask;

void abp_set_repair_plan(uint64_t restore_flags_mask, uint64_t restore_disposition_mask) {
	plan_flags_mask = restore_flags_mask;
	plan_disposition_mask = restore_disposition_mask;
}

uint64_t abp_repair_now(uint64_t before[64][2]) {
	uint64_t changed = 0;
	for (int sig = 1; sig < NSIG && sig < 64; sig++) {
		uint64_t bit = (uint64_t)1 << sig;
		if (!((plan_flags_mask | plan_disposition_mask) & bit)) continue;
		uint64_t was[2] = {0, 0};
		abp_query(sig, 0, was);
		// A wrapped handler already has SA_ONSTACK, which Go leaves alone.
		if ((plan_flags_mask & bit) && abp_wrap_query(sig) != 1 && abp_restore_flags(sig) == ABP_DONE) changed |= bit;
		if ((plan_disposition_mask & bit) && abp_restore_disposition(sig) == ABP_DONE) changed |= bit;
		if ((changed & bit) && before != NULL) before[sig][0] = was[0], before[sig][1] = was[1];
	}
	return changed;
}

// A Go runtime in a shared object initialises on a thread of its own after
// dlopen returns; runtime.initsig (which changes the signal handlers) can run
// after the loader has already handed the module back. Every cgo-built
// object exports _cgo_wait_runtime_init_done, the function an exported Go
// call uses to wait for that initialisation, so calling it tells us when the
// damage is done and can be repaired.
// Returns 1 when the object holds a Go runtime and it is initialised, 0 when
// it holds none, ABP_E_NOT_LOADED when the path is not loaded in this process.
int32_t abp_wait_go_runtime(const char *path) {
	if (path == NULL) return ABP_E_INVALID;
	void *handle = dlopen(path, RTLD_LAZY | RTLD_NOLOAD);
	if (handle == NULL) return ABP_E_NOT_LOADED;
	// dlsym on a handle searches the object and its own dependencies only, so
	// a hit means this load brought (or links) a Go runtime.
	uintptr_t (*wait_done)(void) = (uintptr_t(*)(void))dlsym(handle, "_cgo_wait_runtime_init_done");
	int32_t result = 0;
	if (wait_done != NULL) {
		wait_done();
		result = 1;
	}
	dlclose(handle);
	return result;
}

int32_t abp_has_go_runtime(const char *path) {
	if (path == NULL) return ABP_E_INVALID;
	void *handle = dlopen(path, RTLD_LAZY | RTLD_NOLOAD);
	if (handle == NULL) return ABP_E_NOT_LOADED;
	int32_t result = dlsym(handle, "_cgo_wait_runtime_init_done") != NULL;
	dlclose(handle);
	return result;
}

// The loaded objects, copied out of dl_iterate_phdr: its callback runs with
// the loader's write lock held, and a dlopen there (even RTLD_NOLOAD) takes
// the load lock: the reverse of the order another thread's dlopen takes them
// in. Measured: the warmup thread's dlopen and a load on the JS thread
// deadlocked within 20,000 bun:ffi loads (test/e2e/limits.test.ts).
struct loaded_object {
	char *name;
	uintptr_t base;
};
struct loaded_objects {
	struct loaded_object *list;
	size_t n, cap;
	int failed;
};

static int collect_object(struct dl_phdr_info *info, size_t size, void *data) {
	(void)size;
	struct loaded_objects *all = data;
	if (info->dlpi_name == NULL || info->dlpi_name[0] == '\0') return 0;
	if (all->n == all->cap) {
		size_t cap = all->cap == 0 ? 32 : all->cap * 2;
		struct loaded_object *grown = realloc(all->list, cap * sizeof *grown);
		if (grown == NULL) return all->failed = 1;
		all->list = grown;
		all->cap = cap;
	}
	char *name = strdup(info->dlpi_name);
	if (name == NULL) return all->failed = 1;
	all->list[all->n++] = (struct loaded_object){name, (uintptr_t)info->dlpi_addr};
	return 0;
}

// For each loaded object that carries a Go runtime of its own (its
// _cgo_wait_runtime_init_done is defined in it, not in a dependency):
// waits for that runtime when wait is set. Returns how many there are.
static int32_t each_go_runtime(int wait) {
	struct loaded_objects all = {NULL, 0, 0, 0};
	dl_iterate_phdr(collect_object, &all);
	int32_t count = 0;
	for (size_t i = 0; i < all.n; i++) {
		void *handle = dlopen(all.list[i].name, RTLD_LAZY | RTLD_NOLOAD);
		free(all.list[i].name);
		if (handle == NULL) continue; // unloaded meanwhile
		uintptr_t (*wait_done)(void) = (uintptr_t(*)(void))dlsym(handle, "_cgo_wait_runtime_init_done");
		Dl_info where;
		if (wait_done != NULL && dladdr((void *)wait_done, &where) != 0 && (uintptr_t)where.dli_fbase == all.list[i].base) {
			if (wait) wait_done();
			count++;
		}
		dlclose(handle);
	}
	free(all.list);
	return count;
}

// Waits until every Go runtime in the process has initialised; returns how
// many there are. For a load whose path the loader knows under another name:
// a `bun build --compile` binary loads an extracted copy of the addon, and a
// failed load leaves no path to look up (test/e2e/failed-load.test.ts).
int32_t abp_wait_all_go_runtimes(void) { return each_go_runtime(1); }

// Counts the loaded objects that carry their own Go runtime. Used to tell
// whether a snapshot can still be trusted (0 before our first load) and for
// the doctor's report.
int32_t abp_go_runtime_count(void) { return each_go_runtime(0); }

// Writes the file that defines the handler of `sig` (live or snapshot) into
// buf as a NUL-terminated string; "" for SIG_DFL/SIG_IGN or unknown code.
int32_t abp_handler_owner(int32_t sig, int32_t which, char *buf, int32_t len) {
	if (!valid_signal(sig) || buf == NULL || len <= 0) return ABP_E_INVALID;
	uint64_t out[2];
	buf[0] = '\0';
	int32_t rc = abp_query(sig, which, out);
	if (rc != ABP_UNCHANGED) return rc;
	if (out[0] <= 1) return ABP_UNCHANGED;
	Dl_info info;
	if (dladdr((void *)(uintptr_t)out[0], &info) == 0 || info.dli_fname == NULL) return ABP_UNCHANGED;
	snprintf(buf, (size_t)len, "%s", info.dli_fname);
	return ABP_UNCHANGED;
}

// ---------------------------------------------------------------------------
// The suspend-handler wrapper (ABI 2).
//
// abp_restore_flags fixes the hang by taking SA_ONSTACK away from JSC's
// suspend/resume handler. That breaks the invariant Go relies on: every
// handler that can interrupt Go code must run on the alternate signal stack,
// because a goroutine stack only guarantees a few hundred bytes below its
// stack pointer, while the kernel's signal frame (up to ~3.5 KiB with
// AVX-512 state) plus the handler's own frame would be written there.
//
// The wrapper keeps SA_ONSTACK and instead decides per delivery where JSC's
// handler runs, based on the stack pointer of the interrupted code:
//   - on the thread's registered native stack: it moves to just below that
//     stack pointer (what the kernel would have done without SA_ONSTACK) and
//     calls JSC there, so JSC's "am I on my own stack" check passes and the
//     thread suspends normally. The alternate stack is disabled meanwhile, so
//     the resume signal JSC waits for in sigsuspend is delivered on that
//     native stack too instead of over the frames at the alternate stack's top;
//   - anywhere else (a goroutine stack, or nested inside another handler on
//     the alternate stack): it calls JSC right where it is, on the alternate
//     stack; JSC sees that, backs off, and Thread::suspend() retries, which
//     succeeds once the thread is back on its native stack. Nothing is ever
//     written below a goroutine's stack pointer;
//   - on a thread nobody registered: the bounds are unknown and a back-off
//     could repeat forever, so it behaves like abp_restore_flags (runs JSC
//     just below the interrupted stack pointer), and counts it.
// Everything in the handler is async-signal-safe: no locks, no allocation,
// only sigaltstack(2), ppoll(2), clock_gettime(2), gettid(2) and atomics;
// errno is preserved.
// ---------------------------------------------------------------------------

#if defined(__linux__) && (defined(__x86_64__) || defined(__aarch64__))
#define ABP_HAVE_WRAPPER 1
#else
#define ABP_HAVE_WRAPPER 0
#endif

int32_t abp_wrap_supported(void) { return ABP_HAVE_WRAPPER; }

#if ABP_HAVE_WRAPPER

#if defined(__x86_64__)
#define ABP_RED_ZONE 128
#define ABP_INTERRUPTED_SP(uc) ((uintptr_t)(uc)->uc_mcontext.gregs[REG_RSP])
#else
#define ABP_RED_ZONE 0
#define ABP_INTERRUPTED_SP(uc) ((uintptr_t)(uc)->uc_mcontext.sp)
#endif
// Extra gap below the red zone, and the least native stack that must remain
// below the new stack pointer for JSC's handler (a few hundred bytes) to run.
#define ABP_SWITCH_MARGIN 64
#define ABP_MIN_HEADROOM 16384
// What one signal frame needs on this machine (AVX-512 ~3.4 KiB, AMX or SME
// far more): a held foreign signal (hold_for_resume) puts two more frames
// below JSC's handler, so the headroom grows with them. Set at wrap time.
static uintptr_t min_headroom = ABP_MIN_HEADROOM;
static void size_headroom(void) {
	unsigned long frame = getauxval(AT_MINSIGSTKSZ);
	if (frame < 4096) frame = 4096;
	min_headroom = ABP_MIN_HEADROOM + 2 * (uintptr_t)frame;
}

// void abp_call_on_stack(uintptr_t sp, void (*fn)(void *), void *arg):
// calls fn(arg) with the stack pointer set to sp (16-byte aligned), then
// returns on the original stack.
void abp_call_on_stack(uintptr_t sp, void (*fn)(void *), void *arg);
#if defined(__x86_64__)
#ifdef __CET__
#define ABP_ENDBR "  endbr64\n"
#else
#define ABP_ENDBR ""
#endif
__asm__(".text\n"
        ".p2align 4\n"
        ".globl abp_call_on_stack\n"
        ".hidden abp_call_on_stack\n"
        ".type abp_call_on_stack,@function\n"
        "abp_call_on_stack:\n"
        "  .cfi_startproc\n" ABP_ENDBR
        "  pushq %rbp\n"
        "  .cfi_def_cfa_offset 16\n"
        "  .cfi_offset %rbp, -16\n"
        "  movq %rsp, %rbp\n"
        "  .cfi_def_cfa_register %rbp\n"
        "  movq %rdi, %rsp\n"
        "  movq %rdx, %rdi\n"
        "  callq *%rsi\n"
        "  movq %rbp, %rsp\n"
        "  popq %rbp\n"
        "  .cfi_def_cfa %rsp, 8\n"
        "  retq\n"
        "  .cfi_endproc\n"
        ".size abp_call_on_stack, .-abp_call_on_stack\n");
#else
#if defined(__ARM_FEATURE_BTI_DEFAULT) && __ARM_FEATURE_BTI_DEFAULT
#define ABP_BTI "  bti c\n"
#else
#define ABP_BTI ""
#endif
__asm__(".text\n"
        ".p2align 4\n"
        ".globl abp_call_on_stack\n"
        ".hidden abp_call_on_stack\n"
        ".type abp_call_on_stack,%function\n"
        "abp_call_on_stack:\n"
        "  .cfi_startproc\n" ABP_BTI
        "  stp x29, x30, [sp, #-16]!\n"
        "  .cfi_def_cfa_offset 16\n"
        "  .cfi_offset x29, -16\n"
        "  .cfi_offset x30, -8\n"
        "  mov x29, sp\n"
        "  .cfi_def_cfa_register x29\n"
        "  mov sp, x0\n"
        "  mov x0, x2\n"
        "  blr x1\n"
        "  mov sp, x29\n"
        "  .cfi_def_cfa_register sp\n"
        "  ldp x29, x30, [sp], #16\n"
        "  .cfi_def_cfa_offset 0\n"
        "  .cfi_restore x29\n"
        "  .cfi_restore x30\n"
        "  ret\n"
        "  .cfi_endproc\n"
        ".size abp_call_on_stack, .-abp_call_on_stack\n");
#endif

// One registered thread. A slot belongs to (tid, pthread_self): a recycled
// tid on a different stack does not match, and glibc only hands the same
// pthread_t to a new thread when it reuses the same cached stack block.
struct abp_thread {
	int32_t tid;        // 0 = free; written last by the owner (release)
	int32_t off_native; // handler-private: previous delivery was OFF_NATIVE
	int32_t in_switch;  // handler-private: JSC's handler is running on the native stack
	int32_t in_jsc;     // handler-private: JSC's handler is running (depth), for a request of its own
	int32_t holding;    // handler-private: a foreign signal holds JSC's wait (hold_for_resume)
	int32_t resumed;    // handler-private: the resume arrived while holding
	uintptr_t self;
	uintptr_t lo, hi;   // native stack [lo, hi)
};

// The table grows in blocks that are never freed, linked with release
// stores, so the handler walks it without a lock while a register call adds a
// block (a process can have any number of Workers: 300 live ones on Bun
// 1.2.19 is a test in test/e2e/hostile.test.ts).
#define ABP_BLOCK_THREADS 64
struct abp_block {
	struct abp_thread slots[ABP_BLOCK_THREADS];
	struct abp_block *next;
};
static struct abp_block first_block;
static pthread_mutex_t grow_mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t stats[ABP_STAT_COUNT];
static struct sigaction wrapped[NSIG];   // the handler each wrapper stands in for
static int wrapped_set[NSIG];
static pthread_key_t thread_key;
static pthread_once_t thread_key_once = PTHREAD_ONCE_INIT;
static int thread_key_ok;

static void bump(int which) { __atomic_fetch_add(&stats[which], 1, __ATOMIC_RELAXED); }

static int32_t current_tid(void) { return (int32_t)syscall(SYS_gettid); }

// Async-signal-safe: atomic loads only.
static struct abp_thread *find_thread(int32_t tid, uintptr_t self) {
	for (struct abp_block *b = &first_block; b != NULL; b = __atomic_load_n(&b->next, __ATOMIC_ACQUIRE)) {
		for (int i = 0; i < ABP_BLOCK_THREADS; i++) {
			struct abp_thread *t = &b->slots[i];
			if (__atomic_load_n(&t->tid, __ATOMIC_ACQUIRE) == tid && t->self == self) return t;
		}
	}
	return NULL;
}

// Reserves a free slot (tid -1: no handler matches it until it is complete),
// adding a block when every slot is taken. NULL only when out of memory.
static struct abp_thread *reserve_slot(void) {
	for (;;) {
		struct abp_block *last = &first_block;
		for (struct abp_block *b = &first_block; b != NULL; b = __atomic_load_n(&b->next, __ATOMIC_ACQUIRE)) {
			last = b;
			for (int i = 0; i < ABP_BLOCK_THREADS; i++) {
				int32_t expected = 0;
				if (__atomic_compare_exchange_n(&b->slots[i].tid, &expected, -1, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) return &b->slots[i];
			}
		}
		pthread_mutex_lock(&grow_mu);
		if (__atomic_load_n(&last->next, __ATOMIC_ACQUIRE) == NULL) {
			struct abp_block *fresh = calloc(1, sizeof *fresh);
			if (fresh == NULL) {
				pthread_mutex_unlock(&grow_mu);
				return NULL;
			}
			__atomic_store_n(&last->next, fresh, __ATOMIC_RELEASE);
		}
		pthread_mutex_unlock(&grow_mu);
	}
}

// The wrapper and the thread-exit destructor point into this library, so once
// either is installed it must never be unmapped. The addon is linked with
// -z nodelete too (go/build.sh); this keeps a copy built without it safe.
static void pin_self(void) {
	static int pinned;
	if (__atomic_exchange_n(&pinned, 1, __ATOMIC_ACQ_REL)) return;
	Dl_info info;
	if (dladdr((void *)pin_self, &info) != 0 && info.dli_fname != NULL) {
		(void)dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE);
	}
}

static void release_slot(struct abp_thread *t) {
	if (t == NULL) return;
	__atomic_store_n(&t->tid, 0, __ATOMIC_RELEASE);
	__atomic_fetch_sub(&stats[ABP_STAT_THREADS], 1, __ATOMIC_RELAXED);
}

static void thread_exit(void *slot) { release_slot((struct abp_thread *)slot); }

static void make_thread_key(void) { thread_key_ok = pthread_key_create(&thread_key, thread_exit) == 0; }

// Records the calling thread's native stack bounds so the wrapper can tell
// its own stack from a goroutine's. Call it on every thread JavaScriptCore
// may suspend (the main JS thread, each Worker) before Go code runs there;
// calling again refreshes the entry. The entry is dropped when the thread
// exits. Returns ABP_DONE registered, ABP_UNCHANGED refreshed,
// ABP_E_STACK_UNKNOWN, ABP_E_NO_MEMORY.
int32_t abp_register_thread(void) {
	pthread_attr_t attr;
	void *addr = NULL;
	size_t size = 0;
	if (pthread_getattr_np(pthread_self(), &attr) != 0) return ABP_E_STACK_UNKNOWN;
	int rc = pthread_attr_getstack(&attr, &addr, &size);
	pthread_attr_destroy(&attr);
	if (rc != 0 || addr == NULL || size == 0) return ABP_E_STACK_UNKNOWN;
	pin_self();
	pthread_once(&thread_key_once, make_thread_key);

	int32_t tid = current_tid();
	uintptr_t self = (uintptr_t)pthread_self();
	struct abp_thread *t = find_thread(tid, self);
	int32_t result = ABP_UNCHANGED;
	if (t == NULL) {
		t = reserve_slot();
		if (t == NULL) return ABP_E_NO_MEMORY;
		result = ABP_DONE;
		__atomic_fetch_add(&stats[ABP_STAT_THREADS], 1, __ATOMIC_RELAXED);
	} else {
		// A handler on this very thread could run between the stores below;
		// hide the entry meanwhile (it then counts as unregistered once).
		__atomic_store_n(&t->tid, -1, __ATOMIC_RELEASE);
	}
	t->self = self;
	t->lo = (uintptr_t)addr;
	t->hi = (uintptr_t)addr + size;
	t->off_native = 0;
	t->in_switch = 0;
	t->in_jsc = 0;
	t->holding = 0;
	t->resumed = 0;
	__atomic_store_n(&t->tid, tid, __ATOMIC_RELEASE);
	if (thread_key_ok) pthread_setspecific(thread_key, t);
	return result;
}

// Forgets the calling thread. Returns ABP_DONE when it was registered.
int32_t abp_unregister_thread(void) {
	struct abp_thread *t = find_thread(current_tid(), (uintptr_t)pthread_self());
	if (t == NULL) return ABP_UNCHANGED;
	if (thread_key_ok) pthread_setspecific(thread_key, NULL);
	release_slot(t);
	return ABP_DONE;
}

struct abp_call {
	const struct sigaction *target;
	int sig;
	siginfo_t *info;
	void *uc;
	struct abp_thread *thread; // the calling thread's entry, NULL when unregistered
	int disable_altstack;      // in: must the alternate stack be off during the call
	int ran;                   // out: the handler ran
};

// The entry's handler-private fields are only touched by their own thread,
// in nested signal handlers: relaxed atomics keep the compiler from caching
// them across the sigsuspend(2) that lets the nested delivery in.
static int32_t get(int32_t *field) { return __atomic_load_n(field, __ATOMIC_RELAXED); }
static void set(int32_t *field, int32_t value) { __atomic_store_n(field, value, __ATOMIC_RELAXED); }

static void invoke(const struct abp_call *c) {
	struct abp_thread *t = c->thread;
	if (t != NULL) set(&t->in_jsc, get(&t->in_jsc) + 1);
	if (c->target->sa_flags & SA_SIGINFO) {
		c->target->sa_sigaction(c->sig, c->info, c->uc);
	} else {
		c->target->sa_handler(c->sig);
	}
	if (t != NULL) set(&t->in_jsc, get(&t->in_jsc) - 1);
}

// A foreign signal that arrives while JSC's handler waits for its resume
// signal (it blocks every signal but this one and calls sigsuspend(2)) must
// not end that wait: sigsuspend returns once any handler ran, even one that
// did nothing, and JSC would take that for the resume. The thread would run
// on while the suspender reads its registers and stack, and post its
// "resumed" early, so the suspender's resume() could return before the real
// resume signal was handled; that signal, seen after the suspend count is
// back to 0, reads as a new suspend request and parks the thread in
// sigsuspend for good. Measured on Bun 1.2.19: 1 hang in 20 runs of 400
// SIGPWRs sent from outside. Guarded by test/e2e/hostile.test.ts ("a flood
// of SIGPWRs", and "JSC's suspend protocol (model)", which runs
// test/native/suspend-protocol.c). So the foreign delivery waits here, in
// JSC's place, until the real resume signal has been handed to JSC; then
// both return and JSC's wait ends as it expects.
// A second foreign signal during the hold only wakes the hold, which waits
// again: the nesting never goes deeper than one hold.
// The hold ends after ABP_HOLD_LIMIT_S without a resume, as JSC's wait would
// have ended at the foreign signal: a foreign SIGPWR aimed at this very thread
// (tgkill from another process) that is still pending when JSC's resume comes
// takes the resume's place, as standard signals do not queue, so that resume
// never arrives. Released, JSC posts "resumed" and the suspender's resume()
// completes. A real suspension lasts microseconds to a few milliseconds (a
// stack scan, a profiler sample). Guarded by test/e2e/hostile.test.ts
// ("JSC's suspend protocol (model), lost-resume").
#define ABP_HOLD_LIMIT_S 1
static void hold_for_resume(struct abp_thread *t, int sig) {
	if (get(&t->holding)) return;
	bump(ABP_STAT_HELD);
	set(&t->resumed, 0);
	set(&t->holding, 1);
	sigset_t wait;
	sigfillset(&wait);
	sigdelset(&wait, sig);
	struct timespec end, now;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += ABP_HOLD_LIMIT_S;
	while (!get(&t->resumed)) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		struct timespec left = {end.tv_sec - now.tv_sec, end.tv_nsec - now.tv_nsec};
		if (left.tv_nsec < 0) left.tv_sec--, left.tv_nsec += 1000000000L;
		if (left.tv_sec < 0) {
			bump(ABP_STAT_HELD_TIMEOUT);
			break;
		}
		// sigsuspend(2) with a time limit: the same mask, the same wake-up.
		ppoll(NULL, 0, &left, &wait);
	}
	set(&t->holding, 0);
}

// Runs on the native stack. The kernel refuses to change the alternate stack
// while the caller runs on it, which is why this happens only after the switch.
static void run_on_native(void *arg) {
	struct abp_call *c = arg;
	stack_t off, old;
	int disabled = 0;
	if (c->disable_altstack) {
		memset(&off, 0, sizeof off);
		off.ss_flags = SS_DISABLE;
		// Without this a nested delivery (the resume signal JSC waits for)
		// would start at the alternate stack's top, over the ucontext JSC
		// just published to the suspending thread. Never run JSC then.
		if (sigaltstack(&off, &old) != 0) return;
		disabled = 1;
	}
	invoke(c);
	c->ran = 1;
	if (disabled) {
		old.ss_flags &= ~SS_ONSTACK;
		(void)sigaltstack(&old, NULL);
	}
}

static void suspend_wrapper(int sig, siginfo_t *info, void *ucv) {
	int saved_errno = errno;
	bump(ABP_STAT_CALLS);
	ucontext_t *uc = ucv;
	struct abp_call call = {&wrapped[sig], sig, info, ucv, NULL, 0, 0};
	if (sig <= 0 || sig >= NSIG || !__atomic_load_n(&wrapped_set[sig], __ATOMIC_ACQUIRE)) goto out;
	struct abp_thread *t = find_thread(current_tid(), (uintptr_t)pthread_self());
	call.thread = t;
	// JavaScriptCore signals its own threads with pthread_kill: tgkill(2),
	// SI_TKILL from this process. Anything else (kill(1) from outside, or
	// kill/sigqueue by this very process, e.g. process.kill(process.pid,
	// "SIGPWR")) is not a suspend request: on Bun < 1.4 JSC would park the
	// thread in sigsuspend waiting for a resume that never comes. Guarded by
	// test/e2e/hostile.test.ts ("SIGPWR from outside" and "self-sent SIGPWR").
	if (info != NULL && (info->si_code != SI_TKILL || info->si_pid != getpid())) {
		bump(ABP_STAT_FOREIGN);
		// Inside JSC's handler the signal is blocked except in its sigsuspend:
		// with both, this delivery ended that wait.
		if (t != NULL && get(&t->in_jsc) > 0 && sigismember(&uc->uc_sigmask, sig) == 1) hold_for_resume(t, sig);
		goto out;
	}
	if (t != NULL && get(&t->holding)) set(&t->resumed, 1); // JSC's resume: JSC sees it below and returns

	uintptr_t here = (uintptr_t)&call;
	uintptr_t alt_lo = (uintptr_t)uc->uc_stack.ss_sp, alt_hi = alt_lo + uc->uc_stack.ss_size;
	int on_alt = !(uc->uc_stack.ss_flags & SS_DISABLE) && here >= alt_lo && here < alt_hi;
	if (!on_alt) {
		// No alternate stack, or we are nested inside JSC's sigsuspend on the
		// native stack (the resume signal): exactly the delivery JSC expects.
		bump(t != NULL && t->in_switch ? ABP_STAT_NESTED : ABP_STAT_DIRECT);
		invoke(&call);
		goto out;
	}

	uintptr_t sp = ABP_INTERRUPTED_SP(uc);
	if (sp >= alt_lo && sp < alt_hi) {
		bump(ABP_STAT_ON_ALTSTACK);
		invoke(&call); // JSC backs off; Thread::suspend() retries
		goto out;
	}

	uintptr_t target = (sp - ABP_RED_ZONE - ABP_SWITCH_MARGIN) & ~(uintptr_t)15;
	if (t == NULL) {
		bump(ABP_STAT_UNREGISTERED);
	} else if (sp <= t->lo || sp > t->hi) {
		bump(ABP_STAT_OFF_NATIVE);
		if (!t->off_native) bump(ABP_STAT_OFF_EPISODES);
		t->off_native = 1;
		invoke(&call); // on the alternate stack: JSC backs off and retries
		goto out;
	} else {
		t->off_native = 0;
		if (target < t->lo + min_headroom) {
			bump(ABP_STAT_LOW_HEADROOM);
			invoke(&call);
			goto out;
		}
		bump(ABP_STAT_SWITCHED);
	}
	// While JSC's handler runs on the native stack the alternate stack is off,
	// so only the resume signal itself may arrive there (it is handled above).
	// Block every other asynchronous signal for the call: a Go handler (SIGURG
	// preemption, SIGPROF) would otherwise land on the native stack, which
	// older Go releases reject as "signal arrived on the wrong stack". JSC
	// itself blocks all of them during its sigsuspend; rt_sigreturn puts back
	// the interrupted mask, pending ones are delivered then.
	sigset_t block;
	sigfillset(&block);
	sigdelset(&block, sig);
	sigdelset(&block, SIGSEGV);
	sigdelset(&block, SIGBUS);
	sigdelset(&block, SIGILL);
	sigdelset(&block, SIGFPE);
	sigdelset(&block, SIGTRAP);
	sigdelset(&block, SIGSYS);
	// sig itself keeps the state the kernel gave it (blocked unless SA_NODEFER).
	(void)pthread_sigmask(SIG_BLOCK, &block, NULL);
	call.disable_altstack = 1;
	if (t != NULL) t->in_switch = 1;
	abp_call_on_stack(target, run_on_native, &call);
	if (t != NULL) t->in_switch = 0;
	if (!call.ran) {
		bump(ABP_STAT_ALT_ERROR);
		invoke(&call);
	}
out:
	errno = saved_errno;
}

static void *wrapper_address(void) { return (void *)suspend_wrapper; }

// Replaces the handler of `sig` (JSC's suspend/resume handler) by the wrapper,
// installed with the original mask and flags plus SA_ONSTACK | SA_SIGINFO, so
// SA_NODEFER / SA_RESETHAND / SA_RESTART and the blocked set during the call
// are what the original asked for. Safe before or after a Go runtime loads:
// Go's setsigstack leaves a handler that has SA_ONSTACK alone, and a later Go
// runtime records the wrapper as a foreign handler and forwards to it.
// Returns ABP_DONE wrapped, ABP_UNCHANGED already wrapped, ABP_E_NO_HANDLER
// (SIG_DFL/SIG_IGN: nothing to wrap), ABP_E_INVALID, ABP_E_SYSCALL,
// ABP_E_UNSUPPORTED.
int32_t abp_wrap_suspend_handler(int32_t sig) {
	if (!valid_signal(sig)) return ABP_E_INVALID;
	struct sigaction cur;
	if (sigaction(sig, NULL, &cur) != 0) return ABP_E_SYSCALL;
	void *handler = handler_of(&cur);
	if (handler == wrapper_address()) return ABP_UNCHANGED;
	if (handler == (void *)SIG_DFL || handler == (void *)SIG_IGN) return ABP_E_NO_HANDLER;
	pin_self();
	size_headroom();
	wrapped[sig] = cur;
	__atomic_store_n(&wrapped_set[sig], 1, __ATOMIC_RELEASE);
	struct sigaction w;
	memset(&w, 0, sizeof w);
	w.sa_sigaction = suspend_wrapper;
	w.sa_mask = cur.sa_mask;
	w.sa_flags = (int)(((unsigned long)cur.sa_flags | SA_ONSTACK | SA_SIGINFO) & ~(unsigned long)SA_RESTORER);
	if (sigaction(sig, &w, NULL) != 0) return ABP_E_SYSCALL;
	return ABP_DONE;
}

// 1 when the live handler of `sig` is the wrapper, 0 otherwise.
int32_t abp_wrap_query(int32_t sig) {
	if (!valid_signal(sig)) return ABP_E_INVALID;
	struct sigaction cur;
	if (sigaction(sig, NULL, &cur) != 0) return ABP_E_SYSCALL;
	return handler_of(&cur) == wrapper_address();
}

void abp_wrap_stats(uint64_t out[ABP_STAT_COUNT]) {
	for (int i = 0; i < ABP_STAT_COUNT; i++) out[i] = __atomic_load_n(&stats[i], __ATOMIC_RELAXED);
}

#else // !ABP_HAVE_WRAPPER: macOS has no JSC suspend signal, nothing to wrap.

int32_t abp_register_thread(void) { return ABP_E_UNSUPPORTED; }
int32_t abp_unregister_thread(void) { return ABP_UNCHANGED; }
int32_t abp_wrap_suspend_handler(int32_t sig) { (void)sig; return ABP_E_UNSUPPORTED; }
int32_t abp_wrap_query(int32_t sig) { (void)sig; return 0; }
void abp_wrap_stats(uint64_t out[ABP_STAT_COUNT]) {
	for (int i = 0; i < ABP_STAT_COUNT; i++) out[i] = 0;
}

#endif
