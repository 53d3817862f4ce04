// Programmatic entry for processes that cannot use a preload, e.g. binaries
// made with `bun build --compile` (bunfig preloads are not applied there):
//
//   import { install } from "asherah-bun-preload/api";
//   install();               // first line of the entry file, before asherah loads
//   const asherah = require("asherah");
import { install as installOnce, type InstallOptions } from "./install.ts";
import { processState, type EventRecord, type GuardRecord, type Phase, type RepairRecord, type WarmupInfo } from "./state.ts";
import type { Config } from "./config.ts";
import type { WrapStats } from "./native.ts";
import { planRepairs } from "./signals.ts";

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
  readonly signalLibrary: string | undefined;
  readonly snapshotTainted: boolean;
  /** How JSC's suspend handler is protected: the signals wrapped, and the wrapper's counters. */
  readonly signals: { readonly mechanism: string; readonly wrapped: readonly string[]; readonly wrapStats: WrapStats | undefined };
  readonly repairs: readonly RepairRecord[];
  readonly guarded: readonly GuardRecord[];
  readonly events: readonly EventRecord[];
  readonly hooks: { readonly processDlopen: boolean; readonly ffiDlopen: boolean; readonly plugin: boolean; readonly workers: boolean; readonly virtualModules: readonly string[] };
  readonly timings: { readonly installMicros?: number; readonly signalsMicros?: number };
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

/** A copy of what the preload did in this process; safe to JSON.stringify. */
export function status(): Status {
  const state = processState();
  return structuredClone({
    phase: state.phase,
    bunVersion: Bun.version,
    config: state.config,
    error: state.error,
    installedBy: state.installedBy,
    warmup: state.warmup,
    signalLibrary: state.signalLibraryPath,
    snapshotTainted: state.snapshotTainted,
    signals: {
      mechanism: signalMechanism(state),
      wrapped: state.wrapped,
      wrapStats: state.wrapped.length > 0 ? state.signalLibrary?.wrapStats() : undefined,
    },
    repairs: state.repairs,
    guarded: state.guarded,
    events: state.events,
    hooks: state.hooks,
    timings: state.timings,
  });
}
