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
// This library is plain C (no Go runtime) so it can record the dispositions
// before any Go runtime exists and put back what Go changed afterwards. It is
// loaded through bun:ffi; every struct stays on this side so TypeScript never
// has to know the layout of struct sigaction.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

// Bumped whenever an exported signature changes; the TypeScript side refuses
// a library whose ABI it does not know instead of calling into it blindly.
#define ABP_ABI_VERSION 1

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

int32_t abp_abi_version(void) { return ABP_ABI_VERSION; }

// Records every signal's disposition. Only the first call counts: a later
// snapshot could already contain Go's changes and would make them permanent.
// Returns 1 when this call took the snapshot, 0 when one existed already.
int32_t abp_snapshot(void) {
	if (snapshot_taken) return 0;
	for (int sig = 1; sig < NSIG; sig++) {
		if (!valid_signal(sig)) continue;
		sigaction(sig, NULL, &snapshot[sig]);
	}
	snapshot_taken = 1;
	return 1;
}

int32_t abp_snapshot_taken(void) { return snapshot_taken; }

// out[0] = handler address (0 = SIG_DFL, 1 = SIG_IGN), out[1] = sa_flags.
// which: 0 = the live disposition, 1 = the snapshot.
int32_t abp_query(int32_t sig, int32_t which, uint64_t *out) {
	if (!valid_signal(sig) || out == NULL) return -1;
	struct sigaction cur;
	const struct sigaction *sa = &cur;
	if (which == 1) {
		if (!snapshot_taken) return -2;
		sa = &snapshot[sig];
	} else if (sigaction(sig, NULL, &cur) != 0) {
		return -1;
	}
	out[0] = (uint64_t)(uintptr_t)handler_of(sa);
	out[1] = (uint64_t)(unsigned long)sa->sa_flags;
	return 0;
}

// Puts back the snapshot of a signal whose handler is still the one it had
// before Go loaded but whose flags or mask Go altered (setsigstack). A handler
// that was replaced is left alone: it belongs to whoever replaced it.
// Returns 1 repaired, 0 nothing to do, -1 sigaction failed, -2 no snapshot.
int32_t abp_restore_flags(int32_t sig) {
	if (!valid_signal(sig)) return -1;
	if (!snapshot_taken) return -2;
	struct sigaction cur;
	if (sigaction(sig, NULL, &cur) != 0) return -1;
	void *handler = handler_of(&cur);
	if (handler != handler_of(&snapshot[sig])) return 0;
	if (handler == (void *)SIG_DFL || handler == (void *)SIG_IGN) return 0;
	// SA_RESTORER is libc's business and differs between glibc and Go's raw
	// rt_sigaction; it says nothing about how the handler runs.
	unsigned long relevant = ~(unsigned long)SA_RESTORER;
	if (((unsigned long)cur.sa_flags & relevant) == ((unsigned long)snapshot[sig].sa_flags & relevant)) return 0;
	if (sigaction(sig, &snapshot[sig], NULL) != 0) return -1;
	return 1;
}

// Puts back SIG_IGN / SIG_DFL for a signal that had it before Go loaded and
// has a handler now (Go catches SIGPIPE in library mode; Bun ignores it).
// Returns 1 repaired, 0 nothing to do, -1 sigaction failed, -2 no snapshot.
int32_t abp_restore_disposition(int32_t sig) {
	if (!valid_signal(sig)) return -1;
	if (!snapshot_taken) return -2;
	void *before = handler_of(&snapshot[sig]);
	if (before != (void *)SIG_IGN && before != (void *)SIG_DFL) return 0;
	struct sigaction cur;
	if (sigaction(sig, NULL, &cur) != 0) return -1;
	if (handler_of(&cur) == before) return 0;
	if (sigaction(sig, &snapshot[sig], NULL) != 0) return -1;
	return 1;
}

// A Go runtime in a shared object initialises on a thread of its own after
// dlopen returns; runtime.initsig (which changes the signal handlers) can run
// after the loader has already handed the module back. Every cgo-built
// object exports _cgo_wait_runtime_init_done, the function an exported Go
// call uses to wait for that initialisation, so calling it tells us when the
// damage is done and can be repaired.
// Returns 1 when the object holds a Go runtime and it is initialised, 0 when
// it holds none, -1 when the path is not loaded in this process.
int32_t abp_wait_go_runtime(const char *path) {
	if (path == NULL) return -1;
	void *handle = dlopen(path, RTLD_LAZY | RTLD_NOLOAD);
	if (handle == NULL) return -1;
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

static int count_go_runtime(struct dl_phdr_info *info, size_t size, void *data) {
	(void)size;
	if (info->dlpi_name == NULL || info->dlpi_name[0] == '\0') return 0;
	void *handle = dlopen(info->dlpi_name, RTLD_LAZY | RTLD_NOLOAD);
	if (handle == NULL) return 0;
	void *sym = dlsym(handle, "_cgo_wait_runtime_init_done");
	Dl_info where;
	if (sym != NULL && dladdr(sym, &where) != 0 && where.dli_fbase == (void *)info->dlpi_addr) (*(int32_t *)data)++;
	dlclose(handle);
	return 0;
}

// Counts the loaded objects that carry their own Go runtime. Used to tell
// whether a snapshot can still be trusted (0 before our first load) and for
// the doctor's report.
int32_t abp_go_runtime_count(void) {
	int32_t count = 0;
	dl_iterate_phdr(count_go_runtime, &count);
	return count;
}

// Writes the file that defines the handler of `sig` (live or snapshot) into
// buf as a NUL-terminated string; "" for SIG_DFL/SIG_IGN or unknown code.
int32_t abp_handler_owner(int32_t sig, int32_t which, char *buf, int32_t len) {
	if (!valid_signal(sig) || buf == NULL || len <= 0) return -1;
	uint64_t out[2];
	int32_t rc = abp_query(sig, which, out);
	buf[0] = '\0';
	if (rc != 0) return rc;
	if (out[0] <= 1) return 0;
	Dl_info info;
	if (dladdr((void *)(uintptr_t)out[0], &info) == 0 || info.dli_fname == NULL) return 0;
	snprintf(buf, (size_t)len, "%s", info.dli_fname);
	return 0;
}

// The flag values differ between architectures and libcs; export the ones the
// TypeScript side names so it never hard-codes them.
uint64_t abp_flag_value(int32_t which) {
	switch (which) {
	case 0: return SA_ONSTACK;
	case 1: return SA_SIGINFO;
	case 2: return SA_RESTART;
	case 3: return SA_NODEFER;
	case 4: return SA_RESETHAND;
	case 5: return SA_RESTORER;
	default: return 0;
	}
}
