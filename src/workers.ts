// Bun does not run preloads inside Workers, and a Worker's process.dlopen is
// its own, unwrapped function: a Worker that loads asherah would get none of
// the guards. Bun >= 1.1 accepts a `preload` option on Worker (both the
// global one and node:worker_threads'), so every Worker created after the
// preload ran gets this package's entry added to it. Bun 1.0.x ignores the
// option; there only the process-wide signal state protects Workers.
import { atLeast, BUN_1_1, BUN_CJS_FORM } from "./bun-version.ts";
import { isEmbeddedPath } from "./guarded.ts";
import { join } from "./paths.ts";
import type { PreloadState } from "./state.ts";

// The preload entry next to this code: src/index.ts; in the published
// package the start bundle itself, dist/preload.cjs, where Bun runs its
// `@bun-cjs` form (1.1.30 on; scripts/build.ts) — a Worker needs no
// dist/index.js in front of it there (test/e2e/bytecode.test.ts) — and
// dist/index.js before that.
// Computed when a Worker is created, not when the module loads: every
// function's first run costs on the start path (start.ts).
export function preloadEntry(): string {
  if (import.meta.path.endsWith(".ts")) return join(import.meta.dir, "index.ts");
  return join(import.meta.dir, atLeast(Bun.version, BUN_CJS_FORM) ? "preload.cjs" : "index.js");
}

type WorkerCtor = new (url: string | URL, options?: Record<string, unknown>) => object;

/** Pure: the options a Worker is created with, with our preload added once. */
export function withPreload(options: Record<string, unknown> | undefined, entry: string): Record<string, unknown> {
  const given = options?.preload;
  const list = given === undefined ? [] : Array.isArray(given) ? given.map(String) : [String(given)];
  return { ...options, preload: list.includes(entry) ? list : [entry, ...list] };
}

function subclass(Base: WorkerCtor): WorkerCtor {
  return class GuardedWorker extends Base {
    constructor(url: string | URL, options?: Record<string, unknown>) {
      super(url, withPreload(options, preloadEntry()));
    }
  };
}

export function workersSupportPreload(bunVersion: string): boolean {
  return atLeast(bunVersion, BUN_1_1);
}

/**
 * Whether Workers can be given this package's entry: not inside a `bun build
 * --compile` binary, which holds no file of the package to preload (Bun's
 * Worker constructor threw a bare "TypeError: undefined" for the missing
 * path). Its Workers run as on Bun 1.0.x: covered by the process-wide
 * suspend-handler wrapper, without hooks of their own
 * (test/e2e/loading.test.ts, "a Worker in a compiled binary").
 */
function canPreloadWorkers(): boolean {
  return workersSupportPreload(Bun.version) && !isEmbeddedPath(import.meta.dir);
}

type RequireFn = (this: unknown, id: string) => unknown;

/** The global Worker gets the preload at once (a property assignment: free). */
export function hookWorkers(state: PreloadState): void {
  if (state.hooks.workers || !canPreloadWorkers()) return;
  const holder = globalThis as unknown as { Worker?: WorkerCtor };
  if (typeof holder.Worker === "function") holder.Worker = subclass(holder.Worker);
  state.hooks.workers = true;
}

/**
 * node:worker_threads costs ~8 ms to load, which every process would pay, and
 * hooking its require() needs node:module (~0.5 ms): its Worker is patched on
 * the application's first require() of it (Module.prototype.require, which
 * every CommonJS require and createRequire goes through), and only in a
 * process where node:module is loaded anyway — one with a guarded package
 * installed (plugin.ts). Elsewhere, and for an ESM `import { Worker } from
 * "node:worker_threads"`, a Worker runs without the preload; the
 * process-wide suspend-handler wrapper still protects it from the hang
 * (docs/how-it-works.md).
 */
export function hookWorkerThreads(state: PreloadState, Module: { prototype: { require: RequireFn } }): void {
  if (!canPreloadWorkers()) return;
  const original = Module.prototype.require;
  let patched = false;
  Module.prototype.require = function (this: unknown, id: string) {
    const exports = original.call(this, id);
    if (!patched && (id === "worker_threads" || id === "node:worker_threads")) {
      patched = true;
      const threads = exports as { Worker: WorkerCtor };
      threads.Worker = subclass(threads.Worker);
      state.hooks.workers = true;
    }
    return exports;
  };
}
