// Copies what the core did on its own threads — the warmup, and the repairs
// after loads (lifecycle.ts repairsInBackground) — into this environment's
// state: status(), the events, the repair records. On the start bundle, as
// the first guarded load of a process reads the warmup's report here
// (fast-load.ts guardedDlopen); indexed loops, no Array#map or iterators: a
// builtin's first call is a compilation (docs/performance.md).
import { describeFlags, type Core, type Disposition, type SignalBefore } from "./core.ts";
import { createDebugLog } from "./debug.ts";
import { signalName } from "./signals.ts";
import { appendBounded, recordEvent, type PreloadState } from "./state.ts";

export function describeDisposition(core: Core, disposition: Disposition | undefined): string {
  if (disposition === undefined) return "unknown";
  return `${disposition.handler} flags=${describeFlags(disposition.flags, core.flags)}`;
}

/** The handlers as they were, by signal number, described. */
function describedBefore(core: Core, before: readonly SignalBefore[]): Map<number, string> {
  const described = new Map<number, string>();
  for (let i = 0; i < before.length; i++) described.set(before[i]!.signal, describeDisposition(core, before[i]));
  return described;
}

export function recordRepairs(state: PreloadState, core: Core, changed: readonly number[], before: ReadonlyMap<number, string>, trigger: string): void {
  const log = createDebugLog(state.config?.debug ?? false);
  let names = "";
  for (let i = 0; i < changed.length; i++) {
    const signal = changed[i]!;
    const record = { signal: signalName(signal), before: before.get(signal) ?? "unknown", after: describeDisposition(core, core.query(signal, 0)), trigger };
    appendBounded(state, state.repairs, record);
    log("signal repaired", { signal: record.signal, before: record.before, after: record.after, after_load: trigger });
    names += (names === "" ? "" : ",") + record.signal;
  }
  recordEvent(state, "signals-repaired", `${trigger}: ${names || "nothing changed"}`);
}

/** Copies the core's process-wide warmup report into this environment's state; waits for the warmup when `wait`. */
export function syncWarmup(state: PreloadState, core: Core, wait: boolean): void {
  const report = core.warmupInfo(wait);
  if (report.state === "idle") return;
  const path = state.location?.status === "native" ? state.location.warmup : undefined;
  if (report.state === "running") {
    state.warmup = { status: "running", path };
    return;
  }
  if (state.warmup.status === "done" || state.warmup.status === "failed") return;
  if (report.state === "failed") {
    state.warmup = { status: "failed", path, error: report.message };
    recordEvent(state, "warmup-failed", report.message);
    return;
  }
  state.warmup = {
    status: "done",
    path,
    sha256: report.sha256,
    verifyMicros: report.verifyMicros,
    dlopenMicros: report.dlopenMicros,
    callMicros: report.callMicros,
  };
  recordEvent(state, "warmup-done", path ?? "");
  createDebugLog(state.config?.debug ?? false)("warmup loaded", { path, verify_us: report.verifyMicros, dlopen_us: report.dlopenMicros, call_us: report.callMicros });
  if (report.repaired.length > 0) recordRepairs(state, core, report.repaired, describedBefore(core, report.repairedBefore), "warmup");
}

/** Copies the repair thread's finished passes for this environment into its state (status()). */
export function syncRepairs(state: PreloadState, core: Core, wait: boolean): void {
  const taken = core.repairTake(wait);
  for (let i = 0; i < taken.length; i++) recordRepairs(state, core, taken[i]!.changed, describedBefore(core, taken[i]!.before), taken[i]!.trigger);
}
