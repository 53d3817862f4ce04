// asherah-bun-core.node, the package's native code (go/core/), and the one
// module that loads it. Everything above sees this typed surface: names,
// numbers and plain objects; no pointer, struct or bun:ffi trampoline.
//
// The names below are the third column of the X-macro lists in
// go/core/abp.h; test/unit/core-abi.test.ts parses that header and fails when
// the two disagree, and the addon itself hands its lists over (resultNames,
// statNames, warmupErrorNames) so a loaded core is checked too.

/** ABP_ABI_VERSION in go/core/abp.h. */
export const CORE_ABI = 10;
export const CORE_FILE = "asherah-bun-core.node";
export const WARMUP_FILE = "asherah-bun-warmup.so";

export const RESULT_NAMES = [
  "done",
  "unchanged",
  "invalid",
  "syscall-failed",
  "no-snapshot",
  "no-handler",
  "unsupported",
  "no-memory",
  "stack-unknown",
  "not-loaded",
  "foreign",
] as const;
export type CoreResult = (typeof RESULT_NAMES)[number];

export const STAT_NAMES = [
  "calls",
  "switched",
  "offNative",
  "offEpisodes",
  "onAltstack",
  "unregistered",
  "direct",
  "nested",
  "lowHeadroom",
  "altstackErrors",
  "registeredThreads",
  "foreign",
  "held",
  "heldTimedOut",
] as const;
export type WrapStats = Record<(typeof STAT_NAMES)[number], number>;

export const WARMUP_ERROR_NAMES = [
  "ok",
  "open",
  "not-regular",
  "too-large",
  "empty",
  "unsafe",
  "read",
  "checksum",
  "memfd",
  "dlopen",
  "symbol",
  "result",
  "thread",
  "core-checksum",
] as const;
export type WarmupError = (typeof WARMUP_ERROR_NAMES)[number];
export const WARMUP_STATE_NAMES = ["idle", "running", "done", "failed"] as const;
export type WarmupState = (typeof WARMUP_STATE_NAMES)[number];

/** ABP_INTERPOSE_STATS in go/core/abp.h: the dlopen interposer's counters. */
export const INTERPOSE_STAT_NAMES = [
  "slots",
  "loads",
  "passedThrough",
  "failed",
  "refused",
  "warmupWaits",
  "goRuntimeWaits",
  "repairs",
  "dropped",
  "execRanges",
  "execKept",
  "execNotKept",
] as const;
export const LOAD_OUTCOME_NAMES = ["loaded", "failed", "refused"] as const;

/** One load Bun's own dlopen made and the core's hook guarded (go/core/abp_interpose.c). */
export interface InterposedLoad {
  /** The path given to dlopen (its last 255 characters). */
  readonly path: string;
  readonly outcome: (typeof LOAD_OUTCOME_NAMES)[number];
  /** Go runtimes waited for after it: the one the library (or what it links) carries; after a failed load, every one in the process. */
  readonly goRuntimes: number;
  /** Signals the repair put back after it. */
  readonly repaired: readonly number[];
}

export type InterposeStats = Record<(typeof INTERPOSE_STAT_NAMES)[number], number> & {
  /** What the first interpose() of the process returned. */
  readonly result: CoreResult;
  /** Every signal the hook's repairs put back. */
  readonly repaired: readonly number[];
  readonly lastRefused: string;
  /** The first 64 loads of the process. */
  readonly records: readonly InterposedLoad[];
};

export type FlagName = "SA_ONSTACK" | "SA_SIGINFO" | "SA_RESTART" | "SA_NODEFER" | "SA_RESETHAND" | "SA_RESTORER";
const FLAG_NAMES: readonly FlagName[] = ["SA_ONSTACK", "SA_SIGINFO", "SA_RESTART", "SA_NODEFER", "SA_RESETHAND", "SA_RESTORER"];

export interface Disposition {
  /** "SIG_DFL", "SIG_IGN" or the handler's address as "0x…". */
  readonly handler: string;
  readonly flags: number;
}

/** A signal's handler and flags before a repair put them back. */
export type SignalBefore = Disposition & { readonly signal: number };

export interface WarmupReport {
  readonly state: WarmupState;
  readonly error: WarmupError;
  readonly message: string;
  /** sha256 of the bytes that were mapped (empty until done). */
  readonly sha256: string;
  readonly verifyMicros: number;
  readonly dlopenMicros: number;
  readonly callMicros: number;
  /** Signals the warmup thread put back right after Go initialised. */
  readonly repaired: readonly number[];
  /** What those signals had just before (the Go runtime's handler and flags). */
  readonly repairedBefore: readonly SignalBefore[];
}

/** What the package shipped for a core file; undefined for ASHERAH_BUN_PRELOAD_LIBRARY_DIR. */
export interface ShippedFile {
  readonly sha256: string;
  readonly size: number;
}

/** One pass of the repair thread for a load (go/core/abp_repair.c). */
export interface RepairDone {
  readonly trigger: string;
  readonly goRuntimes: number;
  readonly changed: readonly number[];
  readonly before: readonly SignalBefore[];
}

/** What go/core/abp_napi.c exports. */
export interface Core {
  readonly abi: number;
  readonly wrapSupported: boolean;
  readonly warmupExpectedSha256: string;
  readonly warmupMaxBytes: number;
  readonly flags: Readonly<Record<FlagName, number>>;
  readonly resultNames: readonly string[];
  readonly statNames: readonly string[];
  readonly warmupErrorNames: readonly string[];
  /** Records every disposition, once per process: "done" for the call that took it. */
  snapshot(): CoreResult;
  goRuntimeCount(): number;
  /** which: 0 live, 1 snapshot. */
  query(signal: number, which: 0 | 1): Disposition | undefined;
  restoreFlags(signal: number): CoreResult;
  restoreDisposition(signal: number): CoreResult;
  waitGoRuntime(path: string): "go" | "none" | CoreResult;
  /** Waits until every Go runtime in the process has initialised; how many there are. */
  waitAllGoRuntimes(): number;
  /** Whether a loaded object holds a Go runtime, without waiting for it. */
  hasGoRuntime(path: string): "go" | "none" | CoreResult;
  /** The wait for every Go runtime and the repair plan, on the core's repair thread, for this environment. */
  repairLater(trigger: string): CoreResult;
  /** This environment's repairs the repair thread has finished (with wait: after up to 5 s for the pending ones). */
  repairTake(wait: boolean): readonly RepairDone[];
  handlerOwner(signal: number, which: 0 | 1): string;
  registerThread(): CoreResult;
  wrapSuspendHandler(signal: number): CoreResult;
  isWrapped(signal: number): boolean;
  wrapStats(): WrapStats;
  setRepairPlan(restoreFlags: readonly number[], restoreDispositions: readonly number[]): void;
  repairNow(): number[];
  /**
   * Starts verify → map → call on the core's own thread, once per process,
   * after up to graceMs in which nobody asked for it; 0 also ends a grace
   * period in progress. With coreSha256 (64 hex digits, or "") the thread
   * first checks the core's own file against it (error "core-checksum").
   */
  warmupStart(path: string, graceMs: number, coreSha256: string): CoreResult;
  warmupInfo(wait: boolean): WarmupReport;
  /** "" when the file and its folder are safe to load from, else why not. */
  checkPathSafe(path: string): string;
  /** A regular file of at most maxBytes as text; throws (code ABP_READ) otherwise, never blocks. */
  readText(path: string, maxBytes: number): string;
  /** The sha256 of the file this core was loaded from. */
  selfSha256(): string;
  /** A file's size and the bytes its ELF headers say the loader reads (needed 0: not a 64-bit LE ELF file), or why it could not be measured. */
  elfSpan(path: string): { readonly size: number; readonly needed: number } | string;
  /** A watch id (> 0) or why there is none. */
  watchdogArm(ms: number, what: string): number | CoreResult;
  watchdogDisarm(id: number): CoreResult;
  /**
   * Points the GOT slots through which Bun's executable calls dlopen and
   * dlerror at the core's hook, once per process ("done"; "unchanged" after
   * that). "unsupported" (no slot: a static Bun, another platform), "foreign"
   * (another interposer got there first) and "syscall-failed" change nothing.
   * keepExec: Bun's mprotect slot too (go/core/abp_exec_keep.c; Bun 1.0.x).
   */
  interpose(warmupPath: string, packages: readonly string[], warmupMode: "eager" | "lazy" | "off", watchdogMs: number, keepExec: boolean): CoreResult;
  /** ±1 around a load process.dlopen's JS wrapper guards itself; the thread's depth afterwards. */
  guardDepth(delta: 1 | -1): number;
  interposeStats(): InterposeStats;
}

export function describeFlags(flags: number, values: Readonly<Record<FlagName, number>>): string {
  // An indexed loop: this runs on the start bundle (core-reports.ts), where a builtin's first call is a compilation.
  let names = "";
  for (let i = 0; i < FLAG_NAMES.length; i++) {
    const name = FLAG_NAMES[i]!;
    if (name !== "SA_RESTORER" && (flags & values[name]) !== 0) names += (names === "" ? "" : "|") + name;
  }
  return names === "" ? "0" : names;
}
