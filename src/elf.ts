// A structural check of an ELF shared library before dlopen. dlopen itself
// accepts a truncated file whose headers are intact and the process then dies
// of SIGBUS the first time it touches a missing page; and its message for a
// wrong-architecture file ("wrong ELF class") does not say which one it is.
// Reading the headers is cheap and turns both into a clear error.

const MACHINES: Readonly<Record<number, string>> = { 3: "x86 (32-bit)", 40: "arm (32-bit)", 62: "x64", 183: "arm64", 243: "riscv64", 21: "ppc64" };
const EXPECTED_MACHINE: Readonly<Record<string, number>> = { x64: 62, arm64: 183 };

export type ElfProblem =
  | { readonly kind: "not-elf" }
  | { readonly kind: "not-shared"; readonly type: number }
  | { readonly kind: "wrong-class" }
  | { readonly kind: "wrong-machine"; readonly machine: string }
  | { readonly kind: "truncated"; readonly needed: number; readonly size: number };

export function describeElfProblem(problem: ElfProblem, arch: string): string {
  switch (problem.kind) {
    case "not-elf":
      return "it is not an ELF file";
    case "not-shared":
      return `it is an ELF file of type ${problem.type}, not a shared library`;
    case "wrong-class":
      return "it is a 32-bit or big-endian ELF file";
    case "wrong-machine":
      return `it is built for ${problem.machine}, but this process is ${arch}`;
    case "truncated":
      return `it is truncated: its headers need ${problem.needed} bytes, the file has ${problem.size}`;
  }
}

export interface ElfHeader {
  readonly phoff: number;
  readonly shoff: number;
  readonly phentsize: number;
  readonly phnum: number;
  readonly shentsize: number;
  readonly shnum: number;
}

/** Pure: the table offsets of a 64-bit little-endian ELF header (the caller checks the magic and class). */
export function readElfHeader(head: Buffer): ElfHeader {
  return {
    phoff: Number(head.readBigUInt64LE(32)),
    shoff: Number(head.readBigUInt64LE(40)),
    phentsize: head.readUInt16LE(54),
    phnum: head.readUInt16LE(56),
    shentsize: head.readUInt16LE(58),
    shnum: head.readUInt16LE(60),
  };
}

/**
 * Pure: where the bytes the loader maps end (the program header table, every
 * PT_LOAD segment's file bytes) in a 64-bit little-endian ELF file, as the
 * core measures before a guarded load (go/core/abp_files.c abp_elf_span);
 * undefined for anything else or program headers past `head`. Section
 * headers and symbols are not mapped: a file cut short there still loads.
 */
export function mappedEnd(head: Buffer): number | undefined {
  if (head.length < 64 || head.readUInt32BE(0) !== 0x7f454c46 || head[4] !== 2 || head[5] !== 1) return undefined;
  const { phoff, phentsize, phnum } = readElfHeader(head);
  let end = phoff + phentsize * phnum;
  if (phentsize < 56 || end > head.length) return undefined;
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (head.readUInt32LE(at) === 1) end = Math.max(end, Number(head.readBigUInt64LE(at + 8)) + Number(head.readBigUInt64LE(at + 32)));
  }
  return end;
}

/** Pure: checks the bytes of a 64-bit little-endian ELF header + program headers against the file size. */
export function checkElf(head: Buffer, fileSize: number, arch: string): ElfProblem | undefined {
  if (head.length < 64 || head.readUInt32BE(0) !== 0x7f454c46) return { kind: "not-elf" };
  if (head[4] !== 2 || head[5] !== 1) return { kind: "wrong-class" };
  const type = head.readUInt16LE(16);
  if (type !== 3) return { kind: "not-shared", type };
  const machine = head.readUInt16LE(18);
  const expected = EXPECTED_MACHINE[arch];
  if (expected !== undefined && machine !== expected) return { kind: "wrong-machine", machine: MACHINES[machine] ?? `machine ${machine}` };
  const { phoff, shoff, phentsize, phnum, shentsize, shnum } = readElfHeader(head);
  // What the loader maps (program headers past `head`: their table at least), and the section table too.
  const needed = Math.max(mappedEnd(head) ?? phoff + phentsize * phnum, shnum === 0 ? 0 : shoff + shentsize * shnum);
  return needed > fileSize ? { kind: "truncated", needed, size: fileSize } : undefined;
}
