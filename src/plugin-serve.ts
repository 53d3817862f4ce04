// The bodies of the plugin's callbacks and of the require() intercept
// (plugin.ts registers them at start; these run when the application first
// imports or requires a guarded package, in the cold half: cold-link.ts).
import { atLeast, MODULE_CALLBACK_THROWS } from "./bun-version.ts";
import { isEsm, type GuardedEntry } from "./entries.ts";
import { debugRequested, PreloadError, throwingSource } from "./errors.ts";
import { FileReadError, nodeFs, readTextFile } from "./files.ts";
import { ensureWarmup } from "./lifecycle.ts";
import { dirname } from "./paths.ts";
import { asObjectModule } from "./object-module.ts";
import { recordEvent, type PreloadState } from "./state.ts";
import { NO_FRAMES } from "./user-frames.ts";

export interface CjsModule {
  exports: unknown;
  filename: string;
  paths: string[];
  loaded: boolean;
  require(id: string): unknown;
  _compile(source: string, filename: string): void;
}
interface ModuleClass {
  new (id: string, parent?: CjsModule | null): CjsModule;
  _nodeModulePaths(dir: string): string[];
}

// node:module is loaded by plugin.ts before any of this runs (a guarded
// package is installed); requiring it again here costs a lookup.
const Module = import.meta.require("node:module") as ModuleClass;
// Guarded CommonJS files run here once per path.
const compiled = new Map<string, CjsModule>();

/** Runs a guarded CommonJS file with real CommonJS semantics, once per path. */
export function loadCommonJs(state: PreloadState, file: string, parent: CjsModule | null): unknown {
  const cached = compiled.get(file);
  if (cached !== undefined) return cached.exports;
  ensureWarmup(state, `plugin ${file}`);
  const module = new Module(file, parent);
  module.filename = file;
  module.paths = Module._nodeModulePaths(dirname(file));
  compiled.set(file, module);
  try {
    module._compile(readTextFile(file), file);
  } catch (error) {
    compiled.delete(file);
    throw error;
  }
  module.loaded = true;
  recordEvent(state, "js-entry-loaded", file);
  return module.exports;
}

// Errors inside plugin callbacks are not reported reliably by every Bun
// (some swallow or crash); a module that throws when evaluated is. It throws
// the very error object, so its class, `code` and printed form (the errors.ts
// block, no frame of the bundle) survive the boundary
// (test/e2e/error-output.test.ts).
export function failingModule(error: unknown) {
  return { contents: throwingSource(error), loader: "js" as const };
}

/**
 * build.module's callback for a guarded bare name whose entry is refused or
 * CommonJS: the whole module, served as an object. (A native entry is served
 * on the start bundle: fast-load.ts serveNative.)
 */
export function serveGuarded(state: PreloadState, guarded: GuardedEntry) {
  if (guarded.kind === "refused") return unservable(guarded.error);
  try {
    return asObjectModule(loadEntry(state, guarded, null, "ERR_MODULE_NOT_FOUND"));
  } catch (failure) {
    return unservable(failure);
  }
}

/**
 * What build.module's callback gives for a module it cannot serve. From
 * 1.2.19 Bun reports an error the callback throws, also to a static named
 * import; a module that throws when evaluated has none of the names, and Bun
 * said "Export named 'setup' not found" instead of the reason
 * (e2e integrity.test.ts, "imported"). Before, a thrown error became
 * "Expected module mock to return an object" (bun-version.ts
 * MODULE_CALLBACK_THROWS): there the module throws when evaluated, which
 * namespace and dynamic imports report (e2e errors.test.ts, "imported").
 */
export function unservable(error: unknown) {
  if (!atLeast(Bun.version, MODULE_CALLBACK_THROWS)) return failingModule(error);
  throw error;
}

/** onLoad's callback for a JavaScript file inside a guarded package. */
export function loadGuardedJs(state: PreloadState, path: string) {
  try {
    if (isEsm(path)) {
      ensureWarmup(state, `plugin ${path}`);
      recordEvent(state, "js-entry-loaded", path);
      return { contents: readTextFile(path), loader: "js" as const };
    }
    return asObjectModule(loadCommonJs(state, path, null));
  } catch (error) {
    return failingModule(error);
  }
}

/** A missing entry's code as a getter: Bun prints an own `code` under the message (errors.ts). */
class EntryNotFound extends Error {
  readonly #code: string;

  constructor(message: string, code: string, options?: { cause: unknown }) {
    super(message, options);
    this.#code = code;
  }

  get code(): string {
    return this.#code;
  }

  /** Built without frames: the wrappers leave its stack alone (user-frames.ts). */
  get [NO_FRAMES](): boolean {
    return true;
  }
}

/** Why a guarded package's entry cannot be loaded when nothing, or a folder, is at its path; undefined when a file is. */
export function entryAbsence(entry: string): string | undefined {
  const stat = nodeFs().statSync(entry, { throwIfNoEntry: false });
  if (stat === undefined) return "the file is not there";
  return stat.isDirectory() ? "it is a folder, not a file" : undefined;
}

/**
 * A guarded package's entry that is not there (or is a folder). Bun's own
 * error named the preload's bundle as the importer of a native entry, and a
 * JavaScript entry failed with the preload's read error and no code; this
 * one says whose entry it is, with the code Bun gives the same require()
 * (MODULE_NOT_FOUND) or import (ERR_MODULE_NOT_FOUND) without the preload,
 * for applications that treat the package as optional (e2e
 * integrity.test.ts, "entry is missing").
 */
export function missingEntryError(name: string, entry: string, why: string, code: "MODULE_NOT_FOUND" | "ERR_MODULE_NOT_FOUND", cause: unknown): Error {
  const debug = debugRequested();
  const limit = Error.stackTraceLimit;
  if (!debug) Error.stackTraceLimit = 0; // no frame of the bundle (errors.ts); the debug variable keeps them and the loader's error
  try {
    return new EntryNotFound(`Cannot find module '${entry}', the entry ${name}'s package.json names: ${why}. Reinstall ${name}.`, code, debug ? { cause } : undefined);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** A guarded package's CommonJS entry, run (loadCommonJs); a missing one is missingEntryError with `code`. */
export function loadEntry(state: PreloadState, { name, entry }: GuardedEntry, parent: CjsModule | null, code: "MODULE_NOT_FOUND" | "ERR_MODULE_NOT_FOUND"): unknown {
  try {
    return loadCommonJs(state, entry, parent);
  } catch (error) {
    // Only a failed read of the entry itself: an error while it runs is the package's.
    const why = error instanceof FileReadError || (error as { path?: unknown } | null)?.path === entry ? entryAbsence(entry) : undefined;
    throw why === undefined ? error : missingEntryError(name, entry, why, code, error);
  }
}

/** The error of a guarded package whose entry is a FIFO or a device (entries.ts). */
export function refusedEntryError(name: string, entry: string): PreloadError {
  return new PreloadError({
    code: "LIBRARY_INVALID",
    what: `refusing to load ${name}: its entry is a FIFO or a device, not a file (reading it would block or never end)`,
    where: { module: name, path: entry },
    next: `Reinstall ${name}: its package entry must be a regular file.`,
  });
}
