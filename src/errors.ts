// Every error the preload raises says what happened, where, and what to do
// next; the code lets tests and callers tell the cases apart without parsing text.
export type PreloadErrorCode =
  | "CONFIG"
  | "UNSUPPORTED_PLATFORM"
  | "LIBRARY_MISSING"
  | "LIBRARY_INVALID"
  | "CHECKSUM_MISMATCH"
  | "LIBRARY_UNSAFE"
  | "WARMUP_FAILED"
  | "SIGNALS_FAILED";

export class PreloadError extends Error {
  readonly code: PreloadErrorCode;

  constructor(code: PreloadErrorCode, what: string, next: string, options?: { cause?: unknown }) {
    super(`asherah-bun-preload: ${what}\n  ${next.split("\n").join("\n  ")}`, options);
    this.name = "PreloadError";
    this.code = code;
  }
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
