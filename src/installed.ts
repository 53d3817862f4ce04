// Where Node's resolver would find a package for a bare `require(name)` from
// a folder: the first `<folder>/node_modules/<name>/package.json` there is,
// walking up to the root. One stat per folder (Bun.file().size: 0 when
// missing), nothing read. The start path asks it whether a guarded package
// is installed at all (hooks.ts) before it runs the code that resolves one
// (resolve.ts, which reads the manifest it finds here).
import { isEmbeddedPath } from "./guarded.ts";
import { isNormalAbsolute, parentDir, resolve } from "./paths.ts";

/** The manifest's path, or undefined when no folder from `fromDir` up has one. */
export function manifestPath(name: string, fromDir: string): string | undefined {
  // In a `bun build --compile` binary the modules were resolved at build
  // time; walking up from /$bunfs/root would reach the host's /node_modules.
  if (isEmbeddedPath(fromDir)) return undefined;
  let dir = isNormalAbsolute(fromDir) ? fromDir : resolve(fromDir);
  for (;;) {
    const path = `${dir === "/" ? "" : dir}/node_modules/${name}/package.json`;
    // Not 0: a file (read next, by resolve.ts), or something that is not
    // one (a FIFO, a device, a folder), which resolve.ts refuses by name.
    if (Bun.file(path).size !== 0) return path;
    if (dir === "/") return undefined;
    dir = parentDir(dir);
  }
}
