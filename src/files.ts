// Reading files on the start path (package.json manifests) without slowing
// every process down, and without ever blocking or swallowing a huge file.
//
// - node:fs costs ~4.5 ms on its first use in a process (Bun 1.4.5; ~10 ms on
//   1.2.19), so text is read through the native core when it is loaded (a
//   capped, O_NONBLOCK read of regular files only: go/core/abp_files.c), and
//   node:fs is required where it is used, never imported at the top of a
//   module: the published bundle would then load it at start.
// - Never Bun.mmap: it opens the file read-write, so it fails with EACCES
//   when node_modules belongs to another user or sits on a read-only file
//   system.
import { cold } from "./cold-link.ts";
import { processState } from "./state.ts";

type NodeFs = typeof import("node:fs");

/** node:fs, loaded on first use (import.meta.require is Bun's synchronous require). */
export function nodeFs(): NodeFs {
  return import.meta.require("node:fs") as NodeFs;
}

/** The most a manifest or other text file read at start may have. */
export const MAX_TEXT_BYTES = 1 << 20;

export class FileReadError extends Error {
  override readonly name = "FileReadError";
}

/** Pure: why a stat result cannot be read as text, or undefined when it can. */
export function unreadable(path: string, stat: { isFile(): boolean; isDirectory(): boolean; size: number }, maxBytes: number): string | undefined {
  if (stat.isDirectory()) return `${path} is a folder, not a regular file`;
  if (!stat.isFile()) return `${path} is not a regular file (a FIFO, socket or device)`;
  if (stat.size > maxBytes) return `${path} is ${stat.size} bytes, more than the ${maxBytes} allowed`;
  return undefined;
}

/**
 * Runs `use` on a descriptor of `path` that is a regular file of at most
 * `maxBytes` (throws FileReadError otherwise), and closes it. O_NONBLOCK:
 * opening a FIFO for reading must not wait for a writer.
 */
function withRegularFile<T>(path: string, maxBytes: number, use: (fs: NodeFs, fd: number, size: number) => T): T {
  const fs = nodeFs();
  const fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    const stat = fs.fstatSync(fd);
    const why = unreadable(path, stat, maxBytes);
    if (why !== undefined) throw new FileReadError(why);
    return use(fs, fd, stat.size);
  } finally {
    fs.closeSync(fd);
  }
}

function readWithNodeFs(path: string, maxBytes: number): string {
  return withRegularFile(path, maxBytes, (fs, fd) => fs.readFileSync(fd, "utf8"));
}

/**
 * A regular file of at most `maxBytes` as UTF-8 text. Throws (FileReadError,
 * or node:fs's error with its `code`) for anything else — a folder, a FIFO, a
 * device, a file too large — without blocking.
 */
export function readTextFile(path: string, maxBytes: number = MAX_TEXT_BYTES): string {
  // The start path (start.ts) has loaded the core; lazy and off modes may
  // not have yet, and the general path loads it here (lifecycle.ts).
  let core = processState().core;
  if (core === undefined) {
    try {
      core = cold().ensureCore(processState());
    } catch {
      core = undefined; // a damaged core is reported where it is loaded, not here
    }
  }
  if (core === undefined) return readWithNodeFs(path, maxBytes);
  try {
    return core.readText(path, maxBytes);
  } catch (error) {
    throw new FileReadError(error instanceof Error ? error.message : String(error));
  }
}

/** True when `path` exists and is not empty: a stat through Bun.file, no node:fs. */
export function existsNonEmpty(path: string): boolean {
  const size = Bun.file(path).size;
  return size > 0;
}

/**
 * Whether a file holds `needle` in its first `maxBytes` (64 MiB): how the
 * preload tells a Go library without its native core (degraded platforms
 * only; node:fs is fine off the start path).
 */
export function fileContains(path: string, needle: string, maxBytes = 64 << 20): boolean {
  try {
    return withRegularFile(path, Number.POSITIVE_INFINITY, (fs, fd, size) => {
      const buffer = Buffer.alloc(Math.min(size, maxBytes));
      fs.readSync(fd, buffer, 0, buffer.length, 0);
      return buffer.includes(needle);
    });
  } catch {
    return false;
  }
}
