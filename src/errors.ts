// One error format for everything the preload refuses, built in one place:
//
//   asherah-bun-preload: <what happened>[ because <cause>]
//     <where: path, module, variable>              (when known)
//     <what to do>
//     (code <CODE>; ASHERAH_BUN_PRELOAD_DEBUG=1 for details)
//
// Start-up failures print this block and exit (exitOnStartFailure); errors
// thrown into the application (a refused guarded load, the programmatic
// install()) are built so that Bun's own printer shows the same block and
// nothing else. What Bun prints for an uncaught error, measured on 1.0.36,
// 1.2.19 and 1.4.5, from a preload, from require() and from a plugin module
// (guarded by test/unit/errors.test.ts and test/e2e/error-output.test.ts):
// - a source-code frame and the stack, from the frames captured when the
//   error was constructed; setting `stack` afterwards changes nothing, but an
//   error constructed with Error.stackTraceLimit = 0 has no frames to show;
// - `<name>: <message>` on the first line ("error: " for a plain Error), so
//   the prefix lives in `name` and appears exactly once;
// - an own `code` or `cause` property (any enumerability) on 1.2.19 and
//   1.4.5, the cause with its own source frame; 1.0.36 also finds them on the
//   prototype. `code` is therefore a prototype getter (1.0.36 adds one
//   ` code: "…"` line), and `cause` is only set with the debug variable; the
//   cause's text is folded into the first line instead.
// - a thrown non-Error (string, object) is printed twice or as an object dump.
import { DEBUG_VARIABLE, debugRequested } from "./debug.ts";

export { debugRequested };
export const PREFIX = "asherah-bun-preload";

/**
 * Every code the preload reports, the exit status of a process that stops
 * at start with it (sysexits.h values), and what it means. Documented in
 * docs/configuration.md; test/unit/docs.test.ts keeps the two in step.
 */
export const ERROR_CODES = {
  CONFIG: { status: 78, meaning: "an ASHERAH_BUN_PRELOAD_* variable has a value the preload does not accept" },
  UNSUPPORTED_PLATFORM: { status: 69, meaning: "no prebuilt libraries for this platform, CPU or libc" },
  LIBRARY_MISSING: { status: 66, meaning: "a native library does not exist or cannot be read" },
  LIBRARY_INVALID: { status: 65, meaning: "a native library is empty, not a file, truncated, for another CPU, or refused by the loader" },
  CHECKSUM_MISMATCH: { status: 65, meaning: "a shipped library's bytes differ from what the package shipped" },
  LIBRARY_UNSAFE: { status: 77, meaning: "a library, or its folder, is writable by every user (or reached through a symlink into such a folder)" },
  WARMUP_FAILED: { status: 70, meaning: "the Go warmup did not complete, so a guarded package was refused" },
  SIGNALS_FAILED: { status: 70, meaning: "the native core could not snapshot, repair or wrap a handler" },
  INTERNAL: { status: 70, meaning: "an unexpected error inside the preload (a bug: please report it)" },
} as const satisfies Record<string, { readonly status: number; readonly meaning: string }>;

export type PreloadErrorCode = keyof typeof ERROR_CODES;

/** Where the problem is: a free text, or the parts that apply. */
export type ErrorWhere = string | { readonly path?: string; readonly module?: string; readonly variable?: string };

export interface ErrorParts {
  readonly code: PreloadErrorCode;
  /** What happened, one sentence. A PreloadError cause is appended ("because …"). */
  readonly what: string;
  readonly where?: ErrorWhere;
  /** What to do next; may have several lines. */
  readonly next: string;
  readonly cause?: unknown;
}

const PREFIX_TEXT = `${PREFIX}: `;


function stripPrefix(text: string): string {
  return text.split(PREFIX_TEXT).join("");
}

/** One line: no prefix inside, no line breaks. */
function oneLine(text: string): string {
  return stripPrefix(text).replace(/\s*\n\s*/g, " ").trim();
}

function renderWhere(where: ErrorWhere | undefined): string | undefined {
  if (where === undefined) return undefined;
  if (typeof where === "string") return oneLine(where) || undefined;
  const parts = [
    where.module === undefined ? undefined : `module ${where.module}`,
    where.path === undefined ? undefined : where.path,
    where.variable === undefined ? undefined : `variable ${where.variable}`,
  ].filter((part) => part !== undefined);
  return parts.length > 0 ? parts.join(", ") : undefined;
}

function joinBecause(what: string, because: string): string {
  if (what.includes(because)) return what; // the call site already said it
  const head = what.replace(/[\s.;]+$/, "");
  return head.endsWith(":") ? `${head} ${because}` : `${head} because ${because}`;
}

function codeLine(code: PreloadErrorCode, debug: boolean): string {
  return debug ? `(code ${code})` : `(code ${code}; ${DEBUG_VARIABLE}=1 for details)`;
}

function isParts(value: unknown): value is ErrorParts {
  return typeof value === "object" && value !== null && "code" in value && "what" in value;
}

// Every copy of this package (dist/index.js, dist/api.js, a nested install)
// has its own class; the brand makes `instanceof PreloadError` true for an
// error from any of them, e.g. the preload's refusal caught by an application
// that imports PreloadError from "asherah-bun-preload/api".
const BRAND = Symbol.for("asherah-bun-preload.PreloadError");

export class PreloadError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  readonly #code: PreloadErrorCode;
  readonly #summary: string;
  readonly #where: string | undefined;
  readonly #next: string;
  readonly #cause: unknown;

  constructor(parts: ErrorParts);
  /** The original signature; `where` is optional. */
  constructor(code: PreloadErrorCode, what: string, next: string, options?: { readonly cause?: unknown; readonly where?: ErrorWhere });
  constructor(
    first: PreloadErrorCode | ErrorParts,
    what?: string,
    next?: string,
    options?: { readonly cause?: unknown; readonly where?: ErrorWhere },
  ) {
    const parts: ErrorParts = isParts(first) ? first : { code: first, what: what ?? "", next: next ?? "", where: options?.where, cause: options?.cause };
    const debug = debugRequested();
    const inner = parts.cause instanceof PreloadError ? parts.cause : undefined;
    let summary = oneLine(parts.what);
    if (inner !== undefined) summary = joinBecause(summary, inner.summary);
    const where = renderWhere(parts.where) ?? inner?.where;
    const advice = stripPrefix(parts.next).trim() || (inner?.next ?? "");
    const lines = [summary];
    if (where !== undefined) lines.push(`  ${where}`);
    if (advice !== "") lines.push(...advice.split("\n").map((line) => `  ${line.trim()}`));
    lines.push(`  ${codeLine(parts.code, debug)}`);
    // Without frames Bun prints the block and nothing else (see the top of
    // this file); the debug variable keeps the stack and the cause.
    const limit = Error.stackTraceLimit;
    if (!debug) Error.stackTraceLimit = 0;
    try {
      super(lines.join("\n"), debug && parts.cause !== undefined ? { cause: parts.cause } : undefined);
    } finally {
      Error.stackTraceLimit = limit;
    }
    this.#code = parts.code;
    this.#summary = summary;
    this.#where = where;
    this.#next = advice;
    this.#cause = parts.cause;
  }

  /** A prototype getter, not an own property: Bun 1.2+ would print an own `code` under the block. */
  get code(): PreloadErrorCode {
    return this.#code;
  }

  /** What happened, causes folded in, without the prefix: the first line of the block. */
  get summary(): string {
    return this.#summary;
  }

  get where(): string | undefined {
    return this.#where;
  }

  get next(): string {
    return this.#next;
  }

  /** The underlying error, also when `cause` is not set (it is only set with the debug variable). */
  get reason(): unknown {
    return this.#cause;
  }
}
// The bundle minifies identifiers: the class keeps its own name for
// err.constructor.name (err.name is set below).
Object.defineProperty(PreloadError, "name", { value: "PreloadError" });
// On the prototype, so no own property is added to each error; Bun prints `<name>: <message>`.
Object.defineProperty(PreloadError.prototype, "name", { value: PREFIX, writable: true, configurable: true, enumerable: false });
Object.defineProperty(PreloadError.prototype, BRAND, { value: true, enumerable: false });

/** Any thrown value as a PreloadError: unexpected ones become INTERNAL, keeping the original as the cause. */
export function toPreloadError(error: unknown): PreloadError {
  if (error instanceof PreloadError) return error;
  return new PreloadError({
    code: "INTERNAL",
    what: `unexpected error: ${describeError(error)}`,
    next: `This is a bug in asherah-bun-preload. Report it with the output of ${DEBUG_VARIABLE}=1.`,
    cause: error,
  });
}

/** One line for logs, status() and other messages: what happened, without prefix or advice. */
export function describeError(error: unknown): string {
  if (error instanceof PreloadError) return error.summary;
  if (error instanceof Error) return oneLine(error.message);
  return oneLine(String(error));
}

function indent(text: string, by: string): string {
  return text
    .split("\n")
    .map((line) => by + line)
    .join("\n");
}

/** The printed block; with `debug`, followed by the stack and every cause with its stack. */
export function formatError(error: unknown, options: { readonly debug?: boolean } = {}): string {
  const preload = toPreloadError(error);
  const debug = options.debug ?? debugRequested();
  if (!debug) return `${PREFIX_TEXT}${preload.message}`;
  const block = `${PREFIX_TEXT}${preload.message.replace(/\(code (\w+); [^)]*\)$/, "(code $1)")}`;
  const out = [block];
  const frames = (preload.stack ?? "").split("\n").filter((line) => /^\s+at /.test(line));
  if (frames.length > 0) out.push(frames.join("\n"));
  const seen = new Set<unknown>([preload]);
  for (let cause = preload.reason; cause !== undefined && !seen.has(cause); cause = cause instanceof PreloadError ? cause.reason : (cause as { cause?: unknown } | null)?.cause) {
    seen.add(cause);
    const text = cause instanceof PreloadError ? `${PREFIX_TEXT}${cause.message}\n${cause.stack ?? ""}` : cause instanceof Error ? (cause.stack ?? `${cause.name}: ${cause.message}`) : String(cause);
    out.push(`  caused by:\n${indent(text.trimEnd(), "    ")}`);
  }
  return out.join("\n");
}

/** The exit status for a process that stops at start with this error (ERROR_CODES). */
export function exitStatus(error: unknown): number {
  return ERROR_CODES[toPreloadError(error).code].status;
}

/**
 * The preload entry's failure path: the block on stderr, then exit with the
 * code's status, instead of an uncaught error that Bun would print with a
 * source frame of the bundle. Never returns.
 */
export function exitOnStartFailure(error: unknown): never {
  process.stderr.write(`${formatError(error)}\n`);
  process.exit(exitStatus(error));
}

const THROWN = Symbol.for("asherah-bun-preload.thrown-errors");
const KEPT_ERRORS = 64;

/**
 * JavaScript source that throws `error` itself when evaluated: for a plugin
 * module, whose callback cannot throw reliably. The object waits in a small
 * process-wide table (shared by every copy of this package, like the state);
 * the source falls back to an Error carrying the same text and code if it is
 * gone.
 */
export function throwingSource(error: unknown): string {
  const holder = globalThis as unknown as Record<symbol, Map<number, unknown> | undefined>;
  let table = holder[THROWN];
  if (table === undefined) {
    table = new Map();
    Object.defineProperty(globalThis, THROWN, { value: table, enumerable: false, configurable: false, writable: false });
  }
  const id = (Math.max(0, ...table.keys()) + 1) | 0;
  table.set(id, error);
  for (const old of table.keys()) if (table.size > KEPT_ERRORS) table.delete(old);
  const preload = toPreloadError(error);
  const fallback = `Object.assign(new Error(${JSON.stringify(preload.message)}), { name: ${JSON.stringify(PREFIX)}, code: ${JSON.stringify(preload.code)} })`;
  return `throw globalThis[Symbol.for(${JSON.stringify(THROWN.description)})]?.get(${id}) ?? ${fallback};`;
}
