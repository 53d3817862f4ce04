// The only module that touches bun:ffi and raw pointers. Everything above it
// sees a small typed surface: numbers, strings and plain objects.
import { PreloadError, describeError } from "./errors.ts";

// bun:ffi is taken with require(), never with an ESM import: an ESM import
// fixes the module's namespace before hooks.ts replaces `dlopen` on it, and the
// application would then see the original function instead of the wrapper.
// Keep the original functions so our own loads are not reported as app loads.
const ffi = import.meta.require("bun:ffi") as typeof import("bun:ffi");
const { FFIType, ptr } = ffi;
const dlopen = ffi.dlopen;

/** The ABI version of asherah-bun-signals this code knows how to call. */
const SIGNALS_ABI = 3;

// asherah-bun-signals is bound through one dispatcher symbol, abp_op (see
// go/signals/abp_dispatch.c): Bun < 1.4 compiles a trampoline per bound
// symbol, ~0.4 ms each. The numbers are the C side's ABP_OP_* values.
const OP = {
  abiVersion: 0,
  snapshot: 1,
  snapshotTaken: 2,
  query: 3,
  restoreFlags: 4,
  restoreDisposition: 5,
  waitGoRuntime: 6,
  goRuntimeCount: 7,
  handlerOwner: 8,
  flagValue: 9,
  wrapSupported: 10,
  registerThread: 11,
  wrapSuspendHandler: 12,
  wrapQuery: 13,
  wrapStats: 14,
  watchdogArm: 15,
  watchdogDisarm: 16,
} as const;

const dispatcher = {
  abp_op: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
} as const;

type Op = (op: number, a?: number, b?: number, buf?: NodeJS.TypedArray | null, len?: number) => number;

/** Counters of the suspend-handler wrapper, in the order abp_wrap_stats reports them. */
export const WRAP_STAT_NAMES = [
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
export type WrapStats = Record<(typeof WRAP_STAT_NAMES)[number], number>;
export type WrapResult = "wrapped" | "already-wrapped" | "no-handler";

export interface Disposition {
  /** 0 = SIG_DFL, 1 = SIG_IGN, otherwise the handler's address. */
  readonly handler: bigint;
  readonly flags: bigint;
}

export type RestoreResult = "repaired" | "unchanged";

export interface SignalLibrary {
  readonly path: string;
  readonly abi: number;
  /** Records every disposition; true when this call took it (first call only). */
  snapshot(): boolean;
  snapshotTaken(): boolean;
  query(signal: number, which: "live" | "snapshot"): Disposition | undefined;
  restoreFlags(signal: number): RestoreResult;
  restoreDisposition(signal: number): RestoreResult;
  /** Waits for the Go runtime in a loaded object; "none" when it carries none. */
  waitGoRuntime(path: string): "go" | "none" | "not-loaded";
  goRuntimeCount(): number;
  handlerOwner(signal: number, which: "live" | "snapshot"): string;
  readonly flagValues: Readonly<Record<FlagName, bigint>>;
  /** Whether the suspend-handler wrapper exists on this platform (Linux x64/arm64). */
  readonly wrapSupported: boolean;
  /** Records the calling thread's native stack bounds for the wrapper. */
  registerThread(): "registered" | "refreshed";
  /** Puts the SA_ONSTACK-safe wrapper in front of the handler of `signal`. */
  wrapSuspendHandler(signal: number): WrapResult;
  isWrapped(signal: number): boolean;
  wrapStats(): WrapStats;
}

export type FlagName = "SA_ONSTACK" | "SA_SIGINFO" | "SA_RESTART" | "SA_NODEFER" | "SA_RESETHAND" | "SA_RESTORER";
const FLAG_NAMES: readonly FlagName[] = ["SA_ONSTACK", "SA_SIGINFO", "SA_RESTART", "SA_NODEFER", "SA_RESETHAND", "SA_RESTORER"];

function cString(text: string): Uint8Array {
  return new TextEncoder().encode(`${text}\0`);
}

/** Pure: what to do about a dlopen failure, from the loader's message. */
export function dlopenAdvice(reason: string, platform: string = process.platform, arch: string = process.arch): string {
  if (/GLIBC_\d/.test(reason)) {
    return "This system's glibc is older than the prebuilt libraries need (glibc 2.34 or later: Debian 12, Ubuntu 22.04, RHEL 9). Build them here with `bash go/build.sh` from the package's go/ folder and set ASHERAH_BUN_PRELOAD_LIBRARY_DIR to the output folder.";
  }
  if (/wrong ELF class|ELF file's|invalid ELF header|cannot open shared object|file too short|not a dynamic/i.test(reason)) {
    return `The file is not a shared library for ${platform}-${arch}. Reinstall asherah-bun-preload on this machine (node_modules copied from another OS or CPU?), or fix ASHERAH_BUN_PRELOAD_LIBRARY_DIR.`;
  }
  return "Reinstall asherah-bun-preload, or set ASHERAH_BUN_PRELOAD_DEBUG=1 and report the output.";
}

function openLibrary<T extends Parameters<typeof dlopen>[1]>(path: string, symbols: T, what: string) {
  try {
    return dlopen(path, symbols);
  } catch (error) {
    const reason = describeError(error);
    throw new PreloadError("LIBRARY_INVALID", `could not load the ${what} ${path}: ${reason}`, dlopenAdvice(reason), { cause: error });
  }
}

/** Opens asherah-bun-signals through its dispatcher; `abp_op` as a plain function. */
function openDispatcher(path: string, what: string): { op: Op; close(): void } {
  const lib = openLibrary(path, dispatcher, what);
  // Call through `lib`, never through a detached `lib.symbols.abp_op`: the
  // closure must keep the library object alive. Bun 1.0.x frees a compiled
  // trampoline when its library object is collected, and the next call jumps
  // into unmapped memory (seen: SIGSEGV SEGV_ACCERR at the trampoline address,
  // which Go's forwarding handler then turns into an endless fault loop).
  const op: Op = (code, a = 0, b = 0, buf = null, len = 0) => lib.symbols.abp_op(code, a, b, buf === null ? null : ptr(buf), len);
  return { op, close: () => lib.close() };
}

export function openSignalLibrary(path: string): SignalLibrary {
  const { op, close } = openDispatcher(path, "signal helper library");
  const abi = op(OP.abiVersion);
  if (abi !== SIGNALS_ABI) {
    close();
    throw new PreloadError(
      "LIBRARY_INVALID",
      `the signal helper library ${path} has ABI version ${abi}; this asherah-bun-preload understands ${SIGNALS_ABI}.`,
      "The prebuilds/ folder and src/ come from different versions. Reinstall asherah-bun-preload.",
    );
  }
  const pair = new BigUint64Array(2);
  const owner = new Uint8Array(4096);
  const which = (w: "live" | "snapshot") => (w === "live" ? 0 : 1);
  const restored = (signal: number, code: number, name: string): RestoreResult => {
    if (code === 1) return "repaired";
    if (code === 0) return "unchanged";
    throw new PreloadError(
      "SIGNALS_FAILED",
      `${name}(${signal}) failed with code ${code} (${code === -2 ? "no snapshot was taken" : "sigaction failed"}).`,
      "Set ASHERAH_BUN_PRELOAD_DEBUG=1 and report the output; ASHERAH_BUN_PRELOAD_SIGNALS=off skips the repair.",
    );
  };
  const flagValues = Object.fromEntries(FLAG_NAMES.map((name, index) => [name, BigInt(op(OP.flagValue, index) >>> 0)])) as Record<FlagName, bigint>;
  return {
    path,
    abi,
    snapshot: () => op(OP.snapshot) === 1,
    snapshotTaken: () => op(OP.snapshotTaken) === 1,
    query(signal, w) {
      if (op(OP.query, signal, which(w), pair) !== 0) return undefined;
      return { handler: pair[0] ?? 0n, flags: pair[1] ?? 0n };
    },
    restoreFlags: (signal) => restored(signal, op(OP.restoreFlags, signal), "abp_restore_flags"),
    restoreDisposition: (signal) => restored(signal, op(OP.restoreDisposition, signal), "abp_restore_disposition"),
    waitGoRuntime(file) {
      const code = op(OP.waitGoRuntime, 0, 0, cString(file));
      return code === 1 ? "go" : code === 0 ? "none" : "not-loaded";
    },
    goRuntimeCount: () => op(OP.goRuntimeCount),
    handlerOwner(signal, w) {
      if (op(OP.handlerOwner, signal, which(w), owner, owner.length) !== 0) return "";
      const end = owner.indexOf(0);
      return Buffer.from(owner.buffer, 0, end < 0 ? owner.length : end).toString("utf8");
    },
    flagValues,
    wrapSupported: op(OP.wrapSupported) === 1,
    registerThread() {
      const code = op(OP.registerThread);
      if (code === 1) return "registered";
      if (code === 0) return "refreshed";
      throw new PreloadError(
        "SIGNALS_FAILED",
        `abp_register_thread failed with code ${code} (${code === -2 ? "more than 256 threads registered" : "the thread's stack bounds are unknown"}).`,
        "Set ASHERAH_BUN_PRELOAD_SIGNAL_MECHANISM=restore to use the flag-restore repair instead, and report this with ASHERAH_BUN_PRELOAD_DEBUG=1 output.",
      );
    },
    wrapSuspendHandler(signal) {
      const code = op(OP.wrapSuspendHandler, signal);
      if (code === 1) return "wrapped";
      if (code === 0) return "already-wrapped";
      if (code === -3) return "no-handler";
      throw new PreloadError(
        "SIGNALS_FAILED",
        `abp_wrap_suspend_handler(${signal}) failed with code ${code}.`,
        "Set ASHERAH_BUN_PRELOAD_SIGNAL_MECHANISM=restore to use the flag-restore repair instead.",
      );
    },
    isWrapped: (signal) => op(OP.wrapQuery, signal) === 1,
    wrapStats() {
      const out = new BigUint64Array(WRAP_STAT_NAMES.length);
      op(OP.wrapStats, 0, 0, out, out.length);
      return Object.fromEntries(WRAP_STAT_NAMES.map((name, i) => [name, Number(out[i] ?? 0n)])) as WrapStats;
    },
  };
}

export interface WarmupLibrary {
  readonly path: string;
  /** Calls WarmupGoRuntime; returns once the library's Go runtime is initialised. */
  call(): number;
}

export function openWarmupLibrary(path: string): WarmupLibrary {
  const lib = openLibrary(path, { WarmupGoRuntime: { args: [], returns: FFIType.i32 } }, "Go warmup library");
  return { path, call: () => lib.symbols.WarmupGoRuntime() };
}

export function describeFlags(flags: bigint, values: Readonly<Record<FlagName, bigint>>): string {
  const names = FLAG_NAMES.filter((name) => name !== "SA_RESTORER" && (flags & values[name]) !== 0n);
  return names.length === 0 ? "0" : names.join("|");
}

/** The hang watchdog in asherah-bun-signals (go/signals/abp_watchdog.c). */
export interface WatchdogLibrary {
  readonly path: string;
  /** 1 armed, 0 armed again while armed (nested); negative: -1 no thread, -2 bad ms, -4 unsupported platform. */
  arm(ms: number, what: string): number;
  /** 1 nothing armed any more, 0 an outer watch remains, -1 nothing was armed. */
  disarm(): number;
}

/**
 * Opened only when ASHERAH_BUN_PRELOAD_WATCHDOG_MS is set (the same library,
 * already loaded; this binds its dispatcher once more).
 */
export function openWatchdogLibrary(path: string): WatchdogLibrary {
  const { op } = openDispatcher(path, "signal helper library (watchdog)");
  return {
    path,
    arm: (ms, what) => op(OP.watchdogArm, ms, 0, cString(what)), // the C side copies the text before it returns
    disarm: () => op(OP.watchdogDisarm),
  };
}

/**
 * Reads a file in pieces, calling `visit` with each (a view into a reused
 * buffer). Returns false, having visited nothing, when the file cannot be
 * opened or its first read fails: the caller asks node:fs, whose error says
 * why (errno is not read here: binding __errno_location would cost another
 * trampoline, and anything run in between may change it).
 */
export type ChunkReader = (path: string, visit: (chunk: Uint8Array) => void) => boolean;

const O_RDONLY_CLOEXEC = 0o2000000;
const READ_CHUNK = 256 * 1024;

/**
 * open/read/close of glibc through bun:ffi. Loading node:fs costs ~3 ms on
 * Bun 1.4.5 and ~6–7 ms on 1.2.19 (binding these three symbols: 0.3 and
 * ~3 ms), and the preload must read its libraries before it loads them; the
 * C library is already in the process. Linux (glibc) only.
 */
export function openLibcReader(): ChunkReader {
  const lib = openLibrary(
    "libc.so.6",
    {
      open: { args: [FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
      read: { args: [FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i64 },
      close: { args: [FFIType.i32], returns: FFIType.i32 },
    },
    "C library",
  );
  const buffer = new Uint8Array(READ_CHUNK);
  return (path, visit) => {
    const name = cString(path);
    const fd = lib.symbols.open(ptr(name), O_RDONLY_CLOEXEC);
    if (fd < 0) return false;
    try {
      for (let visited = false; ; visited = true) {
        const count = Number(lib.symbols.read(fd, ptr(buffer), READ_CHUNK));
        if (count < 0 && !visited) return false; // e.g. a folder: EISDIR, as node:fs will say
        if (count < 0) throw Object.assign(new Error(`EIO: i/o error, read '${path}'`), { code: "EIO", syscall: "read", path });
        if (count === 0) return true;
        visit(buffer.subarray(0, count));
      }
    } finally {
      lib.symbols.close(fd);
    }
  };
}
