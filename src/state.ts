// The one state object of a JavaScript environment (the main thread, or one
// Worker). It lives on globalThis under a registered symbol so that two
// physical copies of this package (nested node_modules, a bundled copy, a
// preload listed twice under different paths) share it.
//
// What is process-wide (the signal snapshot, the suspend-handler wrapper, the
// warmup and its verification) lives in the native core's C statics instead:
// a Worker's copy of the preload finds it done and only registers its thread
// and installs its own hooks.
import type { Config } from "./config.ts";
import type { Core } from "./core.ts";
import type { PrebuildLocation } from "./platform.ts";

export type Phase = "not-installed" | "disabled" | "installed" | "failed";
export type WarmupStatus = "pending" | "running" | "done" | "failed" | "skipped";

export interface RepairRecord {
  readonly signal: string;
  readonly before: string;
  readonly after: string;
  /** What had just loaded: "warmup" or the path of a native module. */
  readonly trigger: string;
}

export interface GuardRecord {
  readonly packageName: string;
  readonly path: string;
  readonly via: "process.dlopen" | "bun:ffi" | "plugin";
  readonly goRuntime: boolean;
  readonly loadMicros: number;
}

export interface EventRecord {
  readonly seq: number;
  readonly event: string;
  readonly detail: string;
  readonly atMicros: number;
}

export interface WarmupInfo {
  status: WarmupStatus;
  path?: string;
  sha256?: string;
  verifyMicros?: number;
  dlopenMicros?: number;
  callMicros?: number;
  error?: string;
}

/** Why the preload runs without its native core here (platform.ts), if it does. */
export interface NativeUnavailable {
  readonly reason: string;
  /** What to do about it (the error's advice). */
  readonly next: string;
  /** The error a guarded load gets instead. */
  readonly error: Error;
}

export interface PreloadState {
  readonly stateVersion: 2;
  phase: Phase;
  installedBy: string[];
  config?: Config;
  error?: string;
  prebuildsDir?: string;
  location?: PrebuildLocation;
  core?: Core;
  corePath?: string;
  /** Set when this platform has no native core: the preload degrades. */
  native?: NativeUnavailable;
  /** process.dlopen as it was before the hooks, for the package's own loads. */
  originalDlopen?: (module: { exports: unknown }, filename: string, flags?: number) => void;
  warmup: WarmupInfo;
  snapshotTainted: boolean;
  /** Signals whose JSC handler got the SA_ONSTACK-safe wrapper. */
  wrapped: string[];
  repairs: RepairRecord[];
  guarded: GuardRecord[];
  events: EventRecord[];
  /** Records left out of `events` (and repairs/guarded) once they were full. */
  dropped: number;
  /**
   * ffiDlopen: how bun:ffi's dlopen is guarded: "interposed" by the core's
   * hook on Bun's own dlopen (bun:ffi never loaded by the preload), or
   * "wrapped" (its export replaced, where the core cannot interpose).
   */
  hooks: { processDlopen: boolean; ffiDlopen: false | "interposed" | "wrapped"; plugin: boolean; workers: boolean; virtualModules: string[] };
  timings: { installMicros?: number; coreMicros?: number; signalsMicros?: number };
  /** Why the hang watchdog could not start (reported once). */
  watchdog: { unavailable?: string };
  /** Warnings already printed, so each is printed once. */
  warned: string[];
  /** Set when another version of the package (its state version) was installed first. */
  foreignVersion?: string;
  /**
   * The guarded package whose entry is being loaded right now through the
   * plugin or the require() intercept (fast-load.ts requireGuarded,
   * serveNative): the native load it triggers is guarded by
   * that name even when its path does not say so — a linked package
   * (`bun link`, `link:`) reaches dlopen under its real path, outside any
   * node_modules (e2e hostile.test.ts, "guarded by name").
   */
  expectGuarded?: string;
}

const KEY = Symbol.for("asherah-bun-preload.state");
// Where this version keeps its state when another version of the package
// (an older copy nested in a dependency, say) already owns KEY.
const OWN_KEY = Symbol.for("asherah-bun-preload.state.v2");

/**
 * How many records each log keeps: 100,000 native loads must not grow the
 * process without bound (test/e2e/limits.test.ts); the first ones are the
 * ones that explain a start-up, so later ones are counted, not kept.
 */
export const LOG_LIMIT = 256;

function fresh(): PreloadState {
  return {
    stateVersion: 2,
    phase: "not-installed",
    installedBy: [],
    warmup: { status: "pending" },
    snapshotTainted: false,
    wrapped: [],
    repairs: [],
    guarded: [],
    events: [],
    dropped: 0,
    hooks: { processDlopen: false, ffiDlopen: false, plugin: false, workers: false, virtualModules: [] },
    timings: {},
    watchdog: {},
    warned: [],
  };
}

export function processState(): PreloadState {
  const holder = globalThis as unknown as Record<symbol, { stateVersion?: unknown } | undefined>;
  const existing = holder[KEY];
  if (existing?.stateVersion === 2) return existing as PreloadState;
  if (existing !== undefined) {
    // Another version of this package installed itself first (its key is not
    // configurable): this copy keeps its own state and stands aside
    // (install.ts), instead of failing to redefine the key.
    let own = holder[OWN_KEY] as PreloadState | undefined;
    if (own === undefined) {
      own = { ...fresh(), foreignVersion: String(existing.stateVersion) };
      Object.defineProperty(globalThis, OWN_KEY, { value: own, enumerable: false, configurable: false, writable: false });
    }
    return own;
  }
  const state = fresh();
  Object.defineProperty(globalThis, KEY, { value: state, enumerable: false, configurable: false, writable: false });
  return state;
}

export function nowMicros(): number {
  return Math.round(Bun.nanoseconds() / 1000);
}

/** Appends to a bounded log; false (and counted) when it is full. */
export function appendBounded<T>(state: PreloadState, log: T[], record: T): boolean {
  if (log.length >= LOG_LIMIT) {
    state.dropped++;
    return false;
  }
  log.push(record);
  return true;
}

/**
 * Another copy of this version protects the process already — the preload
 * listed twice, or a copy bundled into the application next to the real
 * preload: recorded in status().installedBy, nothing else done. False when
 * this copy must install (or stand aside for another version: install.ts).
 */
export function installedAlready(state: PreloadState): boolean {
  if (state.phase === "not-installed" || state.foreignVersion !== undefined) return false;
  state.installedBy.push("preload");
  return true;
}

/** The preload stands aside in this environment (ASHERAH_BUN_PRELOAD_DISABLE, or another version first): nothing loaded, nothing hooked. */
export function markDisabled(state: PreloadState, detail = ""): void {
  state.phase = "disabled";
  state.warmup.status = "skipped";
  recordEvent(state, "disabled", detail);
}

/** Appends to the ordered event log; tests use it to prove what ran before what. */
export function recordEvent(state: PreloadState, event: string, detail = ""): void {
  // appendBounded and nowMicros by hand: the start path records five events,
  // and each function's first call costs its compilation (start.ts).
  const events = state.events;
  if (events.length >= LOG_LIMIT) {
    state.dropped++;
    return;
  }
  events.push({ seq: events.length + state.dropped + 1, event, detail, atMicros: Math.round(Bun.nanoseconds() / 1000) });
}
