// Reading this package's own files (the native libraries before they are
// hashed, SHA256SUMS, package.json files) without slowing every process down.
//
// - Never Bun.mmap: it opens the file read-write, so it fails with EACCES
//   when node_modules belongs to another user (a root-installed image run
//   as a non-root user) or sits on a read-only file system.
//   On Docker's overlayfs a read-write open also copies the file up into the
//   container's layer.
// - node:fs costs ~3 ms on its first use in a process (Bun 1.4.5; ~6–7 ms
//   on 1.2.19), so the libraries are read with glibc's read() through
//   bun:ffi where possible, and node:fs is required where it is used, never
//   imported at the top of a module: the published bundle would then load it
//   at start even in processes that never read a file here.

import { ffiForFileReads } from "./bun-version.ts";
import { openLibcReader } from "./native.ts";
import { processState } from "./state.ts";

type NodeFs = typeof import("node:fs");

/** node:fs, loaded on first use (import.meta.require is Bun's synchronous require). */
export function nodeFs(): NodeFs {
  return import.meta.require("node:fs") as NodeFs;
}

const NODE_CHUNK = 64 * 1024;

/**
 * Reads a file in pieces (never one buffer for a whole library: see
 * integrity.ts), calling `visit` with each. On Linux with glibc (Bun >= 1.1)
 * through the C library's read(), which saves loading node:fs at start;
 * otherwise, and to report why a file cannot be read, node:fs: errors carry
 * node:fs's `code`.
 */
export function readChunks(path: string, visit: (chunk: Uint8Array) => void): void {
  if (process.platform === "linux" && ffiForFileReads(Bun.version)) {
    const state = processState();
    if (state.libcReader === undefined) {
      try {
        state.libcReader = openLibcReader();
      } catch {
        state.libcReader = () => false; // no libc.so.6 to bind: node:fs for good
      }
    }
    if (state.libcReader(path, visit)) return;
  }
  const fs = nodeFs();
  const fd = fs.openSync(path, "r");
  try {
    const chunk = Buffer.alloc(NODE_CHUNK);
    for (;;) {
      const read = fs.readSync(fd, chunk, 0, NODE_CHUNK, null);
      if (read === 0) return;
      visit(chunk.subarray(0, read));
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** A whole file as UTF-8 text, read the same way. */
export function readFileText(path: string): string {
  const parts: Uint8Array[] = [];
  readChunks(path, (chunk) => parts.push(chunk.slice()));
  return Buffer.concat(parts).toString("utf8");
}

/** True when `path` exists and is not empty: a stat through Bun.file, no node:fs. */
export function existsNonEmpty(path: string): boolean {
  return Bun.file(path).size > 0;
}
