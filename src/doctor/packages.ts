// Which copy of a package Bun would find from a folder, read the way the
// doctor reads everything: manifests as capped text from regular files. A
// `package.json` that is a directory (with an index.js that Bun would run if
// it were required) or a FIFO is refused and reported, never loaded
// (test/e2e/doctor.test.ts "a planted package.json/ directory").
import { lstatSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { completedEntry, exportTarget } from "../resolve.ts";
import { describeReadError, readManifest } from "./read.ts";

export interface FoundPackage {
  readonly name: string;
  /** The folder holding package.json (as found, symlinks not resolved). */
  readonly root: string;
  readonly manifest: string;
  /** Undefined when the manifest could not be read (see problem). */
  readonly entry?: string;
  readonly version?: string;
  readonly packageName?: string;
  readonly problem?: string;
}

function present(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Walks up from `fromDir` through node_modules folders to the first `<name>/package.json` that exists in any form. */
export function findManifest(name: string, fromDir: string): string | undefined {
  for (let dir = resolve(fromDir); ; dir = dirname(dir)) {
    const manifest = join(dir, "node_modules", name, "package.json");
    if (present(manifest)) return manifest;
    if (dirname(dir) === dir) return undefined;
  }
}

/** Reads a package's manifest at `root` as text; the entry as Bun's require() would pick it. */
export function readPackageAt(root: string, name = ""): FoundPackage {
  const manifest = join(root, "package.json");
  let pkg: Record<string, unknown>;
  try {
    pkg = readManifest(manifest);
  } catch (error) {
    return { name, root, manifest, problem: describeReadError(error) };
  }
  const exportsField = pkg.exports as Parameters<typeof exportTarget>[0];
  let target: string | undefined;
  try {
    target = exportTarget(exportsField);
  } catch {
    target = undefined; // an "exports" shape the runtime's reader does not know: fall back to main
  }
  const exact = target !== undefined;
  target ??= typeof pkg.main === "string" ? pkg.main : "index.js";
  return {
    name,
    root,
    manifest,
    entry: completedEntry(resolve(root, target), exact),
    version: typeof pkg.version === "string" ? pkg.version : undefined,
    packageName: typeof pkg.name === "string" ? pkg.name : undefined,
  };
}

/** The copy of `name` Bun would find from `fromDir`, or undefined when none is installed there. */
export function findPackage(name: string, fromDir: string): FoundPackage | undefined {
  const manifest = findManifest(name, fromDir);
  return manifest === undefined ? undefined : readPackageAt(dirname(manifest), name);
}

/** The "name" field of the package.json in `dir`, read as text; undefined when there is none. */
export function packageNameAt(dir: string): string | undefined {
  return readPackageAt(dir).packageName;
}
