// Which dispositions to put back after a Go runtime loads, and doing it.
//
// - The thread suspend/resume handler of JavaScriptCore (SIGPWR on Bun 1.2+,
//   SIGUSR1 on 1.0/1.1): Go ORs SA_ONSTACK into it, and on Bun < 1.4 that makes
//   Thread::suspend() retry forever. We restore its pre-Go sigaction. Both
//   signals are listed: restoring a handler to exactly what it was before Go
//   touched it is correct whichever one JSC uses, so no version table is needed.
// - SIGPIPE: Bun ignores it; Go in library mode installs a handler. Restoring
//   SIG_IGN keeps a closed socket an EPIPE error instead of a Go-routed signal.
import { constants } from "node:os";
import type { SignalMode } from "./config.ts";
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

function signalNumber(name: "SIGPWR" | "SIGUSR1" | "SIGPIPE"): number | undefined {
  return (constants.signals as Record<string, number | undefined>)[name];
}

/** Pure: what to repair for a mode, Bun version and platform. */
export function planRepairs(mode: SignalMode, bunVersion: string, platform: string): SignalPlan {
  if (mode === "off" || platform !== "linux") return EMPTY_PLAN;
  const suspend = mode === "force" || isAffected(bunVersion, platform) ? ["SIGPWR", "SIGUSR1"] : [];
  const numbers = (names: readonly ("SIGPWR" | "SIGUSR1" | "SIGPIPE")[]) =>
    names.map(signalNumber).filter((n): n is number => n !== undefined);
  return { suspend: numbers(suspend as ("SIGPWR" | "SIGUSR1")[]), dispositions: numbers(["SIGPIPE"]) };
}

export function signalName(signal: number): string {
  for (const [name, value] of Object.entries(constants.signals)) if (value === signal) return name;
  return `signal ${signal}`;
}

export function describeDisposition(lib: SignalLibrary, disposition: Disposition | undefined): string {
  if (disposition === undefined) return "unknown";
  const handler = disposition.handler === 0n ? "SIG_DFL" : disposition.handler === 1n ? "SIG_IGN" : `0x${disposition.handler.toString(16)}`;
  return `${handler} flags=${describeFlags(disposition.flags, lib.flagValues)}`;
}

/** Applies the plan; returns one record per signal that actually changed. */
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
  for (const signal of plan.suspend) apply(signal, lib.restoreFlags);
  for (const signal of plan.dispositions) apply(signal, lib.restoreDisposition);
  return records;
}
