// The signal dispositions of the doctor's own process, as the kernel reports
// them in /proc/self/status (SigIgn, SigCgt). No library is loaded to ask:
// that costs the SA_ONSTACK flags and the handler's owner, which only
// sigaction() tells, but keeps the doctor from running any native code.
import { syncWarmup } from "../core-reports.ts";
import { processState } from "../state.ts";
import { describeReadError, readText } from "./read.ts";

export interface SignalReport {
  readonly signal: string;
  readonly number: number;
  readonly disposition: "caught" | "ignored" | "default";
}

export interface SignalsReport {
  readonly checked: boolean;
  readonly reason?: string;
  /** Go runtimes the preload loaded or saw load in this doctor process (0 unless the preload ran in it). */
  readonly goRuntimesLoaded: number;
  /** The preload ran in this very process (bunfig.toml in cwd preloads it). */
  readonly preloadInThisProcess: boolean;
  readonly dispositions: readonly SignalReport[];
}

// Linux numbers (x64 and arm64 agree).
const REPORTED = [
  ["SIGPWR", 30],
  ["SIGUSR1", 10],
  ["SIGPIPE", 13],
  ["SIGURG", 23],
] as const;

/** Pure: the dispositions in a /proc/<pid>/status text; undefined when its masks are missing. */
export function parseSignalMasks(status: string): SignalReport[] | undefined {
  const mask = (name: string) => {
    const match = new RegExp(`^${name}:\\s*([0-9a-fA-F]+)\\s*$`, "m").exec(status);
    return match?.[1] === undefined ? undefined : BigInt(`0x${match[1]}`);
  };
  const ignored = mask("SigIgn");
  const caught = mask("SigCgt");
  if (ignored === undefined || caught === undefined) return undefined;
  return REPORTED.map(([signal, number]) => {
    const bit = 1n << BigInt(number - 1);
    return { signal, number, disposition: (caught & bit) !== 0n ? "caught" : (ignored & bit) !== 0n ? "ignored" : "default" };
  });
}

export function inspectSignals(): SignalsReport {
  const state = processState();
  const preloadInThisProcess = state.phase === "installed";
  // The preload (this package's own, when bunfig.toml in cwd lists it) runs
  // the warmup on its core's thread: wait for it, so the report and the
  // dispositions below are what they will be.
  if (state.core !== undefined) syncWarmup(state, state.core, true);
  const goRuntimesLoaded = (state.warmup.status === "done" ? 1 : 0) + state.guarded.filter((g) => g.goRuntime).length;
  const unchecked = (reason: string): SignalsReport => ({ checked: false, reason, goRuntimesLoaded, preloadInThisProcess, dispositions: [] });
  if (process.platform !== "linux") return unchecked("JavaScriptCore suspends threads with signals only on Linux");
  let status: string;
  try {
    status = readText("/proc/self/status");
  } catch (error) {
    return unchecked(`/proc/self/status cannot be read: ${describeReadError(error)}`);
  }
  const dispositions = parseSignalMasks(status);
  if (dispositions === undefined) return unchecked("/proc/self/status has no SigIgn/SigCgt lines");
  return { checked: true, goRuntimesLoaded, preloadInThisProcess, dispositions };
}
