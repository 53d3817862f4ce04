// A model of JavaScriptCore's thread suspension on Linux (WTF's
// Thread::suspend / Thread::resume / signalHandlerSuspendResume in
// Source/WTF/wtf/posix/ThreadingPOSIX.cpp, as in Bun 1.0-1.3), driven through
// the core's suspend-handler wrapper (go/core/abp_signals.c) while another
// thread floods the process with the same signal through kill(2), as
// `kill -PWR <pid>` from outside does.
//
// The suspender checks the one thing suspension promises: while suspended,
// the target thread does not run. A foreign delivery that ended the target's
// sigsuspend early breaks that (and, a moment later, parks the target for
// good: see hold_for_resume in abp_signals.c).
//
// usage: suspend-protocol <direct|switched|lost-resume> <rounds>
//   direct       the target has no alternate signal stack: JSC runs in place
//   switched     the target has one (as with Go loaded): the wrapper moves
//                JSC onto the native stack
//   lost-resume  no flood: each round suspends, sends one foreign signal,
//                waits until the wrapper holds it, and then, as the kernel
//                does when a foreign signal aimed at the thread is still
//                pending, never delivers the resume; the hold must give up
//                (heldTimedOut) so that resume() still returns
// Prints one line "rounds=N foreign=F held=H ran=R ..." and exits 0 when every
// round completed and the target never ran while suspended (lost-resume: and
// every hold timed out); 1 otherwise; 3 when nothing moved for 3 s (the
// target is parked).
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../go/core/abp.h"

#define SUSPEND_SIGNAL SIGPWR

struct thread {
	pthread_t handle;
	uintptr_t lo, hi;                  // its stack, as WTF's m_stack
	volatile unsigned suspend_count;   // m_suspendCount
	void *volatile registers;          // m_platformRegisters
};

static struct thread target;
static _Atomic(struct thread *) target_thread; // WTF's targetThread
static sem_t semaphore;                       // globalSemaphoreForSuspendResume
static atomic_ulong progress;                 // the target's work
static atomic_ulong rounds_done;
static atomic_int stop;     // the suspender is done
static atomic_int finished; // the target saw it

static void suspend_resume_handler(int sig, siginfo_t *info, void *ucontext) {
	(void)info;
	struct thread *thread = atomic_load(&target_thread);
	if (thread->suspend_count) return; // the resume signal: ends the sigsuspend below
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	if (sp < thread->lo || sp >= thread->hi) { // on an alternate stack: back off, retried
		thread->registers = NULL;
		sem_post(&semaphore);
		return;
	}
	thread->registers = ucontext;
	sem_post(&semaphore);
	sigset_t blocked;
	sigfillset(&blocked);
	sigdelset(&blocked, sig);
	sigsuspend(&blocked);
	sem_post(&semaphore);
}

static void suspend(struct thread *thread) {
	if (thread->suspend_count == 0) {
		atomic_store(&target_thread, thread);
		for (;;) {
			pthread_kill(thread->handle, SUSPEND_SIGNAL);
			while (sem_wait(&semaphore) != 0) {}
			if (thread->registers != NULL) break;
			sched_yield();
		}
	}
	thread->suspend_count++;
}

static void resume(struct thread *thread) {
	if (thread->suspend_count == 1) {
		atomic_store(&target_thread, thread);
		pthread_kill(thread->handle, SUSPEND_SIGNAL);
		while (sem_wait(&semaphore) != 0) {}
	}
	thread->suspend_count--;
}

static void block_suspend_signal(void) {
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SUSPEND_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &set, NULL); // so kill(2) can only land on the target (already so from birth)
}

static void spin_us(long us) {
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	do clock_gettime(CLOCK_MONOTONIC, &b);
	while ((b.tv_sec - a.tv_sec) * 1000000L + (b.tv_nsec - a.tv_nsec) / 1000 < us);
}

static long rounds;
static atomic_ulong ran_while_suspended;

static void *suspender(void *arg) {
	(void)arg;
	block_suspend_signal();
	for (long i = 0; i < rounds; i++) {
		suspend(&target);
		unsigned long before = atomic_load(&progress);
		spin_us(20 + i % 40);
		if (atomic_load(&progress) != before) atomic_fetch_add(&ran_while_suspended, 1);
		resume(&target);
		atomic_fetch_add(&rounds_done, 1);
		spin_us(i % 50);
	}
	atomic_store(&stop, 1);
	return NULL;
}

static uint64_t stat(int which) {
	uint64_t stats[ABP_STAT_COUNT];
	abp_wrap_stats(stats);
	return stats[which];
}

// The lost resume: a foreign signal held inside the suspension, and the
// resume signal that would end it never sent; then resume()'s wait.
static void *lose_resumes(void *arg) {
	(void)arg;
	block_suspend_signal();
	for (long i = 0; i < rounds; i++) {
		suspend(&target);
		uint64_t held = stat(ABP_STAT_HELD);
		kill(getpid(), SUSPEND_SIGNAL);
		for (int waited = 0; stat(ABP_STAT_HELD) == held; waited++) {
			if (waited == 2000) {
				printf("the foreign signal was not held\n");
				fflush(stdout);
				_exit(1);
			}
			usleep(1000);
		}
		while (sem_wait(&semaphore) != 0) {}
		target.suspend_count--;
		atomic_fetch_add(&rounds_done, 1);
	}
	atomic_store(&stop, 1);
	return NULL;
}

static void *flooder(void *arg) {
	(void)arg;
	block_suspend_signal();
	pid_t self = getpid();
	while (!atomic_load(&stop)) {
		kill(self, SUSPEND_SIGNAL);
		spin_us(5);
	}
	return NULL;
}

static void *watchdog(void *arg) {
	(void)arg;
	block_suspend_signal();
	unsigned long last = (unsigned long)-1;
	for (int quiet = 0; !atomic_load(&finished); quiet++) {
		unsigned long now = atomic_load(&rounds_done);
		if (now != last) last = now, quiet = 0;
		if (quiet == 30) {
			printf("parked: no progress for 3 s, after %lu rounds\n", now);
			fflush(stdout);
			_exit(3);
		}
		usleep(100000);
	}
	return NULL;
}

int main(int argc, char **argv) {
	int lost = argc == 3 && strcmp(argv[1], "lost-resume") == 0;
	if (argc != 3 || (strcmp(argv[1], "direct") != 0 && strcmp(argv[1], "switched") != 0 && !lost)) {
		fprintf(stderr, "usage: %s <direct|switched|lost-resume> <rounds>\n", argv[0]);
		return 2;
	}
	rounds = atol(argv[2]);
	sem_init(&semaphore, 0, 0);

	// WTF installs its handler with every signal blocked and SA_RESTART.
	struct sigaction action;
	memset(&action, 0, sizeof action);
	action.sa_sigaction = suspend_resume_handler;
	sigfillset(&action.sa_mask);
	action.sa_flags = SA_RESTART | SA_SIGINFO;
	if (sigaction(SUSPEND_SIGNAL, &action, NULL) != 0) return perror("sigaction"), 2;
	if (abp_wrap_suspend_handler(SUSPEND_SIGNAL) != ABP_DONE) return fprintf(stderr, "wrap failed\n"), 2;

	target.handle = pthread_self();
	pthread_attr_t attr;
	void *addr;
	size_t size;
	pthread_getattr_np(pthread_self(), &attr);
	pthread_attr_getstack(&attr, &addr, &size);
	target.lo = (uintptr_t)addr;
	target.hi = target.lo + size;
	if (abp_register_thread() != ABP_DONE) return fprintf(stderr, "register failed\n"), 2;
	if (strcmp(argv[1], "switched") == 0) {
		stack_t alt = {.ss_sp = malloc(65536), .ss_size = 65536, .ss_flags = 0};
		if (sigaltstack(&alt, NULL) != 0) return perror("sigaltstack"), 2;
	}

	// Every other thread is born with the signal blocked (a thread not yet
	// scheduled would otherwise take a kill(2) meant for the target).
	pthread_t s, f, w;
	sigset_t suspend_only, before;
	sigemptyset(&suspend_only);
	sigaddset(&suspend_only, SUSPEND_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &suspend_only, &before);
	pthread_create(&w, NULL, watchdog, NULL);
	pthread_create(&s, NULL, lost ? lose_resumes : suspender, NULL);
	if (!lost) pthread_create(&f, NULL, flooder, NULL);
	pthread_sigmask(SIG_SETMASK, &before, NULL);
	while (!atomic_load(&stop)) atomic_fetch_add(&progress, 1);
	atomic_store(&finished, 1);
	pthread_join(s, NULL);
	if (!lost) pthread_join(f, NULL);

	uint64_t stats[ABP_STAT_COUNT];
	abp_wrap_stats(stats);
	unsigned long ran = atomic_load(&ran_while_suspended);
	printf("rounds=%lu foreign=%llu held=%llu ran=%lu switched=%llu direct=%llu heldTimedOut=%llu\n", atomic_load(&rounds_done),
	       (unsigned long long)stats[ABP_STAT_FOREIGN], (unsigned long long)stats[ABP_STAT_HELD], ran,
	       (unsigned long long)stats[ABP_STAT_SWITCHED], (unsigned long long)stats[ABP_STAT_DIRECT],
	       (unsigned long long)stats[ABP_STAT_HELD_TIMEOUT]);
	if (lost) return atomic_load(&rounds_done) == (unsigned long)rounds && stats[ABP_STAT_HELD_TIMEOUT] == (uint64_t)rounds ? 0 : 1;
	return ran == 0 && atomic_load(&rounds_done) == (unsigned long)rounds ? 0 : 1;
}
