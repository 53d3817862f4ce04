// asherah-bun-core.node, the package's native code (go/core/), and the one
// module that loads it. Everything above sees this typed surface: names,
// numbers and plain objects; no pointer, struct or bun:ffi trampoline.
//
// The names below are the third column of the X-macro lists in
// go/core/abp.h; test/unit/core-abi.test.ts parses that header and fails when
// the two disagree, and the addon itself hands its lists over (resultNames,
// statNames, warmupErrorNames) so a loaded core is checked too.
import { checkElf, describeElfProblem } from "./elf.ts";
import { PreloadError } from "./errors.ts";

/** ABP_ABI_VERSION in go/core/abp.h. */
export const CORE_ABI = 5;
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
  readonly repairedBefore: readonly (Disposition & { readonly signal: number })[];
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
   * period in progress.
   */
  warmupStart(path: string, graceMs: number): CoreResult;
  warmupInfo(wait: boolean): WarmupReport;
  /** "" when the file and its folder are safe to load from, else why not. */
  checkPathSafe(path: string): string;
  /** A regular file of at most maxBytes as text; throws (code ABP_READ) otherwise, never blocks. */
  readText(path: string, maxBytes: number): string;
  /** The sha256 of the file this core was loaded from. */
  selfSha256(): string;
  /** A watch id (> 0) or why there is none. */
  watchdogArm(ms: number, what: string): number | CoreResult;
  watchdogDisarm(id: number): CoreResult;
  /**
   * Points the GOT slots through which Bun's executable calls dlopen and
   * dlerror at the core's hook, once per process ("done"; "unchanged" after
   * that). "unsupported" (no slot: a static Bun, another platform), "foreign"
   * (another interposer got there first) and "syscall-failed" change nothing.
   */
  interpose(warmupPath: string, packages: readonly string[], warmupMode: "eager" | "lazy" | "off", watchdogMs: number): CoreResult;
  /** ±1 around a load process.dlopen's JS wrapper guards itself; the thread's depth afterwards. */
  guardDepth(delta: 1 | -1): number;
  interposeStats(): InterposeStats;
}

type Dlopen = (module: { exports: unknown }, filename: string, flags?: number) => void;

/** The largest core accepted from a library folder of one's own. */
const MAX_CORE_BYTES = 4 << 20;

/** What the package shipped for a core file; undefined for ASHERAH_BUN_PRELOAD_LIBRARY_DIR. */
export interface ShippedFile {
  readonly sha256: string;
  readonly size: number;
}

/**
 * Loads the core from `path` (absolute, inside this package or
 * ASHERAH_BUN_PRELOAD_LIBRARY_DIR) with the original process.dlopen.
 *
 * The core is the bootstrap: nothing native is loaded yet that could check
 * it, and reading it from JavaScript needs node:fs (+4.5 ms at every start).
 * So: before the load a stat through Bun.file (~40 µs): the size must be the
 * shipped size, or for a library folder of one's own 1 byte to 4 MiB; a FIFO
 * or device reports Infinity and is refused, so the load never blocks. After
 * the load, before any of its functions is used, the core hashes its own
 * file (~0.1 ms) and checks that neither the file nor its folder is
 * world-writable. The core is trusted as much as the JavaScript that loads
 * it, which sits in the same package with the same owner
 * (docs/how-it-works.md, "Trust").
 */
export function loadCore(path: string, shipped: ShippedFile | undefined, dlopen: Dlopen): Core {
  const expectedSize = shipped?.size;
  const size = Bun.file(path).size;
  const sizeOk = expectedSize === undefined ? size > 0 && size <= MAX_CORE_BYTES : size === expectedSize;
  if (!sizeOk) {
    const found = size === 0 ? "missing or empty" : Number.isFinite(size) ? `${size} bytes` : "not a regular file (a FIFO or device)";
    throw new PreloadError(
      size === 0 ? "LIBRARY_MISSING" : "LIBRARY_INVALID",
      `the native core ${path} is ${found}${expectedSize === undefined ? "" : `; the package shipped ${expectedSize} bytes`}.`,
      size === 0
        ? "Reinstall asherah-bun-preload (npm/bun install) so its prebuilds/ folder is complete, or check ASHERAH_BUN_PRELOAD_LIBRARY_DIR."
        : "Reinstall asherah-bun-preload (rm -rf node_modules && install), or rebuild the folder with go/build.sh --out DIR.",
    );
  }
  // A core of one's own (ASHERAH_BUN_PRELOAD_LIBRARY_DIR) has no shipped size
  // to compare: its ELF headers are checked against its size before the
  // loader sees it. The loader accepts a truncated file whose headers are
  // intact and the process then dies of SIGBUS (test/e2e/error-output.test.ts,
  // "a corrupt (truncated) library"). node:fs is loaded for this only.
  if (shipped === undefined) {
    // A folder of one's own is checked for other users' write access before
    // the load too (its constructors would run before the core could refuse
    // itself): node:fs is loaded for the ELF check anyway.
    const unsafe = unsafePathOf(path);
    if (unsafe !== undefined) throw unsafeError(unsafe);
    const problem = elfProblemOf(path);
    if (problem !== undefined) {
      throw new PreloadError("LIBRARY_INVALID", `the native core ${path} could not be loaded: ${problem}`, dlopenAdvice(problem), { where: { path } });
    }
  }
  const module = { exports: {} as Core };
  try {
    dlopen(module, path);
  } catch (error) {
    const reason = elfProblemOf(path) ?? (error instanceof Error ? error.message : String(error));
    throw new PreloadError("LIBRARY_INVALID", `the native core ${path} could not be loaded: ${reason}`, dlopenAdvice(reason), { cause: error });
  }
  const core = module.exports;
  if (core.abi !== CORE_ABI) {
    throw new PreloadError(
      "LIBRARY_INVALID",
      `the native core ${path} has ABI version ${String(core.abi)}; this asherah-bun-preload understands ${CORE_ABI}.`,
      "Its prebuilds/ folder and its JavaScript come from different versions: reinstall asherah-bun-preload.",
    );
  }
  if (shipped !== undefined) {
    const actual = core.selfSha256();
    if (actual !== shipped.sha256) {
      throw new PreloadError(
        "CHECKSUM_MISMATCH",
        `refusing the native core ${path}: its sha256 is ${actual}, the package shipped ${shipped.sha256}.`,
        "The file was modified or damaged after installation. Reinstall asherah-bun-preload (rm -rf node_modules && install).",
      );
    }
  }
  const unsafe = core.checkPathSafe(path);
  if (unsafe !== "") throw unsafeError(unsafe);
  return core;
}

function unsafeError(why: string): PreloadError {
  return new PreloadError(
    "LIBRARY_UNSAFE",
    `refusing the native core because ${why}.`,
    "Anyone could replace what runs in every Bun process: remove write access for other users (chmod o-w) or move the library folder.",
  );
}

/**
 * The core's own check (go/core/abp_files.c abp_check_path_safe) before it
 * is loaded: the real path's file and folder must not be writable by every
 * user. Only for a library folder of one's own (node:fs).
 */
function unsafePathOf(path: string): string | undefined {
  const fs = import.meta.require("node:fs") as typeof import("node:fs");
  let real: string;
  try {
    real = fs.realpathSync(path);
  } catch {
    return undefined; // missing: the load reports it
  }
  const worldWritable = (target: string) => (fs.statSync(target).mode & 0o002) !== 0;
  const mode = (target: string) => (fs.statSync(target).mode & 0o7777).toString(8).padStart(3, "0");
  if (worldWritable(real)) return `${real} is writable by every user (mode ${mode(real)})`;
  const folder = real.slice(0, real.lastIndexOf("/")) || "/";
  if (worldWritable(folder)) return `its folder ${folder} is writable by every user (mode ${mode(folder)})`;
  return undefined;
}

/**
 * What is wrong with a library's ELF headers for this process, if anything:
 * the loader's own message for a library of another CPU does not say which
 * one, and a truncated one crashes it. Never on the default start path
 * (node:fs).
 */
function elfProblemOf(path: string): string | undefined {
  try {
    const fs = import.meta.require("node:fs") as typeof import("node:fs");
    const fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    try {
      const stat = fs.fstatSync(fd);
      if (!stat.isFile()) return undefined;
      const head = Buffer.alloc(4096);
      const read = fs.readSync(fd, head, 0, head.length, 0);
      const problem = checkElf(head.subarray(0, read), stat.size, process.arch);
      return problem === undefined ? undefined : describeElfProblem(problem, process.arch);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/** Pure: what to do about a load failure, from the loader's message. */
export function dlopenAdvice(reason: string, platform: string = process.platform, arch: string = process.arch): string {
  if (/GLIBC_\d/.test(reason)) {
    return "This system's glibc is older than the prebuilt libraries need (glibc 2.34 or later: Debian 12, Ubuntu 22.04, RHEL 9). Build them here with `bash go/build.sh --out DIR linux-x64` from the package's go/ folder and set ASHERAH_BUN_PRELOAD_LIBRARY_DIR to DIR.";
  }
  if (/wrong ELF class|ELF file's|invalid ELF header|file too short|not a dynamic|Exec format|built for|not an ELF|truncated/i.test(reason)) {
    return `The file is not a library for ${platform}-${arch}. Reinstall asherah-bun-preload on this machine (node_modules copied from another OS or CPU?), or fix ASHERAH_BUN_PRELOAD_LIBRARY_DIR.`;
  }
  return "Reinstall asherah-bun-preload, or set ASHERAH_BUN_PRELOAD_DEBUG=1 and report the output.";
}

export function describeFlags(flags: number, values: Readonly<Record<FlagName, number>>): string {
  const names = FLAG_NAMES.filter((name) => name !== "SA_RESTORER" && (flags & values[name]) !== 0);
  return names.length === 0 ? "0" : names.join("|");
}
