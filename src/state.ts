// The one process-wide object. It lives on globalThis under a registered
// symbol so that two physical copies of this package (nested node_modules,
// a bundled copy, a preload listed twice under different paths) share it and
// the native work happens once per process.
import type { Config } from "./config.ts";
import type { ChunkReader, SignalLibrary, WatchdogLibrary } from "./native.ts";
import type { PrebuildLocation } from "./platform.ts";

export type Phase = "not-installed" | "disabled" | "installed" | "failed";
export type WarmupStatus = "pending" | "done" | "failed" | "skipped";

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
  dlopenMicros?: number;
  callMicros?: number;
  error?: string;
}

export interface PreloadState {
  readonly stateVersion: 1;
  phase: Phase;
  installedBy: string[];
  config?: Config;
  error?: string;
  prebuildsDir?: string;
  /** glibc's read() through bun:ffi, once opened (files.ts). */
  libcReader?: ChunkReader;
  /** Where this platform's libraries are, once located (the libc check costs ~0.3 ms). */
  location?: PrebuildLocation;
  warmup: WarmupInfo;
  signalLibrary?: SignalLibrary;
  signalLibraryPath?: string;
  snapshotTainted: boolean;
  /** Signals whose JSC handler got the SA_ONSTACK-safe wrapper. */
  wrapped: string[];
  repairs: RepairRecord[];
  guarded: GuardRecord[];
  events: EventRecord[];
  hooks: { processDlopen: boolean; ffiDlopen: boolean; plugin: boolean; workers: boolean; virtualModules: string[] };
  timings: { installMicros?: number; signalsMicros?: number };
  /** The hang watchdog's binding, or why it could not start (reported once). */
  watchdog: { library?: WatchdogLibrary; unavailable?: string };
}

const KEY = Symbol.for("asherah-bun-preload.state");

function fresh(): PreloadState {
  return {
    stateVersion: 1,
    phase: "not-installed",
    installedBy: [],
    warmup: { status: "pending" },
    snapshotTainted: false,
    wrapped: [],
    repairs: [],
    guarded: [],
    events: [],
    hooks: { processDlopen: false, ffiDlopen: false, plugin: false, workers: false, virtualModules: [] },
    timings: {},
    watchdog: {},
  };
}

export function processState(): PreloadState {
  const holder = globalThis as unknown as Record<symbol, PreloadState | undefined>;
  let state = holder[KEY];
  if (state === undefined || state.stateVersion !== 1) {
    state = fresh();
    Object.defineProperty(globalThis, KEY, { value: state, enumerable: false, configurable: false, writable: false });
  }
  return state;
}

export function nowMicros(): number {
  return Math.round(Bun.nanoseconds() / 1000);
}

/** Appends to the ordered event log; tests use it to prove what ran before what. */
export function recordEvent(state: PreloadState, event: string, detail = ""): void {
  state.events.push({ seq: state.events.length + 1, event, detail, atMicros: nowMicros() });
}
