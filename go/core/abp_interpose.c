// abp_interpose: every native load Bun itself performs, seen from the core.
//
// Bun's executable calls dlopen and dlerror through slots of its global
// offset table (R_*_JUMP_SLOT, and R_*_GLOB_DAT for function-pointer uses;
// measured on x64 1.0.36-1.4.5 and arm64 1.1.38-1.4.5). Rewriting those slots
// to point at the hook below makes bun:ffi's dlopen (any thread, any Worker)
// and process.dlopen (a Worker's own on Bun 1.0.x) reach the core, without
// loading bun:ffi at start just to wrap its dlopen (+1.7 ms per process,
// issue 11). Loads by other objects (a Go runtime, the core's own warmup)
// use their own slots and are not seen. On Bun 1.0.x, Bun's mprotect slot is
// taken too, when it is safe to, for abp_exec_keep.c (bun:ffi's code in
// Bun's heap).
//
// The hook mirrors src/lifecycle.ts beforeNativeLoad/afterNativeLoad:
//   a. a path with a '/' that is a FIFO or device is refused (the loader
//      would block on it; test/e2e/interpose.test.ts);
//   b. a guarded package's file waits for the warmup, and is refused if the
//      warmup failed;
//   c. the real dlopen;
//   d. whatever it returned (a load that fails can still have started a Go
//      runtime): wait for the Go runtime it brought (all of them after a
//      failure), then apply the repair plan.
// Loads inside process.dlopen's JavaScript guard (src/hooks.ts brackets them
// with abp_guard_depth) pass straight through, and so do nested ones (a
// library constructor calling dlopen through Bun's canonical address).
//
// Calling the real dlopen from here instead of from Bun changes the caller
// glibc sees. glibc uses it for the caller's DT_RPATH/DT_RUNPATH (a bare
// name's search), $ORIGIN in the file name, and the link namespace. Neither
// Bun (x64 1.0.36-1.4.5, arm64 1.1.38-1.4.5) nor the core has RPATH or
// RUNPATH, both live in the base namespace, and $ORIGIN in a name given to
// dlopen is the only difference left (Bun's folder vs the core's): nobody
// passes that to bun:ffi. The pass-through path is a tail call, so there the
// caller glibc sees is Bun's. Bare names ("libc.so.6") resolve as before.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "abp.h"

#if defined(__linux__) && (defined(__x86_64__) || defined(__aarch64__))
#define ABP_HAVE_INTERPOSE 1
#if defined(__x86_64__)
#define ABP_R_JUMP_SLOT R_X86_64_JUMP_SLOT // 7
#define ABP_R_GLOB_DAT R_X86_64_GLOB_DAT   // 6
#else
#define ABP_R_JUMP_SLOT R_AARCH64_JUMP_SLOT // 1026
#define ABP_R_GLOB_DAT R_AARCH64_GLOB_DAT   // 1025
#endif
#else
#define ABP_HAVE_INTERPOSE 0
#endif

// mprotect is optional: abp_exec_keep.c's hook, taken when asked for and safe to take.
enum { FN_DLOPEN, FN_DLERROR, FN_MPROTECT, FN_COUNT };
static const char *const fn_names[FN_COUNT] = {"dlopen", "dlerror", "mprotect"};

typedef void *(*dlopen_fn)(const char *, int);
typedef char *(*dlerror_fn)(void);

// Written once under mu before any slot points at the hook; read by the hook
// on any thread.
static dlopen_fn real_dlopen;
static dlerror_fn real_dlerror;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int attempted;        // guarded by mu
static int32_t first_result; // guarded by mu; read atomically

// What the hook needs to know, set once before the slots are rewritten.
#define MAX_PACKAGES 32
#define MAX_PACKAGE_NAME 214 // npm's limit
static char needles[MAX_PACKAGES][MAX_PACKAGE_NAME + 16]; // "/node_modules/<name>/"
static char names[MAX_PACKAGES][MAX_PACKAGE_NAME + 1];
static int32_t package_count;
static char warmup_path[PATH_MAX];
static int32_t warmup_on, watchdog_ms;

static uint64_t stats[ABP_IS_COUNT];
static uint64_t repaired_mask;
static struct abp_load_record records[ABP_INTERPOSE_RECORDS];
static uint32_t record_count;
static pthread_mutex_t refused_mu = PTHREAD_MUTEX_INITIALIZER;
static char last_refused[PATH_MAX]; // guarded by refused_mu

// Per thread: the guard depth, and the message of a refused load, which the
// dlerror hook hands out once (glibc's own message would be stale).
#define MESSAGE_MAX 1024
struct thread_state {
	int32_t depth;
	int32_t pending;
	char message[MESSAGE_MAX];
	char shown[MESSAGE_MAX]; // what dlerror returned last: valid until the next call
	char refused[256];       // the last path refused on this thread (printed once)
};
static __thread struct thread_state self;

static void bump(int which) { __atomic_fetch_add(&stats[which], 1, __ATOMIC_RELAXED); }

void abp_interpose_bump(enum abp_interpose_stat which) { bump((int)which); }

int32_t abp_guard_depth(int32_t delta) {
	if (delta > 0) self.depth++;
	else if (delta < 0 && self.depth > 0) self.depth--;
	return self.depth;
}

int32_t abp_interpose_result(void) { return __atomic_load_n(&first_result, __ATOMIC_ACQUIRE); }

// ---- the hook ------------------------------------------------------------------

static void record_load(const char *file, int32_t outcome, int32_t go, uint64_t repaired) {
	uint32_t i = __atomic_fetch_add(&record_count, 1, __ATOMIC_RELAXED);
	if (i >= ABP_INTERPOSE_RECORDS) {
		bump(ABP_IS_DROPPED);
		return;
	}
	struct abp_load_record *r = &records[i];
	size_t n = strlen(file);
	const char *tail = n < sizeof r->path ? file : file + n - (sizeof r->path - 1);
	snprintf(r->path, sizeof r->path, "%s", tail);
	r->outcome = outcome;
	r->go_runtimes = go;
	r->repaired = repaired;
	__atomic_store_n(&r->ready, 1, __ATOMIC_RELEASE);
}

// Refuses a load: NULL for Bun, the message for its dlerror(), and one line
// on stderr (Bun < 1.4 does not show dlerror's text for bun:ffi).
static void *refuse(const char *file, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void *refuse(const char *file, const char *fmt, ...) {
	va_list args;
	va_start(args, fmt);
	vsnprintf(self.message, sizeof self.message, fmt, args);
	va_end(args);
	self.pending = 1;
	// bun:ffi tries a failed path twice in a row: one line per refusal is enough.
	if (strncmp(self.refused, file, sizeof self.refused) != 0) {
		snprintf(self.refused, sizeof self.refused, "%s", file);
		char line[MESSAGE_MAX + 64];
		int n = snprintf(line, sizeof line, "asherah-bun-preload: %s\n", self.message);
		if (n > 0) (void)!write(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
	}
	bump(ABP_IS_REFUSED);
	pthread_mutex_lock(&refused_mu);
	snprintf(last_refused, sizeof last_refused, "%s", file);
	pthread_mutex_unlock(&refused_mu);
	record_load(file, ABP_LOAD_REFUSED, 0, 0);
	return NULL;
}

// The guarded package a file belongs to, by its path alone (src/guarded.ts):
// `/node_modules/<name>/`, or in a `bun build --compile` binary
// `/$bunfs/.../<name>-<hash>.node` with the last part of a scoped name.
static const char *guarded_package(const char *file) {
	for (int32_t i = 0; i < package_count; i++) {
		if (strstr(file, needles[i]) != NULL) return names[i];
	}
	if (strncmp(file, "/$bunfs/", 8) != 0) return NULL;
	const char *base = strrchr(file, '/') + 1;
	const char *dash = strrchr(base, '-');
	size_t len = strlen(base);
	if (dash == NULL || len < 5 || strcmp(base + len - 5, ".node") != 0) return NULL;
	size_t stem = (size_t)(dash - base);
	for (int32_t i = 0; i < package_count; i++) {
		const char *short_name = strrchr(names[i], '/') ? strrchr(names[i], '/') + 1 : names[i];
		if (strlen(short_name) == stem && strncmp(base, short_name, stem) == 0) return names[i];
	}
	return NULL;
}

static void *guarded_dlopen(dlopen_fn real, const char *file, int mode) {
	if (strchr(file, '/') != NULL) {
		struct stat st;
		if (stat(file, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))) {
			return refuse(file, "refusing to load %s: it is a %s, not a library (loading it would block)", file, abp_file_kind(st.st_mode));
		}
	}
	const char *package = guarded_package(file);
	int64_t watch = 0;
	if (package != NULL) {
		if (warmup_on) {
			// Starts the warmup if nobody did (lazy mode), or ends its grace period.
			abp_warmup_start(warmup_path, 0, NULL);
			static __thread struct abp_warmup_info info; // 1.6 KB: not on a caller's stack
			abp_warmup_info(&info, 1);
			bump(ABP_IS_WARMUP_WAITS);
			if (info.state == ABP_WS_FAILED) {
				return refuse(file, "refusing to load %s (package %s): the Go warmup did not complete: %s", file, package, info.message);
			}
		}
		if (watchdog_ms > 0) {
			char what[1024];
			// Only the end of a long path: the watchdog keeps 1 KB.
			size_t n = strlen(file);
			snprintf(what, sizeof what, "loading %.214s (%.700s) via Bun's own dlopen (bun:ffi or an import)", package, n > 700 ? file + n - 700 : file);
			watch = abp_watchdog_arm(watchdog_ms, what);
		}
	}
	void *handle = real(file, mode);
	if (handle == NULL) {
		// The steps below call dlopen/dlsym themselves and would replace the
		// loader's message before Bun asks for it.
		const char *error = real_dlerror();
		snprintf(self.message, sizeof self.message, "%s", error != NULL ? error : "unknown dlopen error");
		self.pending = 1;
		bump(ABP_IS_FAILED);
	}
	// A load that returned a handle: its own Go runtime, if it (or a library
	// it links) has one (dlsym on a handle searches exactly those). One that
	// failed can still have started one, under no handle: wait for them all.
	int32_t go;
	if (handle != NULL) {
		uintptr_t (*wait_done)(void) = (uintptr_t(*)(void))dlsym(handle, "_cgo_wait_runtime_init_done");
		if (wait_done != NULL) wait_done();
		go = wait_done != NULL;
	} else {
		go = abp_wait_all_go_runtimes();
	}
	uint64_t repaired = abp_repair_now(NULL);
	if (watch > 0) abp_watchdog_disarm(watch);
	(void)real_dlerror(); // drop what the steps above left behind
	if (go > 0) bump(ABP_IS_GO_RUNTIMES);
	if (repaired != 0) {
		bump(ABP_IS_REPAIRS);
		__atomic_fetch_or(&repaired_mask, repaired, __ATOMIC_RELAXED);
	}
	record_load(file, handle == NULL ? ABP_LOAD_FAILED : ABP_LOAD_LOADED, go, repaired);
	return handle;
}

static void *hook_dlopen(const char *file, int mode) {
	dlopen_fn real = __atomic_load_n(&real_dlopen, __ATOMIC_ACQUIRE);
	// dlerror() reports the most recent error: a refusal's message is stale
	// once Bun loads again (Bun < 1.4 never asks for it after bun:ffi fails).
	self.pending = 0;
	if (file == NULL || self.depth > 0) {
		if (file != NULL) bump(ABP_IS_PASSED);
		return real(file, mode); // a tail call: glibc sees Bun as the caller
	}
	bump(ABP_IS_LOADS);
	self.depth++;
	void *handle = guarded_dlopen(real, file, mode);
	self.depth--;
	return handle;
}

static char *hook_dlerror(void) {
	if (self.pending) {
		self.pending = 0;
		memcpy(self.shown, self.message, sizeof self.shown);
		return self.shown;
	}
	return __atomic_load_n(&real_dlerror, __ATOMIC_ACQUIRE)();
}

static void *const hooks[FN_COUNT] = {(void *)hook_dlopen, (void *)hook_dlerror, (void *)abp_exec_keep_mprotect};

// ---- finding the slots ---------------------------------------------------------

#if ABP_HAVE_INTERPOSE

struct object {
	ElfW(Addr) base;
	const ElfW(Phdr) * phdr;
	ElfW(Half) phnum;
	uintptr_t contains; // find_object: the object mapping this address (0: the first, the executable)
	int found;
};

static int in_load(const struct object *o, uintptr_t addr, size_t size) {
	for (ElfW(Half) i = 0; i < o->phnum; i++) {
		const ElfW(Phdr) *p = &o->phdr[i];
		uintptr_t start = o->base + p->p_vaddr;
		if (p->p_type == PT_LOAD && addr >= start && addr + size <= start + p->p_memsz) return 1;
	}
	return 0;
}

static int find_object(struct dl_phdr_info *info, size_t size, void *data) {
	(void)size;
	struct object *o = data;
	struct object candidate = {info->dlpi_addr, info->dlpi_phdr, info->dlpi_phnum, 0, 0};
	if (o->contains != 0 && !in_load(&candidate, o->contains, 1)) return 0;
	*o = candidate;
	o->found = 1;
	return 1; // the first object is the executable
}

struct slot {
	void **addr;
	int fn;
	int relro; // its page was made read-only after relocation
	int jump;  // a JUMP_SLOT: with lazy binding, unbound until the first call
};
#define MAX_SLOTS 16

// glibc rewrites the d_ptr entries of a writable dynamic section in place
// (adding the load bias), a read-only one it leaves alone: take either.
static uintptr_t dyn_address(const struct object *o, ElfW(Addr) value) {
	return o->base != 0 && value < o->base ? o->base + value : value;
}

// Collects the JUMP_SLOT (and unless jump_only GLOB_DAT) relocations of
// dlopen, dlerror and mprotect. Returns the number of slots, or a negative ABP_E_*.
static int collect_slots(const struct object *o, int jump_only, struct slot *out) {
	const ElfW(Dyn) *dyn = NULL;
	uintptr_t relro_start = 0, relro_end = 0;
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	for (ElfW(Half) i = 0; i < o->phnum; i++) {
		const ElfW(Phdr) *p = &o->phdr[i];
		if (p->p_type == PT_DYNAMIC) dyn = (const ElfW(Dyn) *)(o->base + p->p_vaddr);
		if (p->p_type == PT_GNU_RELRO) {
			// What glibc's _dl_protect_relro makes read-only: whole pages only.
			relro_start = (o->base + p->p_vaddr) & ~(page - 1);
			relro_end = (o->base + p->p_vaddr + p->p_memsz) & ~(page - 1);
		}
	}
	if (dyn == NULL) return ABP_E_UNSUPPORTED; // statically linked
	uintptr_t symtab = 0, strtab = 0, rela = 0, jmprel = 0;
	size_t strsz = 0, relasz = 0, pltrelsz = 0;
	int64_t pltrel = DT_RELA;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		switch (dyn->d_tag) {
		case DT_SYMTAB: symtab = dyn_address(o, dyn->d_un.d_ptr); break;
		case DT_STRTAB: strtab = dyn_address(o, dyn->d_un.d_ptr); break;
		case DT_STRSZ: strsz = dyn->d_un.d_val; break;
		case DT_RELA: rela = dyn_address(o, dyn->d_un.d_ptr); break;
		case DT_RELASZ: relasz = dyn->d_un.d_val; break;
		case DT_JMPREL: jmprel = dyn_address(o, dyn->d_un.d_ptr); break;
		case DT_PLTRELSZ: pltrelsz = dyn->d_un.d_val; break;
		case DT_PLTREL: pltrel = (int64_t)dyn->d_un.d_val; break;
		case DT_REL: return ABP_E_UNSUPPORTED; // REL, not RELA: not x64/arm64 as measured
		default: break;
		}
	}
	if (symtab == 0 || strtab == 0 || pltrel != DT_RELA || !in_load(o, symtab, sizeof(ElfW(Sym))) || !in_load(o, strtab, strsz) ||
	    (rela != 0 && !in_load(o, rela, relasz)) || (jmprel != 0 && !in_load(o, jmprel, pltrelsz)))
		return ABP_E_UNSUPPORTED;
	const ElfW(Sym) *syms = (const ElfW(Sym) *)symtab;
	const char *strs = (const char *)strtab;
	const struct {
		uintptr_t at;
		size_t size;
	} tables[2] = {{rela, relasz}, {jmprel, pltrelsz}};
	int n = 0;
	for (int t = 0; t < 2; t++) {
		if (tables[t].at == 0) continue;
		const ElfW(Rela) *r = (const ElfW(Rela) *)tables[t].at;
		for (size_t i = 0; i < tables[t].size / sizeof *r; i++) {
			uint32_t type = (uint32_t)ELF64_R_TYPE(r[i].r_info);
			if (type != ABP_R_JUMP_SLOT && (jump_only || type != ABP_R_GLOB_DAT)) continue;
			const ElfW(Sym) *sym = &syms[ELF64_R_SYM(r[i].r_info)];
			if (sym->st_name >= strsz) continue;
			int fn = -1;
			for (int f = 0; f < FN_COUNT; f++)
				if (strcmp(strs + sym->st_name, fn_names[f]) == 0) fn = f;
			if (fn < 0) continue;
			uintptr_t addr = o->base + r[i].r_offset;
			if ((addr & (sizeof(void *) - 1)) != 0 || !in_load(o, addr, sizeof(void *))) return ABP_E_UNSUPPORTED;
			int seen = 0; // DT_RELA can span DT_JMPREL with some linkers
			for (int k = 0; k < n; k++) seen |= out[k].addr == (void **)addr;
			if (seen) continue;
			if (n == MAX_SLOTS) return ABP_E_UNSUPPORTED;
			out[n++] = (struct slot){(void **)addr, fn, addr >= relro_start && addr < relro_end, type == ABP_R_JUMP_SLOT};
		}
	}
	return n;
}

// Writes value into a slot: an aligned pointer store, atomic for the threads
// that call through it meanwhile. A RELRO page is made writable for the store.
static int write_slot(const struct slot *s, void *value) {
	if (!s->relro) {
		__atomic_store_n(s->addr, value, __ATOMIC_RELEASE);
		return 0;
	}
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	void *start = (void *)((uintptr_t)s->addr & ~(page - 1));
	if (mprotect(start, page, PROT_READ | PROT_WRITE) != 0) return -1;
	__atomic_store_n(s->addr, value, __ATOMIC_RELEASE);
	return mprotect(start, page, PROT_READ);
}

static int32_t interpose_once(int32_t keep_exec) {
	// The real functions are what the loader bound the core's own calls to:
	// its JUMP_SLOTs. Not `&dlopen`: on Bun 1.4.x the executable defines
	// dlopen at its PLT entry (a nonzero symbol value), which is then the
	// canonical address every GLOB_DAT and `&dlopen` gets — the slot being
	// rewritten. A PLT-class lookup skips that definition. An LD_PRELOAD
	// library's dlopen is what both Bun and the core are bound to, and stays
	// in the chain.
	struct object core = {.contains = (uintptr_t)(void *)abp_interpose};
	struct object exe = {0};
	dl_iterate_phdr(find_object, &core);
	dl_iterate_phdr(find_object, &exe);
	if (!core.found || !exe.found) return ABP_E_UNSUPPORTED;
	struct slot own[MAX_SLOTS], bun[MAX_SLOTS];
	int own_n = collect_slots(&core, 1, own);
	int bun_n = collect_slots(&exe, 0, bun);
	if (own_n < 0) return own_n;
	if (bun_n < 0) return bun_n;
	void *real[FN_COUNT] = {NULL};
	for (int i = 0; i < own_n; i++) real[own[i].fn] = __atomic_load_n(own[i].addr, __ATOMIC_ACQUIRE);
	int have[FN_COUNT] = {0};
	for (int i = 0; i < bun_n; i++) have[bun[i].fn] = 1;
	// Both or neither: a refusal's message reaches Bun only through dlerror.
	if (!have[FN_DLOPEN] || !have[FN_DLERROR]) return ABP_E_UNSUPPORTED;
	// Taken: dlopen and dlerror always, mprotect when it is safe to (below).
	int take[FN_COUNT] = {1, 1, keep_exec && have[FN_MPROTECT]};
	for (int f = 0; f < FN_COUNT; f++) {
		// Unbound (lazy binding) or bound to Bun itself: no safe target.
		if (!take[f] || real[f] == NULL || in_load(&core, (uintptr_t)real[f], 1) || in_load(&exe, (uintptr_t)real[f], 1)) {
			if (f == FN_MPROTECT) take[f] = 0;
			else return ABP_E_UNSUPPORTED;
		}
	}
	for (int i = 0; i < bun_n; i++) {
		int fn = bun[i].fn;
		if (!take[fn]) continue;
		void *now = __atomic_load_n(bun[i].addr, __ATOMIC_ACQUIRE);
		// A lazily bound JUMP_SLOT not called yet points back into Bun's own
		// PLT (Bun >= 1.1 is not linked BIND_NOW; dlerror is often unbound at
		// start): the hook replaces the resolver's stub, which then never runs.
		int unbound = bun[i].jump && in_load(&exe, (uintptr_t)now, 1);
		if (now == real[fn] || now == hooks[fn] || unbound) continue;
		if (fn != FN_MPROTECT) return ABP_E_FOREIGN;
		take[fn] = 0; // someone else's mprotect: left alone, and so are the other slots of it
	}
	__atomic_store_n(&real_dlopen, (dlopen_fn)real[FN_DLOPEN], __ATOMIC_RELEASE);
	__atomic_store_n(&real_dlerror, (dlerror_fn)real[FN_DLERROR], __ATOMIC_RELEASE);
	if (take[FN_MPROTECT]) abp_exec_keep_init((abp_mprotect_fn)real[FN_MPROTECT]);
	// dlerror first: once dlopen reaches the hook, its refusals must be readable.
	int done = 0;
	for (int pass = 0; pass < 3; pass++) {
		int fn = pass == 0 ? FN_DLERROR : pass == 1 ? FN_DLOPEN : FN_MPROTECT;
		if (!take[fn]) continue;
		for (int i = 0; i < bun_n; i++) {
			if (bun[i].fn != fn) continue;
			if (write_slot(&bun[i], hooks[fn]) != 0) {
				int saved = errno;
				// Put back what was written; a slot whose page stayed writable is still correct.
				for (int k = 0; k < bun_n; k++)
					if (__atomic_load_n(bun[k].addr, __ATOMIC_ACQUIRE) == hooks[bun[k].fn]) (void)write_slot(&bun[k], real[bun[k].fn]);
				errno = saved;
				return ABP_E_SYSCALL;
			}
			done++;
		}
	}
	__atomic_store_n(&stats[ABP_IS_SLOTS], (uint64_t)done, __ATOMIC_RELAXED);
	return ABP_DONE;
}

#endif

int32_t abp_interpose(const char *path, const char *const *packages, int32_t count, int32_t warmup, int32_t watchdog, int32_t keep_exec) {
	pthread_mutex_lock(&mu);
	if (attempted) {
		int32_t result = first_result == ABP_DONE ? ABP_UNCHANGED : first_result;
		pthread_mutex_unlock(&mu);
		return result;
	}
	attempted = 1;
	int32_t result = ABP_E_UNSUPPORTED;
	if (path == NULL || strlen(path) >= sizeof warmup_path || count < 0 || count > MAX_PACKAGES) {
		result = ABP_E_INVALID;
	} else {
		snprintf(warmup_path, sizeof warmup_path, "%s", path);
		for (int32_t i = 0; i < count; i++) {
			if (strlen(packages[i]) > MAX_PACKAGE_NAME) {
				result = ABP_E_INVALID;
				goto out;
			}
			snprintf(names[i], sizeof names[i], "%s", packages[i]);
			snprintf(needles[i], sizeof needles[i], "/node_modules/%s/", packages[i]);
		}
		package_count = count;
		warmup_on = warmup;
		watchdog_ms = watchdog;
#if ABP_HAVE_INTERPOSE
		result = interpose_once(keep_exec);
#endif
	}
out:
	__atomic_store_n(&first_result, result, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&mu);
	return result;
}

void abp_interpose_stats(uint64_t out[ABP_IS_COUNT], uint64_t *mask, char *refused, int32_t len) {
	for (int i = 0; i < ABP_IS_COUNT; i++) out[i] = __atomic_load_n(&stats[i], __ATOMIC_RELAXED);
	*mask = __atomic_load_n(&repaired_mask, __ATOMIC_RELAXED);
	pthread_mutex_lock(&refused_mu);
	snprintf(refused, (size_t)len, "%s", last_refused);
	pthread_mutex_unlock(&refused_mu);
}

int32_t abp_interpose_records(struct abp_load_record *out, int32_t max) {
	uint32_t n = __atomic_load_n(&record_count, __ATOMIC_RELAXED);
	int32_t copied = 0;
	for (uint32_t i = 0; i < n && i < ABP_INTERPOSE_RECORDS && copied < max; i++) {
		if (!__atomic_load_n(&records[i].ready, __ATOMIC_ACQUIRE)) continue;
		out[copied++] = records[i];
	}
	return copied;
}
