// The guarded packages installed where the application looks for them, and
// what kind of entry each has: the plugin's input (plugin.ts). It runs at
// start in every process that has a guarded package installed, so it reads
// manifests through the core (resolve.ts) and builds no error unless an
// entry is refused.
import type { PreloadError } from "./errors.ts";
import { cold } from "./cold-link.ts";
import { dirname, join } from "./paths.ts";
import { parseManifest, readManifest, resolvePackageEntry } from "./resolve.ts";

export interface GuardedEntry {
  readonly name: string;
  readonly entry: string;
  readonly kind: "native" | "commonjs" | "esm" | "refused";
  /** Why a "refused" entry is not loaded. */
  readonly error?: PreloadError;
}

export function isEsm(file: string): boolean {
  if (file.endsWith(".mjs")) return true;
  if (file.endsWith(".cjs")) return false;
  // The nearest package.json decides for .js files; read as text from a
  // regular file only (resolve.ts readManifest), never a FIFO or a folder.
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const manifest = readManifest(join(dir, "package.json"));
    if (manifest.kind === "text") {
      try {
        return (parseManifest(manifest.text) as { type?: unknown } | null)?.type === "module";
      } catch {
        // unparseable: look further up, as before
      }
    }
    if (dirname(dir) === dir) return false;
  }
}

/** A guarded package as resolved from `fromDir`; undefined when it is not installed there. */
export function guardedEntry(name: string, fromDir: string): GuardedEntry | undefined {
  const found = resolvePackageEntry(name, fromDir);
  if (found === undefined) return undefined;
  // An entry that is (or links to) a FIFO or a device: Bun would read it as
  // JavaScript and block on the FIFO, or load /dev/zero as an empty module.
  // Bun.file().size follows the link: Infinity for both (integrity.test.ts).
  if (!Number.isFinite(Bun.file(found.entry).size)) {
    return { name, entry: found.entry, kind: "refused", error: cold().refusedEntryError(name, found.entry) };
  }
  const kind = found.entry.endsWith(".node") ? "native" : isEsm(found.entry) ? "esm" : "commonjs";
  return { name, entry: found.entry, kind };
}

/** Resolves each guarded package once, from the application's folder. */
export function guardedEntries(packages: readonly string[], fromDir: string): GuardedEntry[] {
  const entries: GuardedEntry[] = [];
  for (const name of packages) {
    const entry = guardedEntry(name, fromDir);
    if (entry !== undefined) entries.push(entry);
  }
  return entries;
}
