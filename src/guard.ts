// The body of every guarded native load (hooks.ts puts the wrappers in
// place): the warmup before, the watchdog around, the wait for Go and the
// repair after. In the cold half (cold-link.ts): it runs at the first native
// load, not at start.
import { dlopenGuardedHere } from "./fast-load.ts";
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

/** process.dlopen, guarded: the body of hooks.ts hookProcessDlopen's wrapper. */
export function guardedDlopen(state: PreloadState, original: Dlopen, self: unknown, module: { exports: unknown }, filename: string, flags: number | undefined): void {
  return guardedLoad(state, filename, "process.dlopen", () => dlopenGuardedHere(state.core, original, self, module, filename, flags));
}

/** bun:ffi's dlopen, guarded: the body of hooks.ts hookFfiDlopen's wrapper, where the core cannot interpose. */
export function guardedFfiDlopen(state: PreloadState, original: FfiDlopen, self: unknown, path: unknown, symbols: unknown): unknown {
  return guardedLoad(state, path, "bun:ffi", () => original.call(self, path, symbols));
}
