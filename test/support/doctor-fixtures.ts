// Inputs for the doctor's hardening tests: tiny shared objects built with the
// system compiler, and crafted ELF files whose headers make a careless reader
// quadratic.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/** Compiles `source` into a shared object at `out` (gcc for C, g++ for C++), with extra flags. */
export function buildShared(dir: string, out: string, source: string, options: { cxx?: boolean; flags?: string[] } = {}): string {
  const src = join(dir, `src-${Math.random().toString(36).slice(2)}.${options.cxx ? "cc" : "c"}`);
  writeFileSync(src, source);
  const compiler = options.cxx ? (process.env.CXX ?? "g++") : (process.env.CC ?? "gcc");
  execFileSync(compiler, ["-shared", "-fPIC", "-O2", ...(options.cxx ? ["-std=c++17"] : []), ...(options.flags ?? []), "-o", out, src], { timeout: 60_000, stdio: "pipe" });
  return out;
}

/** C++ whose inline static member becomes an STB_GNU_UNIQUE symbol (as node-addon-api's statics do). */
export const UNIQUE_CXX = `
struct Registry { static inline int count = 0; };
template <typename T> struct Holder { static int value; };
template <typename T> int Holder<T>::value = 1;
extern "C" __attribute__((visibility("default"))) int touch() { return ++Registry::count + Holder<long>::value; }
`;

/** C with neither NODELETE nor unique symbols (unless linked -z nodelete). */
export const PLAIN_C = `
__attribute__((visibility("default"))) int touch(void) { return 1; }
`;

/** The two marks the doctor takes for a Go runtime: Go build info in the bytes, the cgo symbol in .dynsym. */
export const GO_MARKS = `
#ifdef __cplusplus
#define ABP_EXPORT extern "C" __attribute__((visibility("default")))
#else
#define ABP_EXPORT __attribute__((visibility("default")))
#endif
__attribute__((used, aligned(16))) static const unsigned char go_buildinfo[64] = {
  0xff, ' ', 'G', 'o', ' ', 'b', 'u', 'i', 'l', 'd', 'i', 'n', 'f', ':', 8, 2,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  8, 'g', 'o', '1', '.', '9', '9', '.', '0' };
ABP_EXPORT void _cgo_wait_runtime_init_done(void) {}
ABP_EXPORT void napi_register_module_v1(void) {}
`;

/** A library whose constructor writes `marker`: proof that something loaded it. */
export function markerSource(marker: string): string {
  return `
#include <fcntl.h>
#include <unistd.h>
__attribute__((constructor)) static void loaded(void) {
  int fd = open(${JSON.stringify(marker)}, O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd >= 0) { write(fd, "loaded\\n", 7); close(fd); }
}
__attribute__((visibility("default"))) int abp_version(void) { return 1; }
`;
}

const PT_DYNAMIC = 2;
const SHT_DYNSYM = 11;
const SHT_STRTAB = 3;

/**
 * A 64-bit little-endian ET_DYN file of about 2–3 MB built to be slow for a
 * reader that rescans: `dynamics` PT_DYNAMIC headers all covering one 1 MiB
 * table of non-zero tags (no DT_NULL), and `dynsyms` SHT_DYNSYM sections all
 * pointing at one table of 1 MiB of symbols whose names run into a string
 * table without a terminator.
 */
export function craftedElf(options: { dynamics?: number; dynsyms?: number; machine?: number } = {}): Buffer {
  const dynamics = options.dynamics ?? 4000;
  const dynsyms = options.dynsyms ?? 64;
  const tableSize = 1024 * 1024;
  const phoff = 64;
  const dynOffset = phoff + dynamics * 56;
  const symOffset = dynOffset + tableSize;
  const strOffset = symOffset + tableSize;
  const shoff = strOffset + 256 * 1024;
  const shnum = 1 + dynsyms + 1;
  const buf = Buffer.alloc(shoff + shnum * 64);
  buf.writeUInt32BE(0x7f454c46, 0);
  buf[4] = 2; // 64-bit
  buf[5] = 1; // little-endian
  buf[6] = 1;
  buf.writeUInt16LE(3, 16); // ET_DYN
  buf.writeUInt16LE(options.machine ?? (process.arch === "arm64" ? 183 : 62), 18);
  buf.writeBigUInt64LE(BigInt(phoff), 32);
  buf.writeBigUInt64LE(BigInt(shoff), 40);
  buf.writeUInt16LE(64, 52);
  buf.writeUInt16LE(56, 54);
  buf.writeUInt16LE(dynamics, 56);
  buf.writeUInt16LE(64, 58);
  buf.writeUInt16LE(shnum, 60);
  for (let i = 0; i < dynamics; i++) {
    const ph = phoff + i * 56;
    buf.writeUInt32LE(PT_DYNAMIC, ph);
    buf.writeBigUInt64LE(BigInt(dynOffset), ph + 8);
    buf.writeBigUInt64LE(BigInt(tableSize), ph + 32);
  }
  // Dynamic entries: tag 0x7000_0001 (a processor-specific tag), never DT_NULL.
  for (let at = dynOffset; at < symOffset; at += 16) buf.writeBigInt64LE(0x70000001n, at);
  // Symbols: defined (shndx 1), names at growing offsets into an unterminated string table.
  for (let at = symOffset, n = 0; at + 24 <= strOffset; at += 24, n++) {
    buf.writeUInt32LE(n % (256 * 1024), at);
    buf[at + 4] = 0x12; // STB_GLOBAL, STT_FUNC
    buf.writeUInt16LE(1, at + 6);
  }
  buf.fill(0x61, strOffset, shoff); // 'a' * 256 KiB, no NUL
  for (let i = 1; i <= dynsyms; i++) {
    const sh = shoff + i * 64;
    buf.writeUInt32LE(SHT_DYNSYM, sh + 4);
    buf.writeBigUInt64LE(BigInt(symOffset), sh + 24);
    buf.writeBigUInt64LE(BigInt(tableSize), sh + 32);
    buf.writeUInt32LE(shnum - 1, sh + 40);
    buf.writeBigUInt64LE(24n, sh + 56);
  }
  const str = shoff + (shnum - 1) * 64;
  buf.writeUInt32LE(SHT_STRTAB, str + 4);
  buf.writeBigUInt64LE(BigInt(strOffset), str + 24);
  buf.writeBigUInt64LE(BigInt(shoff - strOffset), str + 32);
  return buf;
}
