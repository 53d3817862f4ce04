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
import { cold } from "./cold-link.ts";
import { createDebugLog } from "./debug.ts";
import { hurryWarmup, requireGuarded, serveNative } from "./fast-load.ts";
import { guardedEntries, type GuardedEntry } from "./entries.ts";
import { dirname } from "./paths.ts";
import type { Config } from "./config-defaults.ts";
import type { PreloadState } from "./state.ts";
import { fromCallersLine } from "./user-frames.ts";
import { hookWorkerThreads } from "./workers.ts";
import type { CjsModule } from "./plugin-serve.ts";

// Registration runs at start in every process with a guarded package
// installed; the callbacks' bodies (plugin-serve.ts) only when the
// application loads one (cold-link.ts).

type RequireFn = (this: unknown, id: string) => unknown;
interface ModuleClass {
  prototype: { require: RequireFn };
  createRequire(from: string | URL): RequireFunction;
}
interface RequireFunction {
  (id: string): unknown;
  resolve: ((id: string, options?: { paths?: readonly string[] }) => string) & { paths?: unknown };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Matches JavaScript files inside a guarded package's folder; anchored, so unrelated modules never reach the callback. */
export function guardedJsFilter(packages: readonly string[]): RegExp {
  return new RegExp(`[\\\\/]node_modules[\\\\/](?:${packages.map(escapeRegExp).join("|")})[\\\\/][^?#]*\\.[cm]?js$`);
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
function hookCreateRequireResolve(Module: ModuleClass, names: ReadonlySet<string>): void {
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

/**
 * Registers the plugin for the guarded packages installed where the
 * application resolves from (`fromDir`, its entry's folder). Its one caller,
 * hooks.ts pluginWhereInstalled, has checked that no plugin is registered yet
 * and that a stat found one of the packages; the registration itself
 * (servePackages) compiles only where there is something to serve.
 */
export function registerPlugin(state: PreloadState, config: Config, fromDir: string): void {
  const entries = guardedEntries(config.packages, fromDir);
  // Nothing to serve or intercept (a broken manifest, say): no plugin, no
  // node:module. A guarded package's native code still passes through the
  // process.dlopen guard wherever it is installed (hooks.ts).
  if (entries.length > 0) servePackages(state, config, entries, fromDir);
  else if (config.debug) createDebugLog(true)("no guarded package installed", { from: fromDir });
}

function servePackages(state: PreloadState, config: Config, found: readonly GuardedEntry[], fromDir: string): void {
  const jsGuard = supportsJsEntryGuard(Bun.version);
  const entries: GuardedEntry[] = [];
  const jsPackages: string[] = [];
  const bareNames = new Set<string>();
  for (const entry of found) {
    const js = entry.kind === "commonjs" || entry.kind === "esm";
    if (js && !jsGuard) continue;
    entries.push(entry);
    if (js) jsPackages.push(entry.name);
    if (entry.kind !== "esm") bareNames.add(entry.name);
  }
  const log = createDebugLog(config.debug);
  if (entries.length === 0) {
    log("no guarded package installed", { from: fromDir });
    return;
  }
  // node:module costs ~0.3 ms to load (Bun 1.4.5, docs/performance.md): it
  // is loaded only once a guarded package is installed.
  const Module = import.meta.require("node:module") as ModuleClass;
  // Made on the first import of a native entry, before hookCreateRequireResolve below.
  const createRequire = Module.createRequire;
  let requireHere: ((id: string) => unknown) | undefined;
  hookWorkerThreads(state, Module);
  Bun.plugin({
    name: "asherah-bun-preload",
    setup(build) {
      for (const entry of entries) {
        if (entry.kind === "esm") continue; // Bun imports ESM itself; onLoad below runs the guard first
        // The bare name is served whole: onLoad's object modules lose their
        // named exports on Bun 1.0.x, build.module's do not. A native entry
        // on the start bundle (the cold half only if its load needs the full
        // guard); others by the cold half, the warmup hurried first (no
        // wait: it runs while the cold half loads).
        if (entry.kind === "native") {
          // Called while Bun links the importing module: no frame of the
          // application's to show, so none of ours either (user-frames.ts).
          const serve = () => {
            try {
              return serveNative(state, entry, (requireHere ??= createRequire.call(Module, import.meta.path)));
            } catch (error) {
              throw fromCallersLine(error, serve, state.config?.debug);
            }
          };
          build.module(entry.name, serve);
        } else build.module(entry.name, () => (hurryWarmup(state), cold().serveGuarded(state, entry)));
        if (entry.kind === "refused") continue;
        state.hooks.virtualModules.push(entry.name);
        log("virtual module", { package: entry.name, entry: entry.entry });
      }
      if (jsPackages.length > 0) {
        build.onLoad({ filter: guardedJsFilter(jsPackages) }, ({ path }) => (hurryWarmup(state), cold().loadGuardedJs(state, path)));
        log("javascript entries guarded", { packages: jsPackages.join(",") });
      }
    },
  });

  // require(name) of a guarded bare name is answered from the requiring
  // module's folder (fast-load.ts requireGuarded). build.module above
  // cannot, as it is told no importer; it only serves `import` (see
  // docs/how-it-works.md).
  if (bareNames.size > 0) {
    const original = Module.prototype.require;
    const intercept = function (this: unknown, id: string) {
      if (typeof id !== "string" || !bareNames.has(id)) return original.call(this, id);
      return requireGuarded(state, this as CjsModule | undefined, id, original, fromDir, found, intercept);
    };
    Module.prototype.require = intercept;
    hookCreateRequireResolve(Module, bareNames);
  }
  state.hooks.plugin = true;
}
