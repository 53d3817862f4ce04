// The JavaScript side of the load hooks: a Bun.plugin named
// "asherah-bun-preload" plus a narrow require() intercept.
//
// What Bun allows (measured on 1.0.36, 1.1.45, 1.2.19, 1.2.23, 1.3.14, 1.4.0,
// 1.4.5; docs/how-it-works.md):
// - onLoad never fires for `.node` files, so native loads are guarded in
//   hooks.ts (process.dlopen) instead;
// - a bare specifier such as "asherah" can only be taken over with
//   build.module; that is what makes `import { encrypt } from "asherah"` work
//   (plain Bun refuses ESM imports of a `.node` entry);
// - onLoad cannot hand a CommonJS file back to Bun: returned source is
//   wrapped but never run. A guarded CommonJS file is therefore compiled here
//   with Module#_compile, once per path, and returned as an object module;
// - a process that both imports and requires a plugin-provided module fails
//   on Bun <= 1.2 ("Requested module is already fetched") and runs the
//   callback twice on 1.3+. require() of a guarded bare name is answered
//   directly (Module.prototype.require, which every require form goes
//   through), so both forms share one instance on every version.
import { supportsJsEntryGuard } from "./bun-version.ts";
import { readTextFile as readFileText } from "./files.ts";
import { PreloadError, throwingSource } from "./errors.ts";
import { debugLog, ensureWarmup } from "./lifecycle.ts";
import { dirname, join } from "./paths.ts";
import { readManifest, resolvePackageEntry } from "./resolve.ts";
import { recordEvent, type PreloadState } from "./state.ts";
import { hookWorkerThreads } from "./workers.ts";

interface CjsModule {
  exports: unknown;
  filename: string;
  paths: string[];
  loaded: boolean;
  require(id: string): unknown;
  _compile(source: string, filename: string): void;
}
interface ModuleClass {
  new (id: string, parent?: CjsModule | null): CjsModule;
  prototype: CjsModule;
  _nodeModulePaths(dir: string): string[];
  createRequire(from: string | URL): RequireFunction;
}
interface RequireFunction {
  (id: string): unknown;
  resolve: ((id: string, options?: { paths?: readonly string[] }) => string) & { paths?: unknown };
}
// node:module costs ~0.5 ms to load (Bun 1.4.5, docs/performance.md): it is
// loaded only once a guarded package is installed, never in a process that
// has none to guard.
let Module: ModuleClass;
// A require() of this file's own: Bun 1.0.36 hung `bun test` when the
// virtual module below loaded the addon with import.meta.require instead.
let requireHere: RequireFunction;

export interface GuardedEntry {
  readonly name: string;
  readonly entry: string;
  readonly kind: "native" | "commonjs" | "esm" | "refused";
  /** Why a "refused" entry is not loaded. */
  readonly error?: PreloadError;
}

function isEsm(file: string): boolean {
  if (file.endsWith(".mjs")) return true;
  if (file.endsWith(".cjs")) return false;
  // The nearest package.json decides for .js files; read as text from a
  // regular file only (resolve.ts readManifest), never a FIFO or a folder.
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const manifest = readManifest(join(dir, "package.json"));
    if (manifest.kind === "text") {
      try {
        return (JSON.parse(manifest.text) as { type?: unknown } | null)?.type === "module";
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
    const error = new PreloadError({
      code: "LIBRARY_INVALID",
      what: `refusing to load ${name}: its entry is a FIFO or a device, not a file (reading it would block or never end)`,
      where: { module: name, path: found.entry },
      next: `Reinstall ${name}: its package entry must be a regular file.`,
    });
    return { name, entry: found.entry, kind: "refused", error };
  }
  const kind = found.entry.endsWith(".node") ? "native" : isEsm(found.entry) ? "esm" : "commonjs";
  return { name, entry: found.entry, kind };
}

/** Resolves each guarded package once, from the application's folder. */
export function guardedEntries(packages: readonly string[], fromDir: string): GuardedEntry[] {
  return packages.flatMap((name) => guardedEntry(name, fromDir) ?? []);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Matches JavaScript files inside a guarded package's folder; anchored, so unrelated modules never reach the callback. */
export function guardedJsFilter(packages: readonly string[]): RegExp {
  return new RegExp(`[\\\\/]node_modules[\\\\/](?:${packages.map(escapeRegExp).join("|")})[\\\\/][^?#]*\\.[cm]?js$`);
}

/**
 * The module object as Bun's object loader wants it: every own property name,
 * non-enumerable ones included (node-addon-api's Napi::Addon defines the real
 * asherah 3.x exports without napi_enumerable, so Object.keys() is empty and a
 * spread would lose every named import: loading.test.ts "import forms"), and
 * `default` = the module object itself, as Node gives ESM importers of a
 * CommonJS module; a transpiled ES module (__esModule) keeps its own default.
 */
export function asObjectModule(exports: unknown): { loader: "object"; exports: Record<string, unknown> } {
  const served: Record<string, unknown> = {};
  if ((typeof exports === "object" && exports !== null) || typeof exports === "function") {
    const record = exports as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(record)) served[name] = record[name];
    const esModule = record.__esModule === true && "default" in record;
    served.default = esModule ? record.default : exports;
  } else {
    served.default = exports;
  }
  return { loader: "object", exports: served };
}

function folderOf(from: unknown): string | undefined {
  const text = from instanceof URL ? from.href : typeof from === "string" ? from : undefined;
  if (text === undefined) return undefined;
  if (text.startsWith("file:")) return dirname(Bun.fileURLToPath(text));
  if (!text.startsWith("/")) return undefined;
  return text.endsWith("/") ? text.slice(0, -1) : dirname(text);
}

/**
 * With build.module registered, every require.resolve(name) returns the bare
 * name (1.0.36 – 1.4.5): Bun answers it from the virtual module table, and
 * neither Module._resolveFilename nor any shared function is consulted — each
 * CommonJS module's require.resolve is its own native function. The one that
 * can be reached is createRequire's: on Bun >= 1.2 a wrapped
 * Module.createRequire is what `import { createRequire } from "node:module"`
 * gets, so its resolve() answers guarded names with Bun.resolveSync, which
 * still returns the real path (docs/how-it-works.md; nested-copies in
 * real-world.test.ts).
 */
function hookCreateRequireResolve(names: ReadonlySet<string>): void {
  const original = Module.createRequire;
  Module.createRequire = function (this: unknown, from: string | URL): RequireFunction {
    const req = original.call(this, from);
    const base = folderOf(from);
    const resolveOriginal = req.resolve;
    if (base === undefined || typeof resolveOriginal !== "function") return req;
    const resolve = function (this: unknown, id: string, options?: { paths?: readonly string[] }): string {
      if (typeof id === "string" && names.has(id)) {
        for (const dir of options?.paths ?? [base]) {
          try {
            return Bun.resolveSync(id, dir);
          } catch {
            // not installed from there: try the next folder, then Bun's answer
          }
        }
      }
      return resolveOriginal.call(this, id, options);
    };
    req.resolve = Object.assign(resolve, { paths: resolveOriginal.paths });
    return req;
  };
}

export function registerPlugin(state: PreloadState): void {
  if (state.hooks.plugin) return;
  const config = state.config;
  if (config === undefined) return;
  const fromDir = Bun.main ? dirname(Bun.main) : process.cwd();
  const jsGuard = supportsJsEntryGuard(Bun.version);
  const entries = guardedEntries(config.packages, fromDir).filter((e) => e.kind === "native" || e.kind === "refused" || jsGuard);
  const log = debugLog(state);
  // Nothing to serve or intercept: no plugin, no node:module. A guarded
  // package's native code still passes through the process.dlopen guard
  // wherever it is installed (hooks.ts).
  if (entries.length === 0) {
    log("no guarded package installed", { from: fromDir });
    return;
  }
  Module = import.meta.require("node:module") as ModuleClass;
  requireHere = Module.createRequire(import.meta.url);
  hookWorkerThreads(state, Module);
  const compiled = new Map<string, CjsModule>();

  // Runs a guarded CommonJS file with real CommonJS semantics, once per path.
  const loadCommonJs = (file: string, parent: CjsModule | null): unknown => {
    const cached = compiled.get(file);
    if (cached !== undefined) return cached.exports;
    ensureWarmup(state, `plugin ${file}`);
    const module = new Module(file, parent);
    module.filename = file;
    module.paths = Module._nodeModulePaths(dirname(file));
    compiled.set(file, module);
    try {
      module._compile(readFileText(file), file);
    } catch (error) {
      compiled.delete(file);
      throw error;
    }
    module.loaded = true;
    recordEvent(state, "js-entry-loaded", file);
    return module.exports;
  };

  // Errors inside plugin callbacks are not reported reliably by every Bun
  // (some swallow or crash); a module that throws when evaluated is. It
  // throws the very error object, so its class, `code` and printed form (the
  // errors.ts block, no frame of the bundle) survive the boundary
  // (test/e2e/error-output.test.ts).
  const failingModule = (error: unknown) => ({ contents: throwingSource(error), loader: "js" as const });

  const jsPackages = entries.filter((e) => e.kind === "commonjs" || e.kind === "esm").map((e) => e.name);
  Bun.plugin({
    name: "asherah-bun-preload",
    setup(build) {
      for (const { name, entry, kind, error } of entries) {
        if (kind === "esm") continue; // Bun imports ESM itself; onLoad below runs the guard first
        if (kind === "refused") {
          build.module(name, () => failingModule(error));
          continue;
        }
        // The bare name is served whole: onLoad's object modules lose their
        // named exports on Bun 1.0.x, build.module's do not.
        build.module(name, () => {
          if (kind === "commonjs") {
            try {
              return asObjectModule(loadCommonJs(entry, null));
            } catch (error) {
              return failingModule(error);
            }
          }
          // require() by absolute path goes through process.dlopen, i.e.
          // through the native guard, exactly like require(name) would.
          const exports = requireHere(entry);
          recordEvent(state, "virtual-module", `${name} -> ${entry}`);
          return asObjectModule(exports);
        });
        state.hooks.virtualModules.push(name);
        log("virtual module", { package: name, entry });
      }
      if (jsPackages.length > 0) {
        build.onLoad({ filter: guardedJsFilter(jsPackages) }, ({ path }) => {
          try {
            if (isEsm(path)) {
              ensureWarmup(state, `plugin ${path}`);
              recordEvent(state, "js-entry-loaded", path);
              return { contents: readFileText(path), loader: "js" };
            }
            return asObjectModule(loadCommonJs(path, null));
          } catch (error) {
            return failingModule(error);
          }
        });
        log("javascript entries guarded", { packages: jsPackages.join(",") });
      }
    },
  });

  // require(name) of a guarded bare name, answered from the requiring
  // module's own folder as Node (and Bun without the preload) would: a
  // dependency's nested node_modules/<name> is its own copy, not the app's
  // (e2e real-world.test.ts "nested copies"). build.module above cannot, as it
  // is told no importer; it only serves `import` (see docs/how-it-works.md).
  const bareNames = new Set(entries.filter((e) => e.kind !== "esm").map((e) => e.name));
  if (bareNames.size > 0) {
    const original = Module.prototype.require;
    const byFolder = new Map<string, GuardedEntry | null>();
    const entryFrom = (name: string, dir: string): GuardedEntry | undefined => {
      const key = `${name}\0${dir}`;
      let found = byFolder.get(key);
      if (found === undefined) {
        const entry = guardedEntry(name, dir);
        found = entry !== undefined && (entry.kind === "native" || entry.kind === "refused" || jsGuard) ? entry : null;
        byFolder.set(key, found);
      }
      return found ?? undefined;
    };
    Module.prototype.require = function (this: CjsModule | undefined, id: string) {
      if (typeof id !== "string" || !bareNames.has(id)) return original.call(this, id);
      const filename = this?.filename;
      const guarded = entryFrom(id, typeof filename === "string" && filename.startsWith("/") ? dirname(filename) : fromDir);
      // Not installed where the caller looks (or refused): Bun answers, as it would without us.
      if (guarded === undefined || guarded.kind === "esm") return original.call(this, id);
      if (guarded.kind === "refused") throw guarded.error;
      return guarded.kind === "native" ? original.call(this, guarded.entry) : loadCommonJs(guarded.entry, this ?? null);
    };
    hookCreateRequireResolve(bareNames);
  }
  state.hooks.plugin = true;
}
