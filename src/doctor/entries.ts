// bunfig.toml preload entries: is this entry asherah-bun-preload, and does it
// resolve the way Bun resolves preloads? Files are only looked at (stat,
// realpath, manifests read as text), never loaded.
import { statSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { findPackage, packageNameAt } from "./packages.ts";
import { realpathOrUndefined } from "./read.ts";
import { ENTRY_FILES, PACKAGE_NAME, PACKAGE_ROOT } from "./self.ts";

export type EntryKind =
  /** This very copy of asherah-bun-preload. */
  | "self"
  /** asherah-bun-preload, another copy (resolves, but not the one running the doctor). */
  | "package"
  /** Meant to be asherah-bun-preload but does not resolve: Bun stops with "preload not found". */
  | "missing"
  /** Some other preload that resolves (or that the doctor cannot judge). */
  | "other"
  /** Some other preload that does not resolve: Bun stops with "preload not found" too. */
  | "broken";

export interface EntryCheck {
  readonly entry: string;
  readonly kind: EntryKind;
  readonly resolved?: string;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

// What Bun tries for a preload path without an extension.
const PATH_SUFFIXES = ["", ".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs", "/index.ts", "/index.js"];

/**
 * Whether a bunfig preload entry, read relative to `dir`, is asherah-bun-preload.
 * Bun's rule (checked on 1.2.19 and 1.4.5): only "./", "../" and absolute
 * entries are paths; anything else is a package specifier resolved through
 * the package's "exports", so "asherah-bun-preload/src/index.ts" and
 * "node_modules/asherah-bun-preload/src/index.ts" are "preload not found".
 */
export function classifyPreloadEntry(entry: string, dir: string, selfRoot: string = PACKAGE_ROOT): EntryCheck {
  const selves = ENTRY_FILES.map((file) => realpathOrUndefined(join(selfRoot, file)) ?? join(selfRoot, file));
  const mentionsUs = entry.includes(PACKAGE_NAME);
  const judgeFile = (file: string): EntryCheck => {
    const real = realpathOrUndefined(file) ?? file;
    if (selves.includes(real)) return { entry, kind: "self", resolved: real };
    const isOurs = ENTRY_FILES.some((f) => real.endsWith(`/${f}`) && packageNameAt(real.slice(0, -f.length - 1)) === PACKAGE_NAME);
    return { entry, kind: isOurs ? "package" : "other", resolved: real };
  };
  const unresolved = (resolved?: string): EntryCheck => ({ entry, kind: mentionsUs ? "missing" : "broken", resolved });
  if (entry.startsWith("./") || entry.startsWith("../") || isAbsolute(entry)) {
    const base = resolve(dir, entry);
    for (const suffix of PATH_SUFFIXES) {
      const file = base + suffix;
      if (isFile(file)) return judgeFile(file);
    }
    return unresolved(base);
  }
  const match = /^((?:@[^/]+\/)?[^/]+)(\/.*)?$/.exec(entry);
  const name = match?.[1];
  const subpath = match?.[2];
  if (name === undefined) return { entry, kind: "other" };
  if (name === PACKAGE_NAME) {
    // Our "exports" offer "." (the preload), "./api" and "./package.json" (no preload); anything else does not resolve.
    if (subpath === undefined) {
      const found = findPackage(PACKAGE_NAME, dir);
      return found?.entry !== undefined && isFile(found.entry) ? judgeFile(found.entry) : unresolved(found?.entry);
    }
    if (subpath === "/api" || subpath === "/package.json") return { entry, kind: "other" };
    return unresolved();
  }
  // Someone else's package: it must be installed; its subpaths depend on its exports (not judged).
  if (findPackage(name, dir)?.entry === undefined) return unresolved();
  return { entry, kind: "other" };
}
