// An error of the application's own load (a damaged addon, a missing file)
// that passes through one of the preload's wrappers would be shown by Bun at
// the wrapper's line, with the bundle's frames under it. Taking the frames
// from the wrapper up off it makes Bun show it as it would without the
// preload: at the application's require() (test/e2e/errors.test.ts,
// "a damaged guarded addon"). The preload's own errors (name
// "asherah-bun-preload", errors.ts) carry no frames already; the debug
// variable keeps every frame.

/**
 * `error` with the frames of `wrapper` and everything it called taken off;
 * returned for `throw`. Only where nothing but the preload and the loader ran
 * below `wrapper`: a guarded package's own JavaScript would lose its frames.
 */
export function fromCallersLine(error: unknown, wrapper: Function, debug: boolean | undefined): unknown {
  if (!debug && error instanceof Error && error.name !== "asherah-bun-preload" && typeof Error.captureStackTrace === "function") {
    try {
      Error.captureStackTrace(error, wrapper);
    } catch {
      // An error whose stack cannot be redefined keeps the frames it has.
    }
  }
  return error;
}

/** Thrown by Bun's loader itself (a file that is not a library, a missing symbol), not by JavaScript it ran. */
export function isNativeLoadError(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "ERR_DLOPEN_FAILED";
}
