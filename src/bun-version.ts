// Which Bun releases suspend threads in a way a Go runtime breaks.
// Evidence: docs/compatibility.md. Every release from 1.0.36 through 1.3.14
// hangs without the preload. 1.4.0 carries WebKit's fix for the common case
// (GC, WebAssembly), but terminating a Worker that called into Go still hangs
// on 1.4.0–1.4.3 (matrix: 1.4.0 worker/napi 15 of 20; 1.4.3 6 of 8); 1.4.4 and
// later did not hang in any scenario.

export interface Version {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

export function parseVersion(text: string): Version | undefined {
  // Digits by hand: this runs on every start (start.ts), where a process's
  // first regular expression costs ~80 µs to compile.
  const parts = text.split(".", 3);
  const numbers: number[] = [];
  for (let i = 0; i < 3; i++) {
    const part = parts[i] ?? "";
    let end = 0;
    while (end < part.length && part.charCodeAt(end) >= 48 && part.charCodeAt(end) <= 57) end++;
    // The patch may be followed by more ("1.2.19-canary.1"); major and minor may not.
    if (end === 0 || (i < 2 && end !== part.length)) return undefined;
    numbers.push(Number(part.slice(0, end)));
  }
  return { major: numbers[0]!, minor: numbers[1]!, patch: numbers[2]! };
}

export function compareVersions(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

export const FIRST_FIXED: Version = { major: 1, minor: 4, patch: 4 };

/** Where most of Bun 1.0.x's workarounds end. */
export const BUN_1_1: Version = { major: 1, minor: 1, patch: 0 };

/** True when `bunVersion` parses and is `min` or later; an unparsable version is never "at least". */
export function atLeast(bunVersion: string, min: Version): boolean {
  const version = parseVersion(bunVersion);
  return version !== undefined && compareVersions(version, min) >= 0;
}

/** True when JSC's suspend handler hangs once a Go runtime adds SA_ONSTACK to it. */
export function isAffected(bunVersion: string, platform: string): boolean {
  if (platform !== "linux") return false;
  // An unparsable version is treated as affected: repairing an unaffected Bun
  // costs one sigaction call, missing an affected one costs a hang.
  return !atLeast(bunVersion, FIRST_FIXED);
}

/**
 * Whether guarded JavaScript entries can be served through the plugin. On Bun
 * 1.0.x a plugin-provided module loses the named exports Bun would otherwise
 * give a CommonJS package (`import { x } from "pkg"` fails), so there the
 * guard for JavaScript entries stays at the native load (process.dlopen).
 */
export function supportsJsEntryGuard(bunVersion: string): boolean {
  return atLeast(bunVersion, BUN_1_1);
}

/**
 * Whether the warmup can wait for the first guarded load (lazy mode). On Bun
 * 1.0.x a bun:ffi library opened inside a native module load (our
 * process.dlopen wrapper) can crash on its first call: SIGSEGV at the
 * trampoline, which Go's forwarding handler turns into an endless fault loop
 * (11 of 30 runs). There lazy mode warms up at start instead.
 */
export function supportsLazyWarmup(bunVersion: string): boolean {
  return atLeast(bunVersion, BUN_1_1);
}

/**
 * Whether the warmup may run on the core's thread while the application
 * starts. On Bun 1.0.x it may not: a Go runtime starting while the
 * application compiles bun:ffi trampolines and collects garbage ended in
 * Bun 1.0.x's fault loop (matrix 1.0.36 gc/ffi: 9 of 20 runs hung, 0 of 20
 * with the warmup waited for at start); there the preload waits for it,
 * as before, and collects after it (needsCollectAfterInstall).
 */
export function supportsBackgroundWarmup(bunVersion: string): boolean {
  return atLeast(bunVersion, BUN_1_1);
}

/** Bun 1.0.x: a full collection right after install() (see install.ts). */
export function needsCollectAfterInstall(bunVersion: string): boolean {
  return !atLeast(bunVersion, BUN_1_1);
}

/**
 * Whether the preload may use bun:ffi beyond its two libraries (the C
 * library's read() for checksums, files.ts). Bun 1.0.x frees trampolines
 * with their library objects and crashed on ffi libraries opened at the
 * wrong moment (see native.ts, install.ts); there it uses node:fs instead.
 */
export function ffiForFileReads(bunVersion: string): boolean {
  return atLeast(bunVersion, BUN_1_1);
}
