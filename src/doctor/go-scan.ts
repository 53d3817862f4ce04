// Every Go runtime under the node_modules folders a require() from the
// checked folder can reach (that folder's and each one above it), not only
// in the copy of a guarded package Bun resolves from there: a copy nested
// under a dependency, one that only a workspace package depends on (Bun's
// and pnpm's stores, node_modules/.bun and .pnpm), and Go-based modules that
// are not guarded at all. Judged from the resolved copy alone, a workspace
// whose package loads asherah got "nothing to protect" and then hung
// (test/e2e/doctor.test.ts, "Go runtimes the resolved copy does not show").
//
// Inspects and never executes, like the rest of the doctor: folders are read
// a few names at a time; a symlink is followed only where it is a package
// (node_modules/<name> or node_modules/@scope/<name>: workspace packages,
// `bun link`, pnpm); each real folder is read once; only regular
// .node/.so/.dylib files are read, each and all of them under a cap. What
// it could not read, and where it stopped, it says: the doctor then warns
// instead of vouching for the project.
import { lstatSync, statSync, type Stats } from "node:fs";
import { basename, dirname, join, resolve, sep } from "node:path";
import { inspectNativeFile, NATIVE_NAME, notInspected, readNames, type NativeFileReport } from "./native-files.ts";
import { NATIVE_CAP, NATIVE_TOTAL_CAP } from "./read.ts";

export interface GoModule {
  /** The package the file belongs to: the folder after its last node_modules/. */
  readonly packageName: string;
  readonly guarded: boolean;
  readonly file: NativeFileReport;
}

export interface GoScanReport {
  /** The node_modules folders scanned, nearest first. */
  readonly roots: readonly string[];
  /** Native files read. */
  readonly inspected: number;
  readonly goModules: readonly GoModule[];
  /** Native files found but not read (too large, over the budget, unreadable): the first few, and how many in all. */
  readonly unread: readonly { readonly path: string; readonly reason: string }[];
  readonly unreadCount: number;
  /** Why the scan stopped early, if it did (a limit below). */
  readonly incomplete?: string;
}

export interface ScanLimits {
  /** Folders below a node_modules root. */
  readonly depth: number;
  /** Directory entries looked at in all. */
  readonly entries: number;
  /** Native files read in all. */
  readonly files: number;
  /** Bytes of one native file: a larger one is not read, and is reported unread. */
  readonly fileBytes: number;
  /** Bytes of all native files together. */
  readonly totalBytes: number;
}

export const SCAN_LIMITS: ScanLimits = { depth: 24, entries: 1_000_000, files: 500, fileBytes: NATIVE_CAP, totalBytes: NATIVE_TOTAL_CAP };
const UNREAD_LISTED = 10;

// Caches and tool folders that hold no installed package.
const SKIPPED = new Set([".bin", ".cache", ".vite", ".vite-temp", ".turbo"]);

/** The package a path inside node_modules belongs to (`@scope/name` kept whole). */
export function packageOfPath(path: string): string | undefined {
  const parts = path.split(sep);
  const at = parts.lastIndexOf("node_modules");
  const first = parts[at + 1];
  if (at < 0 || first === undefined) return undefined;
  if (!first.startsWith("@")) return first;
  const second = parts[at + 2];
  return second === undefined ? undefined : `${first}/${second}`;
}

/** The node_modules folders a require() from `fromDir` can reach, nearest first. */
export function reachableNodeModules(fromDir: string): string[] {
  const roots: string[] = [];
  for (let dir = resolve(fromDir); ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules");
    try {
      if (statSync(candidate).isDirectory()) roots.push(candidate);
    } catch {
      // none here
    }
    if (dirname(dir) === dir) return roots;
  }
}

/**
 * Reads every native file under `roots` and keeps those with a Go runtime.
 * `ignore(path)` leaves files and folders out (this package, whose warmup
 * library is Go).
 */
export function scanForGo(roots: readonly string[], guarded: readonly string[], ignore: (path: string) => boolean, limits: ScanLimits = SCAN_LIMITS): GoScanReport {
  const goModules: GoModule[] = [];
  const visited = new Set<string>();
  let entries = limits.entries;
  let bytes = limits.totalBytes;
  let inspected = 0;
  const unread: { path: string; reason: string }[] = [];
  let unreadCount = 0;
  let incomplete: string | undefined;
  const stop = (why: string) => {
    incomplete ??= why;
  };
  // `known`: the folder's lstat, which its parent took; a root or a package
  // symlink is stat()ed here, following the link.
  const walk = (dir: string, depth: number, known?: Stats): void => {
    if (incomplete !== undefined) return;
    if (depth > limits.depth) return stop(`a folder more than ${limits.depth} levels deep (${dir}) was not scanned`);
    let stats = known;
    try {
      stats ??= statSync(dir);
    } catch {
      return;
    }
    // Where a symlink is a package: node_modules/<name>, node_modules/@scope/<name>.
    const packagesHere = basename(dir) === "node_modules" || (basename(dir).startsWith("@") && basename(dirname(dir)) === "node_modules");
    const key = `${stats.dev}:${stats.ino}`;
    if (!stats.isDirectory() || visited.has(key)) return;
    visited.add(key);
    const names = readNames(dir, entries + 1);
    if (names.length > entries) return stop(`the scan stops after ${limits.entries} folder entries`);
    entries -= names.length;
    for (const name of names.sort()) {
      if (SKIPPED.has(name)) continue;
      const path = join(dir, name);
      let entry;
      try {
        entry = lstatSync(path);
      } catch {
        continue;
      }
      if (entry.isDirectory() || (packagesHere && entry.isSymbolicLink())) {
        if (ignore(path)) continue;
        walk(path, depth + 1, entry.isDirectory() ? entry : undefined);
        if (incomplete !== undefined) return;
      } else if (entry.isFile() && NATIVE_NAME.test(name) && !ignore(path)) {
        if (inspected >= limits.files) return stop(`the scan reads at most ${limits.files} native files`);
        inspected++;
        const file = bytes <= 0 ? notInspected(path, `the scan reads at most ${limits.totalBytes} bytes of native files in all`) : inspectNativeFile(path, Math.min(limits.fileBytes, bytes));
        bytes -= file.size;
        if (file.error !== undefined && !file.elf) {
          unreadCount++;
          if (unread.length < UNREAD_LISTED) unread.push({ path, reason: file.error });
          continue;
        }
        if (!file.goRuntime) continue;
        const packageName = packageOfPath(path) ?? name;
        goModules.push({ packageName, guarded: guarded.includes(packageName), file });
      }
    }
  };
  for (const root of roots) walk(root, 0);
  return { roots, inspected, goModules, unread, unreadCount, ...(incomplete === undefined ? {} : { incomplete }) };
}
