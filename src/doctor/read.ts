// Every byte the doctor reads from the project it inspects comes through
// here: opened without blocking, checked to be a regular file on the open
// descriptor (no window between the check and the read), and capped. A FIFO
// must not hang the doctor, /dev/zero must not feed it forever, and a huge
// sparse file must not cost gigabytes (test/unit/doctor-hardening.test.ts).
//
// node:fs is fine here: the doctor is a command, not the preload.
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, type Stats } from "node:fs";
import { parseManifest } from "../resolve.ts";

/** package.json, bunfig.toml: text files far below this. */
export const TEXT_CAP = 1024 * 1024;
/** A native module: real Go-based addons are tens of MiB. */
export const NATIVE_CAP = 256 * 1024 * 1024;
/** All native files of one package together. */
export const NATIVE_TOTAL_CAP = 1024 * 1024 * 1024;

export class ReadRefused extends Error {
  constructor(
    readonly path: string,
    readonly reason: "missing" | "not-regular" | "too-large" | "unreadable",
    message: string,
  ) {
    super(message);
    this.name = "ReadRefused";
  }
}

/** The path as the kernel resolves it (symlinks followed), or undefined when it does not resolve. */
export function realpathOrUndefined(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/** "a directory", "a FIFO", …: what a path is that is not a regular file. */
export function describeKind(stats: Stats): string {
  if (stats.isDirectory()) return "a directory";
  if (stats.isFIFO()) return "a FIFO";
  if (stats.isCharacterDevice()) return "a character device";
  if (stats.isBlockDevice()) return "a block device";
  if (stats.isSocket()) return "a socket";
  return "not a regular file";
}

/**
 * Opens `path` for reading and returns its descriptor and size, or throws
 * ReadRefused. O_NONBLOCK: opening a FIFO that has no writer would otherwise
 * block; the file type is then judged on the descriptor itself.
 */
function openRegular(path: string, cap: number): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") throw new ReadRefused(path, "missing", `${path} does not exist`);
    if (code === "EISDIR") throw new ReadRefused(path, "not-regular", `${path} is a directory, not a regular file`);
    throw new ReadRefused(path, "unreadable", `${path} cannot be opened (${code ?? String(error)})`);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new ReadRefused(path, "not-regular", `${path} is ${describeKind(stats)}, not a regular file`);
    if (stats.size > cap) throw new ReadRefused(path, "too-large", `${path} is ${stats.size} bytes, more than the ${cap} the doctor reads`);
    return { fd, size: stats.size };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/**
 * A whole regular file, at most `cap` bytes. A file that grows while it is
 * read is cut at the size it had when it was opened; a file that claims size
 * 0 (/proc) is read until its end, still at most `cap` bytes.
 */
export function readCapped(path: string, cap: number): Buffer {
  const { fd, size } = openRegular(path, cap);
  const read = (buf: Buffer, at: number, length: number): number => {
    try {
      return readSync(fd, buf, at, length, null);
    } catch (error) {
      throw new ReadRefused(path, "unreadable", `${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
  };
  try {
    if (size > 0) {
      const buf = Buffer.alloc(size);
      let filled = 0;
      while (filled < size) {
        const n = read(buf, filled, size - filled);
        if (n === 0) break; // shrank meanwhile
        filled += n;
      }
      return filled === size ? buf : buf.subarray(0, filled);
    }
    const parts: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(64 * 1024);
      const n = read(chunk, 0, chunk.length);
      if (n === 0) return Buffer.concat(parts, total);
      total += n;
      if (total > cap) throw new ReadRefused(path, "too-large", `${path} has more than the ${cap} bytes the doctor reads`);
      parts.push(chunk.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
}

/** A text file (package.json, bunfig.toml) as UTF-8, at most TEXT_CAP bytes. */
export function readText(path: string, cap: number = TEXT_CAP): string {
  return readCapped(path, cap).toString("utf8");
}

/** A package.json's fields, read as text; throws ReadRefused or a SyntaxError naming the file. */
export function readManifest(path: string): Record<string, unknown> {
  const text = readText(path);
  let value: unknown;
  try {
    value = parseManifest(text);
  } catch (error) {
    throw new ReadRefused(path, "unreadable", `${path} is not valid JSON (${(error as Error).message})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new ReadRefused(path, "unreadable", `${path} is not a JSON object`);
  return value as Record<string, unknown>;
}

/** A message for any error a read can raise. */
export function describeReadError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
