// `asherah-bun-preload doctor`: everything that decides whether a Go-based
// module will hang, load or crash under this Bun in this directory, checked
// without loading any Go code: the Bun version, the platform, the two
// libraries the preload would load (and their checksums), whether bunfig.toml
// enables the preload, which guarded packages resolve and whether their
// native files carry a Go runtime and are linked NODELETE, and the signal
// dispositions the process starts with.
//
// The pieces that read bytes (TOML subset, ELF dynamic section, Go build
// info) are pure functions so they can be tested on crafted input.
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { constants } from "node:os";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { isAffected, parseVersion } from "./bun-version.ts";
import { DEFAULT_PACKAGES, readConfig, type Config } from "./config.ts";
import { describeError } from "./errors.ts";
import { checkElf, describeElfProblem, readElfHeader } from "./elf.ts";
import { parseChecksums, sha256File } from "./integrity.ts";
import { PREBUILDS_DIR } from "./lifecycle.ts";
import { openSignalLibrary, type SignalLibrary } from "./native.ts";
import { currentPlatform, locatePrebuilds, type PlatformKey } from "./platform.ts";
import { resolvePackageEntry } from "./resolve.ts";
import { describeDisposition } from "./signals.ts";
import { processState } from "./state.ts";

export const PACKAGE_NAME = "asherah-bun-preload";
/** This copy of the package. */
export const PACKAGE_ROOT = resolve(import.meta.dir, "..");
/** This copy's preload entry as published ("exports" ".") and its source, which works as a preload too. */
const ENTRY_FILES = ["dist/index.js", "src/index.ts"] as const;
export const SELF_ENTRY = join(PACKAGE_ROOT, ENTRY_FILES[0]);

// ---------------------------------------------------------------------------
// bunfig.toml: the small subset of TOML that decides `preload`.
// ---------------------------------------------------------------------------

export interface BunfigPreloads {
  /** Top-level `preload` (bun run / bun <file>); undefined when absent. */
  readonly run: readonly string[] | undefined;
  /** `[test] preload` (bun test ignores the top-level one). */
  readonly test: readonly string[] | undefined;
  /** Lines that could not be read; the rest of the file is still used. */
  readonly warnings: readonly string[];
}

type TomlValue = string | TomlValue[] | { [key: string]: TomlValue } | { readonly other: string };

interface Token {
  readonly kind: "nl" | "[" | "]" | "=" | "," | "{" | "}" | "string" | "bare";
  readonly text: string;
  readonly line: number;
}

class TomlError extends Error {
  constructor(readonly line: number, message: string) {
    super(message);
  }
}

function unescapeBasic(body: string, line: number): string {
  return body.replace(/\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)/g, (_, esc: string) => {
    switch (esc[0]) {
      case "n":
        return "\n";
      case "t":
        return "\t";
      case "r":
        return "\r";
      case "b":
        return "\b";
      case "f":
        return "\f";
      case '"':
        return '"';
      case "\\":
        return "\\";
      case "u":
      case "U":
        return String.fromCodePoint(parseInt(esc.slice(1), 16));
      default:
        throw new TomlError(line, `unknown escape \\${esc}`);
    }
  });
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "\n") {
      tokens.push({ kind: "nl", text: c, line });
      line++;
      i++;
    } else if (c === " " || c === "\t" || c === "\r") {
      i++;
    } else if (c === "#") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if ("[]=,{}".includes(c)) {
      tokens.push({ kind: c as Token["kind"], text: c, line });
      i++;
    } else if (c === '"' || c === "'") {
      const triple = text.startsWith(c.repeat(3), i);
      const quote = triple ? c.repeat(3) : c;
      let j = i + quote.length;
      let body = "";
      for (;;) {
        if (j >= text.length || (!triple && text[j] === "\n")) throw new TomlError(line, "unterminated string");
        if (text.startsWith(quote, j)) break;
        if (c === '"' && text[j] === "\\") {
          body += text.slice(j, j + 2);
          j += 2;
          continue;
        }
        if (text[j] === "\n") line++;
        body += text[j];
        j++;
      }
      if (triple && body.startsWith("\n")) body = body.slice(1);
      tokens.push({ kind: "string", text: c === '"' ? unescapeBasic(body, line) : body, line });
      i = j + quote.length;
    } else {
      // Bare keys and scalars (numbers, booleans, dates); dotted keys are split by the parser.
      let j = i;
      while (j < text.length && !/[\s#\[\]=,{}"']/.test(text[j]!)) j++;
      if (j === i) throw new TomlError(line, `unexpected character ${JSON.stringify(c)}`);
      tokens.push({ kind: "bare", text: text.slice(i, j), line });
      i = j;
    }
  }
  return tokens;
}

/** Parses bunfig.toml's `preload` and `[test] preload`; never throws. */
export function parseBunfigPreloads(text: string): BunfigPreloads {
  const issues: { line: number; text: string }[] = [];
  const found = new Map<string, TomlValue>();
  let tokens: Token[];
  try {
    tokens = tokenize(text);
  } catch (error) {
    // A broken string somewhere: read line by line so the other lines still count.
    if (!(error instanceof TomlError)) throw error;
    tokens = [];
    for (const [index, raw] of text.split("\n").entries()) {
      try {
        tokens.push(...tokenize(raw).map((t) => ({ ...t, line: index + 1 })));
      } catch (lineError) {
        issues.push({ line: index + 1, text: (lineError as Error).message });
      }
      tokens.push({ kind: "nl", text: "\n", line: index + 1 });
    }
  }
  let pos = 0;
  let table: string[] = [];
  const peek = () => tokens[pos];
  const next = () => tokens[pos++];
  const expect = (kind: Token["kind"]) => {
    const token = next();
    if (token === undefined || token.kind !== kind) throw new TomlError(token?.line ?? 0, `expected "${kind}"${token ? `, found ${JSON.stringify(token.text)}` : " at end of file"}`);
    return token;
  };
  const skipNewlines = () => {
    while (peek()?.kind === "nl") pos++;
  };
  // a, a.b, "a".b, a."b.c": quoted parts are one segment, bare ones split at dots.
  const key = (): string[] => {
    const parts: string[] = [];
    for (;;) {
      const token = next();
      if (token === undefined || (token.kind !== "bare" && token.kind !== "string")) throw new TomlError(token?.line ?? 0, "expected a key");
      if (token.kind === "string") parts.push(token.text);
      else parts.push(...token.text.split(".").filter((part) => part !== ""));
      const after = peek();
      const joined = token.kind === "bare" && token.text.endsWith(".");
      if (joined || (after?.kind === "bare" && after.text.startsWith("."))) continue;
      if (parts.length === 0) throw new TomlError(token.line, "expected a key");
      return parts;
    }
  };
  const value = (): TomlValue => {
    const token = next();
    if (token === undefined) throw new TomlError(0, "expected a value at end of file");
    if (token.kind === "string") return token.text;
    if (token.kind === "bare") return { other: token.text };
    if (token.kind === "[") {
      const items: TomlValue[] = [];
      for (;;) {
        skipNewlines();
        if (peek()?.kind === "]") {
          pos++;
          return items;
        }
        items.push(value());
        skipNewlines();
        const sep = next();
        if (sep?.kind === "]") return items;
        if (sep?.kind !== ",") throw new TomlError(sep?.line ?? token.line, "expected \",\" or \"]\" in an array");
      }
    }
    if (token.kind === "{") {
      const table: { [key: string]: TomlValue } = {};
      if (peek()?.kind === "}") {
        pos++;
        return table;
      }
      for (;;) {
        const path = key();
        expect("=");
        setPath(table, path, value(), token.line);
        const sep = next();
        if (sep?.kind === "}") return table;
        if (sep?.kind !== ",") throw new TomlError(sep?.line ?? token.line, "expected \",\" or \"}\" in an inline table");
      }
    }
    throw new TomlError(token.line, `unexpected ${JSON.stringify(token.text)}`);
  };
  const setPath = (target: { [key: string]: TomlValue }, path: string[], v: TomlValue, line: number) => {
    let node = target;
    for (const part of path.slice(0, -1)) {
      const child = node[part];
      if (child === undefined) node = node[part] = {};
      else if (typeof child === "object" && !Array.isArray(child) && !("other" in child)) node = child as { [key: string]: TomlValue };
      else throw new TomlError(line, `${path.join(".")} is defined twice`);
    }
    node[path[path.length - 1]!] = v;
  };
  const record = (path: string[], v: TomlValue) => {
    // Flatten inline tables so `test = { preload = [...] }` counts too.
    if (typeof v === "object" && !Array.isArray(v) && !("other" in v)) {
      for (const [k, child] of Object.entries(v)) record([...path, k], child);
      return;
    }
    found.set(path.join("\u0000"), v);
  };

  while (pos < tokens.length) {
    const start = pos;
    try {
      skipNewlines();
      const token = peek();
      if (token === undefined) break;
      if (token.kind === "[") {
        pos++;
        const arrayTable = peek()?.kind === "[";
        if (arrayTable) pos++;
        const path = key();
        expect("]");
        if (arrayTable) expect("]");
        // An array of tables holds no preload bunfig knows; keep its name distinct.
        table = arrayTable ? [`[[${path.join(".")}]]`] : path;
      } else {
        const path = key();
        expect("=");
        record([...table, ...path], value());
      }
      const end = next();
      if (end !== undefined && end.kind !== "nl") throw new TomlError(end.line, `unexpected ${JSON.stringify(end.text)} after a value`);
    } catch (error) {
      if (!(error instanceof TomlError)) throw error;
      issues.push({ line: error.line || tokens[start]?.line || 0, text: error.message });
      // Resynchronise at the next line.
      while (pos < tokens.length && tokens[pos]!.kind !== "nl") pos++;
    }
  }

  const warnings = issues.sort((a, b) => a.line - b.line).map((issue) => `line ${issue.line || "?"}: ${issue.text}`);
  const list = (path: string[]): string[] | undefined => {
    const v = found.get(path.join("\u0000"));
    if (v === undefined) return undefined;
    if (typeof v === "string") return [v];
    if (Array.isArray(v) && v.every((item): item is string => typeof item === "string")) return v;
    warnings.push(`${path.join(".")} is not a string or an array of strings; Bun will not accept it`);
    return [];
  };
  return { run: list(["preload"]), test: list(["test", "preload"]), warnings };
}

// ---------------------------------------------------------------------------
// Preload entries: is this entry asherah-bun-preload?
// ---------------------------------------------------------------------------

export type EntryKind =
  /** This very copy of asherah-bun-preload. */
  | "self"
  /** asherah-bun-preload, another copy (resolves, but not the one running the doctor). */
  | "package"
  /** Meant to be asherah-bun-preload but does not resolve: Bun stops with "preload not found". */
  | "missing"
  /** Some other preload that resolves (or that the doctor cannot judge). */
  | "other"
  /** Some other preload that does not resolve: Bun stops with "preload not found" too. */
  | "broken";

export interface EntryCheck {
  readonly entry: string;
  readonly kind: EntryKind;
  readonly resolved?: string;
}

function realpathOrUndefined(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

function packageNameAt(dir: string): string | undefined {
  try {
    const name = (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: unknown }).name;
    return typeof name === "string" ? name : undefined;
  } catch {
    return undefined;
  }
}

// What Bun tries for a preload path without an extension.
const PATH_SUFFIXES = ["", ".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs", "/index.ts", "/index.js"];

/**
 * Whether a bunfig preload entry, read relative to `dir`, is asherah-bun-preload.
 * Bun's rule (checked on 1.2.19 and 1.4.5): only "./", "../" and absolute
 * entries are paths; anything else is a package specifier resolved through
 * the package's "exports", so "asherah-bun-preload/src/index.ts" and
 * "node_modules/asherah-bun-preload/src/index.ts" are "preload not found".
 */
export function classifyPreloadEntry(entry: string, dir: string, selfRoot: string = PACKAGE_ROOT): EntryCheck {
  const selves = ENTRY_FILES.map((file) => realpathOrUndefined(join(selfRoot, file)) ?? join(selfRoot, file));
  const mentionsUs = entry.includes(PACKAGE_NAME);
  const judgeFile = (file: string): EntryCheck => {
    const real = realpathOrUndefined(file) ?? file;
    if (selves.includes(real)) return { entry, kind: "self", resolved: real };
    const isOurs = ENTRY_FILES.some((f) => real.endsWith(`/${f}`) && packageNameAt(real.slice(0, -f.length - 1)) === PACKAGE_NAME);
    return { entry, kind: isOurs ? "package" : "other", resolved: real };
  };
  const unresolved = (resolved?: string): EntryCheck => ({ entry, kind: mentionsUs ? "missing" : "broken", resolved });
  if (entry.startsWith("./") || entry.startsWith("../") || isAbsolute(entry)) {
    const base = resolve(dir, entry);
    for (const suffix of PATH_SUFFIXES) {
      const file = base + suffix;
      try {
        if (statSync(file).isFile()) return judgeFile(file);
      } catch {
        // try the next form
      }
    }
    return unresolved(base);
  }
  const match = /^((?:@[^/]+\/)?[^/]+)(\/.*)?$/.exec(entry);
  const name = match?.[1];
  const subpath = match?.[2];
  if (name === undefined) return { entry, kind: "other" };
  if (name === PACKAGE_NAME) {
    // Our "exports" offer "." (the preload), "./api" and "./package.json" (no preload); anything else does not resolve.
    if (subpath === undefined) {
      const found = resolvePackageEntry(PACKAGE_NAME, dir);
      return found !== undefined && existsSync(found.entry) ? judgeFile(found.entry) : unresolved(found?.entry);
    }
    if (subpath === "/api" || subpath === "/package.json") return { entry, kind: "other" };
    return unresolved();
  }
  // Someone else's package: it must be installed; its subpaths depend on its exports (not judged).
  if (resolvePackageEntry(name, dir) === undefined) return unresolved();
  return { entry, kind: "other" };
}

// ---------------------------------------------------------------------------
// Native files: Go runtime and NODELETE, read from the bytes.
// ---------------------------------------------------------------------------

const GO_BUILDINFO_MAGIC = Buffer.from("\xff Go buildinf:", "latin1");
const CGO_WAIT_SYMBOL = "_cgo_wait_runtime_init_done";
const DT_NULL = 0n;
const DT_FLAGS_1 = 0x6ffffffbn;
const DF_1_NODELETE = 0x8n;
const PT_DYNAMIC = 2;
const SHT_DYNSYM = 11;

function readVarint(buf: Buffer, at: number): { value: number; next: number } | undefined {
  let value = 0;
  let shift = 0;
  for (let i = at; i < buf.length && i < at + 5; i++) {
    const byte = buf[i]!;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return { value, next: i + 1 };
    shift += 7;
  }
  return undefined;
}

export interface GoBuildInfo {
  /** The "\xff Go buildinf:" header is present. */
  readonly found: boolean;
  /** e.g. "go1.26.8"; only for the inline format of Go >= 1.18. */
  readonly goVersion?: string;
}

/** Pure: finds Go's build info header (section .go.buildinfo, 16-byte aligned) and its Go version. */
export function findGoBuildInfo(buf: Buffer): GoBuildInfo {
  let at = buf.indexOf(GO_BUILDINFO_MAGIC);
  while (at >= 0 && at % 16 !== 0) at = buf.indexOf(GO_BUILDINFO_MAGIC, at + 1);
  if (at < 0) return { found: false };
  const flags = buf[at + 15] ?? 0;
  if ((flags & 0x2) === 0) return { found: true }; // pre-1.18 layout: pointers, not inline strings
  const length = readVarint(buf, at + 32);
  if (length === undefined || length.value > 64 || length.next + length.value > buf.length) return { found: true };
  const version = buf.toString("latin1", length.next, length.next + length.value);
  return /^go[0-9][\w.+-]*$|^devel /.test(version) ? { found: true, goVersion: version } : { found: true };
}

export interface ElfDynamicInfo {
  /** DT_FLAGS_1 & DF_1_NODELETE; undefined when the file has no dynamic section. */
  readonly nodelete: boolean | undefined;
  /** `_cgo_wait_runtime_init_done` is a defined dynamic symbol (every cgo-built object has it). */
  readonly cgoSymbol: boolean;
}

/** Pure: reads DT_FLAGS_1 from PT_DYNAMIC and looks the cgo symbol up in .dynsym. 64-bit little-endian ELF only. */
export function readElfDynamic(buf: Buffer): ElfDynamicInfo | undefined {
  if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2 || buf[5] !== 1) return undefined;
  const { phoff, shoff, phentsize, phnum, shentsize, shnum } = readElfHeader(buf);
  let nodelete: boolean | undefined;
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (ph + 56 > buf.length) break;
    if (buf.readUInt32LE(ph) !== PT_DYNAMIC) continue;
    const offset = Number(buf.readBigUInt64LE(ph + 8));
    const size = Number(buf.readBigUInt64LE(ph + 32));
    nodelete = false;
    for (let at = offset; at + 16 <= Math.min(buf.length, offset + size); at += 16) {
      const tag = buf.readBigInt64LE(at);
      if (tag === DT_NULL) break;
      if (tag === DT_FLAGS_1) nodelete = (buf.readBigUInt64LE(at + 8) & DF_1_NODELETE) !== 0n;
    }
  }
  let cgoSymbol = false;
  if (shentsize === 64 && shoff > 0 && shoff + shnum * 64 <= buf.length) {
    for (let i = 0; i < shnum && !cgoSymbol; i++) {
      const sh = shoff + i * 64;
      if (buf.readUInt32LE(sh + 4) !== SHT_DYNSYM) continue;
      const symOffset = Number(buf.readBigUInt64LE(sh + 24));
      const symSize = Number(buf.readBigUInt64LE(sh + 32));
      const link = buf.readUInt32LE(sh + 40);
      const strSh = shoff + link * 64;
      if (link >= shnum) continue;
      const strOffset = Number(buf.readBigUInt64LE(strSh + 24));
      const strSize = Number(buf.readBigUInt64LE(strSh + 32));
      for (let at = symOffset; at + 24 <= Math.min(buf.length, symOffset + symSize); at += 24) {
        const name = buf.readUInt32LE(at);
        const shndx = buf.readUInt16LE(at + 6);
        if (shndx === 0 || name >= strSize) continue; // undefined symbols are imports, not a runtime
        const start = strOffset + name;
        const end = buf.indexOf(0, start);
        if (end > start && buf.toString("latin1", start, end) === CGO_WAIT_SYMBOL) {
          cgoSymbol = true;
          break;
        }
      }
    }
  }
  // Section headers stripped: fall back to the dynamic string table's bytes.
  if (!cgoSymbol && (shoff === 0 || shnum === 0)) cgoSymbol = buf.includes(Buffer.from(`\0${CGO_WAIT_SYMBOL}\0`, "latin1"));
  return { nodelete, cgoSymbol };
}

export interface NativeFileReport {
  readonly path: string;
  readonly size: number;
  readonly elf: boolean;
  /** A Go runtime is linked in: Go build info and/or the cgo runtime symbol. */
  readonly goRuntime: boolean;
  readonly goVersion?: string;
  readonly goBuildInfo: boolean;
  readonly cgoSymbol: boolean;
  /** undefined: not an ELF shared object (nothing to check). */
  readonly nodelete: boolean | undefined;
  readonly error?: string;
}

export function inspectNativeFile(path: string): NativeFileReport {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (error) {
    return { path, size: 0, elf: false, goRuntime: false, goBuildInfo: false, cgoSymbol: false, nodelete: undefined, error: describeError(error) };
  }
  const go = findGoBuildInfo(buf);
  const dynamic = readElfDynamic(buf);
  return {
    path,
    size: buf.length,
    elf: dynamic !== undefined,
    goRuntime: go.found || (dynamic?.cgoSymbol ?? false),
    goVersion: go.goVersion,
    goBuildInfo: go.found,
    cgoSymbol: dynamic?.cgoSymbol ?? false,
    nodelete: dynamic?.nodelete,
  };
}

/** The native files of an installed package: its entry and every .node/.so/.dylib below its root. */
export function nativeFilesOf(root: string, entry: string | undefined, limit = 50): string[] {
  const files = new Set<string>();
  if (entry !== undefined && /\.(node|so|dylib)$/.test(entry) && existsSync(entry)) files.add(entry);
  const walk = (dir: string, depth: number) => {
    if (depth > 5 || files.size >= limit) return;
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const name of names) {
      if (name === "node_modules" || name.startsWith(".")) continue;
      const path = join(dir, name);
      let stats;
      try {
        stats = statSync(path);
      } catch {
        continue;
      }
      if (stats.isDirectory()) walk(path, depth + 1);
      else if (stats.isFile() && /\.(node|so|dylib)$/.test(name) && files.size < limit) files.add(path);
    }
  };
  walk(root, 0);
  return [...files];
}

// ---------------------------------------------------------------------------
// The report.
// ---------------------------------------------------------------------------

export type Level = "error" | "warn" | "info";

export interface Finding {
  readonly level: Level;
  readonly code: string;
  readonly message: string;
}

export interface LibraryReport {
  readonly role: "warmup" | "signals";
  readonly path: string;
  readonly exists: boolean;
  readonly size?: number;
  readonly sha256?: string;
  readonly expected?: string;
  /** match / mismatch / unlisted: against prebuilds/SHA256SUMS; override: ASHERAH_BUN_PRELOAD_LIBRARY_DIR (not checksummed). */
  readonly integrity: "match" | "mismatch" | "unlisted" | "override" | "missing" | "unreadable";
  readonly problem?: string;
}

export interface BunfigReport {
  /** The nearest bunfig.toml walking up from cwd, if any. */
  readonly path: string | undefined;
  /** Bun reads bunfig.toml only from the directory it starts in (checked on 1.2.19 and 1.4.5). */
  readonly readByBun: boolean;
  readonly run: readonly EntryCheck[] | undefined;
  readonly test: readonly EntryCheck[] | undefined;
  readonly configuredForRun: boolean;
  readonly configuredForTest: boolean;
  readonly warnings: readonly string[];
}

export interface PackageReport {
  readonly name: string;
  readonly resolved: boolean;
  readonly root?: string;
  readonly entry?: string;
  readonly version?: string;
  readonly nativeFiles: readonly NativeFileReport[];
}

export interface SignalReport {
  readonly signal: string;
  readonly number: number;
  readonly disposition: string;
  readonly onstack: boolean;
  readonly owner: string;
}

export interface DoctorReport {
  readonly tool: { readonly name: string; readonly version: string; readonly root: string };
  readonly cwd: string;
  readonly bun: {
    readonly version: string;
    readonly path: string;
    readonly affected: boolean;
    /** The signal JavaScriptCore suspends threads with on this Bun (Linux). */
    readonly suspendSignal: "SIGPWR" | "SIGUSR1" | undefined;
    readonly fixedIn: string;
  };
  readonly platform: PlatformKey & { readonly supported: boolean; readonly problem?: string; readonly prebuildDir?: string };
  readonly config: { readonly valid: boolean; readonly error?: string; readonly values?: Config };
  readonly libraries: readonly LibraryReport[];
  readonly bunfig: BunfigReport;
  readonly packages: readonly PackageReport[];
  readonly signals: {
    readonly checked: boolean;
    readonly reason?: string;
    /** Go runtimes loaded in this doctor process (0 unless the preload ran in it). */
    readonly goRuntimesLoaded?: number;
    /** The preload ran in this very process (bunfig.toml in cwd preloads it). */
    readonly preloadInThisProcess: boolean;
    readonly dispositions: readonly SignalReport[];
  };
  readonly findings: readonly Finding[];
  readonly verdict: { readonly status: "ok" | "warn" | "error"; readonly summary: string };
  /** 0 nothing would break, 1 something would break, 3 warnings only. */
  readonly exitCode: number;
}

export interface DoctorOptions {
  readonly cwd: string;
  readonly env?: Record<string, string | undefined>;
}

function suspendSignalOf(bunVersion: string, platform: string): "SIGPWR" | "SIGUSR1" | undefined {
  if (platform !== "linux") return undefined;
  const v = parseVersion(bunVersion);
  if (v === undefined) return undefined;
  return v.major === 1 && v.minor < 2 ? "SIGUSR1" : "SIGPWR";
}

function checkLibrary(role: "warmup" | "signals", path: string, prebuildsDir: string, override: boolean): LibraryReport {
  let size: number;
  try {
    const stats = statSync(path);
    if (!stats.isFile()) return { role, path, exists: true, integrity: "unreadable", problem: "not a regular file" };
    size = stats.size;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === "ENOENT"
      ? { role, path, exists: false, integrity: "missing", problem: "does not exist" }
      : { role, path, exists: true, integrity: "unreadable", problem: describeError(error) };
  }
  let sha256: string;
  let head: Buffer;
  try {
    sha256 = sha256File(path);
    head = readFileSync(path).subarray(0, 4096);
  } catch (error) {
    return { role, path, exists: true, size, integrity: "unreadable", problem: describeError(error) };
  }
  const elf = process.platform === "linux" ? checkElf(head, size, process.arch) : undefined;
  const problem = size === 0 ? "empty" : elf === undefined ? undefined : describeElfProblem(elf, process.arch);
  if (override) return { role, path, exists: true, size, sha256, integrity: "override", problem };
  let expected: string | undefined;
  try {
    expected = parseChecksums(readFileSync(join(prebuildsDir, "SHA256SUMS"), "utf8"), join(prebuildsDir, "SHA256SUMS")).get(`${basename(dirname(path))}/${basename(path)}`);
  } catch (error) {
    return { role, path, exists: true, size, sha256, integrity: "unlisted", problem: `SHA256SUMS unreadable: ${describeError(error)}` };
  }
  if (expected === undefined) return { role, path, exists: true, size, sha256, integrity: "unlisted", problem };
  return { role, path, exists: true, size, sha256, expected, integrity: expected === sha256 ? "match" : "mismatch", problem };
}

function findBunfig(cwd: string): string | undefined {
  let dir = resolve(cwd);
  for (;;) {
    const candidate = join(dir, "bunfig.toml");
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export function inspectBunfig(cwd: string, selfRoot: string = PACKAGE_ROOT): BunfigReport {
  const path = findBunfig(cwd);
  if (path === undefined) return { path, readByBun: false, run: undefined, test: undefined, configuredForRun: false, configuredForTest: false, warnings: [] };
  const readByBun = dirname(path) === resolve(cwd);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    return { path, readByBun, run: undefined, test: undefined, configuredForRun: false, configuredForTest: false, warnings: [`cannot read it: ${describeError(error)}`] };
  }
  const parsed = parseBunfigPreloads(text);
  const dir = dirname(path);
  const run = parsed.run?.map((entry) => classifyPreloadEntry(entry, dir, selfRoot));
  const test = parsed.test?.map((entry) => classifyPreloadEntry(entry, dir, selfRoot));
  const ours = (list: readonly EntryCheck[] | undefined) => list?.some((e) => e.kind === "self" || e.kind === "package") ?? false;
  const broken = (list: readonly EntryCheck[] | undefined) => list?.some((e) => e.kind === "missing" || e.kind === "broken") ?? false;
  return {
    path,
    readByBun,
    run,
    test,
    // A preload that does not resolve stops Bun before the app runs: not "configured".
    configuredForRun: readByBun && ours(run) && !broken(run),
    configuredForTest: readByBun && ours(test) && !broken(test),
    warnings: parsed.warnings,
  };
}

function inspectPackage(name: string, cwd: string): PackageReport {
  const found = resolvePackageEntry(name, cwd);
  if (found === undefined) return { name, resolved: false, nativeFiles: [] };
  let version: string | undefined;
  try {
    const v = (JSON.parse(readFileSync(join(found.root, "package.json"), "utf8")) as { version?: unknown }).version;
    version = typeof v === "string" ? v : undefined;
  } catch {
    // resolvePackageEntry already read it; a race at worst
  }
  const nativeFiles = nativeFilesOf(found.root, found.entry).map(inspectNativeFile);
  return { name, resolved: true, root: found.root, entry: found.entry, version, nativeFiles };
}

const REPORTED_SIGNALS = ["SIGPWR", "SIGUSR1", "SIGPIPE", "SIGURG"] as const;

function inspectSignals(signalsPath: string | undefined, library: LibraryReport | undefined): DoctorReport["signals"] {
  const state = processState();
  const preloadInThisProcess = state.phase === "installed";
  const unchecked = (reason: string) => ({ checked: false, reason, preloadInThisProcess, dispositions: [] });
  if (process.platform !== "linux") return unchecked("JavaScriptCore suspends threads with signals only on Linux");
  let lib: SignalLibrary | undefined = state.signalLibrary;
  if (lib === undefined) {
    if (signalsPath === undefined || library === undefined) return unchecked("no signal helper library for this platform");
    // Never load a library whose bytes are not the shipped ones (or, for an override, not a loadable ELF file).
    if (library.integrity !== "match" && !(library.integrity === "override" && library.problem === undefined)) {
      return unchecked(`the signal helper library was not loaded: ${library.problem ?? library.integrity}`);
    }
    try {
      lib = openSignalLibrary(signalsPath);
    } catch (error) {
      return unchecked(`the signal helper library could not be loaded: ${describeError(error)}`);
    }
  }
  const signals = constants.signals as Record<string, number | undefined>;
  const dispositions: SignalReport[] = [];
  for (const name of REPORTED_SIGNALS) {
    const number = signals[name];
    if (number === undefined) continue;
    const live = lib.query(number, "live");
    dispositions.push({
      signal: name,
      number,
      disposition: describeDisposition(lib, live),
      onstack: live !== undefined && live.handler > 1n && (live.flags & lib.flagValues.SA_ONSTACK) !== 0n,
      owner: lib.handlerOwner(number, "live"),
    });
  }
  return { checked: true, goRuntimesLoaded: lib.goRuntimeCount(), preloadInThisProcess, dispositions };
}

/** Pure: the findings, verdict and exit code for the facts collected. */
export function judge(report: Omit<DoctorReport, "findings" | "verdict" | "exitCode">): Pick<DoctorReport, "findings" | "verdict" | "exitCode"> {
  const findings: Finding[] = [];
  const add = (level: Level, code: string, message: string) => findings.push({ level, code, message });
  const { bun, platform, config, libraries, bunfig, packages } = report;

  if (!config.valid) add("error", "CONFIG", `the preload would refuse to start: ${config.error ?? "invalid configuration"}`);
  if (config.values?.disabled) add("warn", "DISABLED", "ASHERAH_BUN_PRELOAD_DISABLE is set: the preload does nothing in processes with this environment.");
  if (!platform.supported) add("error", "PLATFORM", platform.problem ?? "unsupported platform");
  for (const lib of libraries) {
    const name = lib.role === "warmup" ? "Go warmup library" : "signal helper library";
    if (lib.integrity === "missing") add("error", "LIBRARY_MISSING", `the ${name} ${lib.path} does not exist. Reinstall asherah-bun-preload or fix ASHERAH_BUN_PRELOAD_LIBRARY_DIR.`);
    else if (lib.integrity === "unreadable") add("error", "LIBRARY_INVALID", `the ${name} ${lib.path} cannot be read: ${lib.problem}.`);
    else if (lib.integrity === "mismatch") add("error", "CHECKSUM_MISMATCH", `the ${name} ${lib.path} has sha256 ${lib.sha256}, the package shipped ${lib.expected}: the preload will refuse to load it. Reinstall asherah-bun-preload.`);
    else if (lib.integrity === "unlisted") add("error", "CHECKSUM_MISMATCH", `the ${name} ${lib.path} is not listed in prebuilds/SHA256SUMS${lib.problem ? ` (${lib.problem})` : ""}: the preload will refuse to load it.`);
    else if (lib.problem !== undefined) add("error", "LIBRARY_INVALID", `the ${name} ${lib.path} cannot be loaded: ${lib.problem}.`);
  }
  for (const [label, list] of [["preload", bunfig.run], ["[test] preload", bunfig.test]] as const) {
    for (const entry of list ?? []) {
      if (!bunfig.readByBun) continue;
      if (entry.kind === "missing") add("error", "PRELOAD_NOT_FOUND", `${bunfig.path}: ${label} entry ${JSON.stringify(entry.entry)} does not resolve from ${dirname(bunfig.path!)}; Bun stops with "preload not found". Use preload = ["asherah-bun-preload"] with the package installed there (bun add asherah-bun-preload), or a "./" path to its dist/index.js.`);
      if (entry.kind === "broken") add("error", "PRELOAD_NOT_FOUND", `${bunfig.path}: ${label} entry ${JSON.stringify(entry.entry)} does not resolve from ${dirname(bunfig.path!)}; Bun stops with "preload not found" before anything runs.`);
    }
  }
  for (const warning of bunfig.warnings) add("warn", "BUNFIG_SYNTAX", `${bunfig.path}: ${warning}`);
  if (bunfig.path !== undefined && !bunfig.readByBun && ((bunfig.run?.length ?? 0) > 0 || (bunfig.test?.length ?? 0) > 0)) {
    add("info", "BUNFIG_ELSEWHERE", `${bunfig.path} is not in ${report.cwd}: Bun reads bunfig.toml only from the directory it is started in, so its preload does not apply here.`);
  }

  const goFiles = packages.flatMap((p) => p.nativeFiles.filter((f) => f.goRuntime).map((f) => ({ pkg: p, file: f })));
  const goPackages = [...new Set(goFiles.map((g) => g.pkg.name))];
  for (const pkg of packages) {
    if (!pkg.resolved) add("info", "NOT_INSTALLED", `${pkg.name} does not resolve from ${report.cwd}.`);
    else if (pkg.nativeFiles.length === 0) add("info", "NO_NATIVE", `${pkg.name}${pkg.version ? ` ${pkg.version}` : ""} has no native file: nothing for the preload to guard.`);
    else if (!pkg.nativeFiles.some((f) => f.goRuntime)) add("info", "NO_GO", `${pkg.name}${pkg.version ? ` ${pkg.version}` : ""} carries no Go runtime (asherah 4.x is written in Rust): it cannot cause this hang.`);
  }
  for (const { pkg, file } of goFiles) {
    if (file.nodelete === false) {
      add("warn", "NO_NODELETE", `${file.path} (${pkg.name}) links a Go runtime but is not linked NODELETE (-Wl,-z,nodelete): if the runtime unloads it (e.g. a Worker that loaded it exits) while Go's threads still run, the process crashes.`);
    }
  }

  const protectedRun = bunfig.configuredForRun && config.valid && !config.values?.disabled;
  if (bun.affected && goPackages.length > 0) {
    if (!bunfig.configuredForRun) {
      add("error", "NOT_CONFIGURED", `Bun ${bun.version} hangs once a Go runtime (${goPackages.join(", ")}) is loaded, and no bunfig.toml in ${report.cwd} preloads asherah-bun-preload. Add preload = ["asherah-bun-preload"] to ${join(report.cwd, "bunfig.toml")} (or run with bun --preload asherah-bun-preload), or upgrade Bun to ${bun.fixedIn} or later.`);
    }
    if (!bunfig.configuredForTest) {
      add("info", "TEST_NOT_CONFIGURED", `bun test ignores the top-level preload: add [test] preload = ["asherah-bun-preload"] if your tests load ${goPackages.join(", ")}.`);
    }
  } else if (!bun.affected && goPackages.length > 0 && !bunfig.configuredForRun) {
    add("info", "NOT_NEEDED", `Bun ${bun.version} is not affected by the hang; the preload is optional here (it still keeps SIGPIPE ignored after Go loads).`);
  }

  const errors = findings.filter((f) => f.level === "error");
  const warnings = findings.filter((f) => f.level === "warn");
  let summary: string;
  if (errors.length > 0) summary = `${errors.length} problem${errors.length === 1 ? "" : "s"} would break ${goPackages.length > 0 ? goPackages.join(", ") : "the preload"} here: fix the ERROR lines above.`;
  else if (warnings.length > 0) summary = `nothing would hang, but ${warnings.length} warning${warnings.length === 1 ? "" : "s"} need${warnings.length === 1 ? "s" : ""} attention.`;
  else if (goPackages.length === 0) summary = `no Go-based module resolves from ${report.cwd}: nothing to protect${bun.affected ? " (if you add one, add the preload too)" : ""}.`;
  else if (!bun.affected) summary = `Bun ${bun.version} does not hang with Go runtimes; ${protectedRun ? "the preload is configured and harmless" : "no preload needed"}.`;
  else summary = `protected: ${goPackages.join(", ")} will load behind the preload on Bun ${bun.version}.`;
  const status = errors.length > 0 ? "error" : warnings.length > 0 ? "warn" : "ok";
  return { findings, verdict: { status, summary }, exitCode: status === "error" ? 1 : status === "warn" ? 3 : 0 };
}

function toolVersion(): string {
  try {
    return String((JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as { version?: unknown }).version ?? "unknown");
  } catch {
    return "unknown";
  }
}

export function runDoctor(options: DoctorOptions): DoctorReport {
  const cwd = resolve(options.cwd);
  const env = options.env ?? process.env;
  let config: Config | undefined;
  let configError: string | undefined;
  try {
    config = readConfig(env);
  } catch (error) {
    configError = describeError(error).replace(/^asherah-bun-preload: /, "");
  }
  const key = currentPlatform();
  let location;
  let platformProblem: string | undefined;
  try {
    location = locatePrebuilds(key, PREBUILDS_DIR, config?.libraryDir);
  } catch (error) {
    platformProblem = describeError(error).replace(/^asherah-bun-preload: /, "");
  }
  const override = config?.libraryDir !== undefined;
  const libraries: LibraryReport[] = [];
  if (location !== undefined) {
    libraries.push(checkLibrary("warmup", location.warmup, PREBUILDS_DIR, override));
    if (location.signals !== undefined) libraries.push(checkLibrary("signals", location.signals, PREBUILDS_DIR, override));
  }
  const packages = (config?.packages ?? DEFAULT_PACKAGES).map((name) => inspectPackage(name, cwd));
  const facts = {
    tool: { name: PACKAGE_NAME, version: toolVersion(), root: PACKAGE_ROOT },
    cwd,
    bun: {
      version: Bun.version,
      path: process.execPath,
      affected: isAffected(Bun.version, process.platform),
      suspendSignal: suspendSignalOf(Bun.version, process.platform),
      fixedIn: "1.4.4",
    },
    platform: { ...key, supported: location !== undefined, problem: platformProblem, prebuildDir: location?.dir },
    config: { valid: config !== undefined, error: configError, values: config },
    libraries,
    bunfig: inspectBunfig(cwd),
    packages,
    signals: inspectSignals(location?.signals, libraries.find((l) => l.role === "signals")),
  };
  return { ...facts, ...judge(facts) };
}

// ---------------------------------------------------------------------------
// Text output.
// ---------------------------------------------------------------------------

function bytes(n: number | undefined): string {
  if (n === undefined) return "?";
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

function shown(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
}

export function formatReport(report: DoctorReport): string {
  const out: string[] = [];
  const line = (text = "") => out.push(text);
  const { bun, platform, config, libraries, bunfig, packages, signals, cwd } = report;
  line(`${report.tool.name} doctor ${report.tool.version} (${report.tool.root})`);
  line(`cwd: ${cwd}`);
  line();
  line(
    `Bun       ${bun.version} (${bun.path}): ${
      bun.affected
        ? `AFFECTED: JavaScriptCore suspends threads with ${bun.suspendSignal ?? "a signal"}, and a Go runtime makes that loop forever (fixed in Bun ${bun.fixedIn})`
        : process.platform === "linux"
          ? `not affected (Bun >= ${bun.fixedIn} carries the fix)`
          : "not affected (JavaScriptCore does not suspend threads with signals on this OS)"
    }`,
  );
  line(`Platform  ${platform.platform} ${platform.arch} ${platform.libc}: ${platform.supported ? `supported (${platform.prebuildDir})` : `NOT SUPPORTED: ${platform.problem}`}`);
  if (config.valid && config.values !== undefined) {
    const v = config.values;
    line(
      `Config    ${v.disabled ? "DISABLED " : ""}warmup=${v.warmup} signals=${v.signals} debug=${v.debug ? "on" : "off"} watchdog=${v.watchdogMs > 0 ? `${v.watchdogMs} ms` : "off"} packages=${v.packages.join(",")}${v.libraryDir ? ` library-dir=${v.libraryDir}` : ""}`,
    );
  } else {
    line(`Config    INVALID: ${config.error}`);
  }
  line();
  line("Libraries the preload would load");
  if (libraries.length === 0) line("  none (see Platform)");
  for (const lib of libraries) {
    const verdict = {
      match: "matches prebuilds/SHA256SUMS",
      mismatch: `DOES NOT MATCH prebuilds/SHA256SUMS (expected ${lib.expected?.slice(0, 16)}…)`,
      unlisted: "NOT LISTED in prebuilds/SHA256SUMS",
      override: "from ASHERAH_BUN_PRELOAD_LIBRARY_DIR (not checksummed)",
      missing: "MISSING",
      unreadable: "UNREADABLE",
    }[lib.integrity];
    line(`  ${lib.role.padEnd(8)} ${lib.path}`);
    line(`           ${lib.exists ? `${bytes(lib.size)}, sha256 ${lib.sha256 ?? "?"}` : "-"}: ${verdict}${lib.problem && lib.integrity !== "missing" ? `; ${lib.problem}` : ""}`);
  }
  line();
  line("bunfig.toml");
  if (bunfig.path === undefined) {
    line(`  none in ${cwd} or above`);
  } else {
    line(`  ${bunfig.path}${bunfig.readByBun ? "" : ` (NOT read by Bun when started in ${cwd}: Bun reads only ./bunfig.toml)`}`);
    const describe = (label: string, list: readonly EntryCheck[] | undefined, configured: boolean) => {
      if (list === undefined) {
        line(`  ${label}: not set`);
        return;
      }
      const entries = list.map((e) => `${JSON.stringify(e.entry)} (${{ self: "this asherah-bun-preload", package: `asherah-bun-preload at ${e.resolved}`, missing: "DOES NOT RESOLVE", other: "another preload", broken: "another preload, DOES NOT RESOLVE" }[e.kind]})`);
      line(`  ${label}: ${entries.length === 0 ? "[]" : entries.join(", ")} -> ${configured ? "asherah-bun-preload is preloaded" : "asherah-bun-preload is NOT preloaded"}`);
    };
    describe("preload (bun run)", bunfig.run, bunfig.configuredForRun);
    describe("[test] preload (bun test)", bunfig.test, bunfig.configuredForTest);
  }
  line();
  line("Guarded packages");
  for (const pkg of packages) {
    if (!pkg.resolved) {
      line(`  ${pkg.name}: not installed (does not resolve from ${cwd})`);
      continue;
    }
    line(`  ${pkg.name}${pkg.version ? ` ${pkg.version}` : ""}: ${pkg.root}${pkg.entry ? `, entry ${shown(pkg.entry, pkg.root!)}` : ""}`);
    if (pkg.nativeFiles.length === 0) line("    no native files");
    for (const file of pkg.nativeFiles) {
      const go = file.goRuntime
        ? `Go runtime${file.goVersion ? ` ${file.goVersion}` : ""} (${[file.goBuildInfo ? "Go build info" : "", file.cgoSymbol ? "_cgo_wait_runtime_init_done" : ""].filter(Boolean).join(", ")})`
        : "no Go runtime";
      const nodelete = file.nodelete === undefined ? (file.elf ? "no dynamic section" : "not ELF") : file.nodelete ? "NODELETE" : "NOT NODELETE";
      line(`    ${shown(file.path, pkg.root!)}: ${bytes(file.size)}, ${go}, ${nodelete}${file.error ? `; ${file.error}` : ""}`);
    }
  }
  line();
  if (signals.checked) {
    const go = signals.goRuntimesLoaded ?? 0;
    line(
      signals.preloadInThisProcess
        ? `Signal dispositions in this doctor process (the preload ran in it from bunfig.toml; ${go} Go runtime${go === 1 ? "" : "s"} loaded, repairs applied)`
        : `Signal dispositions in this doctor process (${go === 0 ? "no Go runtime loaded: Bun's own state, before any Go code" : `${go} Go runtime(s) loaded`})`,
    );
    for (const s of signals.dispositions) {
      const owner = s.owner === "" ? "" : /asherah-bun-signals\.(so|dylib)$/.test(s.owner) ? "asherah-bun-preload's suspend-handler wrapper" : basename(s.owner);
      line(`  ${s.signal.padEnd(8)} ${s.disposition}${owner ? `  (${owner})` : ""}`);
    }
    if (!signals.preloadInThisProcess && go === 0) {
      line(`  A Go runtime adds SA_ONSTACK to handlers such as ${bun.suspendSignal ?? "SIGPWR"}'s and takes over SIGPIPE and SIGURG; the preload puts them back.`);
    }
  } else {
    line(`Signal dispositions: not checked (${signals.reason})`);
  }
  line();
  line("Findings");
  if (report.findings.length === 0) line("  none");
  for (const finding of report.findings) line(`  ${finding.level.toUpperCase().padEnd(5)} ${finding.message}`);
  line();
  line(`Verdict: ${report.verdict.status.toUpperCase()}: ${report.verdict.summary}`);
  return out.join("\n") + "\n";
}
