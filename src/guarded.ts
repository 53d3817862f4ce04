// Which guarded package a native file belongs to, judged by its path alone
// (no file is read: this runs before every native load).
//
// Installed packages: the `/node_modules/<name>/` segment of the path.
//
// `bun build --compile` binaries: the addon is embedded and Bun loads it
// from its own file system under a generated name, `<file name without
// .node>-<hash>.node` (measured on 1.0.36, 1.2.19, 1.3.14, 1.4.5:
// `/$bunfs/root/asherah-123a520754e37c1f.node` on 1.0.36,
// `/$bunfs/root/asherah-zw3m7jtj.node` later; process.dlopen is called with
// that path). Only the addon's own file name survives, so a package is
// recognised there when that name is the package's name (asherah 3.x ships
// dist/asherah.node) or the last part of a scoped name; an addon named
// otherwise (go-js-entry's native/gojs.node) is not recognised and loads
// without the lazy warmup. Guarded by e2e real-world.test.ts ("bun build --compile")
// and unit guarded.test.ts.

import { isNormalAbsolute, resolve } from "./paths.ts";

/** Bun's embedded file system: `/$bunfs/` on POSIX, `B:\~BUN\` (any drive letter) on Windows. */
const EMBEDDED = /^(?:\/\$bunfs\/|[A-Z]:[\\/]~BUN[\\/])/;
// The embedded name: the addon's file name, a dash, Bun's hash (16 hex digits on 1.0.x, 8 base-36 characters later).
const EMBEDDED_NAME = /([^\\/]+)-[0-9a-z]{6,32}\.node$/;

/** Whether a path is inside a compiled binary's embedded file system. */
export function isEmbeddedPath(path: string): boolean {
  // The POSIX form without a regular expression: the start path asks
  // (resolve.ts), and a process's first one costs ~80 µs to compile.
  return path.startsWith("/$bunfs/") || (path.charAt(1) === ":" && EMBEDDED.test(path));
}

/** The guarded package a file belongs to, or undefined. Pure. */
export function guardedPackageOf(file: string, packages: readonly string[]): string | undefined {
  let normalised = file.replaceAll("\\", "/");
  // Another spelling of the same file must not pass unguarded: "." and ".."
  // segments, doubled slashes, and a path relative to the working folder
  // (dlopen reads any name with a "/" as a path). A name without "/" is
  // searched on the library path, not here; an embedded one is Bun's own.
  if (normalised.includes("/") && !isEmbeddedPath(file) && !isNormalAbsolute(normalised)) {
    normalised = resolve(normalised);
  }
  for (const name of packages) {
    if (normalised.includes(`/node_modules/${name}/`)) return name;
  }
  if (!isEmbeddedPath(file)) return undefined;
  const stem = EMBEDDED_NAME.exec(normalised)?.[1];
  if (stem === undefined) return undefined;
  return packages.find((name) => name === stem || name.slice(name.lastIndexOf("/") + 1) === stem);
}
