// abp_op: the single entry point the preload binds through bun:ffi.
//
// Bun before 1.4 compiles a TinyCC trampoline for every symbol handed to
// bun:ffi's dlopen, about 0.4 ms each (measured, docs/performance.md); binding
// the library's ~15 functions one by one cost 6–8 ms of every process start on
// exactly the Bun releases the preload exists for. One dispatcher costs one
// trampoline. The individual functions stay exported for C callers.
//
// The op numbers are part of the ABI (ABP_ABI_VERSION): src/native.ts has the
// same table.
#include <stdint.h>

int32_t abp_abi_version(void);
int32_t abp_snapshot(void);
int32_t abp_snapshot_taken(void);
int32_t abp_query(int32_t sig, int32_t which, uint64_t *out);
int32_t abp_restore_flags(int32_t sig);
int32_t abp_restore_disposition(int32_t sig);
int32_t abp_wait_go_runtime(const char *path);
int32_t abp_go_runtime_count(void);
int32_t abp_handler_owner(int32_t sig, int32_t which, char *buf, int32_t len);
uint64_t abp_flag_value(int32_t which);
int32_t abp_wrap_supported(void);
int32_t abp_register_thread(void);
int32_t abp_wrap_suspend_handler(int32_t sig);
int32_t abp_wrap_query(int32_t sig, uint64_t *out);
int32_t abp_wrap_stats(uint64_t *out, int32_t n);
int32_t abp_watchdog_arm(int32_t ms, const char *what);
int32_t abp_watchdog_disarm(void);

enum {
	ABP_OP_ABI_VERSION = 0,
	ABP_OP_SNAPSHOT = 1,
	ABP_OP_SNAPSHOT_TAKEN = 2,
	ABP_OP_QUERY = 3,               // a = signal, b = 0 live / 1 snapshot, buf = uint64_t[2]
	ABP_OP_RESTORE_FLAGS = 4,       // a = signal
	ABP_OP_RESTORE_DISPOSITION = 5, // a = signal
	ABP_OP_WAIT_GO_RUNTIME = 6,     // buf = NUL-terminated path
	ABP_OP_GO_RUNTIME_COUNT = 7,
	ABP_OP_HANDLER_OWNER = 8,       // a = signal, b = which, buf/len = output string
	ABP_OP_FLAG_VALUE = 9,          // a = flag index; the value fits sa_flags (an int)
	ABP_OP_WRAP_SUPPORTED = 10,
	ABP_OP_REGISTER_THREAD = 11,
	ABP_OP_WRAP_SUSPEND_HANDLER = 12, // a = signal
	ABP_OP_WRAP_QUERY = 13,           // a = signal, buf = NULL or uint64_t[2]
	ABP_OP_WRAP_STATS = 14,           // buf = uint64_t[len]
	ABP_OP_WATCHDOG_ARM = 15,         // a = milliseconds, buf = NUL-terminated description
	ABP_OP_WATCHDOG_DISARM = 16,
};

// Unknown op: distinct from every function's own error codes.
#define ABP_OP_UNKNOWN (-100)

int32_t abp_op(int32_t op, int32_t a, int32_t b, void *buf, int32_t len) {
	switch (op) {
	case ABP_OP_ABI_VERSION: return abp_abi_version();
	case ABP_OP_SNAPSHOT: return abp_snapshot();
	case ABP_OP_SNAPSHOT_TAKEN: return abp_snapshot_taken();
	case ABP_OP_QUERY: return abp_query(a, b, (uint64_t *)buf);
	case ABP_OP_RESTORE_FLAGS: return abp_restore_flags(a);
	case ABP_OP_RESTORE_DISPOSITION: return abp_restore_disposition(a);
	case ABP_OP_WAIT_GO_RUNTIME: return abp_wait_go_runtime((const char *)buf);
	case ABP_OP_GO_RUNTIME_COUNT: return abp_go_runtime_count();
	case ABP_OP_HANDLER_OWNER: return abp_handler_owner(a, b, (char *)buf, len);
	case ABP_OP_FLAG_VALUE: return (int32_t)(uint32_t)abp_flag_value(a);
	case ABP_OP_WRAP_SUPPORTED: return abp_wrap_supported();
	case ABP_OP_REGISTER_THREAD: return abp_register_thread();
	case ABP_OP_WRAP_SUSPEND_HANDLER: return abp_wrap_suspend_handler(a);
	case ABP_OP_WRAP_QUERY: return abp_wrap_query(a, (uint64_t *)buf);
	case ABP_OP_WRAP_STATS: return abp_wrap_stats((uint64_t *)buf, len);
	case ABP_OP_WATCHDOG_ARM: return abp_watchdog_arm(a, (const char *)buf);
	case ABP_OP_WATCHDOG_DISARM: return abp_watchdog_disarm();
	default: return ABP_OP_UNKNOWN;
	}
}
