// The start path's door to the rest of the package.
//
// Every function that runs while a Bun process starts costs its parse and
// first compilation, and the preload runs in every process of a project:
// src/start.ts carries only the default path, and everything else — the
// general install() for other settings, errors, the load guards, the plugin
// — lives in dist/cold.js, required here on first use (a failure, the first
// native load, an installed guarded package). docs/performance.md has the
// measurements.
//
// How it is required differs by where the code runs, so the build defines it
// (package.json "build": --footer): the bundles of the published package end
// with `function __abpRequireCold()`. In the published files it takes
// `import.meta.require("./cold.js")`, relative to the bundle itself — never a
// bare `require`, which in a `bun -e` process is the eval's own, relative to
// the current directory (test/e2e/errors.test.ts, linux-ppc64). Inside a
// `bun build --compile` binary it takes its literal `require("./cold.js")`,
// which the application's bundler saw and embedded (Bun's bundler turns a
// `require` in our source into `import.meta.require`, which it does not
// follow: test/e2e/loading.test.ts, "bun build --compile"). A footer adds no
// mapped code, so the source maps stay exact. Under src/ (tests) there is no
// footer, and Bun resolves "./cold.js" to cold.ts.
import { DEBUG_VARIABLE, debugRequested } from "./debug.ts";

export type Cold = typeof import("./cold.ts");

declare const __abpRequireCold: (() => Cold) | undefined;

let loaded: Cold | undefined;

export function cold(): Cold {
  if (loaded !== undefined) return loaded;
  try {
    loaded = typeof __abpRequireCold === "function" ? __abpRequireCold() : (require("./cold.js") as Cold);
  } catch (error) {
    throw missingColdHalf(error);
  }
  return loaded;
}

/**
 * dist/cold.js is not beside this bundle: a copy of the package without it,
 * or the preload bundled into an application by a plain `bun build`, which
 * cannot carry what the preload loads from beside itself (its cold half, its
 * prebuilt libraries). Bun's "Cannot find module './cold.js'" says none of
 * that; the error block is built here, since errors.ts is in the missing half
 * (test/e2e/loading.test.ts, "a plain bun build bundle").
 */
function missingColdHalf(error: unknown): unknown {
  // Anything else — a chunk missing beside it, an error while it
  // initialises — is passed on as it is.
  if (!isNotFound(error, "cold.js")) return error;
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0; // the block, not a frame of the bundle (errors.ts does the same)
  try {
    const missing = new Error(
      `${import.meta.dir}/cold.js is missing: this copy of asherah-bun-preload is incomplete, or it was bundled into an application (bun build), which cannot carry the files the preload loads from beside itself.\n` +
        "  Keep asherah-bun-preload and asherah out of the bundle (bun build --external asherah-bun-preload --external asherah) and preload it from bunfig.toml or with --preload; otherwise reinstall asherah-bun-preload.\n" +
        `  (code ${MISSING_CODE}; ${DEBUG_VARIABLE}=1 for details)`,
      debugRequested() ? { cause: error } : undefined,
    );
    missing.name = "asherah-bun-preload";
    return missing;
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** Whether `error` is Bun's resolve error for a specifier ending in `file` (its code and specifier on 1.1 – 1.4): `./<file>` beside this one, or an absolute path. */
export function isNotFound(error: unknown, file: string): boolean {
  const { code, specifier } = (error ?? {}) as { code?: unknown; specifier?: unknown };
  return code === "MODULE_NOT_FOUND" && typeof specifier === "string" && specifier.endsWith(file);
}

/** errors.ts ERROR_CODES: the code and exit status of a missing file. */
const MISSING_CODE = "LIBRARY_MISSING";
export const MISSING_STATUS = 66;

/** The cold half at start: when it is missing, the error block and exit status 66, as errors.ts exitOnStartFailure would; any other failure as it is. */
export function coldAtStart(): Cold {
  try {
    return cold();
  } catch (error) {
    if (!(error instanceof Error && error.name === "asherah-bun-preload")) throw error;
    const cause = (error as { cause?: unknown }).cause; // set only when debugRequested()
    process.stderr.write(`${error.name}: ${error.message}\n`);
    if (cause !== undefined) process.stderr.write(`  caused by: ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}\n`);
    process.exit(MISSING_STATUS);
  }
}
