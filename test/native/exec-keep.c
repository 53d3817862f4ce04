// go/core/abp_exec_keep.c against what Bun 1.0.36 does to bun:ffi's code:
// TinyCC makes a few pages inside Bun's heap executable, then mimalloc
// re-commits a 2 MiB range around them with mprotect(PROT_READ|PROT_WRITE).
// Compiled with the core's file and called as Bun would call through its
// mprotect slot; the test in test/e2e/ffi-freeze.test.ts.
//
// usage: exec-keep keep   the hook in the path: the code keeps running
//        exec-keep plain  the control, libc's mprotect: the same call faults
// Prints one line per check and "ok" last; exits 1 on the first failure.
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "abp.h"

static uint64_t counts[ABP_IS_COUNT];
void abp_interpose_bump(enum abp_interpose_stat which) { counts[which]++; }

static int (*protect)(void *, size_t, int);
static sigjmp_buf back;

static void on_fault(int sig) {
	(void)sig;
	siglongjmp(back, 1);
}

// A function that returns 42, written into `at`.
static void write_code(unsigned char *at) {
#if defined(__x86_64__)
	static const unsigned char code[] = {0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3}; // mov eax, 42; ret
#elif defined(__aarch64__)
	static const unsigned char code[] = {0x40, 0x05, 0x80, 0x52, 0xc0, 0x03, 0x5f, 0xd6}; // mov w0, #42; ret
#else
#error "x86_64 or aarch64 only"
#endif
	memcpy(at, code, sizeof code);
	__builtin___clear_cache((char *)at, (char *)at + sizeof code);
}

// Calls the code at `at`: 42, or -1 when it faulted.
static int call(unsigned char *at) {
	if (sigsetjmp(back, 1) != 0) return -1;
	return ((int (*)(void))(void *)at)();
}

// The permissions /proc/self/maps shows for the page at `at` ("rwx", "rw-"...).
static void perms(void *at, char out[4]) {
	strcpy(out, "???");
	FILE *maps = fopen("/proc/self/maps", "r");
	if (maps == NULL) return;
	char line[512];
	while (fgets(line, sizeof line, maps) != NULL) {
		uintptr_t start, end;
		char p[5];
		if (sscanf(line, "%lx-%lx %4s", &start, &end, p) == 3 && start <= (uintptr_t)at && (uintptr_t)at < end) {
			memcpy(out, p, 3);
			break;
		}
	}
	fclose(maps);
}

static int failed;
static void check(int ok, const char *what) {
	printf("%s %s\n", ok ? "pass" : "FAIL", what);
	if (!ok) failed = 1;
}

int main(int argc, char **argv) {
	int keep = argc > 1 && strcmp(argv[1], "keep") == 0;
	abp_exec_keep_init(mprotect);
	protect = keep ? abp_exec_keep_mprotect : mprotect;
	struct sigaction sa = {0};
	sa.sa_handler = on_fault;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);

	size_t page = (size_t)sysconf(_SC_PAGESIZE), chunk = 2u << 20;
	unsigned char *heap = mmap(NULL, chunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (heap == MAP_FAILED) return 2;
	// TinyCC: code in the middle of the chunk, its pages made executable,
	// the last page twice and overlapping (one call per symbol).
	unsigned char *code = heap + 0x1a0000;
	write_code(code);
	write_code(code + page + 64);
	check(protect(code, page + 100, PROT_READ | PROT_WRITE | PROT_EXEC) == 0, "TinyCC's mprotect(RWX) of two pages");
	check(protect(code + page, 100, PROT_READ | PROT_WRITE | PROT_EXEC) == 0, "the second page again");
	check(call(code) == 42 && call(code + page + 64) == 42, "the code runs");

	// mimalloc: the whole chunk re-committed read-write.
	check(protect(heap, chunk, PROT_READ | PROT_WRITE) == 0, "mimalloc's mprotect(RW) of the 2 MiB chunk");
	char before[4], inside[4], after[4];
	perms(heap, before);
	perms(code + page, inside);
	perms(code + 2 * page, after);
	if (keep) {
		check(call(code) == 42 && call(code + page + 64) == 42, "the code still runs");
		check(strcmp(inside, "rwx") == 0, "its pages kept PROT_EXEC");
		check(strcmp(before, "rw-") == 0 && strcmp(after, "rw-") == 0, "the rest of the chunk got exactly RW");
		check(counts[ABP_IS_EXEC_TRACKED] == 1 && counts[ABP_IS_EXEC_KEPT] == 1, "one range remembered, one call split");
		check(protect(code, (size_t)-1, PROT_READ) == -1, "a length past the end of the address space: the kernel's error, not a silent success");

		// Made inaccessible (a decommit): forgotten, and RW afterwards is RW.
		check(protect(code, 2 * page, PROT_NONE) == 0 && protect(code, 2 * page, PROT_READ | PROT_WRITE) == 0, "PROT_NONE, then RW");
		perms(code, inside);
		check(strcmp(inside, "rw-") == 0 && call(code) == -1, "a forgotten range does not get PROT_EXEC back");

		// What the kernel refuses, the hook refuses the same way.
		check(protect(heap + 1, page, PROT_READ) == -1, "an unaligned address: the kernel's EINVAL");

		// A full table: counted, nothing else changes.
		for (int i = 0; i < 1100; i++) (void)protect(heap + (size_t)(i % 64) * page * 8, page, PROT_READ | PROT_WRITE | PROT_EXEC);
		check(counts[ABP_IS_EXEC_FULL] == 0, "the same pages again are not new ranges");
		// A library's trampolines sit next to each other: pages that touch
		// join one entry, whichever side they are added on.
		unsigned char *row = mmap(NULL, 201 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (row == MAP_FAILED) return 2;
		uint64_t entries = counts[ABP_IS_EXEC_TRACKED];
		for (int i = 0; i < 100; i++) (void)protect(row + (size_t)i * page, page, PROT_READ | PROT_WRITE | PROT_EXEC);
		for (int i = 199; i >= 100; i--) (void)protect(row + (size_t)i * page, page, PROT_READ | PROT_WRITE | PROT_EXEC);
		// (Two runs: the second, added downwards, meets the first only at its
		// last page; entries do not merge with each other.)
		check(counts[ABP_IS_EXEC_TRACKED] == entries + 2, "200 touching pages, 100 upwards then 100 downwards: two entries");
		char mid[4], past[4];
		check(protect(row, 201 * page, PROT_READ | PROT_WRITE) == 0, "RW over all of them and one page more");
		perms(row + 150 * page, mid);
		perms(row + 200 * page, past);
		check(strcmp(mid, "rwx") == 0 && strcmp(past, "rw-") == 0, "the joined pages kept PROT_EXEC, the page past them did not");
		unsigned char *many = mmap(NULL, 4200 * 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (many == MAP_FAILED) return 2;
		for (int i = 0; i < 4200; i++) (void)protect(many + (size_t)i * 2 * page, page, PROT_READ | PROT_WRITE | PROT_EXEC);
		check(counts[ABP_IS_EXEC_FULL] > 0, "past 4,096 entries: counted as not kept");
	} else {
		check(call(code) == -1, "control: the code faults (SEGV_ACCERR), as in Bun 1.0.36");
		check(strcmp(inside, "rw-") == 0, "control: its pages lost PROT_EXEC");
	}
	puts(failed ? "failed" : "ok");
	return failed;
}
