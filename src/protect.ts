// Step "protect signals": the snapshot, the suspend-handler wrapper and the
// repair plan. It runs on the start path of every process (src/start.ts), so
// its failures are built in the cold half (cold-link.ts).
import type { Core } from "./core.ts";
import { createDebugLog } from "./debug.ts";
import { cold } from "./cold-link.ts";
import { planRepairs, signalName, type SignalPlan } from "./signals.ts";
import { nowMicros, recordEvent, type PreloadState } from "./state.ts";

export function repairPlan(state: PreloadState): SignalPlan {
  return planRepairs(state.config!.signals, Bun.version, process.platform);
}

/**
 * Takes the snapshot and wraps the suspend handlers (process-wide, once),
 * registers this thread, and hands the core the repair plan. Must run before
 * the first Go runtime this process loads.
 */
export function protectSignals(state: PreloadState, core: Core): void {
  if (state.timings.signalsMicros !== undefined) return;
  const config = state.config!;
  const start = nowMicros();
  const signals = repairPlan(state);
  // The first snapshot of the process wins; a Worker's copy finds it taken.
  const tookSnapshot = core.snapshot() === "done";
  const goAlready = tookSnapshot ? core.goRuntimeCount() : 0;
  state.snapshotTainted = goAlready > 0;
  if (config.mechanism === "wrap" && core.wrapSupported && signals.suspend.length > 0) {
    const registered = core.registerThread();
    if (registered !== "done" && registered !== "unchanged") throw cold().signalsFailed("register", registered);
    state.wrapped = [];
    for (const signal of signals.suspend) {
      const result = core.wrapSuspendHandler(signal);
      if (result === "done" || result === "unchanged") state.wrapped.push(signalName(signal));
      else if (result !== "no-handler") throw cold().signalsFailed("wrap", result, signalName(signal));
    }
  }
  // Flags are restored for suspend handlers the wrapper does not cover (the
  // core skips wrapped ones); dispositions (SIGPIPE) always.
  core.setRepairPlan(signals.suspend, signals.dispositions);
  state.timings.signalsMicros = nowMicros() - start;
  const wrapped = state.wrapped.join(",");
  recordEvent(state, "signals-protected", `${wrapped || "no wrapper"}; snapshot ${tookSnapshot ? "taken" : "existed"}`);
  if (config.debug) {
    createDebugLog(true)("signals protected", { wrapped: wrapped || "none", snapshot: tookSnapshot ? "taken" : "existed", us: state.timings.signalsMicros, goRuntimesAlreadyLoaded: goAlready });
  }
  if (state.snapshotTainted) cold().warnTainted(state, goAlready);
}
