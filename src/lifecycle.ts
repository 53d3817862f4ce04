// The steps every entry point shares, in the order the data flows:
// locate → verify and load the core → protect signals → warm up → repair.
// Each step is idempotent and records what it did on the state object, so
// the eager path (at preload time) and the lazy path (inside a load hook) are
// the same code. Process-wide work is idempotent in the core itself: a
// Worker's copy of the preload finds it done.
import { CORE_FILE, type Core } from "./core.ts";
import { describeDisposition, recordRepairs, syncWarmup } from "./core-reports.ts";
import { loadCore } from "./core-load.ts";
import { createDebugLog, type DebugLog } from "./debug.ts";
import { PreloadError, type PreloadErrorCode } from "./errors.ts";
import { guardedPackageOf, isEmbeddedPath } from "./guarded.ts";
import { blockingFile, finishInBackground, guardedOf, recordLoadDone, repairsInBackground, truncatedNative } from "./fast-load.ts";
import { WARMUP_GRACE_MS } from "./warmup-grace.ts";
import { join } from "./paths.ts";
import { currentPlatform, detectLibc, GLIBC_NEEDED, locatePrebuilds, MUSL_REASON, oldGlibcReason, runningGlibc } from "./platform.ts";
import { SHIPPED } from "./shipped.ts";
import { planRepairs, signalName } from "./signals.ts";
import { protectSignals, repairPlan } from "./protect.ts";
import { appendBounded, nowMicros, recordEvent, type PreloadState } from "./state.ts";
import { atLeast, BUN_1_1, isAffected, supportsLazyWarmup } from "./bun-version.ts";
import { fileContains } from "./files.ts";
import type { Config } from "./config.ts";

export { guardedPackageOf, protectSignals, WARMUP_GRACE_MS };

export const PREBUILDS_DIR = join(import.meta.dir, "..", "prebuilds");

export function debugLog(state: PreloadState): DebugLog {
  return createDebugLog(state.config?.debug ?? false);
}

/** Inside a `bun build --compile` binary, modules live in Bun's embedded file system. */
export function insideCompiledBinary(dir: string = PREBUILDS_DIR): boolean {
  return isEmbeddedPath(dir);
}

/** Whether install() loads the core, rather than the first native load. */
export function coreAtStart(config: Config): boolean {
  return warmsUpAtStart(config) || planRepairs(config.signals, Bun.version, process.platform).suspend.length > 0;
}

/** Whether install() starts the warmup itself, rather than the first guarded load. */
export function warmsUpAtStart(config: Config): boolean {
  // Lazy is eager on Bun 1.0.x (supportsLazyWarmup).
  return config.warmup === "eager" || (config.warmup === "lazy" && !supportsLazyWarmup(Bun.version));
}

const NO_CORE_ADVICE =
  "Use asherah 4.x (no Go runtime, no preload needed), or run on Linux x64/arm64 with glibc; ASHERAH_BUN_PRELOAD_DISABLE=1 loads the module unprotected.";

const OLD_GLIBC_ADVICE = `Run on glibc ${GLIBC_NEEDED} or later, or use asherah 4.x (no Go runtime, no preload needed); ASHERAH_BUN_PRELOAD_DISABLE=1 loads the module unprotected.`;

function unavailable(state: PreloadState, reason: string, next: string = NO_CORE_ADVICE): undefined {
  state.native = {
    reason,
    next,
    error: new PreloadError({
      code: "UNSUPPORTED_PLATFORM",
      what: `there is no native core here, so Go-based modules cannot be protected: ${reason}`,
      where: `${process.platform}-${process.arch}, Bun ${Bun.version}`,
      next,
    }),
  };
  recordEvent(state, "native-unavailable", reason);
  debugLog(state)("no native core", { reason });
  return undefined;
}

/**
 * Locates, checks and loads the core, once per environment. Returns
 * undefined when this platform has none (the preload then degrades); throws
 * when the core should be there and is damaged, missing or unsafe.
 */
export function ensureCore(state: PreloadState): Core | undefined {
  if (state.core !== undefined || state.native !== undefined) return state.core;
  const config = state.config;
  if (config === undefined) return undefined;
  const override = config.libraryDir;
  if (override === undefined && insideCompiledBinary()) {
    return unavailable(
      state,
      "this is a `bun build --compile` binary, which does not embed the prebuilt libraries",
      `Ship node_modules/asherah-bun-preload/prebuilds/${process.platform}-${process.arch}/ next to the binary and set ASHERAH_BUN_PRELOAD_LIBRARY_DIR to its absolute path.`,
    );
  }
  const location = (state.location ??= locatePrebuilds(currentPlatform(), PREBUILDS_DIR, override));
  if (location.status !== "native") return unavailable(state, location.reason);
  // A copy of the package without its prebuilds/ folder for this platform
  // (copied by hand, a bundler that dropped it) is a platform without
  // prebuilds, not a damaged install.
  if (!location.override && Bun.file(location.dir).size === 0) {
    return unavailable(
      state,
      `this copy of asherah-bun-preload has no ${location.dir} folder.`,
      "Reinstall asherah-bun-preload (a copy made by hand or by a bundler can leave prebuilds/ out), or set ASHERAH_BUN_PRELOAD_LIBRARY_DIR to a folder holding its libraries.",
    );
  }
  const start = nowMicros();
  const dlopen = state.originalDlopen ?? (process.dlopen as unknown as NonNullable<PreloadState["originalDlopen"]>);
  try {
    state.core = loadCore(location.core, location.override ? undefined : shippedCore(location.id), dlopen);
  } catch (error) {
    // A glibc library on musl or on an older glibc fails to load: that is the
    // platform, not the file. Processes that never load Go run as without the
    // preload; a guarded package is refused at its load, as on any platform
    // without a core (test/e2e/error-output.test.ts, "an older glibc").
    if (process.platform === "linux") {
      if (detectLibc() === "musl") return unavailable(state, MUSL_REASON);
      // The shipped core only: a folder of one's own built for a newer glibc is the folder's fault.
      const old = location.override ? undefined : oldGlibcReason(error instanceof Error ? error.message : String(error), runningGlibc());
      if (old !== undefined) return unavailable(state, old, OLD_GLIBC_ADVICE);
    }
    throw error;
  }
  state.corePath = location.core;
  state.timings.coreMicros = nowMicros() - start;
  recordEvent(state, "core-loaded", location.core);
  debugLog(state)("core loaded", { path: location.core, us: state.timings.coreMicros });
  return state.core;
}

function shippedCore(id: string) {
  const shipped = SHIPPED[`${id}/${CORE_FILE}`];
  // A platform row without a shipped core is a packaging bug: say so by name.
  if (shipped === undefined) throw new PreloadError("LIBRARY_MISSING", `src/shipped.ts lists no ${id}/${CORE_FILE}.`, "Reinstall asherah-bun-preload.");
  return shipped;
}

/** A failure of protect.ts protectSignals, built here (the cold half). */
export function signalsFailed(step: "register" | "wrap", result: string, signal?: string): PreloadError {
  return step === "register"
    ? new PreloadError(
        "SIGNALS_FAILED",
        `the thread could not be registered for the suspend-handler wrapper (${result}).`,
        "Set ASHERAH_BUN_PRELOAD_SIGNAL_MECHANISM=restore to use the flag-restore repair instead, and report this with ASHERAH_BUN_PRELOAD_DEBUG=1 output.",
      )
    : new PreloadError(
        "SIGNALS_FAILED",
        `the suspend handler of ${signal} could not be wrapped (${result}).`,
        "Set ASHERAH_BUN_PRELOAD_SIGNAL_MECHANISM=restore to use the flag-restore repair instead.",
      );
}

/** Go runtimes that loaded before the preload ran: their changes are in the snapshot. */
export function warnTainted(state: PreloadState, goAlready: number): void {
  warnOnce(
    state,
    "tainted",
    `asherah-bun-preload: warning: ${goAlready} Go runtime(s) were loaded before the preload ran, so their signal changes cannot be undone.\n` +
      "  Load asherah-bun-preload first: bunfig.toml preload, `bun --preload asherah-bun-preload`, or import it first in the entry file.\n",
  );
}

export function warnOnce(state: PreloadState, key: string, text: string): void {
  if (state.warned.includes(key)) return;
  state.warned.push(key);
  process.stderr.write(text);
}

/** After a load that may have brought a Go runtime: applies the repair plan. */
export function repairAfter(state: PreloadState, core: Core, trigger: string): void {
  const signals = repairPlan(state);
  const watched = [...signals.suspend, ...signals.dispositions];
  const before = new Map(watched.map((signal) => [signal, describeDisposition(core, core.query(signal, 0))]));
  recordRepairs(state, core, core.repairNow(), before, trigger);
}


/**
 * Starts the Go warmup on the core's thread, once per process: verify the
 * library's bytes against the hash compiled into the core, map exactly those
 * bytes, call WarmupGoRuntime, repair. Returns at once.
 */
export function startWarmup(state: PreloadState, reason: string, graceMs = 0): void {
  const config = state.config;
  if (config === undefined || config.warmup === "off") return;
  const core = ensureCore(state);
  if (core === undefined || state.location?.status !== "native") return;
  protectSignals(state, core);
  // The general path checked the core before using it (core-load.ts loadCore): "" here.
  if (core.warmupStart(state.location.warmup, graceMs, "") === "done") {
    recordEvent(state, "warmup-start", reason);
    // A process that never loads a guarded module never asks how the warmup
    // went: say it at exit instead, once, if it failed and nobody was told.
    // (Not from the warmup thread: its line would land in the middle of the
    // application's output, and next to the error a guarded load prints.)
    if (Bun.isMainThread) process.once("exit", () => warnUnreportedWarmupFailure(state, core));
  }
  syncWarmup(state, core, false);
}

export function warnUnreportedWarmupFailure(state: PreloadState, core: Core): void {
  syncWarmup(state, core, false);
  if (state.warmup.status !== "failed") return;
  warnOnce(
    state,
    "warmup",
    `asherah-bun-preload: warning: the Go warmup failed, so no Go-based module could have loaded in this process: ${state.warmup.error}\n` +
      "  Reinstall asherah-bun-preload, or check ASHERAH_BUN_PRELOAD_LIBRARY_DIR; ASHERAH_BUN_PRELOAD_DEBUG=1 shows every step.\n",
  );
}

const WARMUP_CODES: Readonly<Record<string, PreloadErrorCode>> = {
  checksum: "CHECKSUM_MISMATCH",
  "core-checksum": "CHECKSUM_MISMATCH",
  unsafe: "LIBRARY_UNSAFE",
  open: "LIBRARY_MISSING",
  empty: "LIBRARY_INVALID",
  "not-regular": "LIBRARY_INVALID",
  "too-large": "LIBRARY_INVALID",
  dlopen: "LIBRARY_INVALID",
  symbol: "LIBRARY_INVALID",
};

const WARMUP_ADVICE: Readonly<Record<string, string>> = {
  empty: "Reinstall asherah-bun-preload (rm -rf node_modules && install), or rebuild the folder with go/build.sh --out DIR.",
  "not-regular": "Reinstall asherah-bun-preload (rm -rf node_modules && install), or rebuild the folder with go/build.sh --out DIR.",
  "too-large": "Reinstall asherah-bun-preload (rm -rf node_modules && install), or rebuild the folder with go/build.sh --out DIR.",
  checksum: "The file was modified or damaged after installation. Reinstall asherah-bun-preload (rm -rf node_modules && install).",
  "core-checksum": "The file was modified or damaged after installation. Reinstall asherah-bun-preload (rm -rf node_modules && install).",
  unsafe: "Anyone could replace what runs in every Bun process: remove write access for other users (chmod o-w) or move the library folder.",
  open: "Reinstall asherah-bun-preload so its prebuilds/ folder is complete, or check ASHERAH_BUN_PRELOAD_LIBRARY_DIR.",
  dlopen: "The file is not a loadable library for this machine. Reinstall asherah-bun-preload on this machine, or fix ASHERAH_BUN_PRELOAD_LIBRARY_DIR.",
};

// A folder of one's own (ASHERAH_BUN_PRELOAD_LIBRARY_DIR): the package's own copy is not at fault.
const REBUILD_FOLDER = "Rebuild the folder ASHERAH_BUN_PRELOAD_LIBRARY_DIR names (bash go/build.sh --out DIR, from a clone of asherah-bun-preload), or unset the variable to use the package's own libraries.";
const OVERRIDE_ADVICE: Readonly<Record<string, string>> = {
  empty: REBUILD_FOLDER,
  "not-regular": REBUILD_FOLDER,
  "too-large": REBUILD_FOLDER,
  checksum: `Its warmup library is not the one its core was built with. ${REBUILD_FOLDER}`,
  open: REBUILD_FOLDER,
  dlopen: REBUILD_FOLDER,
};

/**
 * Waits for the warmup (starting it if needed). Throws, every time, when it
 * failed: a guarded module never loads after a failed warmup and never gets a
 * different story.
 */
export function ensureWarmup(state: PreloadState, reason: string): void {
  const config = state.config;
  if (config === undefined || config.warmup === "off") return;
  if (state.warmup.status !== "done") {
    startWarmup(state, reason);
    const core = state.core;
    if (core !== undefined) syncWarmup(state, core, true);
  }
  if (state.warmup.status === "failed") {
    if (!state.warned.includes("warmup")) state.warned.push("warmup"); // this error reports it; no warning at exit
    const report = state.core?.warmupInfo(false);
    const kind = report?.error ?? "";
    throw new PreloadError({
      code: WARMUP_CODES[kind] ?? "WARMUP_FAILED",
      what: `the Go warmup did not complete: ${state.warmup.error}`,
      // The warmup thread checks the core's own file first (start.ts): name the file at fault.
      where: kind === "core-checksum" && state.corePath !== undefined ? { path: state.corePath } : state.warmup.path === undefined ? undefined : { path: state.warmup.path },
      next: (state.location?.status === "native" && state.location.override ? OVERRIDE_ADVICE[kind] : undefined) ?? WARMUP_ADVICE[kind] ?? "Set ASHERAH_BUN_PRELOAD_WARMUP=off to load Go modules without the warmup (signals are still protected), and report this with ASHERAH_BUN_PRELOAD_DEBUG=1 output.",
    });
  }
}

/**
 * Without a core (a platform without prebuilds), a Go runtime loaded on an
 * affected Bun is unprotected: say so once, naming the file. Every cgo-built
 * object carries the name of _cgo_wait_runtime_init_done; reading the file
 * (node:fs) happens only here, after a native load on such a platform.
 */
function warnUnprotectedGo(state: PreloadState, file: string): void {
  if (state.native === undefined || state.warned.includes("unprotected-go") || process.platform !== "linux") return;
  if (!fileContains(file, "_cgo_wait_runtime_init_done")) return;
  // On every Bun: without the core nothing puts SIGPIPE back; on an affected one the hang is back too.
  const risk = isAffected(Bun.version, process.platform)
    ? `Bun ${Bun.version} can hang with it loaded, and SIGPIPE is no longer ignored after it`
    : "SIGPIPE is no longer ignored after it (oven-sh/bun#29843)";
  warnOnce(
    state,
    "unprotected-go",
    `asherah-bun-preload: warning: ${file} carries a Go runtime and was loaded without the preload's native core, because ${state.native.reason}\n` +
      `  ${risk}. ${state.native.next}\n`,
  );
}

/** Before a native load: the warmup for guarded modules, the snapshot for all. */
export function beforeNativeLoad(state: PreloadState, file: string, via: string): string | undefined {
  const config = state.config;
  if (config === undefined) return undefined;
  const guarded = guardedOf(state, file);
  // The loader would open a FIFO and wait for a writer forever, and read a
  // device without end: one stat (Infinity for both) turns that into an
  // error (test/e2e/integrity.test.ts).
  const blocking = blockingFile(file);
  if (blocking !== undefined) {
    throw new PreloadError({
      code: "LIBRARY_INVALID",
      what: `refusing to load ${blocking === file ? file : `${file} (${blocking})`}: it is a FIFO or a device, not a library (loading it would block)`,
      where: guarded === undefined ? { path: blocking } : { module: guarded, path: blocking },
      next: guarded === undefined ? "Check the path the application loads." : `Reinstall ${guarded}: its package entry must be a regular file.`,
    });
  }
  const core = ensureCore(state);
  if (core === undefined) {
    if (guarded !== undefined && state.native !== undefined && process.platform !== "darwin") {
      throw new PreloadError({ code: "UNSUPPORTED_PLATFORM", what: `refusing to load ${guarded}`, where: { module: guarded, path: file }, next: "", cause: state.native.error });
    }
    recordEvent(state, "native-load-start", file);
    return guarded;
  }
  if (guarded !== undefined) {
    const cut = truncatedNative(core, file);
    if (cut !== undefined) {
      throw new PreloadError({
        code: "LIBRARY_INVALID",
        what: `refusing to load ${guarded}: ${file} is cut short (its ELF headers map ${cut.needed} bytes, the file has ${cut.size}; loading it would crash the process)`,
        where: { module: guarded, path: file },
        next: `Reinstall ${guarded}: the file was not written completely (a full disk or an interrupted install).`,
      });
    }
  }
  protectSignals(state, core);
  if (guarded !== undefined) {
    try {
      ensureWarmup(state, `${via} ${file}`);
    } catch (error) {
      throw new PreloadError({
        code: error instanceof PreloadError ? error.code : "WARMUP_FAILED",
        what: `refusing to load ${guarded}`,
        where: { module: guarded, path: file },
        next: "",
        cause: error,
      });
    }
  }
  // An unguarded load does not wait for the warmup: two Go runtimes that
  // initialise at the same time each keep a forwarding chain to the
  // handlers before them, which can only end in Bun's (no cycle is
  // possible), and the repair below runs after both.
  recordEvent(state, "native-load-start", file);
  return guarded;
}

/**
 * After a native load, whether it returned or threw (a Go library loaded and
 * then a missing symbol still brought its runtime in): wait for a Go runtime
 * it brought, then repair — on the core's repair thread where that is safe
 * (fast-load.ts repairsInBackground), here otherwise.
 */
export function afterNativeLoad(
  state: PreloadState,
  file: string,
  via: "process.dlopen" | "bun:ffi",
  guarded: string | undefined,
  startedMicros: number,
  failed: boolean,
): void {
  const core = state.core;
  if (core === undefined) warnUnprotectedGo(state, file);
  else if (repairsInBackground(state) && finishInBackground(state, core, file, via, guarded, startedMicros, failed)) return;
  let go: string = core === undefined ? "none" : core.waitGoRuntime(file);
  // The loader knows the file under another name (a compiled binary's
  // extracted copy, a name found through the library path) or not at all (a
  // load that failed after the object's constructors ran): every Go runtime
  // in the process counts instead; those done already return at once.
  if (core !== undefined && go !== "go" && go !== "none") go = core.waitAllGoRuntimes() > 0 ? "go (any)" : "none";
  // The plan is a few sigaction calls: applied after every native load, it
  // puts back whatever changed, also when the load threw.
  if (core !== undefined) repairAfter(state, core, file);
  recordLoadDone(state, file, via, guarded, go, startedMicros, failed);
  if (guarded !== undefined && !failed) {
    debugLog(state)("module guarded", { package: guarded, path: file, via, go_runtime: go.startsWith("go"), us: nowMicros() - startedMicros });
  }
}

