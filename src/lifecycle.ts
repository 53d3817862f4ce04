// The steps every entry point shares, in the order the data flows:
// locate → verify → snapshot signals → warm up → repair. Each step is
// idempotent and records what it did on the process-wide state object, so the
// eager path (at preload time) and the lazy path (inside a load hook) are the
// same code.
import { createDebugLog, type DebugLog } from "./debug.ts";
import { PreloadError, describeError } from "./errors.ts";
import { assertLoadableFile, verifyShipped } from "./integrity.ts";
import { openSignalLibrary, type SignalLibrary } from "./native.ts";
import { supportsLazyWarmup } from "./bun-version.ts";
import type { Config } from "./config.ts";
import { guardedPackageOf as packageOfFile } from "./guarded.ts";
import { join } from "./paths.ts";
import { currentPlatform, locatePrebuilds, type PrebuildLocation } from "./platform.ts";
import { planRepairs, protectSuspendHandlers, repairSignals } from "./signals.ts";
import { nowMicros, recordEvent, type PreloadState } from "./state.ts";
import { runWarmup } from "./warmup.ts";

export const PREBUILDS_DIR = join(import.meta.dir, "..", "prebuilds");

export function debugLog(state: PreloadState): DebugLog {
  return createDebugLog(state.config?.debug ?? false);
}

/** Inside a `bun build --compile` binary, modules live in Bun's embedded file system. */
export function insideCompiledBinary(dir: string = PREBUILDS_DIR): boolean {
  return dir.startsWith("/$bunfs/") || /^[A-Z]:[\\/]~BUN[\\/]/.test(dir);
}

export function prebuildLocation(state: PreloadState): PrebuildLocation {
  const override = state.config?.libraryDir;
  if (override === undefined && insideCompiledBinary()) {
    throw new PreloadError(
      "LIBRARY_MISSING",
      "running inside a `bun build --compile` binary, which does not embed the prebuilt native libraries.",
      `Ship node_modules/asherah-bun-preload/prebuilds/${process.platform}-${process.arch}/ next to the binary and set ASHERAH_BUN_PRELOAD_LIBRARY_DIR to its absolute path.`,
    );
  }
  state.location ??= locatePrebuilds(currentPlatform(), PREBUILDS_DIR, override);
  return state.location;
}

/** Whether install() loads the signal helper, rather than the first native load. */
export function signalsAtStart(config: Config): boolean {
  return warmsUpAtStart(config) || planRepairs(config.signals, Bun.version, process.platform).suspend.length > 0;
}

/** Whether install() runs the warmup itself, rather than leaving it to the first guarded load. */
export function warmsUpAtStart(config: Config): boolean {
  // Lazy is eager on Bun 1.0.x (supportsLazyWarmup).
  return config.warmup === "eager" || (config.warmup === "lazy" && !supportsLazyWarmup(Bun.version));
}

/** Verifies a library before it is loaded: checksum for shipped files, file checks for an override. */
export function verifyLibrary(state: PreloadState, file: string, what: string): string | undefined {
  if (state.config?.libraryDir !== undefined) {
    assertLoadableFile(file, what);
    return undefined;
  }
  return verifyShipped(file, PREBUILDS_DIR, what);
}

/**
 * Loads the signal helper library and snapshots every disposition. Must run
 * before the first Go runtime this process loads; returns undefined on
 * platforms that need no signal work.
 */
export function ensureSignalLibrary(state: PreloadState): SignalLibrary | undefined {
  if (state.signalLibrary !== undefined) return state.signalLibrary;
  const config = state.config;
  if (config === undefined || config.signals === "off") return undefined;
  const location = prebuildLocation(state);
  if (location.signals === undefined) return undefined;
  const start = nowMicros();
  verifyLibrary(state, location.signals, "signal helper library");
  const lib = openSignalLibrary(location.signals);
  // The snapshot lives in the C library, once per process: a Worker's copy
  // of the preload finds the main thread's and must not replace it.
  const tookSnapshot = lib.snapshot();
  // A Go runtime that is already here changed the handlers before we looked;
  // the snapshot then holds Go's flags and restoring it repairs nothing.
  const goAlready = tookSnapshot ? lib.goRuntimeCount() : 0;
  state.snapshotTainted = goAlready > 0;
  state.signalLibrary = lib;
  state.signalLibraryPath = location.signals;
  const wrapped = protectSuspendHandlers(lib, planRepairs(config.signals, Bun.version, process.platform), config.mechanism);
  state.wrapped = wrapped;
  if (wrapped.length > 0) debugLog(state)("suspend handler wrapped", { signals: wrapped.join(","), mechanism: "wrap" });
  state.timings.signalsMicros = nowMicros() - start;
  recordEvent(state, "signals-snapshot", location.signals);
  debugLog(state)("signals snapshot", { library: location.signals, us: state.timings.signalsMicros, goRuntimesAlreadyLoaded: goAlready });
  if (state.snapshotTainted) {
    process.stderr.write(
      `asherah-bun-preload: warning: ${goAlready} Go runtime(s) were loaded before the preload ran, so their signal changes cannot be undone.\n` +
        "  Load asherah-bun-preload first: bunfig.toml preload, `bun --preload asherah-bun-preload`, or import it first in the entry file.\n",
    );
  }
  return lib;
}

export function repairAfter(state: PreloadState, trigger: string): void {
  const lib = state.signalLibrary;
  const config = state.config;
  if (lib === undefined || config === undefined) return;
  const plan = planRepairs(config.signals, Bun.version, process.platform);
  const records = repairSignals(lib, plan, trigger);
  state.repairs.push(...records);
  const log = debugLog(state);
  for (const record of records) log("signal repaired", { signal: record.signal, before: record.before, after: record.after, after_load: trigger });
  recordEvent(state, "signals-repaired", `${trigger}: ${records.map((r) => r.signal).join(",") || "nothing changed"}`);
}

/**
 * Runs the Go warmup once per process. A failure is remembered and rethrown
 * to every later caller, so a guarded module never loads after a failed
 * warmup and never gets a different story.
 */
export function ensureWarmup(state: PreloadState, reason: string): void {
  const config = state.config;
  if (config === undefined || config.warmup === "off") return;
  if (state.warmup.status === "done") return;
  if (state.warmup.status === "failed") {
    throw new PreloadError("WARMUP_FAILED", `the Go warmup failed earlier in this process: ${state.warmup.error}`, "Fix the cause above; the process must be restarted.");
  }
  try {
    ensureSignalLibrary(state);
    const location = prebuildLocation(state);
    const sha256 = verifyLibrary(state, location.warmup, "Go warmup library");
    recordEvent(state, "warmup-start", reason);
    state.warmup = runWarmup(location.warmup, sha256);
    recordEvent(state, "warmup-done", location.warmup);
    debugLog(state)("warmup loaded", {
      path: location.warmup,
      reason,
      dlopen_us: state.warmup.dlopenMicros,
      call_us: state.warmup.callMicros,
    });
    repairAfter(state, "warmup");
  } catch (error) {
    state.warmup = { status: "failed", error: describeError(error) };
    recordEvent(state, "warmup-failed", describeError(error));
    throw error;
  }
}

/** The guarded package a file belongs to: node_modules paths and compiled binaries (guarded.ts). */
export function guardedPackageOf(file: string, packages: readonly string[]): string | undefined {
  return packageOfFile(file, packages);
}

/** Before a native load: the warmup for guarded modules, the snapshot for all. */
export function beforeNativeLoad(state: PreloadState, file: string, via: string): string | undefined {
  const config = state.config;
  if (config === undefined) return undefined;
  const guarded = guardedPackageOf(file, config.packages);
  if (guarded !== undefined) {
    try {
      ensureWarmup(state, `${via} ${file}`);
    } catch (error) {
      throw new PreloadError(
        "WARMUP_FAILED",
        `refusing to load ${guarded} (${file}) because the Go warmup did not complete:\n${describeError(error)}`,
        "Fix the error above, or set ASHERAH_BUN_PRELOAD_WARMUP=off to load it without the warmup (signals are still repaired).",
        { cause: error },
      );
    }
  }
  ensureSignalLibrary(state);
  recordEvent(state, "native-load-start", file);
  return guarded;
}

/** After a native load: wait for a Go runtime it brought, then repair. */
export function afterNativeLoad(
  state: PreloadState,
  file: string,
  via: "process.dlopen" | "bun:ffi",
  guarded: string | undefined,
  startedMicros: number,
): void {
  const lib = state.signalLibrary;
  const go = lib === undefined ? "none" : lib.waitGoRuntime(file);
  recordEvent(state, "native-load-done", `${file} go=${go}`);
  if (go === "go") repairAfter(state, file);
  if (guarded !== undefined) {
    const loadMicros = nowMicros() - startedMicros;
    state.guarded.push({ packageName: guarded, path: file, via, goRuntime: go === "go", loadMicros });
    debugLog(state)("module guarded", { package: guarded, path: file, via, go_runtime: go === "go", us: loadMicros });
  }
}
