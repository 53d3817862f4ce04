// Where native code really enters a Bun process, and the wrappers that put
// the warmup before it and the signal repair after it:
// - process.dlopen: every require() of a `.node` file goes through it (Bun's
//   plugin onLoad never fires for `.node` files);
// - bun:ffi's dlopen: replacing the export on the module object is seen by
//   application code, including `import { dlopen } from "bun:ffi"`;
// - the JavaScript side (import "asherah", guarded JS entries) is in plugin.ts.
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { afterNativeLoad, beforeNativeLoad } from "./lifecycle.ts";
import { nowMicros, type PreloadState } from "./state.ts";
import { armWatchdog, disarmWatchdog } from "./watchdog.ts";

const requireHere = createRequire(import.meta.url);

type Dlopen = (module: { exports: unknown }, filename: string, flags?: number) => void;

function pathOf(target: unknown): string {
  if (target instanceof URL) return fileURLToPath(target);
  return String(target);
}

export function hookProcessDlopen(state: PreloadState): void {
  if (state.hooks.processDlopen) return;
  const original = process.dlopen as unknown as Dlopen;
  const wrapped: Dlopen = function (this: unknown, module, filename, flags) {
    const file = pathOf(filename);
    const started = nowMicros();
    const guarded = beforeNativeLoad(state, file, "process.dlopen");
    // ASHERAH_BUN_PRELOAD_WATCHDOG_MS: off (0) costs this one test per load.
    const watched = guarded !== undefined && state.config!.watchdogMs > 0 && armWatchdog(state, guarded, file, "process.dlopen");
    let result: void;
    try {
      result = flags === undefined ? original.call(this, module, filename) : original.call(this, module, filename, flags);
    } finally {
      if (watched) disarmWatchdog();
    }
    afterNativeLoad(state, file, "process.dlopen", guarded, started);
    return result;
  };
  (process as unknown as { dlopen: Dlopen }).dlopen = wrapped;
  state.hooks.processDlopen = true;
}

export function hookFfiDlopen(state: PreloadState): void {
  if (state.hooks.ffiDlopen) return;
  const ffi = requireHere("bun:ffi") as { dlopen: (path: unknown, symbols: unknown) => unknown };
  const original = ffi.dlopen;
  const wrapped = function (this: unknown, path: unknown, symbols: unknown) {
    const file = pathOf(path);
    const started = nowMicros();
    const guarded = beforeNativeLoad(state, file, "bun:ffi");
    const watched = guarded !== undefined && state.config!.watchdogMs > 0 && armWatchdog(state, guarded, file, "bun:ffi");
    let result: unknown;
    try {
      result = original.call(this, path, symbols);
    } finally {
      if (watched) disarmWatchdog();
    }
    afterNativeLoad(state, file, "bun:ffi", guarded, started);
    return result;
  };
  ffi.dlopen = wrapped;
  state.hooks.ffiDlopen = true;
}
