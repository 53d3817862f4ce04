// The cold half of the package: everything the start path (start.ts) does
// not run in a default process, required on first use through cold-link.ts.
// Its own bundle, dist/cold.js, shares its modules with dist/api.js (one
// PreloadError class, one plugin state).
import { exitOnStartFailure } from "./errors.ts";
import { install, installFailed } from "./install.ts";
import type { PreloadState } from "./state.ts";

export { loadedCoreProblem } from "./core-load.ts";
export { guardedDlopen, guardedFfiDlopen } from "./guard.ts";
export { afterNativeLoad, ensureCore, signalsFailed, warnTainted, warnUnreportedWarmupFailure } from "./lifecycle.ts";
export { entryAbsence, failingModule, loadEntry, loadGuardedJs, missingEntryError, refusedEntryError, serveGuarded } from "./plugin-serve.ts";

/** The preload entry for every case start.ts does not take: install.ts, with the error block on failure. */
export function startGeneral(): void {
  try {
    install({ by: "preload" });
  } catch (error) {
    exitOnStartFailure(error);
  }
}

/** A failure on start.ts's default path: recorded as install() records it, then the error block and exit. */
export function failStart(state: PreloadState, error: unknown): never {
  exitOnStartFailure(installFailed(state, error));
}
