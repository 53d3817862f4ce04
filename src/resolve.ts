// Finds a package's entry file the way Node's resolver would for a bare
// `require(name)`, with plain file reads. Bun.resolveSync would do, but for a
// package that is not installed it can cost ~80 ms (it may try auto-install),
// and the preload runs in every process.
//
// It reads and never executes: a manifest is read as text, never require()d.
// Bun's require() of `.../package.json` runs `package.json/index.js` when
// package.json is a folder, and a `.js` file when it is a symlink to one, so a
// node_modules/asherah/package.json/ planted in any parent folder of the
// application ran at every start (issue 13; guarded by e2e real-world.test.ts and unit manifest.test.ts).
import { readTextFile } from "./files.ts";
import { manifestPath } from "./installed.ts";
import { isNormalAbsolute, resolve } from "./paths.ts";

type ExportsField = string | { [condition: string]: ExportsField } | null | undefined;

// "node-addons" is the only condition asherah 3.x declares ({"node-addons": "./dist/asherah.node"}).
const CONDITIONS = ["bun", "node-addons", "node", "require", "import", "default"];

/**
 * How deep conditions may nest. Real packages use two or three levels; a
 * planted manifest nested 80,000 deep overflowed the stack and stopped every
 * process at start (test/unit/small.test.ts "exportTarget").
 */
const MAX_CONDITION_DEPTH = 32;

/** Whether an exports object maps subpaths ("./x") rather than conditions. A loop, not Array#some: asherah 3.x's manifest gets here at every start. */
function hasSubpathKey(exportsField: object): boolean {
  for (const key in exportsField) if (key.startsWith(".")) return true;
  return false;
}

/** Picks the target of the "." export for require()/import under Bun. Pure. */
export function exportTarget(exportsField: ExportsField, conditions: readonly string[] = CONDITIONS, depth = 0): string | undefined {
  if (exportsField === null || exportsField === undefined || depth > MAX_CONDITION_DEPTH) return undefined;
  if (typeof exportsField === "string") return exportsField;
  const dot = "." in exportsField ? exportsField["."] : hasSubpathKey(exportsField) ? undefined : exportsField;
  if (dot === undefined || dot === null) return undefined;
  if (typeof dot === "string") return dot;
  for (let i = 0; i < conditions.length; i++) {
    const condition = conditions[i]!;
    if (condition in dot) {
      const target = exportTarget(dot[condition], conditions, depth + 1);
      if (target !== undefined) return target;
    }
  }
  return undefined;
}

export interface PackageEntry {
  readonly root: string;
  readonly entry: string;
}

/** Larger manifests are refused: real ones are a few KiB, and the read must end. */
export const MANIFEST_MAX_BYTES = 1024 * 1024;

export type Manifest =
  | { readonly kind: "missing" }
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "refused"; readonly reason: string };

/**
 * A package.json as text, from a regular file of at most MANIFEST_MAX_BYTES.
 *
 * Bun.file(path).size is one stat() (~2 µs, no node:fs): 0 for a missing or
 * empty file, which needs no read at all. The read itself goes through
 * files.ts readTextFile: the native core's capped read (node:fs where there
 * is no core), which opens with O_NONBLOCK and reads regular files only, so a
 * folder, a FIFO or a device — also one swapped in after the stat — is
 * refused without blocking.
 */
export function readManifest(path: string): Manifest {
  const size = Bun.file(path).size;
  if (size === 0) return { kind: "missing" };
  if (!Number.isFinite(size)) return { kind: "refused", reason: "it is not a regular file (a FIFO, socket or device)" };
  try {
    return { kind: "text", text: readTextFile(path, MANIFEST_MAX_BYTES) };
  } catch (error) {
    if ((error as { code?: unknown }).code === "ENOENT" || /No such file/.test(String(error))) return { kind: "missing" };
    // "<path> is a folder, not a regular file" → "it is a folder, …": the caller names the path.
    const message = error instanceof Error ? error.message : String(error);
    return { kind: "refused", reason: message.startsWith(`${path} `) ? `it ${message.slice(path.length + 1)}` : message };
  }
}

export type RefusedManifest = (path: string, reason: string) => void;

/** The default for a refused manifest: say so once per path on stderr, and carry on as if the package were not there. */
let warned: Set<string> | undefined; // created on the first refusal, not at every start
export function warnRefusedManifest(path: string, reason: string): void {
  warned ??= new Set();
  if (warned.has(path)) return;
  warned.add(path);
  process.stderr.write(
    `asherah-bun-preload: warning: ignoring ${path}: ${reason}. It was not read and nothing in it was run.\n` +
      "  A package.json must be a regular file. If you did not put it there, remove the package folder; its package is not guarded by name.\n",
  );
}

/**
 * The package's package.json from `fromDir` up (installed.ts finds it, this
 * reads it); undefined when not installed or refused. A manifest found by
 * the stat but gone before the read ends the walk there.
 */
function findPackageManifest(name: string, fromDir: string, onRefused: RefusedManifest): { path: string; text: string } | undefined {
  const path = manifestPath(name, fromDir);
  if (path === undefined) return undefined;
  const manifest = readManifest(path);
  if (manifest.kind === "text") return { path, text: manifest.text };
  if (manifest.kind === "refused") onRefused(path, manifest.reason);
  return undefined;
}

export function resolvePackageEntry(name: string, fromDir: string, onRefused?: RefusedManifest): PackageEntry | undefined {
  const manifest = findPackageManifest(name, fromDir, onRefused ?? warnRefusedManifest);
  if (manifest === undefined) return undefined;
  // findPackageManifest built the path from a clean folder and a validated
  // package name (config.ts): its folder is the path without "/package.json".
  const root = manifest.path.slice(0, -"/package.json".length);
  let pkg: { main?: unknown; exports?: ExportsField };
  try {
    pkg = parseManifest(manifest.text) as typeof pkg;
  } catch {
    return undefined; // a broken package.json: let Bun report it when the app loads the package
  }
  if (typeof pkg !== "object" || pkg === null) return undefined;
  // No "exports" and a plain "./dir/file" main need
  // neither exportTarget nor resolve(): this runs at every start where a
  // guarded package is installed, and each function's first call costs its
  // compilation.
  const exported = pkg.exports === undefined ? undefined : exportTarget(pkg.exports);
  const target = exported ?? (typeof pkg.main === "string" ? pkg.main : "index.js");
  const plain = target.startsWith("./") && target !== "./" && isNormalAbsolute(target.slice(1));
  const entry = plain ? root + target.slice(1) : resolve(root, target);
  return { root, entry: completedEntry(entry, exported !== undefined) };
}

/**
 * A package's entry file as the resolver would load it: an "exports" target
 * (`exact`) names its file exactly; a "main" may leave the extension or the
 * index file to the resolver, as Node and Bun allow. The doctor reports the
 * same file (doctor/packages.ts).
 */
export function completedEntry(entry: string, exact: boolean): string {
  return exact || hasEntryExtension(entry) ? entry : completeMain(entry);
}

/**
 * JSON.parse of a manifest's text, without the UTF-8 byte order mark some
 * editors write first (Node and Bun skip it; JSON.parse does not).
 */
export function parseManifest(text: string): unknown {
  return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
}

function hasEntryExtension(path: string): boolean {
  return path.endsWith(".node") || path.endsWith(".js") || path.endsWith(".cjs") || path.endsWith(".mjs") || path.endsWith(".json");
}

// Node's extensions, and .cjs, in the order Bun 1.0.36–1.4.5 tries them for
// a package's main (checked two at a time). Bun's TypeScript and .mjs
// completions are not repeated here: such a main is left as it is.
const COMPLETIONS = [".js", ".cjs", ".json", ".node"];

/**
 * Node's completion of a "main" that names no file (LOAD_AS_FILE, then
 * LOAD_INDEX): `"lib/index"` is lib/index.js, `"./dist"` (a folder) is
 * dist/index.js. Stats only, nothing read: Bun.file().size is 0 when a name
 * is missing (and for an empty file, which is passed over), and `<name>/.`
 * is there only for a folder. A FIFO or device
 * found here is refused by the caller (entries.ts). Unchanged when nothing
 * matches: the load then fails as it would without the preload.
 */
function completeMain(path: string): string {
  const folder = Bun.file(`${path}/.`).size !== 0;
  if (!folder && Bun.file(path).size !== 0) return path;
  for (const extension of COMPLETIONS) if (Bun.file(path + extension).size !== 0) return path + extension;
  if (folder) for (const extension of COMPLETIONS) if (Bun.file(`${path}/index${extension}`).size !== 0) return `${path}/index${extension}`;
  return path;
}
