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

/**
 * A version as one number, major·10⁸ + minor·10⁴ + patch, or -1 when `text`
 * is not one. The patch may be followed by more ("1.2.19-canary.1" is
 * 1.2.19); major and minor may not. Digits by hand and no object: this runs
 * on every start (start.ts), where a process's first regular expression costs
 * ~80 µs to compile and every function's first call its compilation.
 */
export function versionCode(text: string): number {
  let code = 0;
  let part = 0;
  let digits = 0;
  let field = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : -1;
    if (c >= 48 && c <= 57) {
      if (++digits > 4) return -1;
      part = part * 10 + (c - 48);
      continue;
    }
    if (digits === 0) return -1;
    code = code * 10000 + part;
    if (field === 2) return code;
    if (c !== 46) return -1; // "."
    field++;
    part = 0;
    digits = 0;
  }
  return -1;
}

export function parseVersion(text: string): Version | undefined {
  const code = versionCode(text);
  if (code < 0) return undefined;
  return { major: Math.floor(code / 1e8), minor: Math.floor(code / 1e4) % 1e4, patch: code % 1e4 };
}

export function compareVersions(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** The first release without the hang (see the top of this file): 1.4.4. */
export const FIRST_FIXED = 1 * 1e8 + 4 * 1e4 + 4;

/** Where most of Bun 1.0.x's workarounds end: 1.1.0. */
export const BUN_1_1 = 1 * 1e8 + 1 * 1e4 + 0;

/**
 * The first release that runs a `// @bun @bun-cjs` file, the form of the
 * start bundle dist/preload.cjs (scripts/build.ts): 1.1.30. Earlier ones
 * evaluate it as one function expression and nothing else (src/entry.ts).
 */
export const BUN_CJS_FORM = 1 * 1e8 + 1 * 1e4 + 30;

/**
 * The first release that reports an error thrown by a `build.module`
 * callback as that error, to every form of import: 1.2.19. Until 1.2.18 it
 * became "Expected module mock to return an object" (measured on 1.1.45,
 * 1.2.0, 1.2.10, 1.2.15, 1.2.17, 1.2.18; plugin-serve.ts unservable).
 */
export const MODULE_CALLBACK_THROWS = 1 * 1e8 + 2 * 1e4 + 19;

/** True when `bunVersion` parses and is `min` (a versionCode) or later; an unparsable version is never "at least". */
export function atLeast(bunVersion: string, min: number): boolean {
  return versionCode(bunVersion) >= min;
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
