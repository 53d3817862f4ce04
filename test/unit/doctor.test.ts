// The doctor's byte-level and text-level readers, on crafted input and on the
// repository's own libraries; the verdict logic on hand-made facts.
import { describe, expect, test } from "bun:test";
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "../../src/cli.ts";
import {
  classifyPreloadEntry,
  findGoBuildInfo,
  judge,
  parseBunfigPreloads,
  readElfDynamic,
  PACKAGE_ROOT,
  SELF_ENTRY,
  type DoctorFacts,
} from "../../src/doctor/index.ts";
import { dotenvFiles, parseDotenv, readProjectEnv } from "../../src/doctor/dotenv.ts";
import { SHIPPED } from "../../src/shipped.ts";
import { tempDirs } from "../support/temp.ts";

/** A fresh temporary directory, removed after this file's tests. */
const tempDir = tempDirs();

const REPO = join(import.meta.dir, "..", "..");
const X64 = join(REPO, "prebuilds", "linux-x64");
/** The shipped C helpers (signal helper today, a Node-API core addon later): whatever src/shipped.ts lists beside the warmup. */
const HELPERS = Object.keys(SHIPPED)
  .filter((key) => key.startsWith("linux-x64/") && !key.includes("warmup"))
  .map((key) => key.slice("linux-x64/".length));

describe("parseBunfigPreloads", () => {
  test("top-level string and array; [test] table", () => {
    expect(parseBunfigPreloads('preload = "./a.ts"\n')).toEqual({ run: ["./a.ts"], test: undefined, warnings: [] });
    expect(parseBunfigPreloads('preload = ["a", "./b.ts"]\n[test]\npreload = ["c"]\n')).toEqual({ run: ["a", "./b.ts"], test: ["c"], warnings: [] });
  });

  test("multi-line arrays, comments, trailing commas, literal and escaped strings", () => {
    const text = [
      "# app config",
      "preload = [ # what runs first",
      '  "asherah-bun-preload", # the preload',
      "  './x #not a comment.ts',",
      '  "./caf\\u00e9.ts",',
      "]",
      "",
    ].join("\n");
    expect(parseBunfigPreloads(text)).toEqual({ run: ["asherah-bun-preload", "./x #not a comment.ts", "./café.ts"], test: undefined, warnings: [] });
  });

  test("dotted keys and inline tables reach [test] preload", () => {
    expect(parseBunfigPreloads('test.preload = ["a"]\n').test).toEqual(["a"]);
    expect(parseBunfigPreloads('"test".preload = ["a"]\n').test).toEqual(["a"]);
    expect(parseBunfigPreloads('test = { preload = ["a"], coverage = true }\n').test).toEqual(["a"]);
    expect(parseBunfigPreloads("[ test ]\npreload = 'a'\n").test).toEqual(["a"]);
  });

  test("preload in another table does not count; the table ends at the next header", () => {
    const text = '[install]\npreload = ["nope"]\n[run]\nbun = true\n[test]\ncoverageThreshold = 0.9\npreload = ["t"]\n[[array.of.tables]]\npreload = "x"\n';
    expect(parseBunfigPreloads(text)).toEqual({ run: undefined, test: ["t"], warnings: [] });
  });

  test("a broken line is reported and the rest of the file still counts", () => {
    const parsed = parseBunfigPreloads('logLevel = = "x"\npreload = ["a"]\nbroken = "unterminated\n[test]\npreload = ["b"]\n');
    expect(parsed.run).toEqual(["a"]);
    expect(parsed.test).toEqual(["b"]);
    expect(parsed.warnings).toHaveLength(2);
    expect(parsed.warnings[0]).toMatch(/^line 1: /);
    expect(parsed.warnings[1]).toMatch(/^line 3: unterminated string/);
  });

  test("a preload that is not a string or an array of strings is reported", () => {
    const parsed = parseBunfigPreloads("preload = [1, 2]\n");
    expect(parsed.run).toEqual([]);
    expect(parsed.warnings).toEqual(["preload is not a string or an array of strings; Bun will not accept it"]);
  });

  test("empty file and an empty array", () => {
    expect(parseBunfigPreloads("")).toEqual({ run: undefined, test: undefined, warnings: [] });
    expect(parseBunfigPreloads("preload = []\n").run).toEqual([]);
  });
});

describe("classifyPreloadEntry (Bun's rules: only ./, ../ and / are paths)", () => {
  const dir = tempDir("abp-doctor-unit-");
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(REPO, join(dir, "node_modules", "asherah-bun-preload"), "dir");
  // A second physical copy of the package.
  const copy = join(dir, "copy");
  mkdirSync(join(copy, "src"), { recursive: true });
  cpSync(join(REPO, "package.json"), join(copy, "package.json"));
  cpSync(join(REPO, "src", "index.ts"), join(copy, "src", "index.ts"));
  writeFileSync(join(dir, "other.ts"), "export {};\n");

  const kind = (entry: string) => classifyPreloadEntry(entry, dir, PACKAGE_ROOT).kind;
  test("this copy, by bare name and by path", () => {
    expect(kind("asherah-bun-preload")).toBe("self");
    expect(kind("./node_modules/asherah-bun-preload/src/index.ts")).toBe("self");
    expect(kind(SELF_ENTRY)).toBe("self");
    expect(kind("./node_modules/asherah-bun-preload/src/index")).toBe("self"); // Bun adds the extension
  });
  test("another copy of the package", () => {
    expect(classifyPreloadEntry("./copy/src/index.ts", dir, PACKAGE_ROOT)).toMatchObject({ kind: "package" });
  });
  test("forms Bun refuses with 'preload not found' (checked on 1.2.19 and 1.4.5)", () => {
    expect(kind("asherah-bun-preload/src/index.ts")).toBe("missing");
    expect(kind("node_modules/asherah-bun-preload/src/index.ts")).toBe("missing");
    expect(kind("./node_modules/asherah-bun-preload/src/nope.ts")).toBe("missing");
    expect(classifyPreloadEntry("asherah-bun-preload", tmpdir(), PACKAGE_ROOT).kind).toBe("missing"); // not installed there
  });
  test("other preloads: resolvable ones are left alone, unresolvable ones are broken", () => {
    expect(kind("./other.ts")).toBe("other");
    expect(kind("./other")).toBe("other");
    expect(kind("asherah-bun-preload/api")).toBe("other"); // resolves, but installs nothing
    expect(kind("./nope.ts")).toBe("broken");
    expect(kind("surely-not-installed-abp")).toBe("broken");
  });
});

describe("findGoBuildInfo", () => {
  const magic = Buffer.from("\xff Go buildinf:", "latin1");
  function blob(at: number, flags: number, version: string): Buffer {
    const buf = Buffer.alloc(at + 64 + version.length);
    magic.copy(buf, at);
    buf[at + 14] = 8; // pointer size
    buf[at + 15] = flags;
    buf[at + 32] = version.length; // varint < 128
    buf.write(version, at + 33, "latin1");
    return buf;
  }
  test("inline format (Go >= 1.18) gives the Go version", () => {
    expect(findGoBuildInfo(blob(4096, 0x2, "go1.23.4"))).toEqual({ found: true, goVersion: "go1.23.4" });
  });
  test("pointer format: found, version unknown", () => {
    expect(findGoBuildInfo(blob(32, 0x0, "go1.17"))).toEqual({ found: true });
  });
  test("the header must be 16-byte aligned, as Go writes it", () => {
    expect(findGoBuildInfo(blob(4097, 0x2, "go1.23.4"))).toEqual({ found: false });
    expect(findGoBuildInfo(Buffer.from("no go here"))).toEqual({ found: false });
  });
  test("the shipped warmup library", () => {
    expect(findGoBuildInfo(readFileSync(join(X64, "asherah-bun-warmup.so"))).goVersion).toMatch(/^go1\.\d+/);
    for (const helper of HELPERS) expect(findGoBuildInfo(readFileSync(join(X64, helper))).found).toBe(false);
  });
});

describe("readElfDynamic", () => {
  /** A minimal 64-bit little-endian ELF: header, one PT_DYNAMIC program header, its entries. */
  function elf(dynamic: [bigint, bigint][] | undefined): Buffer {
    const buf = Buffer.alloc(64 + 56 + 16 * ((dynamic?.length ?? 0) + 1));
    buf.writeUInt32BE(0x7f454c46, 0);
    buf[4] = 2;
    buf[5] = 1;
    buf.writeUInt16LE(3, 16); // ET_DYN
    buf.writeUInt16LE(62, 18);
    buf.writeBigUInt64LE(64n, 32); // e_phoff
    buf.writeUInt16LE(56, 54);
    buf.writeUInt16LE(dynamic === undefined ? 0 : 1, 56);
    if (dynamic !== undefined) {
      buf.writeUInt32LE(2, 64); // PT_DYNAMIC
      buf.writeBigUInt64LE(120n, 64 + 8);
      buf.writeBigUInt64LE(BigInt(16 * (dynamic.length + 1)), 64 + 32);
      dynamic.forEach(([tag, value], i) => {
        buf.writeBigInt64LE(tag, 120 + 16 * i);
        buf.writeBigUInt64LE(value, 120 + 16 * i + 8);
      });
    }
    return buf;
  }
  const DT_FLAGS_1 = 0x6ffffffbn;
  test("DF_1_NODELETE in DT_FLAGS_1", () => {
    expect(readElfDynamic(elf([[DT_FLAGS_1, 0x8n]]))?.nodelete).toBe(true);
    expect(readElfDynamic(elf([[DT_FLAGS_1, 0x8n | 0x1n | 0x8000000n]]))?.nodelete).toBe(true);
    expect(readElfDynamic(elf([[DT_FLAGS_1, 0x1n]]))?.nodelete).toBe(false);
    expect(readElfDynamic(elf([[30n, 0x10n]]))?.nodelete).toBe(false); // DT_FLAGS only
    expect(readElfDynamic(elf(undefined))?.nodelete).toBeUndefined(); // no dynamic section
  });
  test("entries after DT_NULL are ignored", () => {
    expect(readElfDynamic(elf([[0n, 0n], [DT_FLAGS_1, 0x8n]]))?.nodelete).toBe(false);
  });
  test("not ELF, or not 64-bit little-endian: no answer", () => {
    expect(readElfDynamic(Buffer.from("#!/bin/sh\n".padEnd(128, " ")))).toBeUndefined();
    const be = elf([]);
    be[5] = 2;
    expect(readElfDynamic(be)).toBeUndefined();
  });
  test("the shipped libraries: Go's c-shared output is NODELETE and exports the cgo symbol; the C helpers carry no Go", () => {
    expect(readElfDynamic(readFileSync(join(X64, "asherah-bun-warmup.so")))).toEqual({ nodelete: true, uniqueSymbols: 0, cgoSymbol: true });
    for (const helper of HELPERS) expect(readElfDynamic(readFileSync(join(X64, helper)))?.cgoSymbol).toBe(false);
  });
});

describe("judge", () => {
  type Facts = DoctorFacts;
  function facts(change: (f: Facts) => Facts = (f) => f): Facts {
    const base: Facts = {
      tool: { name: "asherah-bun-preload", version: "0", root: "/x" },
      cwd: "/app",
      bun: { version: "1.2.19", path: "/bun", affected: true, suspendSignal: "SIGPWR", fixedIn: "1.4.4" },
      platform: { platform: "linux", arch: "x64", libc: "glibc", supported: true, prebuildDir: "/x/prebuilds/linux-x64" },
      config: { valid: true },
      libraries: [
        { role: "warmup", path: "/x/w.so", exists: true, size: 1, sha256: "a", expected: "a", integrity: "match", permissions: [] },
        { role: "signals", path: "/x/s.so", exists: true, size: 1, sha256: "b", expected: "b", integrity: "match", permissions: [] },
      ],
      bunfig: { path: "/app/bunfig.toml", readByBun: true, run: [{ entry: "asherah-bun-preload", kind: "self" }], test: undefined, configuredForRun: true, configuredForTest: false, warnings: [] },
      packages: [
        {
          name: "asherah",
          resolved: true,
          root: "/app/node_modules/asherah",
          entry: "/app/node_modules/asherah/dist/asherah.node",
          nativeFiles: [{ path: "/app/node_modules/asherah/dist/asherah.node", size: 1, elf: true, goRuntime: true, goBuildInfo: true, cgoSymbol: true, nodelete: true, uniqueSymbols: 0, keptLoaded: true }],
        },
      ],
      signals: { checked: true, preloadInThisProcess: false, goRuntimesLoaded: 0, dispositions: [] },
    };
    return change(base);
  }
  const codes = (f: Facts) => judge(f).findings.filter((x) => x.level !== "info").map((x) => `${x.level}:${x.code}`);

  test("affected Bun, Go module, preload configured: ok", () => {
    const result = judge(facts());
    expect(result.exitCode).toBe(0);
    expect(result.verdict.status).toBe("ok");
    expect(result.verdict.summary).toContain("protected");
  });
  test("affected Bun, Go module, no preload: error, exit 1", () => {
    const f = facts((b) => ({ ...b, bunfig: { ...b.bunfig, configuredForRun: false } }));
    expect(codes(f)).toEqual(["error:NOT_CONFIGURED"]);
    expect(judge(f).exitCode).toBe(1);
  });
  test("fixed Bun without preload: ok", () => {
    const f = facts((b) => ({ ...b, bun: { ...b.bun, version: "1.4.5", affected: false }, bunfig: { ...b.bunfig, configuredForRun: false } }));
    expect(judge(f).exitCode).toBe(0);
  });
  test("no Go module anywhere: ok even on an affected Bun without preload", () => {
    const f = facts((b) => ({ ...b, packages: [{ name: "asherah", resolved: false, nativeFiles: [] }], bunfig: { ...b.bunfig, configuredForRun: false } }));
    expect(judge(f).exitCode).toBe(0);
    expect(judge(f).verdict.summary).toContain("nothing to protect");
  });
  test("a Go module glibc may unload (no NODELETE, no STB_GNU_UNIQUE): warning, exit 3", () => {
    const f = facts((b) => ({ ...b, packages: [{ ...b.packages[0]!, nativeFiles: [{ ...b.packages[0]!.nativeFiles[0]!, nodelete: false, uniqueSymbols: 0, keptLoaded: false }] }] }));
    expect(codes(f)).toEqual(["warn:NO_NODELETE"]);
    expect(judge(f).exitCode).toBe(3);
  });
  test("a Go module kept loaded by STB_GNU_UNIQUE symbols (node-addon-api) is no warning", () => {
    const f = facts((b) => ({ ...b, packages: [{ ...b.packages[0]!, nativeFiles: [{ ...b.packages[0]!.nativeFiles[0]!, nodelete: false, uniqueSymbols: 3, keptLoaded: true }] }] }));
    expect(codes(f)).toEqual([]);
    expect(judge(f).exitCode).toBe(0);
  });
  test("a native file the doctor refused to read: a warning, and no claim that the package has no Go runtime", () => {
    const refused = { path: "/app/node_modules/asherah/dist/asherah.node", size: 0, elf: false, goRuntime: false, goBuildInfo: false, cgoSymbol: false, nodelete: undefined, keptLoaded: undefined, error: "it is a FIFO, not a regular file" };
    const f = facts((b) => ({ ...b, packages: [{ ...b.packages[0]!, nativeFiles: [refused] }] }));
    expect(judge(f).findings.map((x) => x.code)).toEqual(["NATIVE_UNREADABLE"]);
    expect(judge(f).exitCode).toBe(3);
  });
  test("an unreadable manifest (a planted package.json/ directory) is a warning naming it", () => {
    const f = facts((b) => ({ ...b, packages: [{ name: "asherah", resolved: false, root: "/p/node_modules/asherah", problem: "/p/node_modules/asherah/package.json is a directory, not a regular file", nativeFiles: [] }] }));
    expect(codes(f)).toEqual(["warn:PACKAGE_UNREADABLE"]);
    expect(judge(f).findings[0]!.message).toContain("package.json is a directory");
  });
  test("permission issues: world-writable is an error, one finding per path and kind", () => {
    const issue = { level: "error" as const, path: "/lib", kind: "world-writable" as const, problem: "the folder /lib is world-writable (mode 777)" };
    const f = facts((b) => ({
      ...b,
      libraryDir: { path: "/lib", real: "/lib", exists: true, insideProject: false, permissions: [issue] },
      libraries: b.libraries.map((l) => ({ ...l, integrity: "override" as const, permissions: [{ ...issue, problem: "the library's folder /lib is world-writable (mode 777)" }] })),
    }));
    expect(codes(f)).toEqual(["error:UNSAFE_PERMISSIONS"]);
    expect(judge(f).findings.map((x) => x.code)).toContain("LIBRARY_DIR");
  });
  test("library problems are errors", () => {
    const lib = (integrity: "mismatch" | "missing" | "unlisted") => facts((b) => ({ ...b, libraries: [{ ...b.libraries[0]!, integrity, sha256: "c" }, b.libraries[1]!] }));
    expect(codes(lib("mismatch"))).toEqual(["error:CHECKSUM_MISMATCH"]);
    expect(codes(lib("unlisted"))).toEqual(["error:CHECKSUM_MISMATCH"]);
    expect(codes(lib("missing"))).toEqual(["error:LIBRARY_MISSING"]);
  });
  test("invalid configuration, unsupported platform, unresolvable preload entry", () => {
    expect(codes(facts((b) => ({ ...b, config: { valid: false, error: "bad" } })))).toContain("error:CONFIG");
    expect(codes(facts((b) => ({ ...b, platform: { ...b.platform, supported: false, problem: "musl" } })))).toContain("error:PLATFORM");
    const missing = facts((b) => ({ ...b, bunfig: { ...b.bunfig, run: [{ entry: "asherah-bun-preload/src/index.ts", kind: "missing" }], configuredForRun: false } }));
    expect(codes(missing)).toEqual(["error:PRELOAD_NOT_FOUND", "error:NOT_CONFIGURED"]);
  });
});

describe("cli parseArgs", () => {
  const usage = (args: string[]) => {
    try {
      parseArgs(args, REPO);
      return "no error";
    } catch (error) {
      return (error as Error).message;
    }
  };
  test("doctor with options", () => {
    expect(parseArgs(["doctor"], REPO)).toEqual({ json: false, cwd: REPO });
    expect(parseArgs(["doctor", "--json", "--cwd", "src"], REPO)).toEqual({ json: true, cwd: join(REPO, "src") });
    expect(parseArgs(["doctor", "--cwd=src"], REPO)).toEqual({ json: false, cwd: join(REPO, "src") });
    expect(parseArgs(["--help"], REPO)).toBe("help");
    expect(parseArgs(["doctor", "-h"], REPO)).toBe("help");
  });
  test("bad command lines name what is wrong", () => {
    expect(usage([])).toBe("missing command");
    expect(usage(["doctr"])).toBe('unknown command "doctr"');
    expect(usage(["doctor", "--jsno"])).toBe('unknown option "--jsno" for doctor');
    expect(usage(["doctor", "--cwd"])).toBe("--cwd needs a directory");
    expect(usage(["doctor", "--cwd", "package.json"])).toMatch(/is not a directory$/);
    expect(usage(["doctor", "--cwd", "no-such-folder"])).toBe(`--cwd "no-such-folder": ${join(REPO, "no-such-folder")} does not exist`);
    expect(usage(["doctor", "--cwd", "a", "--cwd", "b"])).toBe("--cwd given twice");
  });
});

describe("project .env files", () => {
  test("Bun's files and order for each NODE_ENV", () => {
    expect(dotenvFiles(undefined)).toEqual([".env", ".env.development", ".env.local"]);
    expect(dotenvFiles("production")).toEqual([".env", ".env.production", ".env.local"]);
    expect(dotenvFiles("test")).toEqual([".env", ".env.test"]);
  });
  test("parseDotenv: export, quotes, comments", () => {
    const parsed = parseDotenv('# c\nexport A=1\nB = "two words" # note\nC=\'x#y\'\nD=plain # note\nnot a line\nE="a\\nb"\n');
    expect(Object.fromEntries(parsed)).toEqual({ A: "1", B: "two words", C: "x#y", D: "plain", E: "a\nb" });
  });
  test("readProjectEnv keeps only the preload's variables, later files win, a FIFO is refused", () => {
    const dir = tempDir("abp-dotenv-unit-");
    writeFileSync(join(dir, ".env"), "ASHERAH_BUN_PRELOAD_WARMUP=lazy\nASHERAH_BUN_PRELOAD_DEBUG=1\nSECRET=x\n");
    writeFileSync(join(dir, ".env.local"), "ASHERAH_BUN_PRELOAD_WARMUP=off\n");
    Bun.spawnSync(["mkfifo", join(dir, ".env.development")]);
    const env = readProjectEnv(dir, undefined);
    expect(env.values).toEqual({ ASHERAH_BUN_PRELOAD_WARMUP: "off", ASHERAH_BUN_PRELOAD_DEBUG: "1" });
    expect(env.files).toEqual([join(dir, ".env"), join(dir, ".env.local")]);
    expect(env.problems).toEqual([`${join(dir, ".env.development")} is a FIFO, not a regular file`]);
  });
});
