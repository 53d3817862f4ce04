// What Go changes that breaks Bun, and putting it right.
//
// - The thread suspend/resume handler of JavaScriptCore (SIGPWR on Bun 1.2+,
//   SIGUSR1 on 1.0/1.1): Go ORs SA_ONSTACK into it, and on Bun < 1.4.4 that makes
//   Thread::suspend() retry forever. Two mechanisms (docs/how-it-works.md):
//   "wrap" (default) puts a small C wrapper with SA_ONSTACK in front of JSC's
//   handler *before* any Go runtime loads; the wrapper runs JSC's handler on
//   the interrupted native stack, or lets JSC back off when the thread is on
//   a goroutine stack. Go leaves a handler that already has SA_ONSTACK alone,
//   so the protection holds for every later Go load, in any thread.
//   "restore" puts the pre-Go sigaction back after each Go load we see.
//   Both signals are listed: whichever one has no handler is skipped, so no
//   version table is needed.
// - SIGPIPE: Bun ignores it; Go in library mode installs a handler. Restoring
//   SIG_IGN keeps a closed socket an EPIPE error instead of a Go-routed signal.
import type { SignalMechanism, SignalMode } from "./config.ts";
import { isAffected } from "./bun-version.ts";
import { describeFlags, type Disposition, type SignalLibrary } from "./native.ts";
import type { RepairRecord } from "./state.ts";

export interface SignalPlan {
  /** Handlers whose pre-Go flags are restored when only the flags changed. */
  readonly suspend: readonly number[];
  /** Signals whose pre-Go SIG_IGN/SIG_DFL is restored when a handler appeared. */
  readonly dispositions: readonly number[];
}

const EMPTY_PLAN: SignalPlan = { suspend: [], dispositions: [] };

// The numbers are the same on Linux x64 and arm64, the only platforms with
// signal work; a table instead of node:os, which costs ~0.5 ms to load.
const LINUX_SIGNALS = { SIGUSR1: 10, SIGPIPE: 13, SIGPWR: 30 } as const;
type SignalName = keyof typeof LINUX_SIGNALS;

function signalNumber(name: SignalName): number {
  return LINUX_SIGNALS[name];
}

/** Pure: what to repair for a mode, Bun version and platform. */
export function planRepairs(mode: SignalMode, bunVersion: string, platform: string): SignalPlan {
  if (mode === "off" || platform !== "linux") return EMPTY_PLAN;
  const suspend: SignalName[] = mode === "force" || isAffected(bunVersion, platform) ? ["SIGPWR", "SIGUSR1"] : [];
  return { suspend: suspend.map(signalNumber), dispositions: [signalNumber("SIGPIPE")] };
}

export function signalName(signal: number): string {
  for (const [name, value] of Object.entries(LINUX_SIGNALS)) if (value === signal) return name;
  return `signal ${signal}`;
}

export function describeDisposition(lib: SignalLibrary, disposition: Disposition | undefined): string {
  if (disposition === undefined) return "unknown";
  const handler = disposition.handler === 0n ? "SIG_DFL" : disposition.handler === 1n ? "SIG_IGN" : `0x${disposition.handler.toString(16)}`;
  return `${handler} flags=${describeFlags(disposition.flags, lib.flagValues)}`;
}

/**
 * Before any Go runtime loads: registers the calling (JS) thread and wraps
 * the suspend handlers. Returns the names of the wrapped signals; empty when
 * the mechanism is "restore", the platform has no wrapper, or nothing to wrap.
 */
export function protectSuspendHandlers(lib: SignalLibrary, plan: SignalPlan, mechanism: SignalMechanism): string[] {
  if (mechanism !== "wrap" || !lib.wrapSupported || plan.suspend.length === 0) return [];
  lib.registerThread();
  return plan.suspend.filter((signal) => lib.wrapSuspendHandler(signal) !== "no-handler").map(signalName);
}

/** After a Go load: applies the plan; returns one record per signal that actually changed. */
export function repairSignals(lib: SignalLibrary, plan: SignalPlan, trigger: string): RepairRecord[] {
  const records: RepairRecord[] = [];
  const apply = (signal: number, restore: (signal: number) => "repaired" | "unchanged") => {
    const before = lib.query(signal, "live");
    if (restore(signal) === "repaired") {
      records.push({
        signal: signalName(signal),
        before: describeDisposition(lib, before),
        after: describeDisposition(lib, lib.query(signal, "live")),
        trigger,
      });
    }
  };
  // A wrapped handler already has SA_ONSTACK, which Go leaves alone: nothing to repair.
  for (const signal of plan.suspend) if (!lib.isWrapped(signal)) apply(signal, lib.restoreFlags);
  for (const signal of plan.dispositions) apply(signal, lib.restoreDisposition);
  return records;
}
