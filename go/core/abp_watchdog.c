// abp_watchdog: a hang watchdog for guarded native loads (opt-in with
// ASHERAH_BUN_PRELOAD_WATCHDOG_MS).
//
// A load that never returns freezes the JavaScript thread, so nothing on that
// thread can report it. abp_watchdog_arm() hands a deadline to a native thread
// of its own and returns a watch id; every guarded load has its own watch and
// deadline, so loads that overlap in two Workers never inherit each other's
// (test/e2e/hostile.test.ts, "overlapping guarded loads"). If abp_watchdog_disarm(id) has not been called
// by the deadline, that thread looks at the process from the outside (/proc/self/task: thread
// states, context switches and CPU time sampled twice, 200 ms apart; the
// suspend-signal handlers' flags), prints a diagnosis to stderr and ends the
// process with _exit(70) instead of leaving it hanging.
//
// The hung thread may hold any lock (malloc's, stdio's, the dynamic loader's),
// so the reporting path takes none of them: no malloc, no stdio, no dlopen;
// only open/read/getdents64/write/nanosleep/sigaction system calls on static
// buffers. The watchdog thread blocks every signal, so it never takes a
// process-directed signal (SIGINT, SIGTERM, SIGPWR) meant for the application.
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <stdlib.h>
#include <unistd.h>

#include "abp.h"

#if defined(__linux__)
#include <fcntl.h>
#include <sys/syscall.h>
#endif

#define ABP_WD_EXIT_STATUS 70
#define ABP_WD_SAMPLE_MS 200
// A thread that blocks and wakes this often (voluntary context switches) is
// in a signal storm. Measured on 2 cores: JavaScriptCore's endless suspend
// retry (oven-sh/bun#31158, Bun 1.2.19) ran at ~130,000 switches/s; a blocked
// thread does ~0, and a spinning one none (its switches are involuntary).
#define ABP_WD_STORM_PER_SECOND 5000
#define ABP_WD_WHAT_MAX 1024

#if defined(__linux__)

// One armed watch. The list is short (one entry per guarded load in
// progress) and only touched under wd_mu.
struct watch {
	int64_t id;
	struct timespec deadline; // CLOCK_MONOTONIC
	int32_t ms;
	int32_t tid; // the thread that armed it (the one loading)
	char what[ABP_WD_WHAT_MAX];
	struct watch *next;
};

static pthread_mutex_t wd_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wd_cv;
static pthread_once_t wd_once = PTHREAD_ONCE_INIT;
static int wd_cv_ok;
static int wd_started;
static struct watch *wd_watches;
static int64_t wd_next_id = 1;
static int32_t wd_self; // the watchdog thread, left out of the statistics

static void wd_init(void) {
	pthread_condattr_t attr;
	if (pthread_condattr_init(&attr) != 0) return;
	if (pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 && pthread_cond_init(&wd_cv, &attr) == 0) wd_cv_ok = 1;
	pthread_condattr_destroy(&attr);
}

// ---- output without malloc or stdio ---------------------------------------

static char out[8192];
static size_t out_len;

static void put(const char *s) {
	while (*s != '\0' && out_len < sizeof out - 1) out[out_len++] = *s++;
}

static void put_u64(uint64_t v) {
	char digits[24];
	int n = 0;
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0 && n < (int)sizeof digits);
	while (n > 0 && out_len < sizeof out - 1) out[out_len++] = digits[--n];
}

static void put_hex(uint64_t v) {
	static const char hex[] = "0123456789abcdef";
	char digits[20];
	int n = 0;
	do {
		digits[n++] = hex[v & 15];
		v >>= 4;
	} while (v != 0 && n < (int)sizeof digits);
	put("0x");
	while (n > 0 && out_len < sizeof out - 1) out[out_len++] = digits[--n];
}

static void flush_out(void) {
	size_t done = 0;
	while (done < out_len) {
		ssize_t n = write(2, out + done, out_len - done);
		if (n < 0 && errno == EINTR) continue;
		if (n <= 0) break;
		done += (size_t)n;
	}
	out_len = 0;
}

// ---- /proc/self/task sampling ----------------------------------------------

#define ABP_WD_MAX_TASKS 512

struct task_sample {
	int32_t tid;
	uint64_t switches; // voluntary context switches
	uint64_t ticks;    // utime + stime, clock ticks
	char state;
	char comm[32];
};

static struct task_sample first[ABP_WD_MAX_TASKS], second[ABP_WD_MAX_TASKS];

// Reads a small /proc file into buf (NUL-terminated); returns its length or -1.
static ssize_t read_small(const char *path, char *buf, size_t size) {
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) return -1;
	size_t len = 0;
	while (len < size - 1) {
		ssize_t n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR) continue;
		if (n <= 0) break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return (ssize_t)len;
}

static void task_path(char *path, size_t size, int32_t tid, const char *leaf) {
	static const char prefix[] = "/proc/self/task/";
	size_t n = 0;
	for (const char *p = prefix; *p != '\0' && n < size - 1; p++) path[n++] = *p;
	char digits[12];
	int d = 0;
	uint32_t v = (uint32_t)tid;
	do {
		digits[d++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0 && d < (int)sizeof digits);
	while (d > 0 && n < size - 1) path[n++] = digits[--d];
	if (n < size - 1) path[n++] = '/';
	for (const char *p = leaf; *p != '\0' && n < size - 1; p++) path[n++] = *p;
	path[n] = '\0';
}

static uint64_t parse_u64(const char *s) {
	uint64_t v = 0;
	while (*s == ' ' || *s == '\t') s++;
	while (*s >= '0' && *s <= '9') v = v * 10 + (uint64_t)(*s++ - '0');
	return v;
}

static uint64_t field_after(const char *text, const char *key) {
	const char *at = strstr(text, key);
	return at == NULL ? 0 : parse_u64(at + strlen(key));
}

static void sample_task(struct task_sample *t) {
	char path[64], buf[4096];
	task_path(path, sizeof path, t->tid, "status");
	if (read_small(path, buf, sizeof buf) > 0) {
		// Voluntary switches only: a thread that sleeps and is woken (the
		// suspend/back-off handshake of a storm) makes them; a spinning thread
		// preempted on a loaded machine makes only involuntary ones (measured:
		// 10,000-19,000/s with both cores busy). The leading newline keeps the
		// key from matching inside "nonvoluntary_ctxt_switches:".
		t->switches = field_after(buf, "\nvoluntary_ctxt_switches:");
	}
	task_path(path, sizeof path, t->tid, "stat");
	if (read_small(path, buf, sizeof buf) > 0) {
		// "tid (comm) S ppid ..." — comm may hold spaces and ')': use the last ')'.
		const char *open_paren = strchr(buf, '(');
		const char *close_paren = strrchr(buf, ')');
		if (open_paren != NULL && close_paren != NULL && close_paren > open_paren) {
			size_t n = (size_t)(close_paren - open_paren - 1);
			if (n >= sizeof t->comm) n = sizeof t->comm - 1;
			memcpy(t->comm, open_paren + 1, n);
			t->comm[n] = '\0';
			const char *p = close_paren + 2;
			t->state = *p;
			// Fields after the state: 4 ppid ... 14 utime, 15 stime (1-based, state is 3).
			int field = 3;
			while (*p != '\0' && field < 14) {
				if (*p++ == ' ') field++;
			}
			uint64_t utime = parse_u64(p);
			while (*p != '\0' && *p != ' ') p++;
			t->ticks = utime + parse_u64(p);
		}
	}
}

struct linux_dirent64_abp {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

// Fills samples for every thread of the process; returns how many.
static int sample_all(struct task_sample *samples) {
	int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) return 0;
	int count = 0;
	char buf[4096] __attribute__((aligned(8)));
	for (;;) {
		long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
		if (n <= 0) break;
		for (long at = 0; at < n;) {
			struct linux_dirent64_abp *d = (struct linux_dirent64_abp *)(buf + at);
			at += d->d_reclen;
			if (d->d_name[0] < '0' || d->d_name[0] > '9' || count >= ABP_WD_MAX_TASKS) continue;
			struct task_sample *t = &samples[count++];
			memset(t, 0, sizeof *t);
			t->tid = (int32_t)parse_u64(d->d_name);
			sample_task(t);
		}
	}
	close(fd);
	return count;
}

static const struct task_sample *find_sample(const struct task_sample *samples, int count, int32_t tid) {
	for (int i = 0; i < count; i++) {
		if (samples[i].tid == tid) return &samples[i];
	}
	return NULL;
}

static uint64_t parse_hex(const char *s) {
	uint64_t v = 0;
	while (*s == ' ' || *s == '\t') s++;
	for (;; s++) {
		if (*s >= '0' && *s <= '9') v = v * 16 + (uint64_t)(*s - '0');
		else if (*s >= 'a' && *s <= 'f') v = v * 16 + (uint64_t)(*s - 'a' + 10);
		else break;
	}
	return v;
}

// The loading thread's pending signals (SigPnd), bit n-1 for signal n.
static uint64_t pending_of(int32_t tid) {
	char path[64], buf[4096];
	task_path(path, sizeof path, tid, "status");
	if (read_small(path, buf, sizeof buf) <= 0) return 0;
	const char *at = strstr(buf, "\nSigPnd:");
	return at == NULL ? 0 : parse_hex(at + 8);
}

static void sleep_ms(int32_t ms) {
	struct timespec left = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&left, &left) != 0 && errno == EINTR) {
	}
}

static const char *state_name(char state) {
	switch (state) {
	case 'R': return "running";
	case 'S': return "sleeping";
	case 'D': return "in uninterruptible wait";
	case 'T': return "stopped";
	case 't': return "stopped by a tracer";
	case 'Z': return "zombie";
	default: return "unknown";
	}
}

static void put_flags(int flags) {
	static const struct { int bit; const char *name; } names[] = {
		{SA_ONSTACK, "SA_ONSTACK"}, {SA_SIGINFO, "SA_SIGINFO"}, {SA_RESTART, "SA_RESTART"},
		{SA_NODEFER, "SA_NODEFER"}, {SA_RESETHAND, "SA_RESETHAND"},
	};
	int any = 0;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if ((flags & names[i].bit) == 0) continue;
		if (any) put("|");
		put(names[i].name);
		any = 1;
	}
	if (!any) put("0");
}

static int put_handler(const char *name, int sig) {
	struct sigaction sa;
	if (sigaction(sig, NULL, &sa) != 0) return 0;
	void *handler = (sa.sa_flags & SA_SIGINFO) ? (void *)sa.sa_sigaction : (void *)sa.sa_handler;
	put(name);
	put(" ");
	if (handler == (void *)SIG_DFL) put("SIG_DFL");
	else if (handler == (void *)SIG_IGN) put("SIG_IGN");
	else put_hex((uint64_t)(uintptr_t)handler);
	put(" flags=");
	put_flags(sa.sa_flags);
	return handler != (void *)SIG_DFL && handler != (void *)SIG_IGN && (sa.sa_flags & SA_ONSTACK) != 0;
}

// ---- the report --------------------------------------------------------------

#define ABP_WD_PROBES 20

static void report(int32_t ms, int32_t tid, const char *what, const struct task_sample *a, int na, const struct task_sample *b, int nb, int pwr_pending, int usr1_pending) {
	uint64_t total = 0, busiest = 0;
	const struct task_sample *busiest_task = NULL;
	for (int i = 0; i < nb; i++) {
		const struct task_sample *before = find_sample(a, na, b[i].tid);
		if (before == NULL || b[i].tid == wd_self) continue;
		uint64_t delta = b[i].switches >= before->switches ? b[i].switches - before->switches : 0;
		total += delta;
		if (busiest_task == NULL || delta > busiest) {
			busiest = delta;
			busiest_task = &b[i];
		}
	}
	const struct task_sample *loader_before = find_sample(a, na, tid);
	const struct task_sample *loader = find_sample(b, nb, tid);
	uint64_t loader_switches = loader != NULL && loader_before != NULL && loader->switches >= loader_before->switches ? loader->switches - loader_before->switches : 0;
	uint64_t loader_ticks = loader != NULL && loader_before != NULL && loader->ticks >= loader_before->ticks ? loader->ticks - loader_before->ticks : 0;
	long hz = sysconf(_SC_CLK_TCK);
	if (hz <= 0) hz = 100;
	uint64_t loader_cpu_ms = loader_ticks * 1000 / (uint64_t)hz;
	uint64_t per_second = busiest * 1000 / ABP_WD_SAMPLE_MS;
	int storm = per_second >= ABP_WD_STORM_PER_SECOND;
	char wchan[64] = "";
	if (loader != NULL) {
		char path[64];
		task_path(path, sizeof path, tid, "wchan");
		if (read_small(path, wchan, sizeof wchan) < 0) wchan[0] = '\0';
	}

	put("asherah-bun-preload: watchdog: ");
	put(what);
	put(" did not return within its limit of ");
	put_u64((uint64_t)ms);
	put(" ms; the process was then examined for ");
	put_u64(ABP_WD_SAMPLE_MS);
	put(" ms more (process ");
	put_u64((uint64_t)getpid());
	put(").\n  loading thread ");
	put_u64((uint64_t)tid);
	if (loader == NULL) {
		put(": gone\n");
	} else {
		put(": ");
		put(state_name(loader->state));
		if (wchan[0] != '\0' && !(wchan[0] == '0' && wchan[1] == '\0')) {
			put(" in ");
			put(wchan);
		}
		put(", ");
		put_u64(loader_switches);
		put(" voluntary context switches and ");
		put_u64(loader_cpu_ms);
		put(" ms CPU in ");
		put_u64(ABP_WD_SAMPLE_MS);
		put(" ms\n");
	}
	put("  process: ");
	put_u64((uint64_t)(nb > 0 ? nb - 1 : 0));
	put(" threads besides the watchdog, ");
	put_u64(total);
	put(" voluntary context switches in ");
	put_u64(ABP_WD_SAMPLE_MS);
	put(" ms");
	if (busiest_task != NULL) {
		put("; busiest thread ");
		put_u64((uint64_t)busiest_task->tid);
		put(" \"");
		put(busiest_task->comm);
		put("\": ");
		put_u64(per_second);
		put("/s");
	}
	put("\n  suspend signals pending on the loading thread: SIGPWR in ");
	put_u64((uint64_t)pwr_pending);
	put("/");
	put_u64(ABP_WD_PROBES);
	put(" probes, SIGUSR1 in ");
	put_u64((uint64_t)usr1_pending);
	put("/");
	put_u64(ABP_WD_PROBES);
	put("\n  handlers: ");
	int onstack = put_handler("SIGPWR", SIGPWR);
	put("; ");
	onstack |= put_handler("SIGUSR1", SIGUSR1);
	put("\n");

	if (storm) {
		put("  diagnosis: a signal storm is visible: thread ");
		put_u64((uint64_t)busiest_task->tid);
		put(" is woken about ");
		put_u64(per_second);
		put(" times a second");
		if (onstack) put(" and a suspend-signal handler carries SA_ONSTACK");
		put(". This is what the Go runtime / JavaScriptCore thread-suspend loop of Bun < 1.4.4 looks like (oven-sh/bun#31158).\n");
		put("  what to do: upgrade Bun to 1.4.4 or later; make sure asherah-bun-preload runs before anything loads the module "
		    "(bunfig.toml preload or bun --preload) and ASHERAH_BUN_PRELOAD_SIGNALS is not off; run `bunx asherah-bun-preload doctor`.\n");
	} else if (loader != NULL && (loader->state == 'R' || loader_cpu_ms * 4 >= ABP_WD_SAMPLE_MS)) {
		// Runnable, or a quarter of the window on a CPU: busy. A spinning thread
		// on a shared, loaded machine may get well under half a core.
		put("  diagnosis: no signal storm; the loading thread is busy on a CPU: the module's initialisation is computing or spinning.\n");
		put("  what to do: this is not the Go/JavaScriptCore signal hang. If the module is merely slow to start, raise "
		    "ASHERAH_BUN_PRELOAD_WATCHDOG_MS; otherwise profile it (perf top -p PID) and report it to the module's authors.\n");
	} else if (strncmp(wchan, "sigsuspend", 10) == 0) {
		put("  diagnosis: no signal storm; the loading thread waits in sigsuspend: it took a thread-suspend signal and waits for a "
		    "resume that never comes (on Bun < 1.4 a SIGPWR sent from outside the process does this).\n");
		put("  what to do: do not send SIGPWR/SIGUSR1 to Bun processes; upgrade Bun to 1.4.4 or later.\n");
	} else {
		put("  diagnosis: no signal storm; the loading thread is blocked: the module's initialisation waits for a lock, I/O, the "
		    "network or another thread.\n");
		put("  what to do: this is not the Go/JavaScriptCore signal hang. Look at where it waits (gdb -p PID -batch -ex 'thread apply "
		    "all bt', or strace -f -p PID) with a larger ASHERAH_BUN_PRELOAD_WATCHDOG_MS, and report it with ASHERAH_BUN_PRELOAD_DEBUG=1 output.\n");
	}
	put("  exiting with status 70 instead of hanging (ASHERAH_BUN_PRELOAD_WATCHDOG_MS=");
	put_u64((uint64_t)ms);
	put(").\n");
	flush_out();
}

static int before(const struct timespec *a, const struct timespec *b) {
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static struct watch *find_watch(int64_t id) {
	for (struct watch *w = wd_watches; w != NULL; w = w->next) {
		if (w->id == id) return w;
	}
	return NULL;
}

static void *watch(void *unused) {
	(void)unused;
	wd_self = (int32_t)syscall(SYS_gettid);
	pthread_mutex_lock(&wd_mu);
	for (;;) {
		while (wd_watches == NULL) pthread_cond_wait(&wd_cv, &wd_mu);
		struct watch *next = wd_watches;
		for (struct watch *w = wd_watches->next; w != NULL; w = w->next) {
			if (before(&w->deadline, &next->deadline)) next = w;
		}
		int64_t id = next->id;
		struct timespec deadline = next->deadline;
		// Woken early by an arm or a disarm: look again at what is armed.
		if (pthread_cond_timedwait(&wd_cv, &wd_mu, &deadline) != ETIMEDOUT) continue;
		struct watch *late = find_watch(id);
		if (late == NULL) continue;
		// Timed out while still armed. Copy what to report, then look at the
		// process without holding the lock, so a load that returns meanwhile
		// can still disarm.
		static char what[ABP_WD_WHAT_MAX];
		memcpy(what, late->what, sizeof what);
		int32_t ms = late->ms, tid = late->tid;
		pthread_mutex_unlock(&wd_mu);
		int na = sample_all(first);
		int pwr_pending = 0, usr1_pending = 0;
		for (int probe = 0; probe < ABP_WD_PROBES; probe++) {
			sleep_ms(ABP_WD_SAMPLE_MS / ABP_WD_PROBES);
			uint64_t pending = pending_of(tid);
			pwr_pending += (pending >> (SIGPWR - 1)) & 1;
			usr1_pending += (pending >> (SIGUSR1 - 1)) & 1;
		}
		int nb = sample_all(second);
		pthread_mutex_lock(&wd_mu);
		if (find_watch(id) == NULL) continue; // it returned after all
		report(ms, tid, what, first, na, second, nb, pwr_pending, usr1_pending);
		_exit(ABP_WD_EXIT_STATUS);
	}
	return NULL;
}

static int start_thread(void) {
	pthread_once(&wd_once, wd_init);
	if (!wd_cv_ok) return -1;
	return abp_start_thread(watch, NULL) == 0 ? 0 : -1;
}

// Starts watching a load on the calling thread: unless abp_watchdog_disarm(id)
// is called within `ms` milliseconds, the process is diagnosed and ends with
// status 70. `what` names the load for the report (copied). Returns the watch
// id (> 0), ABP_E_INVALID (ms not positive), ABP_E_NO_MEMORY, or
// ABP_E_SYSCALL (the watchdog thread could not be started).
int64_t abp_watchdog_arm(int32_t ms, const char *what) {
	if (ms <= 0) return ABP_E_INVALID;
	struct watch *w = calloc(1, sizeof *w);
	if (w == NULL) return ABP_E_NO_MEMORY;
	w->deadline = abp_deadline(CLOCK_MONOTONIC, ms);
	w->ms = ms;
	w->tid = (int32_t)syscall(SYS_gettid);
	size_t n = what == NULL ? 0 : strnlen(what, sizeof w->what - 1);
	if (n == 0) {
		static const char unnamed[] = "a native module load";
		memcpy(w->what, unnamed, sizeof unnamed);
	} else {
		memcpy(w->what, what, n);
		w->what[n] = '\0';
	}
	pthread_mutex_lock(&wd_mu);
	if (!wd_started) {
		if (start_thread() != 0) {
			pthread_mutex_unlock(&wd_mu);
			free(w);
			return ABP_E_SYSCALL;
		}
		wd_started = 1;
	}
	w->id = wd_next_id++;
	w->next = wd_watches;
	wd_watches = w;
	int64_t id = w->id;
	pthread_cond_broadcast(&wd_cv);
	pthread_mutex_unlock(&wd_mu);
	return id;
}

// Ends one watch. Returns ABP_DONE, or ABP_UNCHANGED when it was not armed.
int32_t abp_watchdog_disarm(int64_t id) {
	pthread_mutex_lock(&wd_mu);
	int32_t result = ABP_UNCHANGED;
	for (struct watch **at = &wd_watches; *at != NULL; at = &(*at)->next) {
		if ((*at)->id != id) continue;
		struct watch *done = *at;
		*at = done->next;
		free(done);
		result = ABP_DONE;
		pthread_cond_broadcast(&wd_cv);
		break;
	}
	pthread_mutex_unlock(&wd_mu);
	return result;
}

#else // !__linux__: no /proc and no suspend signal to diagnose; the TypeScript side reports it as unavailable.

int64_t abp_watchdog_arm(int32_t ms, const char *what) {
	(void)ms;
	(void)what;
	return ABP_E_UNSUPPORTED;
}

int32_t abp_watchdog_disarm(int64_t id) {
	(void)id;
	return ABP_UNCHANGED;
}

#endif
