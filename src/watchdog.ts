// The hang watchdog (opt-in: ASHERAH_BUN_PRELOAD_WATCHDOG_MS=<ms>). Around a
// guarded module's native load, a native thread in asherah-bun-signals
// (go/signals/abp_watchdog.c) waits for the load to return. If it does not
// within the limit, that thread — not the frozen JavaScript thread — prints a
// diagnosis (which module, whether a signal storm is visible, the suspend
// handlers' flags, what to do) and ends the process with exit status 70.
//
// Cost when off: the hooks test `watchdogMs > 0` once per native load and
// never call into this module; nothing is loaded or bound.
import { describeError } from "./errors.ts";
import { debugLog, prebuildLocation, verifyLibrary } from "./lifecycle.ts";
import { openWatchdogLibrary, type WatchdogLibrary } from "./native.ts";
import type { PreloadState } from "./state.ts";

/** The exit status of a process the watchdog ended (EX_SOFTWARE). */
export const WATCHDOG_EXIT_STATUS = 70;

/** The signal helper library's path, verified the way lifecycle.ts verifies it before its own load. */
function verifiedLibraryPath(state: PreloadState): string {
  if (state.signalLibraryPath !== undefined) return state.signalLibraryPath; // verified and loaded already
  const location = prebuildLocation(state);
  if (location.signals === undefined) throw new Error(`there is no signal helper library for ${process.platform}-${process.arch}`);
  verifyLibrary(state, location.signals, "signal helper library");
  return location.signals;
}

function warnUnavailable(state: PreloadState, reason: string): void {
  if (state.watchdog.unavailable !== undefined) return;
  state.watchdog.unavailable = reason;
  process.stderr.write(
    `asherah-bun-preload: warning: ASHERAH_BUN_PRELOAD_WATCHDOG_MS is set, but the watchdog is unavailable: ${reason}\n` +
      "  Guarded modules load without it. Reinstall asherah-bun-preload, or unset ASHERAH_BUN_PRELOAD_WATCHDOG_MS.\n",
  );
}

function open(state: PreloadState): WatchdogLibrary | undefined {
  const watchdog = state.watchdog;
  if (watchdog.library !== undefined || watchdog.unavailable !== undefined) return watchdog.library;
  try {
    watchdog.library = openWatchdogLibrary(verifiedLibraryPath(state));
  } catch (error) {
    warnUnavailable(state, describeError(error));
  }
  return watchdog.library;
}

/**
 * Starts watching a guarded load on the calling thread. Returns true when
 * armed; the caller must then call disarmWatchdog() once the load returns
 * (or throws). Never throws: a watchdog that cannot start is reported once
 * and the load goes ahead unwatched.
 */
export function armWatchdog(state: PreloadState, packageName: string, file: string, via: string): boolean {
  const ms = state.config?.watchdogMs ?? 0;
  if (ms <= 0) return false;
  const lib = open(state);
  if (lib === undefined) return false;
  const code = lib.arm(ms, `loading ${packageName} (${file}) via ${via} on Bun ${Bun.version}`);
  if (code < 0) {
    warnUnavailable(state, code === -4 ? `not supported on ${process.platform}` : `abp_watchdog_arm returned ${code}`);
    return false;
  }
  debugLog(state)("watchdog armed", { package: packageName, ms });
  return true;
}

export function disarmWatchdog(state: PreloadState): void {
  state.watchdog.library?.disarm();
}
