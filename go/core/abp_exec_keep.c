// abp_exec_keep: machine code Bun compiled into its own heap stays executable.
//
// bun:ffi compiles a trampoline per symbol with TinyCC. Bun 1.0.x has
// TinyCC relocate that code into memory from its own allocator (mimalloc)
// and makes those pages executable: mprotect(..., PROT_READ | PROT_WRITE |
// PROT_EXEC). mimalloc, re-committing part of a segment later, calls
// mprotect(..., PROT_READ | PROT_WRITE) over a 2 MiB range that can include
// those pages while the trampolines are still in use. The next call into
// one faults (SIGSEGV, SEGV_ACCERR at the trampoline's own address). Once a
// Go runtime's handler is installed (the warmup's, or the application's own
// Go library) the fault is forwarded to a handler that returns, the same
// instruction faults again, and the JS thread spins at 100 % CPU for good.
// Measured on Bun 1.0.36 (gc/ffi scenario, 8 of 12 runs under CPU load;
// strace shows that mprotect over the faulting page just before the loop);
// test/e2e/ffi-freeze.test.ts and test/native/exec-keep.c guard this.
//
// On Bun 1.0.x only (src/hooks.ts asks for it), the core takes Bun's mprotect
// slot too (abp_interpose.c) and remembers
// the page ranges Bun made executable. A later mprotect by Bun that keeps
// memory readable but drops PROT_EXEC is split: the remembered pages keep
// PROT_EXEC, the rest of the range gets exactly what was asked. Every other
// call passes through unchanged: one that adds PROT_EXEC (remembered), one
// that makes memory inaccessible (PROT_NONE: remembered entries wholly inside
// it are forgotten; one it covers in part stays), and one that touches no
// remembered page. Not on 1.1 and later: the hang was never seen there, and
// 1.3's lib.close() drops PROT_EXEC from its trampolines on purpose, so that
// a call after close() crashes instead of running freed memory. munmap is not seen:
// a page Bun unmapped stays remembered, so if Bun maps it again and later
// drops PROT_EXEC from it, it keeps it. That is the only way the core adds
// execute permission to a page, and only to one Bun itself made executable.
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "abp.h"

// Lock-free (Bun calls mprotect from any thread). An entry is published by
// storing its end last; a forgotten one has end 0. Entries only grow
// outward (a range that overlaps or touches one joins it), so a reader
// between two stores sees remembered pages only. Bun 1.0.36's trampolines
// join into a couple of entries (2 after 20 bun:ffi dlopen() calls); 4,096
// entries (64 KiB, touched as used) leave room for ranges that do not touch.
#define MAX_RANGES 4096
static struct {
	uintptr_t start, end;
} ranges[MAX_RANGES];
static uint32_t range_count;

static abp_mprotect_fn real_mprotect;

void abp_exec_keep_init(abp_mprotect_fn real) { __atomic_store_n(&real_mprotect, real, __ATOMIC_RELEASE); }

static uintptr_t page_size(void) {
	static uintptr_t size;
	uintptr_t s = __atomic_load_n(&size, __ATOMIC_RELAXED);
	if (s == 0) {
		s = (uintptr_t)sysconf(_SC_PAGESIZE);
		__atomic_store_n(&size, s, __ATOMIC_RELAXED);
	}
	return s;
}

static uint32_t published(void) {
	uint32_t n = __atomic_load_n(&range_count, __ATOMIC_ACQUIRE);
	return n < MAX_RANGES ? n : MAX_RANGES;
}

// Entry i's range; 0 when it is not published or was forgotten.
static int entry(uint32_t i, uintptr_t *start, uintptr_t *end) {
	*end = __atomic_load_n(&ranges[i].end, __ATOMIC_ACQUIRE);
	*start = __atomic_load_n(&ranges[i].start, __ATOMIC_ACQUIRE);
	return *end != 0;
}

// Joins [start, end) to an entry it overlaps or touches; 1 when one took it.
static int join(uintptr_t start, uintptr_t end) {
	uint32_t n = published();
	for (uint32_t i = 0; i < n; i++) {
		uintptr_t s, e;
		if (!entry(i, &s, &e) || end < s || e < start) continue;
		while (end > e) {
			if (e == 0) return 0; // forgotten meanwhile: a new entry instead
			if (__atomic_compare_exchange_n(&ranges[i].end, &e, end, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) break;
		}
		while (start < s && !__atomic_compare_exchange_n(&ranges[i].start, &s, start, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		}
		return 1;
	}
	return 0;
}

static void remember(uintptr_t start, uintptr_t end) {
	// TinyCC protects the same pages once per symbol, and a library's
	// trampolines sit next to each other: most calls join an entry.
	if (join(start, end)) return;
	uint32_t i = __atomic_load_n(&range_count, __ATOMIC_ACQUIRE);
	do {
		if (i >= MAX_RANGES) {
			abp_interpose_bump(ABP_IS_EXEC_FULL);
			return;
		}
	} while (!__atomic_compare_exchange_n(&range_count, &i, i + 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
	__atomic_store_n(&ranges[i].start, start, __ATOMIC_RELEASE);
	__atomic_store_n(&ranges[i].end, end, __ATOMIC_RELEASE);
	abp_interpose_bump(ABP_IS_EXEC_TRACKED);
}

static void forget(uintptr_t start, uintptr_t end) {
	uint32_t n = published();
	for (uint32_t i = 0; i < n; i++) {
		uintptr_t s, e;
		if (entry(i, &s, &e) && start <= s && e <= end) __atomic_store_n(&ranges[i].end, 0, __ATOMIC_RELEASE);
	}
}

// Where the piece that starts at `at` ends, and whether it is remembered:
// a remembered piece runs to the furthest end of the remembered ranges
// chained from `at`; another one to the next remembered start.
static uintptr_t piece_end(uintptr_t at, uintptr_t end, int *kept) {
	uint32_t n = published();
	uintptr_t next = end, s, e;
	*kept = 0;
	for (uint32_t i = 0; i < n; i++)
		if (entry(i, &s, &e) && s <= at && at < e) *kept = 1;
	if (!*kept) {
		for (uint32_t i = 0; i < n; i++)
			if (entry(i, &s, &e) && s > at && s < next) next = s;
		return next;
	}
	next = at;
	for (int grew = 1; grew;) {
		grew = 0;
		for (uint32_t i = 0; i < n; i++) {
			if (entry(i, &s, &e) && s <= next && next < e) {
				next = e;
				grew = 1;
			}
		}
	}
	return next < end ? next : end;
}

int abp_exec_keep_mprotect(void *addr, size_t len, int prot) {
	abp_mprotect_fn real = __atomic_load_n(&real_mprotect, __ATOMIC_ACQUIRE);
	uintptr_t page = page_size();
	uintptr_t start = (uintptr_t)addr;
	uintptr_t end = start + ((len + page - 1) & ~(page - 1));
	// Unaligned, empty, or past the end of the address space: the kernel's answer.
	if ((start & (page - 1)) != 0 || len == 0 || end <= start) return real(addr, len, prot);
	if (prot & PROT_EXEC) {
		int rc = real(addr, len, prot);
		if (rc == 0) remember(start, end);
		return rc;
	}
	if (!(prot & PROT_READ)) {
		int rc = real(addr, len, prot);
		if (rc == 0) forget(start, end);
		return rc;
	}
	int kept;
	if (piece_end(start, end, &kept) == end && !kept) return real(addr, len, prot); // no remembered page in it
	abp_interpose_bump(ABP_IS_EXEC_KEPT);
	for (uintptr_t at = start; at < end;) {
		uintptr_t next = piece_end(at, end, &kept);
		if (real((void *)at, next - at, kept ? prot | PROT_EXEC : prot) != 0) return -1; // errno is the kernel's
		at = next;
	}
	return 0;
}
