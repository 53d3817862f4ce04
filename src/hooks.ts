// Where native code really enters a Bun process, and the wrappers that put
// the warmup before it and the signal repair after it:
// - process.dlopen: every require() of a `.node` file goes through it (Bun's
//   plugin onLoad never fires for `.node` files);
// - every load Bun's executable makes (bun:ffi's dlopen on any thread; on
//   Bun 1.0.x a Worker's own process.dlopen): the core rewrites Bun's GOT
//   slots for dlopen and dlerror to a hook of its own
//   (go/core/abp_interpose.c), so bun:ffi is never loaded at start (0.6 ms of
//   the JS thread on 1.4.5, 0.9 ms on 1.2.19, measured in-process); where it
//   cannot (a static Bun, another interposer first) bun:ffi's dlopen export
//   is wrapped instead, which application code sees too, `import { dlopen }
//   from "bun:ffi"` included;
// - the JavaScript side (import "asherah", guarded JS entries) is in plugin.ts.
//
// Both the start path (start.ts) and the general one (install.ts) put them in
// place. The common case of a process.dlopen runs on the start path's bundle
// (fast-load.ts); the full guard (guard.ts) loads with the cold half when a
// load needs more (cold-link.ts).
import { atLeast, BUN_1_1 } from "./bun-version.ts";
import { cold } from "./cold-link.ts";
import type { Core } from "./core.ts";
import { createDebugLog } from "./debug.ts";
import { guardedDlopen } from "./fast-load.ts";
import { fromCallersLine } from "./user-frames.ts";
import { manifestPath } from "./installed.ts";
import { dirname, parentDir } from "./paths.ts";
import { registerPlugin } from "./plugin.ts";
import { protectSignals } from "./protect.ts";
import { recordEvent, type PreloadState } from "./state.ts";
import { hookWorkers } from "./workers.ts";

type Dlopen = (module: { exports: unknown }, filename: string, flags?: number) => void;
type FfiDlopen = (path: unknown, symbols: unknown) => unknown;

/** Step "hooks", the last of both paths (start.ts, install.ts): every place native code enters, then the plugin and the Workers. */
export function installHooks(state: PreloadState): void {
  hookProcessDlopen(state);
  // The core's hook on Bun's own dlopen: bun:ffi is never loaded at start.
  hookFfiDlopen(state);
  pluginWhereInstalled(state);
  hookWorkers(state);
}

export function hookProcessDlopen(state: PreloadState): void {
  if (state.hooks.processDlopen) return;
  const original = process.dlopen as unknown as Dlopen;
  state.originalDlopen ??= original;
  const wrapped: Dlopen = function (this: unknown, module, filename, flags) {
    try {
      return guardedDlopen(state, original, this, module, filename, flags);
    } catch (error) {
      throw fromCallersLine(error, wrapped, state.config?.debug);
    }
  };
  (process as unknown as { dlopen: Dlopen }).dlopen = wrapped;
  state.hooks.processDlopen = true;
}

/**
 * The plugin (plugin.ts), when a guarded package is installed where the
 * application resolves from: a stat per folder up from there (installed.ts)
 * decides whether the resolver and the plugin's registration run at all, so
 * a process without one compiles neither.
 */
export function pluginWhereInstalled(state: PreloadState): void {
  const config = state.config;
  if (state.hooks.plugin || config === undefined) return;
  // The folder the application resolves its packages from: its entry's.
  // Bun.main is absolute and clean, so its parent is one lastIndexOf.
  const main = Bun.main;
  const fromDir = !main ? process.cwd() : main.startsWith("/") ? parentDir(main) : dirname(main);
  for (const name of config.packages) {
    if (manifestPath(name, fromDir) !== undefined) return registerPlugin(state, config, fromDir);
  }
  if (config.debug) createDebugLog(true)("no guarded package installed", { from: fromDir });
}

export function hookFfiDlopen(state: PreloadState): void {
  if (state.hooks.ffiDlopen) return;
  if (interposeDlopen(state)) return;
  // bun:ffi is taken with require(), never with an ESM import: an ESM import
  // would fix the module's namespace before the export is replaced.
  const ffi = import.meta.require("bun:ffi") as { dlopen: FfiDlopen };
  const original = ffi.dlopen;
  ffi.dlopen = function (this: unknown, path: unknown, symbols: unknown) {
    return cold().guardedFfiDlopen(state, original, this, path, symbols);
  };
  state.hooks.ffiDlopen = "wrapped";
}

/**
 * Has the core take over Bun's own dlopen (go/core/abp_interpose.c, ~40 µs;
 * ~0.2 ms on Bun 1.0.36, whose slots are read-only). Loads the core for it
 * when nothing else did yet (a fixed Bun in lazy or off mode: 0.67 ms
 * against 0.59 ms for bun:ffi on 1.4.5, measured in-process), and protects
 * the signals first: the hook repairs after every load from the snapshot.
 * False when the core is not there or cannot interpose; bun:ffi's export is
 * wrapped then.
 */
function interposeDlopen(state: PreloadState): boolean {
  const config = state.config;
  if (config === undefined) return false;
  let core: Core | undefined;
  try {
    // The start path has loaded it; the general path may not have yet.
    core = state.core ?? cold().ensureCore(state);
  } catch {
    return false; // a damaged core: the first native load reports it, as before
  }
  if (core === undefined || state.location?.status !== "native") return false;
  protectSignals(state, core);
  // Bun 1.0.x: bun:ffi's trampolines keep their execute permission when
  // Bun's allocator re-protects the memory around them (go/core/abp_exec_keep.c;
  // e2e ffi-freeze.test.ts).
  const result = core.interpose(state.location.warmup, config.packages, config.warmup, config.watchdogMs, !atLeast(Bun.version, BUN_1_1));
  const interposed = result === "done" || result === "unchanged";
  recordEvent(state, "ffi-dlopen", interposed ? `interposed (${result})` : `wrapped: the core could not interpose (${result})`);
  if (config.debug) createDebugLog(true)("bun's dlopen", { interposed, result });
  if (interposed) state.hooks.ffiDlopen = "interposed";
  return interposed;
}
