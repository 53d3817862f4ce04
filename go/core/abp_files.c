// abp_files: the core's file checks. Every open is O_NONBLOCK (a FIFO never
// blocks the opener), every read is capped, and only regular files are read.
// Guarded by test/e2e/integrity.test.ts (FIFO, /dev/zero, sparse file).
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "abp.h"

const char *abp_file_kind(unsigned mode) {
	if (S_ISDIR(mode)) return "folder";
	if (S_ISFIFO(mode)) return "FIFO";
	if (S_ISCHR(mode)) return "character device";
	if (S_ISBLK(mode)) return "block device";
	if (S_ISSOCK(mode)) return "socket";
	return "special file";
}

// realpath(3) that does not give up on a borrowed EINTR. glibc's realpath
// calls readlink(2) on every component and reads errno to tell "not a link"
// (EINVAL) from a failure. Before the preload wraps it, JavaScriptCore's
// suspend handler does not preserve errno (its sigsuspend leaves EINTR), and
// under `bun --cpu-prof` it runs every 200 µs; landing between readlink and
// that look, it made the core "unresolvable" (run 4 of 6 in one CI run of
// test/e2e/cpu-prof.test.ts, Bun 1.3.14; test/native/errno-clobber.c
// reproduces it). No real failure of realpath is EINTR.
static char *resolve(const char *path, char real[PATH_MAX]) {
	char *result = NULL;
	for (int attempt = 0; attempt < 64; attempt++) {
		result = realpath(path, real);
		if (result != NULL || errno != EINTR) break;
	}
	return result;
}

int abp_check_path_safe(const char *path, char *why, int32_t len) {
	char real[PATH_MAX];
	struct stat st;
	if (resolve(path, real) == NULL) {
		snprintf(why, (size_t)len, "%s cannot be resolved: %s", path, strerror(errno));
		return -1;
	}
	if (stat(real, &st) != 0) {
		snprintf(why, (size_t)len, "%s cannot be examined: %s", real, strerror(errno));
		return -1;
	}
	if (st.st_mode & S_IWOTH) {
		snprintf(why, (size_t)len, "%s is writable by every user (mode %03o)", real, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	char *slash = strrchr(real, '/');
	if (slash == NULL) return 0;
	if (slash == real) slash[1] = '\0';
	else *slash = '\0';
	if (stat(real, &st) != 0) {
		snprintf(why, (size_t)len, "the folder %s cannot be examined: %s", real, strerror(errno));
		return -1;
	}
	// Sticky or not: whoever may create files there may plant the library
	// before it exists. Guarded by test/e2e/integrity.test.ts.
	if (st.st_mode & S_IWOTH) {
		snprintf(why, (size_t)len, "its folder %s is writable by every user (mode %03o)", real, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

char *abp_read_text(const char *path, uint32_t max, size_t *length, char *why, int32_t len) {
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		snprintf(why, (size_t)len, "%s cannot be opened: %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	char *text = NULL;
	if (fstat(fd, &st) != 0) {
		snprintf(why, (size_t)len, "%s cannot be examined: %s", path, strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		snprintf(why, (size_t)len, "%s is a %s, not a regular file", path, abp_file_kind(st.st_mode));
	} else if ((uint64_t)st.st_size > max) {
		snprintf(why, (size_t)len, "%s is %llu bytes, more than the %u allowed", path, (unsigned long long)st.st_size, max);
	} else if ((text = malloc((size_t)st.st_size + 1)) == NULL) {
		snprintf(why, (size_t)len, "%s: out of memory", path);
	} else {
		size_t done = 0;
		while (done < (size_t)st.st_size) {
			ssize_t n = read(fd, text + done, (size_t)st.st_size - done);
			if (n < 0 && errno == EINTR) continue;
			if (n <= 0) break;
			done += (size_t)n;
		}
		text[done] = '\0';
		*length = done;
	}
	close(fd);
	return text;
}


// The sha256 of the file this core was loaded from, read again by path (4
// MiB at most). An integrity check, not a security boundary: whoever can
// change the core can change the JavaScript that loads it (docs/how-it-works.md,
// "Trust"). Returns 0, or -1 with why filled in.
int abp_self_sha256(char out[65], char *why, int32_t len) {
	Dl_info info;
	if (dladdr((void *)abp_self_sha256, &info) == 0 || info.dli_fname == NULL) {
		snprintf(why, (size_t)len, "the core cannot find its own file");
		return -1;
	}
	size_t length = 0;
	char *bytes = abp_read_text(info.dli_fname, 4u << 20, &length, why, len);
	if (bytes == NULL) return -1;
	struct abp_sha256 sha;
	abp_sha256_init(&sha);
	abp_sha256_update(&sha, bytes, length);
	abp_sha256_hex(&sha, out);
	free(bytes);
	return 0;
}

// The ELF span (abp.h abp_elf_span). Reads the 64-byte header and at most
// 64 KiB of program headers, with pread from one descriptor.
static uint64_t le(const uint8_t *p, int bytes) {
	uint64_t v = 0;
	for (int i = bytes - 1; i >= 0; i--) v = v << 8 | p[i];
	return v;
}

static uint64_t end_of(uint64_t offset, uint64_t length) {
	return offset > UINT64_MAX - length ? UINT64_MAX : offset + length;
}

static int read_at(int fd, uint8_t *buffer, size_t want, uint64_t at, size_t *got) {
	*got = 0;
	while (*got < want) {
		ssize_t n = pread(fd, buffer + *got, want - *got, (off_t)(at + *got));
		if (n < 0 && errno == EINTR) continue;
		if (n < 0) return -1;
		if (n == 0) break;
		*got += (size_t)n;
	}
	return 0;
}

int abp_elf_span(const char *path, uint64_t *size, uint64_t *needed, char *why, int32_t len) {
	*size = 0;
	*needed = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		snprintf(why, (size_t)len, "%s cannot be opened: %s", path, strerror(errno));
		return -1;
	}
	int rc = -1;
	struct stat st;
	uint8_t head[64];
	size_t got = 0;
	if (fstat(fd, &st) != 0) {
		snprintf(why, (size_t)len, "%s cannot be examined: %s", path, strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		snprintf(why, (size_t)len, "%s is a %s, not a regular file", path, abp_file_kind(st.st_mode));
	} else if (read_at(fd, head, sizeof head, 0, &got) != 0) {
		snprintf(why, (size_t)len, "%s cannot be read: %s", path, strerror(errno));
	} else {
		rc = 0;
		*size = (uint64_t)st.st_size;
		// Only a 64-bit little-endian ELF file is measured; the loader judges the rest.
		if (got == sizeof head && memcmp(head, "\x7f" "ELF", 4) == 0 && head[4] == 2 && head[5] == 1) {
			// Section headers and what only they describe (symbols, debug
			// information) are not mapped: a file cut short there still loads.
			uint64_t phoff = le(head + 32, 8);
			uint64_t phentsize = le(head + 54, 2), phnum = le(head + 56, 2);
			uint64_t span = end_of(phoff, phentsize * phnum);
			static const size_t max_table = 64u << 10;
			size_t table = (size_t)(phentsize * phnum);
			uint8_t *phdrs = phentsize >= 56 && table <= max_table && end_of(phoff, table) <= *size ? malloc(table) : NULL;
			if (phdrs != NULL && read_at(fd, phdrs, table, phoff, &got) == 0 && got == table) {
				for (uint64_t i = 0; i < phnum; i++) {
					const uint8_t *ph = phdrs + i * phentsize;
					if (le(ph, 4) != 1) continue; // PT_LOAD: the bytes the loader maps
					uint64_t end = end_of(le(ph + 8, 8), le(ph + 32, 8));
					if (end > span) span = end;
				}
			}
			free(phdrs);
			*needed = span;
		}
	}
	close(fd);
	return rc;
}
