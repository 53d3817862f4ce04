// An error of the application's own load (a damaged addon, a missing file)
// that passes through one of the preload's wrappers would be shown by Bun at
// the wrapper's line, with the bundle's frames under it. Taking the frames
// from the wrapper up off it makes Bun show it as it would without the
// preload: at the application's require() (test/e2e/error-output.test.ts,
// "a damaged guarded addon"). The preload's own errors (name
// "asherah-bun-preload", errors.ts) and the others it builds without frames
// (NO_FRAMES: plugin-serve.ts missingEntryError) are left alone: re-capturing
// would give them the loader's frames (Bun 1.2.19). The debug variable keeps
// every frame.
import { atLeast, BUN_1_1 } from "./bun-version.ts";

/** A property the preload's other frameless errors have (on their prototype): nothing to take off. */
export const NO_FRAMES = "abpNoFrames";

/**
 * `error` with the frames of `wrapper` and everything it called taken off;
 * returned for `throw`. Only where all that `wrapper` called is the preload's
 * or the loader's: a guarded package's own JavaScript would lose its frames.
 */
export function fromCallersLine(error: unknown, wrapper: Function, debug: boolean | undefined): unknown {
  // Bun 1.0.x re-captures from the wrong frame and renames the error in its stack: left alone there.
  if (!debug && error instanceof Error && error.name !== "asherah-bun-preload" && !(NO_FRAMES in error) && typeof Error.captureStackTrace === "function" && atLeast(Bun.version, BUN_1_1)) {
    try {
      Error.captureStackTrace(error, wrapper);
    } catch {
      // An error whose stack cannot be redefined keeps the frames it has.
    }
  }
  return error;
}
