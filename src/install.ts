// The preload in one function: config → locate library → snapshot signals →
// warm up → repair → install hooks. Safe to call any number of times from any
// number of copies of this package; the work happens once per process.
import { readConfig } from "./config.ts";
import { describeError } from "./errors.ts";
import { debugLog, ensureSignalLibrary, ensureWarmup, PREBUILDS_DIR } from "./lifecycle.ts";
import { hookFfiDlopen, hookProcessDlopen } from "./hooks.ts";
import { registerPlugin } from "./plugin.ts";
import { hookWorkers } from "./workers.ts";
import { nowMicros, processState, recordEvent, type PreloadState } from "./state.ts";

export interface InstallOptions {
  /** The environment to read the configuration from (default: process.env). */
  readonly env?: Record<string, string | undefined>;
  /** Who is installing, for status() (default: "api"). */
  readonly by?: string;
}

export function install(options: InstallOptions = {}): PreloadState {
  const state = processState();
  state.installedBy.push(options.by ?? "api");
  if (state.phase !== "not-installed") return state;
  const start = nowMicros();
  try {
    const config = readConfig(options.env ?? process.env);
    state.config = config;
    state.prebuildsDir = PREBUILDS_DIR;
    if (config.disabled) {
      state.phase = "disabled";
      state.warmup.status = "skipped";
      recordEvent(state, "disabled");
      debugLog(state)("disabled", { by: "ASHERAH_BUN_PRELOAD_DISABLE" });
      return state;
    }
    recordEvent(state, "install-start", `bun ${Bun.version} warmup=${config.warmup} signals=${config.signals}`);
    if (config.warmup === "eager") {
      ensureWarmup(state, "preload (eager)");
    } else {
      if (config.warmup === "off") state.warmup.status = "skipped";
      // lazy/off: the snapshot waits for the first native load, so a process
      // that never loads one pays nothing.
      if (config.signals === "force") ensureSignalLibrary(state);
    }
    hookProcessDlopen(state);
    hookFfiDlopen(state);
    registerPlugin(state);
    hookWorkers(state);
    state.phase = "installed";
    state.timings.installMicros = nowMicros() - start;
    recordEvent(state, "install-done");
    debugLog(state)("installed", { bun: Bun.version, warmup: config.warmup, signals: config.signals, us: state.timings.installMicros });
    return state;
  } catch (error) {
    state.phase = "failed";
    state.error = describeError(error);
    recordEvent(state, "install-failed", state.error);
    throw error;
  }
}
