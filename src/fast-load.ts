// The common case of a native load, on the start path's bundle: the core is
// loaded, the warmup (if the module needs one) has finished or finishes while
// this load waits for it, no watchdog, no debug output, and the wait for Go
// and the repair can run on the core's repair thread. Everything else — a
// failed warmup or a lazy one to start, a FIFO, the watchdog, the
// synchronous repair, every error — is the full guard's (guard.ts,
// lifecycle.ts), in the cold half.
//
// Why it is here and not there: loading the cold half costs ~0.6–0.9 ms
// (import.meta.require of dist/cold.js and its shared chunk, then every
// function's first compilation, the package walk's included, which the cold
// bundle has a copy of its own), and a process that loads asherah paid it
// inside `require("asherah")` (docs/performance.md, "Once asherah is loaded").
// Guarded by e2e loading.test.ts and failed-load.test.ts (both paths), and by
// the bench's require figure.
import { atLeast, BUN_1_1, MODULE_CALLBACK_THROWS, supportsJsEntryGuard } from "./bun-version.ts";
import { fromCallersLine } from "./user-frames.ts";
import { cold, isNotFound } from "./cold-link.ts";
import type { Core } from "./core.ts";
import { syncWarmup } from "./core-reports.ts";
import { guardedEntry, type GuardedEntry } from "./entries.ts";
import { guardedPackageOf } from "./guarded.ts";
import { asObjectModule } from "./object-module.ts";
import type { CjsModule } from "./plugin-serve.ts";
import { repairPlan } from "./protect.ts";
import { parentDir } from "./paths.ts";
import { appendBounded, nowMicros, recordEvent, type PreloadState } from "./state.ts";

type Dlopen = (module: { exports: unknown }, filename: string, flags?: number) => void;

/**
 * Whether the wait for a load's Go runtime and the repair after it can run
 * on the core's repair thread (go/core/abp_repair.c has why that is safe)
 * instead of holding the load — ~1.5 ms of every require() of a Go module.
 * Not with the flag-restore mechanism or an unwrapped suspend handler on an
 * affected Bun (the repair is what protects it), not on Bun 1.0.x, and not
 * under ASHERAH_BUN_PRELOAD_DEBUG (its lines follow the load).
 */
export function repairsInBackground(state: PreloadState): boolean {
  const config = state.config!;
  if (config.mechanism !== "wrap" || config.debug || !atLeast(Bun.version, BUN_1_1)) return false;
  return state.wrapped.length > 0 || repairPlan(state).suspend.length === 0;
}

/**
 * The file the loader would open for `filename` when that is a FIFO or a
 * device (Bun.file().size is Infinity for both): the loader would wait for a
 * writer forever, or read without end. A name with a "/" is a path; one
 * without is searched on LD_LIBRARY_PATH (an empty entry is the working
 * folder), as the loader searches it — the system folders after it are
 * root's. Undefined when nothing there would block.
 */
export function blockingFile(filename: string): string | undefined {
  if (filename.includes("/")) return Bun.file(filename).size === Infinity ? filename : undefined;
  const search = process.env.LD_LIBRARY_PATH;
  if (!search) return undefined;
  for (const dir of search.split(/[:;]/)) {
    const path = `${dir === "" ? "." : dir}/${filename}`;
    if (Bun.file(path).size === Infinity) return path;
  }
  return undefined;
}

/**
 * A guarded library cut short with its ELF headers intact: its size and the
 * bytes the headers need, or undefined. dlopen maps such a file and the
 * process dies of SIGBUS at its first missing page, with or without the
 * preload; the full guard refuses it instead (lifecycle.ts beforeNativeLoad;
 * e2e integrity.test.ts, "cut short"). One open and two reads in the core.
 */
export function truncatedNative(core: Core, filename: string): { readonly size: number; readonly needed: number } | undefined {
  if (!filename.startsWith("/")) return undefined;
  let span: ReturnType<Core["elfSpan"]>;
  try {
    span = core.elfSpan(filename);
  } catch {
    return undefined; // a path longer than the core takes (PATH_MAX): the loader reports it
  }
  return typeof span !== "string" && span.needed > span.size ? span : undefined;
}

/** The guarded package a native load belongs to: by its path (guarded.ts), or the one whose require()/import is loading it (state.expectGuarded). */
export function guardedOf(state: PreloadState, file: string): string | undefined {
  return guardedPackageOf(file, state.config!.packages) ?? state.expectGuarded;
}

/** The original process.dlopen, with the core's dlopen hook told that this load is guarded already (it lets it through). */
export function dlopenGuardedHere(core: Core | undefined, original: Dlopen, self: unknown, module: { exports: unknown }, filename: string, flags: number | undefined): void {
  core?.guardDepth(1);
  try {
    if (flags === undefined) original.call(self, module, filename);
    else original.call(self, module, filename, flags);
  } finally {
    core?.guardDepth(-1);
  }
}

/** The record of a finished load: the event, and for a guarded module that loaded, status().guarded. */
export function recordLoadDone(state: PreloadState, file: string, via: "process.dlopen" | "bun:ffi", guarded: string | undefined, go: string, startedMicros: number, failed: boolean): void {
  recordEvent(state, "native-load-done", `${file} go=${go}${failed ? " (threw)" : ""}`);
  if (guarded !== undefined && !failed) {
    appendBounded(state, state.guarded, { packageName: guarded, path: file, via, goRuntime: go.startsWith("go"), loadMicros: nowMicros() - startedMicros });
  }
}

/**
 * After a load: the wait and the repair handed to the core's repair thread,
 * and the load recorded. False, with nothing done, when the core cannot take
 * it (the caller then waits and repairs itself: lifecycle.ts afterNativeLoad).
 */
export function finishInBackground(state: PreloadState, core: Core, file: string, via: "process.dlopen" | "bun:ffi", guarded: string | undefined, startedMicros: number, failed: boolean): boolean {
  if (core.repairLater(file) !== "done") return false;
  // Whether it brought Go is answered without waiting. The loader knows the
  // file under another name (a compiled binary's extracted copy, a name found
  // through the library path) or not at all (a load that failed after the
  // object's constructors ran): every Go runtime in the process counts then.
  let go: string = core.hasGoRuntime(file);
  if (go !== "go" && go !== "none") go = core.goRuntimeCount() > 0 ? "go (any)" : "none";
  recordLoadDone(state, file, via, guarded, go, startedMicros, failed);
  return true;
}

/** process.dlopen, guarded (hooks.ts): the common case here, anything else through the full guard. */
export function guardedDlopen(state: PreloadState, original: Dlopen, self: unknown, module: { exports: unknown }, filename: string, flags: number | undefined): void {
  const core = state.core;
  const config = state.config;
  // The core loaded and the signals protected (the snapshot, the repair plan:
  // a core loaded only to read a manifest has neither yet).
  if (core === undefined || config === undefined || state.timings.signalsMicros === undefined || config.watchdogMs > 0 || typeof filename !== "string" || !repairsInBackground(state)) {
    return cold().guardedDlopen(state, original, self, module, filename, flags);
  }
  const guarded = guardedOf(state, filename);
  // A FIFO or device the loader would block on (Bun.file().size is Infinity
  // for both), or a guarded library cut short: the full guard refuses it.
  if (blockingFile(filename) !== undefined || (guarded !== undefined && truncatedNative(core, filename) !== undefined)) {
    return cold().guardedDlopen(state, original, self, module, filename, flags);
  }
  // A warmup this environment has not seen finish: a running one is waited
  // for here (its grace ended first), as the full guard would; one that
  // failed, or a lazy one not started, is the full guard's to report or start.
  if (guarded !== undefined && config.warmup !== "off") {
    if (state.warmup.status === "running") {
      hurryWarmup(state);
      syncWarmup(state, core, true);
    }
    if (state.warmup.status !== "done") return cold().guardedDlopen(state, original, self, module, filename, flags);
  }
  const started = nowMicros();
  recordEvent(state, "native-load-start", filename);
  let failed = true;
  try {
    dlopenGuardedHere(core, original, self, module, filename, flags);
    failed = false;
  } finally {
    if (!finishInBackground(state, core, filename, "process.dlopen", guarded, started, failed)) cold().afterNativeLoad(state, filename, "process.dlopen", guarded, started, failed);
  }
}

/**
 * Ends the warmup thread's grace period without waiting for it: a load that
 * needs the warmup needs it now. It then verifies the library and starts Go
 * while this thread goes on to wait for it (guardedDlopen) or loads the cold
 * half that will (~0.6–0.9 ms that used to come first). Only a warmup
 * already started: a lazy one is started by the full guard, which records
 * why (lifecycle.ts startWarmup).
 */
export function hurryWarmup(state: PreloadState): void {
  const core = state.core;
  const location = state.location;
  if (core !== undefined && state.warmup.status === "running" && location?.status === "native") core.warmupStart(location.warmup, 0, "");
}

// Guarded bare names per requiring folder: require() answers per folder.
const byFolder = new Map<string, GuardedEntry | null>();

/** What require() of a guarded name answers with: the entry to guard, or null (Bun answers, as without the preload). */
function requirable(entry: GuardedEntry | undefined): GuardedEntry | null {
  return entry !== undefined && (entry.kind === "native" || entry.kind === "refused" || supportsJsEntryGuard(Bun.version)) ? entry : null;
}

/** `name` in the plugin's resolution from the application's folder, if it has it. */
function foundEntry(found: readonly GuardedEntry[], name: string): GuardedEntry | undefined {
  for (let i = 0; i < found.length; i++) if (found[i]!.name === name) return found[i];
  return undefined;
}

/**
 * require(name) of a guarded bare name (plugin.ts's intercept), answered from
 * the requiring module's own folder as Node (and Bun without the preload)
 * would: a dependency's nested node_modules/<name> is its own copy, not the
 * app's (e2e real-world.test.ts "nested copies"). A native entry loads
 * through process.dlopen, i.e. guardedDlopen above; a CommonJS entry is run
 * by the cold half (plugin-serve.ts loadEntry).
 */
export function requireGuarded(
  state: PreloadState,
  self: CjsModule | undefined,
  id: string,
  original: (this: unknown, id: string) => unknown,
  fromDir: string,
  found: readonly GuardedEntry[],
  frameTop: Function,
): unknown {
  const filename = self?.filename;
  const dir = typeof filename === "string" && filename.startsWith("/") ? parentDir(filename) : fromDir;
  const key = `${id}\0${dir}`;
  let guarded = byFolder.get(key);
  if (guarded === undefined) {
    // From the application's own folder, the plugin's resolution at start
    // (plugin.ts) answers: no second package walk (~0.14 ms).
    guarded = requirable((dir === fromDir ? foundEntry(found, id) : undefined) ?? guardedEntry(id, dir));
    byFolder.set(key, guarded);
  }
  // Not installed where the caller looks (or refused): Bun answers, as it would without us.
  if (guarded === null || guarded.kind === "esm") return original.call(self, id);
  if (guarded.kind === "refused") throw guarded.error;
  // A native entry's load hurries the warmup itself (guardedDlopen); a
  // CommonJS one hurries it here, so that it runs while the cold half loads.
  if (guarded.kind === "native") {
    try {
      return loadingGuarded(state, guarded.name, () => original.call(self, guarded.entry));
    } catch (error) {
      // Only the preload and the loader ran inside `frameTop` (the require
      // intercept): shown from the application's line (user-frames.ts). A
      // CommonJS entry's errors keep the package's own frames.
      throw fromCallersLine(error, frameTop, state.config?.debug);
    }
  }
  hurryWarmup(state);
  return cold().loadEntry(state, guarded, self ?? null, "MODULE_NOT_FOUND");
}

/**
 * build.module's callback for a guarded bare name with a native entry:
 * `import { encrypt } from "asherah"`. The same load as require(name):
 * require() by absolute path goes through process.dlopen, i.e. guardedDlopen
 * above (which hurries and waits for the warmup), and the full guard only
 * when the common case does not hold; served
 * as an object module. `requireHere` is a require() of the preload's own
 * (Bun 1.0.36 hung `bun test` when the virtual module loaded the addon with
 * import.meta.require instead).
 */
export function serveNative(state: PreloadState, { name, entry }: GuardedEntry, requireHere: (id: string) => unknown) {
  let exports: unknown;
  try {
    exports = loadingGuarded(state, name, () => requireHere(entry));
  } catch (failure) {
    const why = isNotFound(failure, entry) ? cold().entryAbsence(entry) : undefined;
    const error = why === undefined ? failure : cold().missingEntryError(name, entry, why, "ERR_MODULE_NOT_FOUND", failure);
    // Thrown from 1.2.19, a module that throws before (plugin-serve.ts
    // unservable), without loading the cold half here.
    if (!atLeast(Bun.version, MODULE_CALLBACK_THROWS)) return cold().failingModule(error);
    throw error;
  }
  recordEvent(state, "virtual-module", `${name} -> ${entry}`);
  return asObjectModule(exports);
}

/** Runs `load` with state.expectGuarded set to `name`: the native load it makes is guarded whatever its path. */
export function loadingGuarded<T>(state: PreloadState, name: string, load: () => T): T {
  const outer = state.expectGuarded;
  state.expectGuarded = name;
  try {
    return load();
  } finally {
    state.expectGuarded = outer;
  }
}
