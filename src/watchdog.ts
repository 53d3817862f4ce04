// The hang watchdog (opt-in: ASHERAH_BUN_PRELOAD_WATCHDOG_MS=<ms>). Around a
// guarded module's native load, a native thread in the core
// (go/core/abp_watchdog.c) waits for the load to return. If it does not
// within the limit, that thread — not the frozen JavaScript thread — prints a
// diagnosis (which module, whether a signal storm is visible, the suspend
// handlers' flags, what to do) and ends the process with exit status 70.
// Every load has its own watch and deadline, so two loads that overlap in two
// Workers never share one (test/e2e/hostile.test.ts, "overlapping guarded loads").
//
// Cost when off: the hooks test `watchdogMs > 0` once per native load and
// never call into this module.
import { describeError } from "./errors.ts";
import { debugLog, ensureCore, warnOnce } from "./lifecycle.ts";
import type { PreloadState } from "./state.ts";

/** The exit status of a process the watchdog ended (EX_SOFTWARE). */
export const WATCHDOG_EXIT_STATUS = 70;

function warnUnavailable(state: PreloadState, reason: string): void {
  state.watchdog.unavailable ??= reason;
  warnOnce(
    state,
    "watchdog",
    `asherah-bun-preload: warning: ASHERAH_BUN_PRELOAD_WATCHDOG_MS is set, but the watchdog is unavailable: ${reason}\n` +
      "  Guarded modules load without it. Reinstall asherah-bun-preload, or unset ASHERAH_BUN_PRELOAD_WATCHDOG_MS.\n",
  );
}

/**
 * Starts watching a guarded load on the calling thread. Returns the watch id,
 * which the caller hands to disarmWatchdog() once the load returns (or
 * throws). Never throws: a watchdog that cannot start is reported once and
 * the load goes ahead unwatched.
 */
export function armWatchdog(state: PreloadState, packageName: string, file: string, via: string): number | undefined {
  const ms = state.config?.watchdogMs ?? 0;
  if (ms <= 0) return undefined;
  let id: ReturnType<NonNullable<PreloadState["core"]>["watchdogArm"]>;
  try {
    const core = ensureCore(state);
    if (core === undefined) {
      warnUnavailable(state, state.native?.reason ?? `not supported on ${process.platform}`);
      return undefined;
    }
    id = core.watchdogArm(ms, `loading ${packageName} (${file}) via ${via} on Bun ${Bun.version}`);
  } catch (error) {
    warnUnavailable(state, describeError(error));
    return undefined;
  }
  if (typeof id !== "number") {
    warnUnavailable(state, id === "unsupported" ? `not supported on ${process.platform}` : `the core could not arm it (${id})`);
    return undefined;
  }
  debugLog(state)("watchdog armed", { package: packageName, ms, id });
  return id;
}

export function disarmWatchdog(state: PreloadState, id: number): void {
  state.core?.watchdogDisarm(id);
}
