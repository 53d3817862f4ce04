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
//   version table is needed. The C side is go/core/abp_signals.c; lifecycle.ts
//   drives it.
// - SIGPIPE: Bun ignores it; Go in library mode installs a handler. Restoring
//   SIG_IGN keeps a closed socket an EPIPE error instead of a Go-routed signal.
import type { SignalMode } from "./config.ts";
import { isAffected } from "./bun-version.ts";

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
/** Pure: what to repair for a mode, Bun version and platform. */
export function planRepairs(mode: SignalMode, bunVersion: string, platform: string): SignalPlan {
  if (mode === "off" || platform !== "linux") return EMPTY_PLAN;
  const suspend = mode === "force" || isAffected(bunVersion, platform) ? [LINUX_SIGNALS.SIGPWR, LINUX_SIGNALS.SIGUSR1] : [];
  return { suspend, dispositions: [LINUX_SIGNALS.SIGPIPE] };
}

export function signalName(signal: number): string {
  // Comparisons, not Object.entries with for…of: the start path names the
  // wrapped signals on affected Bun releases (protect.ts).
  if (signal === LINUX_SIGNALS.SIGPWR) return "SIGPWR";
  if (signal === LINUX_SIGNALS.SIGUSR1) return "SIGUSR1";
  if (signal === LINUX_SIGNALS.SIGPIPE) return "SIGPIPE";
  return `signal ${signal}`;
}
