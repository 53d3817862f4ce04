// What the bytes of a native module say about the Go runtime and unloading,
// without loading it: Go's build info, the cgo runtime symbol, and whether
// glibc keeps the object loaded once it is open (DF_1_NODELETE, or any
// STB_GNU_UNIQUE symbol: glibc marks an object that defines one NODELETE when
// a lookup binds to it; node-addon-api addons get them from C++ inline
// statics). Pure functions over a buffer, tested on crafted input.
//
// Linear in the file's size: one program-header pass, one section-header
// pass, one walk of the dynamic table and of .dynsym, each bounded by the
// buffer, and header counts capped (a crafted 2.3 MB ELF took 36 s when every
// PT_DYNAMIC and every symbol name was rescanned: doctor-hardening.test.ts).
import { readElfHeader } from "../elf.ts";

const GO_BUILDINFO_MAGIC = Buffer.from("\xff Go buildinf:", "latin1");
const CGO_WAIT_SYMBOL = Buffer.from("_cgo_wait_runtime_init_done\0", "latin1");
const DT_NULL = 0n;
const DT_FLAGS_1 = 0x6ffffffbn;
const DF_1_NODELETE = 0x8n;
const PT_DYNAMIC = 2;
const SHT_DYNSYM = 11;
const STB_GNU_UNIQUE = 10;
const PHENT_64 = 56;
const SHENT_64 = 64;
const SYMENT_64 = 24;
/** More program or section headers than any real shared object has. */
export const MAX_HEADERS = 4096;

function readVarint(buf: Buffer, at: number): { value: number; next: number } | undefined {
  let value = 0;
  let shift = 0;
  for (let i = at; i < buf.length && i < at + 5; i++) {
    const byte = buf[i]!;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return { value, next: i + 1 };
    shift += 7;
  }
  return undefined;
}

export interface GoBuildInfo {
  /** The "\xff Go buildinf:" header is present. */
  readonly found: boolean;
  /** e.g. "go1.26.8"; only for the inline format of Go >= 1.18. */
  readonly goVersion?: string;
}

/** Pure: finds Go's build info header (section .go.buildinfo, 16-byte aligned) and its Go version. */
export function findGoBuildInfo(buf: Buffer): GoBuildInfo {
  let at = buf.indexOf(GO_BUILDINFO_MAGIC);
  while (at >= 0 && at % 16 !== 0) at = buf.indexOf(GO_BUILDINFO_MAGIC, at + 1);
  if (at < 0) return { found: false };
  const flags = buf[at + 15] ?? 0;
  if ((flags & 0x2) === 0) return { found: true }; // pre-1.18 layout: pointers, not inline strings
  const length = readVarint(buf, at + 32);
  if (length === undefined || length.value > 64 || length.next + length.value > buf.length) return { found: true };
  const version = buf.toString("latin1", length.next, length.next + length.value);
  return /^go[0-9][\w.+-]*$|^devel /.test(version) ? { found: true, goVersion: version } : { found: true };
}

export interface ElfDynamicInfo {
  /** DT_FLAGS_1 & DF_1_NODELETE; undefined when the file has no dynamic section. */
  readonly nodelete: boolean | undefined;
  /** Defined STB_GNU_UNIQUE symbols in .dynsym; undefined when there is no readable .dynsym. */
  readonly uniqueSymbols: number | undefined;
  /** `_cgo_wait_runtime_init_done` is a defined dynamic symbol (every cgo-built object has it). */
  readonly cgoSymbol: boolean;
  /** Why part of the file was not read (damaged or crafted headers). */
  readonly problem?: string;
}

/** A 64-bit offset or size as a number; huge values stay huge (never wrap into range). */
function u64(buf: Buffer, at: number): number {
  return Number(buf.readBigUInt64LE(at));
}

/** Pure: the last PT_DYNAMIC's DT_FLAGS_1 (as ld.so reads them), and .dynsym's cgo and unique symbols. 64-bit little-endian ELF only. */
export function readElfDynamic(buf: Buffer): ElfDynamicInfo | undefined {
  if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2 || buf[5] !== 1) return undefined;
  const { phoff, shoff, phentsize, phnum, shentsize, shnum } = readElfHeader(buf);
  const problems: string[] = [];

  // Program headers: glibc takes the last PT_DYNAMIC, and the last DT_FLAGS_1 in it.
  let dynamic: { offset: number; size: number } | undefined;
  if (phnum > MAX_HEADERS) problems.push(`${phnum} program headers (more than ${MAX_HEADERS}); not read`);
  else if (phnum > 0 && (phentsize < PHENT_64 || phoff + phnum * phentsize > buf.length)) problems.push("program headers outside the file");
  else {
    for (let i = 0; i < phnum; i++) {
      const ph = phoff + i * phentsize;
      if (buf.readUInt32LE(ph) === PT_DYNAMIC) dynamic = { offset: u64(buf, ph + 8), size: u64(buf, ph + 32) };
    }
  }
  let nodelete: boolean | undefined;
  if (dynamic !== undefined) {
    nodelete = false;
    const end = Math.min(buf.length, dynamic.offset + dynamic.size);
    for (let at = dynamic.offset; at + 16 <= end; at += 16) {
      const tag = buf.readBigInt64LE(at);
      if (tag === DT_NULL) break;
      if (tag === DT_FLAGS_1) nodelete = (buf.readBigUInt64LE(at + 8) & DF_1_NODELETE) !== 0n;
    }
  }

  // Section headers: the one .dynsym (the gABI allows one) and its string table.
  let uniqueSymbols: number | undefined;
  let cgoSymbol = false;
  const sectionsReadable = shoff > 0 && shnum > 0 && shnum <= MAX_HEADERS && shentsize === SHENT_64 && shoff + shnum * SHENT_64 <= buf.length;
  if (shnum > MAX_HEADERS) problems.push(`${shnum} section headers (more than ${MAX_HEADERS}); not read`);
  else if (shnum > 0 && !sectionsReadable) problems.push("section headers outside the file");
  if (sectionsReadable) {
    let dynsym = -1;
    for (let i = 0; i < shnum && dynsym < 0; i++) if (buf.readUInt32LE(shoff + i * SHENT_64 + 4) === SHT_DYNSYM) dynsym = i;
    if (dynsym >= 0) {
      const sh = shoff + dynsym * SHENT_64;
      const symOffset = u64(buf, sh + 24);
      const symSize = u64(buf, sh + 32);
      const link = buf.readUInt32LE(sh + 40);
      if (link < shnum) {
        const strSh = shoff + link * SHENT_64;
        const strOffset = u64(buf, strSh + 24);
        const strSize = u64(buf, strSh + 32);
        uniqueSymbols = 0;
        const end = Math.min(buf.length, symOffset + symSize);
        for (let at = symOffset; at + SYMENT_64 <= end; at += SYMENT_64) {
          const shndx = buf.readUInt16LE(at + 6);
          if (shndx === 0) continue; // undefined symbols are imports, not definitions
          if (buf[at + 4]! >> 4 === STB_GNU_UNIQUE) uniqueSymbols++;
          // Compare at most the name's length: never scan for a terminator.
          const name = buf.readUInt32LE(at);
          const start = strOffset + name;
          if (!cgoSymbol && name < strSize && start + CGO_WAIT_SYMBOL.length <= buf.length) {
            cgoSymbol = buf.compare(CGO_WAIT_SYMBOL, 0, CGO_WAIT_SYMBOL.length, start, start + CGO_WAIT_SYMBOL.length) === 0;
          }
        }
      } else {
        problems.push(".dynsym links to a missing string table");
      }
    }
  }
  // Section headers stripped: fall back to the dynamic string table's bytes.
  if (!cgoSymbol && !sectionsReadable) cgoSymbol = buf.includes(Buffer.concat([Buffer.from([0]), CGO_WAIT_SYMBOL]));
  const info = { nodelete, uniqueSymbols, cgoSymbol };
  return problems.length === 0 ? info : { ...info, problem: problems.join("; ") };
}

/** Whether glibc keeps the object loaded once opened: DF_1_NODELETE or a unique symbol. undefined: cannot tell. */
export function keptLoaded(info: Pick<ElfDynamicInfo, "nodelete" | "uniqueSymbols">): boolean | undefined {
  if (info.nodelete === true || (info.uniqueSymbols ?? 0) > 0) return true;
  if (info.nodelete === undefined) return undefined;
  return false;
}
