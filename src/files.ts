// Reading this package's own files (the native libraries before they are
// hashed, SHA256SUMS, package.json files) without slowing every process down.
//
// - Never Bun.mmap: it opens the file read-write, so it fails with EACCES
//   when node_modules belongs to another user (a root-installed image run
//   as a non-root user) or sits on a read-only file system.
//   On Docker's overlayfs a read-write open also copies the file up into the
//   container's layer.
// - node:fs costs ~3 ms on its first use in a process (Bun 1.4.5; most
//   applications load it anyway), so it is required where a file is read,
//   not imported at the top of a module: the published bundle would then
//   load it at start even in processes that never read a file here.

type NodeFs = typeof import("node:fs");

/** node:fs, loaded on first use (import.meta.require is Bun's synchronous require). */
export function nodeFs(): NodeFs {
  return import.meta.require("node:fs") as NodeFs;
}

export function readFileText(path: string): string {
  return nodeFs().readFileSync(path, "utf8");
}

/** True when `path` exists and is not empty: a stat through Bun.file, no node:fs. */
export function existsNonEmpty(path: string): boolean {
  return Bun.file(path).size > 0;
}
