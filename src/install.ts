// The preload in one function: config → locate library → snapshot signals →
// warm up → repair → install hooks. Safe to call any number of times from any
// number of copies of this package; the work happens once per process.
import { needsCollectAfterInstall } from "./bun-version.ts";
import { readConfig } from "./config.ts";
import { describeError, toPreloadError } from "./errors.ts";
import { debugLog, ensureSignalLibrary, ensureWarmup, PREBUILDS_DIR, signalsAtStart, warmsUpAtStart } from "./lifecycle.ts";
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
    // On an affected Bun the snapshot and the suspend-handler wrapper are set
    // up now, in every mode: before any application code can load a Go
    // runtime, and outside any require() — on Bun 1.0.x a bun:ffi library
    // first opened inside a native module's load can crash on its first call
    // (seen in 8 of 40 lazy-mode runs). On a fixed Bun in lazy or off mode
    // nothing needs it before the first native load, which takes the
    // snapshot first (beforeNativeLoad); a process that never loads native
    // code then pays for no library, checksum or node:fs.
    if (signalsAtStart(config)) ensureSignalLibrary(state);
    if (warmsUpAtStart(config)) ensureWarmup(state, config.warmup === "lazy" ? `preload (lazy is eager on Bun ${Bun.version})` : "preload (eager)");
    else if (config.warmup === "off") state.warmup.status = "skipped";
    hookProcessDlopen(state);
    hookFfiDlopen(state);
    registerPlugin(state);
    hookWorkers(state);
    // Bun 1.0.x: garbage from the set-up (bun:ffi objects among it) collected
    // later, while an application's Go module loads, ended in a fault loop
    // at a freed trampoline address: `bun test` hung in every run of one
    // layout of this code. Collecting it now, before any Go code of the
    // application can run, made those runs pass.
    if (needsCollectAfterInstall(Bun.version)) Bun.gc(true);
    state.phase = "installed";
    state.timings.installMicros = nowMicros() - start;
    recordEvent(state, "install-done");
    debugLog(state)("installed", { bun: Bun.version, warmup: config.warmup, signals: config.signals, us: state.timings.installMicros });
    return state;
  } catch (error) {
    // Always a PreloadError, so every caller (the preload entry, api.ts's
    // install()) gets the one printed form of errors.ts, a bug included.
    const failure = toPreloadError(error);
    state.phase = "failed";
    state.error = describeError(failure);
    recordEvent(state, "install-failed", `${failure.code}: ${state.error}`);
    throw failure;
  }
}
