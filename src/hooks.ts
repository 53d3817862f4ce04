// Where native code really enters a Bun process, and the wrappers that put
// the warmup before it and the signal repair after it:
// - process.dlopen: every require() of a `.node` file goes through it (Bun's
//   plugin onLoad never fires for `.node` files);
// - bun:ffi's dlopen: replacing the export on the module object is seen by
//   application code, including `import { dlopen } from "bun:ffi"`;
// - the JavaScript side (import "asherah", guarded JS entries) is in plugin.ts.
import { afterNativeLoad, beforeNativeLoad } from "./lifecycle.ts";
import { nowMicros, type PreloadState } from "./state.ts";
import { armWatchdog, disarmWatchdog } from "./watchdog.ts";

type Dlopen = (module: { exports: unknown }, filename: string, flags?: number) => void;
type FfiDlopen = (path: unknown, symbols: unknown) => unknown;

function pathOf(target: unknown): string {
  // file: URLs only; node:url would cost a module load at every start.
  if (target instanceof URL) return decodeURIComponent(target.pathname);
  return String(target);
}

/**
 * One native load, guarded: warmup before, watchdog around, wait-for-Go and
 * repair after — after a load that throws too: a Go library whose runtime
 * started before a later step failed (a missing bun:ffi symbol, a `.so` that
 * is not a Node-API module) changed the signals all the same
 * (test/e2e/failed-load.test.ts).
 */
function guardedLoad<T>(state: PreloadState, target: unknown, via: "process.dlopen" | "bun:ffi", load: () => T): T {
  const file = pathOf(target);
  const started = nowMicros();
  const guarded = beforeNativeLoad(state, file, via);
  // ASHERAH_BUN_PRELOAD_WATCHDOG_MS: off (0) costs this one test per load.
  const watch = guarded !== undefined && state.config!.watchdogMs > 0 ? armWatchdog(state, guarded, file, via) : undefined;
  let failed = true;
  try {
    const result = load();
    failed = false;
    return result;
  } finally {
    if (watch !== undefined) disarmWatchdog(state, watch);
    afterNativeLoad(state, file, via, guarded, started, failed);
  }
}

/** process.dlopen, guarded; the body of the wrapper hookProcessDlopen and start.ts install. */
export function guardedDlopen(state: PreloadState, original: Dlopen, self: unknown, module: { exports: unknown }, filename: string, flags: number | undefined): void {
  return guardedLoad(state, filename, "process.dlopen", () =>
    flags === undefined ? original.call(self, module, filename) : original.call(self, module, filename, flags),
  );
}

/** bun:ffi's dlopen, guarded. */
export function guardedFfiDlopen(state: PreloadState, original: FfiDlopen, self: unknown, path: unknown, symbols: unknown): unknown {
  return guardedLoad(state, path, "bun:ffi", () => original.call(self, path, symbols));
}

export function hookProcessDlopen(state: PreloadState): void {
  if (state.hooks.processDlopen) return;
  const original = process.dlopen as unknown as Dlopen;
  state.originalDlopen ??= original;
  const wrapped: Dlopen = function (this: unknown, module, filename, flags) {
    return guardedDlopen(state, original, this, module, filename, flags);
  };
  (process as unknown as { dlopen: Dlopen }).dlopen = wrapped;
  state.hooks.processDlopen = true;
}

export function hookFfiDlopen(state: PreloadState): void {
  if (state.hooks.ffiDlopen) return;
  // bun:ffi is taken with require(), never with an ESM import: an ESM import
  // would fix the module's namespace before the export is replaced.
  const ffi = import.meta.require("bun:ffi") as { dlopen: FfiDlopen };
  const original = ffi.dlopen;
  ffi.dlopen = function (this: unknown, path: unknown, symbols: unknown) {
    return guardedFfiDlopen(state, original, this, path, symbols);
  };
  state.hooks.ffiDlopen = true;
}
