// A guarded package's native files, found and read without following a
// symlink loop, without blocking on a FIFO and without reading more than
// NATIVE_CAP bytes of any file (doctor-hardening.test.ts).
import * as fs from "node:fs";
import { statSync } from "node:fs";
import { join } from "node:path";
import { mappedEnd } from "../elf.ts";
import { findGoBuildInfo, keptLoaded, readElfDynamic } from "./elf-dynamic.ts";
import { describeReadError, NATIVE_CAP, readCapped, realpathOrUndefined } from "./read.ts";

export interface NativeFileReport {
  readonly path: string;
  readonly size: number;
  readonly elf: boolean;
  /** A Go runtime is linked in: Go build info and/or the cgo runtime symbol. */
  readonly goRuntime: boolean;
  readonly goVersion?: string;
  readonly goBuildInfo: boolean;
  readonly cgoSymbol: boolean;
  /** DT_FLAGS_1 has DF_1_NODELETE; undefined: not an ELF shared object with a dynamic section. */
  readonly nodelete: boolean | undefined;
  /** Defined STB_GNU_UNIQUE symbols (glibc then keeps the object loaded too); undefined: no .dynsym. */
  readonly uniqueSymbols?: number;
  /** glibc keeps it loaded once opened (NODELETE or a unique symbol); undefined: cannot tell. */
  readonly keptLoaded: boolean | undefined;
  /** Cut short inside what the loader maps (elf.ts mappedEnd): the preload refuses it, Bun alone dies of SIGBUS. */
  readonly cutShort?: { readonly needed: number; readonly size: number };
  readonly error?: string;
}

/** A native file's name: an addon, a shared library (`libx.so.1` too), a macOS library. */
export const NATIVE_NAME = /\.(node|dylib)$|\.so(\.\d+)*$/;

/** The report for a file the doctor did not read, saying why. */
export function notInspected(path: string, error: string): NativeFileReport {
  return { path, size: 0, elf: false, goRuntime: false, goBuildInfo: false, cgoSymbol: false, nodelete: undefined, keptLoaded: undefined, error };
}

export function inspectNativeFile(path: string, cap: number = NATIVE_CAP): NativeFileReport {
  let buf: Buffer;
  try {
    buf = readCapped(path, cap);
  } catch (error) {
    return notInspected(path, describeReadError(error));
  }
  const go = findGoBuildInfo(buf);
  const dynamic = readElfDynamic(buf);
  const needed = mappedEnd(buf);
  return {
    path,
    size: buf.length,
    elf: dynamic !== undefined,
    goRuntime: go.found || (dynamic?.cgoSymbol ?? false),
    goVersion: go.goVersion,
    goBuildInfo: go.found,
    cgoSymbol: dynamic?.cgoSymbol ?? false,
    nodelete: dynamic?.nodelete,
    uniqueSymbols: dynamic?.uniqueSymbols,
    keptLoaded: dynamic === undefined ? undefined : keptLoaded(dynamic),
    ...(needed !== undefined && needed > buf.length ? { cutShort: { needed, size: buf.length } } : {}),
    ...(dynamic?.problem === undefined ? {} : { error: dynamic.problem }),
  };
}

export interface WalkLimits {
  /** Folders below the package root. */
  readonly depth: number;
  /** Native files reported. */
  readonly files: number;
  /** Directory entries looked at in all (a package with a million files costs no more). */
  readonly entries: number;
}

export const WALK_LIMITS: WalkLimits = { depth: 5, files: 50, entries: 20_000 };

/**
 * At most `max` names from a folder. opendirSync reads them a few at a time
 * (a folder of a million names costs no more); Bun before 1.2 has no
 * opendirSync, and there readdirSync reads them all, then the list is cut.
 */
export function readNames(dir: string, max: number): string[] {
  const names: string[] = [];
  if (typeof fs.opendirSync !== "function") {
    try {
      return fs.readdirSync(dir).slice(0, max);
    } catch {
      return names;
    }
  }
  let handle: fs.Dir;
  try {
    handle = fs.opendirSync(dir);
  } catch {
    return names;
  }
  try {
    for (let dirent = handle.readSync(); dirent !== null && names.length < max; dirent = handle.readSync()) names.push(dirent.name);
  } catch {
    // an unreadable part of the folder: use what was read
  } finally {
    handle.closeSync();
  }
  return names;
}

/**
 * The native files of an installed package: its entry and every
 * .node/.so/.dylib below its root. Each real folder is read once, however
 * many symlinks lead to it (12 symlinks to "." took 22 s when every path was
 * walked), and the walk stops at `limits`.
 */
export function nativeFilesOf(root: string, entry: string | undefined, limits: WalkLimits = WALK_LIMITS): string[] {
  const files = new Set<string>();
  // The entry is reported even when it is not a regular file: inspectNativeFile says why it is refused.
  if (entry !== undefined && NATIVE_NAME.test(entry) && realpathOrUndefined(entry) !== undefined) files.add(entry);
  const visited = new Set<string>();
  let budget = limits.entries;
  const walk = (dir: string, depth: number) => {
    if (depth > limits.depth || files.size >= limits.files || budget <= 0) return;
    const real = realpathOrUndefined(dir);
    if (real === undefined || visited.has(real)) return;
    visited.add(real);
    const names = readNames(dir, budget);
    budget -= names.length;
    for (const name of names.sort()) {
      if (name === "node_modules" || name.startsWith(".")) continue;
      const path = join(dir, name);
      let stats;
      try {
        stats = statSync(path);
      } catch {
        continue;
      }
      if (stats.isDirectory()) walk(path, depth + 1);
      else if (stats.isFile() && NATIVE_NAME.test(name) && files.size < limits.files) files.add(path);
    }
  };
  walk(root, 0);
  return [...files];
}

