// Finds a package's entry file the way Node's resolver would for a bare
// `require(name)`, with plain file reads. Bun.resolveSync would do, but for a
// package that is not installed it can cost ~80 ms (it may try auto-install),
// and the preload runs in every process.
import { existsNonEmpty } from "./files.ts";
import { dirname, join, resolve } from "./paths.ts";

type ExportsField = string | { [condition: string]: ExportsField } | null | undefined;

// "node-addons" is the only condition asherah 3.x declares ({"node-addons": "./dist/asherah.node"}).
const CONDITIONS = ["bun", "node-addons", "node", "require", "import", "default"];

/** Picks the target of the "." export for require()/import under Bun. Pure. */
export function exportTarget(exportsField: ExportsField, conditions: readonly string[] = CONDITIONS): string | undefined {
  if (exportsField === null || exportsField === undefined) return undefined;
  if (typeof exportsField === "string") return exportsField;
  const dot = "." in exportsField ? exportsField["."] : Object.keys(exportsField).some((k) => k.startsWith(".")) ? undefined : exportsField;
  if (dot === undefined || dot === null) return undefined;
  if (typeof dot === "string") return dot;
  for (const condition of conditions) {
    if (condition in dot) {
      const target = exportTarget(dot[condition], conditions);
      if (target !== undefined) return target;
    }
  }
  return undefined;
}

export interface PackageEntry {
  readonly root: string;
  readonly entry: string;
}

/** Walks up from `fromDir` through node_modules folders to the package's package.json; undefined when not installed. */
function findPackageManifest(name: string, fromDir: string): string | undefined {
  for (let dir = resolve(fromDir); ; dir = dirname(dir)) {
    const manifest = join(dir, "node_modules", name, "package.json");
    if (existsNonEmpty(manifest)) return manifest;
    if (dirname(dir) === dir) return undefined;
  }
}

export function resolvePackageEntry(name: string, fromDir: string): PackageEntry | undefined {
  const manifest = findPackageManifest(name, fromDir);
  if (manifest === undefined) return undefined;
  const root = dirname(manifest);
  let pkg: { main?: unknown; exports?: ExportsField };
  try {
    // Bun's own JSON loader: no node:fs (~3 ms) in a process that only resolves.
    pkg = import.meta.require(manifest) as typeof pkg;
  } catch {
    return undefined; // a broken package.json: let Bun report it when the app loads the package
  }
  const target = exportTarget(pkg.exports) ?? (typeof pkg.main === "string" ? pkg.main : "index.js");
  return { root, entry: resolve(root, target) };
}
