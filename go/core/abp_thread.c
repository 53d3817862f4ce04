// abp_thread: the core's own threads (the warmup, the watchdog) start with
// every signal blocked, as Go's runtime/cgo starts its threads: they must
// never take a process-directed signal (SIGINT, SIGTERM, SIGPWR) meant for
// the application.
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "abp.h"

int abp_start_thread(void *(*fn)(void *), sigset_t *creator_mask) {
	sigset_t all, old;
	sigfillset(&all);
	// The new thread inherits the mask in force when it is created.
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (creator_mask != NULL) *creator_mask = old;
	pthread_attr_t attr;
	pthread_t thread;
	int rc = pthread_attr_init(&attr);
	if (rc == 0) {
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		// The default stack: glibc refuses (EINVAL) one that cannot hold the
		// process's static TLS, and Bun 1.2.19 has more than 256 KiB of it.
		rc = pthread_create(&thread, &attr, fn, NULL);
		pthread_attr_destroy(&attr);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

struct timespec abp_deadline(clockid_t clock, int32_t ms) {
	struct timespec at;
	clock_gettime(clock, &at);
	at.tv_sec += ms / 1000;
	at.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (at.tv_nsec >= 1000000000L) at.tv_sec++, at.tv_nsec -= 1000000000L;
	return at;
}
