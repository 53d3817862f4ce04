// abp_warmup: the Go warmup, verified and mapped from the verified bytes, on
// a thread of its own.
//
// The preload asks for it once per process (abp_warmup_start) and goes on;
// the first guarded native load waits for it (abp_warmup_info with wait).
// The thread:
//   1. opens the library once (O_NONBLOCK: a FIFO must not block the open),
//      refuses anything but a regular file of sane size that nobody else
//      may write, in a folder nobody else may write;
//   2. copies it into a sealed memory file while hashing it, and compares the
//      hash with the one this core was built with (ABP_WARMUP_SHA256, from
//      go/build.sh) — a hash file beside the library could be rewritten by
//      whoever replaces the library;
//   3. maps exactly those sealed bytes (dlopen of /proc/self/fd/N): renaming
//      another file over the library after the check changes nothing
//      (test/e2e/integrity.test.ts swaps it in a loop);
//   4. calls WarmupGoRuntime, which returns once the Go runtime — including
//      runtime.initsig, which changes the signal handlers — is up, and at once
//      applies the repair plan (SIGPIPE back to ignored), so no JavaScript has
//      to run for the process to be put right.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "abp.h"

#ifndef ABP_WARMUP_SHA256
#error "build with -DABP_WARMUP_SHA256='\"<64 hex digits>\"' (go/build.sh does)"
#endif

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static struct abp_warmup_info info; // guarded by mu
static char warmup_path[PATH_MAX];  // written before the thread starts
static sigset_t creator_mask;       // the mask of the thread that asked
static int32_t grace_ms;            // how long the thread lets the application start first
static int hurry;                   // someone waits: no more grace (guarded by mu)
static char core_expected[65];      // the core's own sha256 to check first, or ""

const char *abp_warmup_expected_sha256(void) { return ABP_WARMUP_SHA256; }

static uint64_t now_us(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void finish(int32_t error, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void finish(int32_t error, const char *fmt, ...) {
	pthread_mutex_lock(&mu);
	info.error = error;
	info.state = error == ABP_WU_OK ? ABP_WS_DONE : ABP_WS_FAILED;
	va_list args;
	va_start(args, fmt);
	vsnprintf(info.message, sizeof info.message, fmt, args);
	va_end(args);
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static int write_all(int fd, const uint8_t *p, size_t n) {
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR) continue;
		if (w <= 0) return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

// Copies fd into a new sealed memory file while hashing; returns the memory
// file, or -1 having called finish().
static int copy_verified(int fd, const struct stat *st, char hex[65]) {
	int mem = memfd_create("asherah-bun-warmup", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mem < 0) {
		finish(ABP_WU_MEMFD, "memfd_create failed: %s", strerror(errno));
		return -1;
	}
	struct abp_sha256 sha;
	abp_sha256_init(&sha);
	static uint8_t buf[1 << 16]; // only this thread, only once per process
	uint64_t total = 0;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR) continue;
		if (n < 0) {
			finish(ABP_WU_READ, "reading %s failed: %s", warmup_path, strerror(errno));
			close(mem);
			return -1;
		}
		if (n == 0) break;
		total += (uint64_t)n;
		if (total > (uint64_t)st->st_size) break; // it grows while we read: refused below
		abp_sha256_update(&sha, buf, (uint64_t)n);
		if (write_all(mem, buf, (size_t)n) != 0) {
			finish(ABP_WU_MEMFD, "writing the memory copy of %s failed: %s", warmup_path, strerror(errno));
			close(mem);
			return -1;
		}
	}
	if (total != (uint64_t)st->st_size) {
		finish(ABP_WU_READ, "%s changed while it was read (%llu bytes read, %llu expected)", warmup_path, (unsigned long long)total,
		       (unsigned long long)st->st_size);
		close(mem);
		return -1;
	}
	abp_sha256_hex(&sha, hex);
	if (fcntl(mem, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
		finish(ABP_WU_MEMFD, "sealing the memory copy of %s failed: %s", warmup_path, strerror(errno));
		close(mem);
		return -1;
	}
	return mem;
}

// The grace period: a process that loads no Go module in its first
// milliseconds (every `bun -e`, script and test run of a project) starts up
// with the machine to itself. The Go runtime's start maps its heap and spawns
// threads (mmap_lock and CPU the JavaScript thread wants for its own start);
// measured on 2 cores it added milliseconds to the JS thread. Anyone who
// needs the warmup (a guarded load, warmup()) ends the grace at once.
static void wait_grace(void) {
	if (grace_ms <= 0) return;
	struct timespec until = abp_deadline(CLOCK_REALTIME, grace_ms);
	pthread_mutex_lock(&mu);
	while (!hurry && pthread_cond_timedwait(&cv, &mu, &until) != ETIMEDOUT) {
	}
	pthread_mutex_unlock(&mu);
}

// The core's own file against the sha256 the package shipped. Run here, on
// the warmup's thread, rather than on the JavaScript thread at start (where
// it cost ~0.15 ms of every process): the size was checked before the load,
// and every guarded load waits for this thread. The core computes its own
// hash, so this finds damage, not a replacement (docs/how-it-works.md,
// "Trust").
static int core_verified(void) {
	if (core_expected[0] == '\0') return 1;
	char hex[65];
	char why[PATH_MAX + 128];
	if (abp_self_sha256(hex, why, sizeof why) != 0) {
		finish(ABP_WU_CORE_CHECKSUM, "the native core could not check its own file: %s", why);
		return 0;
	}
	if (strcmp(hex, core_expected) != 0) {
		Dl_info self;
		const char *file = dladdr((void *)core_verified, &self) != 0 && self.dli_fname != NULL ? self.dli_fname : "asherah-bun-core.node";
		finish(ABP_WU_CORE_CHECKSUM, "the native core %s has sha256 %s, but the package shipped %s", file, hex, core_expected);
		return 0;
	}
	return 1;
}

static void *run(void *unused) {
	(void)unused;
	wait_grace();
	if (!core_verified()) return NULL;
	uint64_t start = now_us();
	int fd = open(warmup_path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		finish(ABP_WU_OPEN, "%s cannot be opened: %s", warmup_path, strerror(errno));
		return NULL;
	}
	struct stat st;
	char why[PATH_MAX + 128];
	if (fstat(fd, &st) != 0) {
		finish(ABP_WU_OPEN, "%s cannot be examined: %s", warmup_path, strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		finish(ABP_WU_NOT_REGULAR, "%s is a %s, not a regular file", warmup_path, abp_file_kind(st.st_mode));
	} else if (st.st_size == 0) {
		finish(ABP_WU_EMPTY, "%s is empty", warmup_path);
	} else if ((uint64_t)st.st_size > ABP_WARMUP_MAX_BYTES) {
		finish(ABP_WU_TOO_LARGE, "%s is %llu bytes, more than the %u a warmup library may have", warmup_path,
		       (unsigned long long)st.st_size, ABP_WARMUP_MAX_BYTES);
	} else if (st.st_mode & S_IWOTH) {
		finish(ABP_WU_UNSAFE, "%s is writable by every user (mode %03o)", warmup_path, (unsigned)(st.st_mode & 07777));
	} else if (abp_check_path_safe(warmup_path, why, sizeof why) != 0) {
		finish(ABP_WU_UNSAFE, "%s", why);
	} else {
		char hex[65];
		int mem = copy_verified(fd, &st, hex);
		close(fd);
		fd = -1;
		if (mem < 0) return NULL;
		if (strcmp(hex, ABP_WARMUP_SHA256) != 0) {
			close(mem);
			finish(ABP_WU_CHECKSUM, "%s has sha256 %s, but this asherah-bun-core was built with %s", warmup_path, hex, ABP_WARMUP_SHA256);
			return NULL;
		}
		uint64_t verified = now_us();
		// Go's threads inherit the mask of the thread that loads the runtime,
		// and a library-mode runtime keeps it: give them the mask they would
		// have had if the JavaScript thread had loaded it.
		pthread_sigmask(SIG_SETMASK, &creator_mask, NULL);
		char fd_path[64];
		snprintf(fd_path, sizeof fd_path, "/proc/self/fd/%d", mem);
		void *handle = dlopen(fd_path, RTLD_NOW | RTLD_LOCAL);
		close(mem); // the mapping stays
		if (handle == NULL) {
			const char *error = dlerror();
			finish(ABP_WU_DLOPEN, "%s (verified, mapped from %s) could not be loaded: %s", warmup_path, fd_path, error ? error : "unknown error");
			return NULL;
		}
		uint64_t loaded = now_us();
		int32_t (*warmup)(void) = (int32_t(*)(void))dlsym(handle, "WarmupGoRuntime");
		if (warmup == NULL) {
			finish(ABP_WU_SYMBOL, "%s exports no WarmupGoRuntime", warmup_path);
			return NULL;
		}
		int32_t result = warmup();
		uint64_t called = now_us();
		uint64_t before[64][2];
		uint64_t repaired = abp_repair_now(before);
		if (result != 1) {
			finish(ABP_WU_RESULT, "WarmupGoRuntime in %s returned %d, not 1", warmup_path, result);
			return NULL;
		}
		pthread_mutex_lock(&mu);
		memcpy(info.sha256, hex, sizeof hex);
		info.verify_us = verified - start;
		info.dlopen_us = loaded - verified;
		info.call_us = called - loaded;
		info.repaired_mask = repaired;
		memcpy(info.repaired_before, before, sizeof before);
		pthread_mutex_unlock(&mu);
		finish(ABP_WU_OK, "%s", "");
		// The repair thread, started here rather than inside the first
		// guarded load: creating it there cost that require() ~0.1-0.25 ms of
		// the JavaScript thread (docs/performance.md).
		abp_repair_prestart();
		return NULL;
	}
	close(fd);
	return NULL;
}

int32_t abp_warmup_start(const char *path, int32_t grace, const char *core_sha256) {
	if (path == NULL || path[0] != '/' || strlen(path) >= sizeof warmup_path) return ABP_E_INVALID;
	if (core_sha256 != NULL && core_sha256[0] != '\0' && strlen(core_sha256) != 64) return ABP_E_INVALID;
	pthread_mutex_lock(&mu);
	if (info.state != ABP_WS_IDLE) {
		if (grace <= 0 && !hurry) {
			hurry = 1;
			pthread_cond_broadcast(&cv);
		}
		pthread_mutex_unlock(&mu);
		return ABP_UNCHANGED;
	}
	strcpy(warmup_path, path);
	if (core_sha256 != NULL) strcpy(core_expected, core_sha256);
	grace_ms = grace;
	info.state = ABP_WS_RUNNING;
	// The thread starts with every signal blocked (it must not take the
	// application's signals while it reads) and restores the creator's mask
	// before it loads Go (see run()).
	int rc = abp_start_thread(run, &creator_mask);
	pthread_mutex_unlock(&mu);
	if (rc != 0) finish(ABP_WU_THREAD, "the warmup thread could not start: %s", strerror(rc));
	return ABP_DONE;
}

void abp_warmup_info(struct abp_warmup_info *out, int wait) {
	pthread_mutex_lock(&mu);
	if (wait && info.state == ABP_WS_RUNNING && !hurry) {
		hurry = 1; // the thread may still be in its grace period
		pthread_cond_broadcast(&cv);
	}
	while (wait && info.state == ABP_WS_RUNNING) pthread_cond_wait(&cv, &mu);
	*out = info;
	pthread_mutex_unlock(&mu);
}
