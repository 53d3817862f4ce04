// The libraries the preload would load, checked as files: present, regular,
// an ELF shared object for this machine, the bytes the package shipped
// (src/shipped.ts, compiled in), and safe from other users. Nothing here is
// loaded: a library from ASHERAH_BUN_PRELOAD_LIBRARY_DIR (which a project's
// .env can set) is only read, never opened as code.
import { basename, join } from "node:path";
import { checkElf, describeElfProblem } from "../elf.ts";
import type { PrebuildLocation } from "../platform.ts";

export type NativeLocation = Extract<PrebuildLocation, { readonly status: "native" }>;
import { SHIPPED } from "../shipped.ts";
import { checkPermissions, type PermissionIssue } from "./permissions.ts";
import { describeReadError, NATIVE_CAP, readCapped, ReadRefused } from "./read.ts";

export interface LibraryReport {
  /** "warmup", "signals", "core": the file name without prefix and extension. */
  readonly role: string;
  readonly path: string;
  readonly exists: boolean;
  readonly size?: number;
  readonly sha256?: string;
  readonly expected?: string;
  /** match / mismatch / unlisted: against src/shipped.ts; override: ASHERAH_BUN_PRELOAD_LIBRARY_DIR (not checksummed). */
  readonly integrity: "match" | "mismatch" | "unlisted" | "override" | "missing" | "unreadable";
  readonly problem?: string;
  readonly permissions: readonly PermissionIssue[];
}

/** Pure: the shipped files of one `<platform>-<arch>` folder, as "<file>" → digest. */
export function shippedFiles(id: string, shipped: typeof SHIPPED = SHIPPED): Map<string, { sha256: string; size: number }> {
  const files = new Map<string, { sha256: string; size: number }>();
  for (const [key, digest] of Object.entries(shipped)) {
    const slash = key.indexOf("/");
    if (key.slice(0, slash) === id) files.set(key.slice(slash + 1), digest);
  }
  return files;
}

export function roleOf(file: string): string {
  return file.replace(/^asherah-bun-/, "").replace(/\.[^.]*$/, "");
}

/**
 * Every library the package ships for this platform (whatever SHIPPED lists,
 * so a renamed or added library is checked without a change here), in the
 * folder the preload would use. Platforms without shipped digests fall back
 * to the files platform.ts names.
 */
export function checkLibraries(location: NativeLocation, override: boolean, shipped: typeof SHIPPED = SHIPPED): LibraryReport[] {
  const files = shippedFiles(location.id, shipped);
  if (files.size === 0 || override) {
    return [location.warmup, location.core].map((path) => checkLibrary(path, override ? "override" : undefined));
  }
  return [...files.keys()].sort(byRole).map((file) => checkLibrary(join(location.dir, file), override ? "override" : files.get(file)));
}

// The warmup first, as the preload loads it: the report reads in load order.
function byRole(a: string, b: string): number {
  const rank = (file: string) => (roleOf(file) === "warmup" ? 0 : 1);
  return rank(a) - rank(b) || a.localeCompare(b);
}

export function checkLibrary(path: string, expected: { sha256: string; size: number } | "override" | undefined): LibraryReport {
  const role = roleOf(basename(path));
  const permissions = checkPermissions(path, "file").issues;
  const base = { role, path, permissions };
  let bytes: Buffer;
  try {
    bytes = readCapped(path, NATIVE_CAP);
  } catch (error) {
    if (error instanceof ReadRefused && error.reason === "missing") return { ...base, exists: false, integrity: "missing", problem: "does not exist" };
    return { ...base, exists: true, integrity: "unreadable", problem: describeReadError(error) };
  }
  const size = bytes.length;
  const sha256 = new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
  const elf = process.platform === "linux" ? checkElf(bytes.subarray(0, 4096), size, process.arch) : undefined;
  const problem = size === 0 ? "empty" : elf === undefined ? undefined : describeElfProblem(elf, process.arch);
  const facts = { ...base, exists: true, size, sha256, ...(problem === undefined ? {} : { problem }) };
  if (expected === "override") return { ...facts, integrity: "override" };
  if (expected === undefined) return { ...facts, integrity: "unlisted" };
  return { ...facts, expected: expected.sha256, integrity: expected.sha256 === sha256 && expected.size === size ? "match" : "mismatch" };
}
