// Programmatic entry for processes that cannot use a preload, e.g. binaries
// made with `bun build --compile` (bunfig preloads are not applied there):
//
//   import { install } from "asherah-bun-preload/api";
//   install();               // first line of the entry file, before asherah loads
//   const asherah = require("asherah");
import { install as installOnce, type InstallOptions } from "./install.ts";
import { processState, type EventRecord, type GuardRecord, type Phase, type RepairRecord, type WarmupInfo } from "./state.ts";
import type { Config } from "./config.ts";
import type { InterposeStats, WrapStats } from "./core.ts";
import { planRepairs } from "./signals.ts";
import { syncRepairs, syncWarmup } from "./core-reports.ts";
import { ensureWarmup } from "./lifecycle.ts";

export type { InstallOptions } from "./install.ts";
export type { Config, WarmupMode, SignalMode } from "./config.ts";
export { PreloadError } from "./errors.ts";

export interface Status {
  readonly phase: Phase;
  readonly bunVersion: string;
  readonly config: Config | undefined;
  readonly error: string | undefined;
  readonly installedBy: readonly string[];
  readonly warmup: Readonly<WarmupInfo>;
  /** The native core's path, once loaded. */
  readonly core: string | undefined;
  /** Why this platform runs without the native core (the preload degrades), if it does. */
  readonly nativeUnavailable: string | undefined;
  readonly snapshotTainted: boolean;
  /** How JSC's suspend handler is protected: the signals wrapped, and the wrapper's counters. */
  readonly signals: { readonly mechanism: string; readonly wrapped: readonly string[]; readonly wrapStats: WrapStats | undefined };
  readonly repairs: readonly RepairRecord[];
  readonly guarded: readonly GuardRecord[];
  readonly events: readonly EventRecord[];
  readonly hooks: { readonly processDlopen: boolean; readonly ffiDlopen: false | "interposed" | "wrapped"; readonly plugin: boolean; readonly workers: boolean; readonly virtualModules: readonly string[] };
  /**
   * The core's hook on Bun's own dlopen (hooks.ffiDlopen "interposed"): its
   * counters and the first loads it guarded, process-wide (loads inside
   * process.dlopen's wrapper are in `guarded`/`repairs` instead). Undefined
   * without a core.
   */
  readonly interpose: InterposeStats | undefined;
  /** Records left out of the bounded logs (events, repairs, guarded). */
  readonly dropped: number;
  readonly timings: { readonly installMicros?: number; readonly coreMicros?: number; readonly signalsMicros?: number };
}

function signalMechanism(state: ReturnType<typeof processState>): "wrap" | "restore" | "not needed" | "off" {
  const config = state.config;
  if (config === undefined || config.disabled || config.signals === "off") return "off";
  if (planRepairs(config.signals, Bun.version, process.platform).suspend.length === 0) return "not needed";
  return state.wrapped.length > 0 ? "wrap" : "restore";
}

export function install(options: InstallOptions = {}): Status {
  installOnce({ ...options, by: options.by ?? "api" });
  return status();
}

/**
 * Waits until the Go warmup has completed (it runs on a thread of its own
 * from process start; a guarded load waits for it by itself) and returns the
 * status. Throws the warmup's error when it failed.
 */
export function warmup(): Status {
  ensureWarmup(processState(), "asherah-bun-preload/api warmup()");
  return status();
}

function copyInterposeStats(stats: InterposeStats): InterposeStats {
  return { ...stats, repaired: [...stats.repaired], records: stats.records.map((r) => ({ ...r, repaired: [...r.repaired] })) };
}

/** A copy of what the preload did in this process; safe to JSON.stringify. */
export function status(): Status {
  const state = processState();
  // The warmup runs on the core's thread: report where it is now, without
  // waiting. The repairs after loads run on another (lifecycle.ts
  // repairsInBackground): wait for those, so what status() says about a load
  // that returned is complete.
  if (state.core !== undefined) {
    syncWarmup(state, state.core, false);
    syncRepairs(state, state.core, true);
  }
  return structuredClone({
    phase: state.phase,
    bunVersion: Bun.version,
    config: state.config,
    error: state.error,
    installedBy: state.installedBy,
    warmup: state.warmup,
    core: state.corePath,
    nativeUnavailable: state.native?.reason,
    snapshotTainted: state.snapshotTainted,
    signals: {
      mechanism: signalMechanism(state),
      wrapped: state.wrapped,
      // A copy: objects made by a Node-API addon cannot be structured-cloned on Bun < 1.3.
      wrapStats: state.wrapped.length > 0 && state.core !== undefined ? { ...state.core.wrapStats() } : undefined,
    },
    repairs: state.repairs,
    guarded: state.guarded,
    events: state.events,
    hooks: state.hooks,
    // A copy: objects made by a Node-API addon cannot be structured-cloned on Bun < 1.3.
    interpose: state.core === undefined ? undefined : copyInterposeStats(state.core.interposeStats()),
    dropped: state.dropped,
    timings: state.timings,
  });
}
