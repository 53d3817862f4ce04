// abp_repair: the repair after a native load, on a thread of the core's own.
//
// A Go runtime in a shared object initialises on a thread of its own after
// dlopen returns, and only then changes the signal handlers. Waiting for it
// on the JavaScript thread before repairing added the runtime's whole start
// (~1.5 ms for asherah) to every require() of a Go module. With the
// suspend-handler wrapper in place, or on a Bun without the hang, nothing in
// that window needs the repair at once: JavaScriptCore's handler keeps
// SA_ONSTACK (Go leaves such a handler alone), and a SIGPIPE that reaches
// Go's handler on a thread Go does not own is forwarded to the disposition
// before it, "ignore" — the same window the warmup has. So the preload hands
// the wait and the repair to this thread (src/lifecycle.ts afterNativeLoad;
// the flag-restore mechanism and Bun 1.0.x keep waiting in place).
//
// Requests are coalesced: one pass waits for every Go runtime of the process
// and applies the repair plan once. Each request gets a record, for
// status() of the JavaScript environment that asked (owner).
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "abp.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;    // a request arrived
static pthread_cond_t settled = PTHREAD_COND_INITIALIZER; // a pass completed
static int started;
static uint64_t requested, completed; // request counts (guarded by mu)

// Requests waiting for the next pass, and the records of passes done; both
// bounded: a record that does not fit is counted in `dropped`.
static struct abp_repair_record pending[ABP_REPAIR_RECORDS];
static int32_t pending_count;
static struct abp_repair_record records[ABP_REPAIR_RECORDS];
static int32_t record_count;
static uint64_t dropped;

static void *run(void *unused) {
	(void)unused;
	static struct abp_repair_record batch[ABP_REPAIR_RECORDS];
	pthread_mutex_lock(&mu);
	for (;;) {
		while (completed == requested) pthread_cond_wait(&wake, &mu);
		uint64_t until = requested;
		int32_t n = pending_count;
		memcpy(batch, pending, (size_t)n * sizeof *batch);
		pending_count = 0;
		pthread_mutex_unlock(&mu);
		int32_t runtimes = abp_wait_all_go_runtimes();
		uint64_t before[64][2];
		uint64_t changed = abp_repair_now(before);
		pthread_mutex_lock(&mu);
		for (int32_t i = 0; i < n; i++) {
			// What changed is put down to the first load of the pass: the
			// one that brought the runtime when loads come one at a time.
			batch[i].go_runtimes = runtimes;
			batch[i].changed = i == 0 ? changed : 0;
			for (int sig = 0; sig < 64; sig++) {
				int hit = i == 0 && (changed & ((uint64_t)1 << sig));
				batch[i].before[sig][0] = hit ? before[sig][0] : 0;
				batch[i].before[sig][1] = hit ? before[sig][1] : 0;
			}
			// Full (an environment that never asks, a Worker gone before it
			// did): the oldest record makes room.
			if (record_count == ABP_REPAIR_RECORDS) {
				memmove(records, records + 1, (size_t)(ABP_REPAIR_RECORDS - 1) * sizeof *records);
				record_count--;
				dropped++;
			}
			records[record_count++] = batch[i];
		}
		completed = until;
		pthread_cond_broadcast(&settled);
	}
	return NULL;
}

// Starts the thread once; 0, or pthread_create's error. Called with mu held.
static int start_locked(void) {
	if (started) return 0;
	int rc = abp_start_thread(run, NULL);
	if (rc == 0) started = 1;
	return rc;
}

void abp_repair_prestart(void) {
	pthread_mutex_lock(&mu);
	(void)start_locked(); // a failure is retried, and reported, by the first request
	pthread_mutex_unlock(&mu);
}

int32_t abp_repair_later(const char *trigger, uint64_t owner) {
	if (trigger == NULL) return ABP_E_INVALID;
	pthread_mutex_lock(&mu);
	if (start_locked() != 0) {
		pthread_mutex_unlock(&mu);
		return ABP_E_SYSCALL; // the caller repairs in place
	}
	if (pending_count < ABP_REPAIR_RECORDS) {
		struct abp_repair_record *r = &pending[pending_count++];
		memset(r, 0, sizeof *r);
		// The end of a long path: the file name is what tells loads apart.
		size_t len = strlen(trigger);
		const char *tail = len < sizeof r->trigger ? trigger : trigger + len - (sizeof r->trigger - 1);
		strcpy(r->trigger, tail);
		r->owner = owner;
	} else {
		dropped++;
	}
	requested++;
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&mu);
	return ABP_DONE;
}

int32_t abp_repair_settle(int32_t wait_ms) {
	struct timespec until = abp_deadline(CLOCK_REALTIME, wait_ms);
	pthread_mutex_lock(&mu);
	// Bounded: a Go runtime whose start never ends must not hang status() too.
	while (wait_ms > 0 && completed != requested && pthread_cond_timedwait(&settled, &mu, &until) != ETIMEDOUT) {
	}
	int32_t left = (int32_t)(requested - completed);
	pthread_mutex_unlock(&mu);
	return left;
}

int32_t abp_repair_take(uint64_t owner, struct abp_repair_record *out, int32_t max) {
	pthread_mutex_lock(&mu);
	int32_t n = 0, kept = 0;
	for (int32_t i = 0; i < record_count; i++) {
		if (records[i].owner == owner && n < max) out[n++] = records[i];
		else records[kept++] = records[i];
	}
	record_count = kept;
	pthread_mutex_unlock(&mu);
	return n;
}

void abp_repair_forget(uint64_t owner) {
	pthread_mutex_lock(&mu);
	int32_t kept = 0;
	for (int32_t i = 0; i < record_count; i++)
		if (records[i].owner != owner) records[kept++] = records[i];
	record_count = kept;
	pthread_mutex_unlock(&mu);
}

uint64_t abp_repair_dropped(void) {
	pthread_mutex_lock(&mu);
	uint64_t n = dropped;
	pthread_mutex_unlock(&mu);
	return n;
}
