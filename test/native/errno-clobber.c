// abp_check_path_safe (go/core/abp_files.c) against a signal handler that
// does not preserve errno, as JavaScriptCore's suspend handler (Bun < 1.4)
// does before the preload wraps it: its sigsuspend(2) leaves EINTR behind.
// Under `bun --cpu-prof` it runs every 200 µs on the JS thread, which is where
// the preload checks its native core. glibc's realpath(3) reads errno after
// each readlink(2) on a component that is not a link; a handler landing there
// made a safe path "unresolvable: Interrupted system call".
//
// usage: errno-clobber flood <path> <checks>
//   a real signal flood: another thread signals the checking thread all the
//   time. The window is a few instructions per path component: measured,
//   a 41-component path was refused ~20 times in 50,000 checks (~140 s)
//   before the fix, never after. For reproducing by hand.
// usage: errno-clobber inject <path>
//   what the flood does, made certain: the harness's realpath (the core's
//   file is compiled with -Drealpath=clobbered_realpath) resolves the path,
//   then reports what a handler landing at the wrong moment leaves: NULL and
//   EINTR, on every second call. The test in test/e2e/hostile.test.ts.
// Prints "checks=N refused=R" and exits 0 when no check was refused.
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int abp_check_path_safe(const char *path, char *why, int32_t len);

static atomic_int inject;
static atomic_long calls;

// Not renamed here: this file is compiled without the -D.
char *clobbered_realpath(const char *path, char *resolved) {
	char *result = realpath(path, resolved);
	if (atomic_load(&inject) && result != NULL && atomic_fetch_add(&calls, 1) % 2 == 0) {
		errno = EINTR;
		return NULL;
	}
	return result;
}

static atomic_int stop;
static pthread_t checker;

static void clobber(int sig) {
	(void)sig;
	errno = EINTR; // what a handler ending in sigsuspend(2) leaves behind
}

static void *sender(void *arg) {
	(void)arg;
	while (!atomic_load(&stop)) {
		pthread_kill(checker, SIGPROF);
		for (volatile int i = 0; i < 200; i++) {}
	}
	return NULL;
}

int main(int argc, char **argv) {
	int flood = argc == 4 && strcmp(argv[1], "flood") == 0;
	if (!flood && !(argc == 3 && strcmp(argv[1], "inject") == 0)) {
		fprintf(stderr, "usage: %s flood <path> <checks> | inject <path>\n", argv[0]);
		return 2;
	}
	const char *path = argv[2];
	long checks = flood ? atol(argv[3]) : 100;
	char why[512] = "";
	if (abp_check_path_safe(path, why, sizeof why) != 0) {
		fprintf(stderr, "the path is not safe to begin with: %s\n", why);
		return 2;
	}
	pthread_t s;
	if (flood) {
		struct sigaction action;
		memset(&action, 0, sizeof action);
		action.sa_handler = clobber;
		action.sa_flags = SA_RESTART;
		sigaction(SIGPROF, &action, NULL);
		checker = pthread_self();
		pthread_create(&s, NULL, sender, NULL);
	} else {
		atomic_store(&inject, 1);
	}
	long refused = 0;
	for (long i = 0; i < checks; i++) {
		if (abp_check_path_safe(path, why, sizeof why) != 0 && refused++ == 0) printf("first refusal: %s\n", why);
	}
	if (flood) {
		atomic_store(&stop, 1);
		pthread_join(s, NULL);
	}
	printf("checks=%ld refused=%ld\n", checks, refused);
	return refused == 0 ? 0 : 1;
}
