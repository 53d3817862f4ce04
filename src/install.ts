// The preload in one function: config → locate and load the core → protect
// signals → warm up → repair → install hooks. Safe to call any number of
// times from any number of copies of this package; the work happens once per
// JavaScript environment, and what is process-wide once per process (in the
// core).
import { needsCollectAfterInstall, supportsBackgroundWarmup } from "./bun-version.ts";
import { readConfig, warnUnknownVariables } from "./config.ts";
import { describeError, toPreloadError, type PreloadError } from "./errors.ts";
import { coreAtStart, debugLog, ensureCore, ensureWarmup, PREBUILDS_DIR, protectSignals, startWarmup, WARMUP_GRACE_MS, warmsUpAtStart } from "./lifecycle.ts";
import { installHooks } from "./hooks.ts";
import { markDisabled, nowMicros, processState, recordEvent, type PreloadState } from "./state.ts";

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
  if (state.foreignVersion !== undefined) {
    // Two versions would wrap the same loads and signals twice; the first
    // one protects the process.
    markDisabled(state, `another version (state ${state.foreignVersion}) is installed`);
    if (Bun.isMainThread) {
      process.stderr.write(
        `asherah-bun-preload: warning: another version of asherah-bun-preload was loaded first in this process; this copy (${import.meta.dir}) does nothing.\n` +
          "  Keep one version in the project (npm ls asherah-bun-preload), so the preload that runs is the one you expect.\n",
      );
    }
    return state;
  }
  const start = nowMicros();
  try {
    const config = readConfig(options.env ?? process.env);
    state.config = config;
    warnUnknownVariables(config);
    state.prebuildsDir = PREBUILDS_DIR;
    if (config.disabled) {
      markDisabled(state);
      debugLog(state)("disabled", { by: "ASHERAH_BUN_PRELOAD_DISABLE" });
      return state;
    }
    recordEvent(state, "install-start", `bun ${Bun.version} warmup=${config.warmup} signals=${config.signals}`);
    // The original process.dlopen loads the core, before the hooks wrap it.
    state.originalDlopen = process.dlopen as unknown as NonNullable<PreloadState["originalDlopen"]>;
    // On an affected Bun the snapshot and the suspend-handler wrapper are set
    // up now, in every mode: before any application code can load a Go
    // runtime. On a fixed Bun in lazy or off mode nothing needs the core
    // before the first native load, which loads it first (beforeNativeLoad).
    if (coreAtStart(config)) {
      const core = ensureCore(state);
      if (core !== undefined) protectSignals(state, core);
    }
    if (warmsUpAtStart(config)) {
      // The warmup runs on the core's own thread; the first guarded load
      // waits for it. The flag-restore mechanism leaves JSC's handler
      // unprotected until the restore, and Bun 1.0.x cannot have a Go
      // runtime start under a running application (bun-version.ts
      // supportsBackgroundWarmup): both wait now instead.
      const reason = config.warmup === "lazy" ? `preload (lazy is eager on Bun ${Bun.version})` : "preload (eager)";
      if (config.mechanism === "restore" || !supportsBackgroundWarmup(Bun.version)) {
        try {
          ensureWarmup(state, `${reason}, waited for`);
        } catch {
          // Recorded: a guarded load gets the error, and a process that
          // loads none gets one warning at exit; it does not stop here.
          state.warned = state.warned.filter((key) => key !== "warmup");
        }
      } else {
        startWarmup(state, reason, WARMUP_GRACE_MS);
      }
    } else if (config.warmup === "off") {
      state.warmup.status = "skipped";
    }
    installHooks(state);
    // Bun 1.0.x: garbage from the set-up collected later, while an
    // application's Go module loads, ended in a fault loop: `bun test` hung
    // in every run of one layout of this code. Collecting it now, before any
    // Go code of the application can run, made those runs pass.
    if (needsCollectAfterInstall(Bun.version)) Bun.gc(true);
    state.phase = "installed";
    state.timings.installMicros = nowMicros() - start;
    recordEvent(state, "install-done");
    debugLog(state)("installed", { bun: Bun.version, warmup: config.warmup, signals: config.signals, us: state.timings.installMicros });
    return state;
  } catch (error) {
    throw installFailed(state, error);
  }
}

/**
 * Records a failed install on the state and returns the error to report:
 * always a PreloadError, so every caller (the preload entry, start.ts,
 * api.ts's install()) gets the one printed form of errors.ts, a bug included.
 */
export function installFailed(state: PreloadState, error: unknown): PreloadError {
  const failure = toPreloadError(error);
  state.phase = "failed";
  state.error = describeError(failure);
  recordEvent(state, "install-failed", `${failure.code}: ${state.error}`);
  return failure;
}
