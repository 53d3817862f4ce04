// `asherah-bun-preload doctor` run as users run it (bun src/cli.ts doctor) in
// real directories, and its claims cross-checked against what Bun really
// does there. Plus the debug output (ASHERAH_BUN_PRELOAD_DEBUG=1) of a real
// require('asherah') on an affected Bun.
import { beforeAll, describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DoctorReport } from "../../src/doctor/index.ts";
import { mappedEnd } from "../../src/elf.ts";
import { SHIPPED } from "../../src/shipped.ts";
import { bunBinary, pinnedBunVersion, REPO_ROOT } from "../support/bun-versions.ts";
import { buildShared, GO_MARKS, UNIQUE_CXX } from "../support/doctor-fixtures.ts";
import { codes, report } from "../support/doctor-report.ts";
import { FIXTURE_BUILD } from "../support/scenarios.ts";
import { describeRun, runProcess, type RunResult } from "../support/spawn.ts";
import { tempDirs } from "../support/temp.ts";

/** A fresh temporary directory, removed after this file's tests. */
const tempDir = tempDirs();


const PINNED = pinnedBunVersion();
const CLI = join(REPO_ROOT, "src", "cli.ts");
const PRELOAD = join(REPO_ROOT, "src", "index.ts");
const TIMEOUT_MS = 20_000;

beforeAll(() => {
  if (!existsSync(join(FIXTURE_BUILD, "node_modules", "asherah"))) {
    throw new Error(`fixtures are not built (${FIXTURE_BUILD}): run \`node test/fixtures/build.mjs\``);
  }
});

/** The environment of a test process: no ASHERAH_BUN_PRELOAD_* from the developer's shell. */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith("ASHERAH_BUN_PRELOAD_")) delete env[key];
  env.BUN_RUNTIME_TRANSPILER_CACHE_PATH = "0";
  return { ...env, ...extra };
}

/** A fresh app directory with the fixture `asherah` and this package installed (as symlinks), and an optional bunfig.toml. */
function appDir(options: { bunfig?: string; asherah?: boolean; self?: boolean } = {}): string {
  const dir = tempDir("abp-doctor-e2e-");
  mkdirSync(join(dir, "node_modules"));
  if (options.asherah ?? true) symlinkSync(join(FIXTURE_BUILD, "node_modules", "asherah"), join(dir, "node_modules", "asherah"), "dir");
  if (options.self ?? true) symlinkSync(REPO_ROOT, join(dir, "node_modules", "asherah-bun-preload"), "dir");
  if (options.bunfig !== undefined) writeFileSync(join(dir, "bunfig.toml"), options.bunfig);
  return dir;
}

async function doctor(version: string, cwd: string, args: string[] = ["--json"], env: Record<string, string> = {}, cli = CLI): Promise<RunResult> {
  return runProcess([bunBinary(version), cli, "doctor", ...args], { cwd, env: cleanEnv(env), timeoutMs: TIMEOUT_MS });
}


describe("doctor on an affected Bun (1.2.19) with asherah installed", () => {
  test("no preload configured: exit 1, names the fix; libraries, Go runtime, NODELETE and Bun's own signal state reported", async () => {
    const dir = appDir();
    const result = await doctor("1.2.19", dir);
    const r = report(result);
    expect(result.exitCode, describeRun(result)).toBe(1);
    expect(r.exitCode).toBe(1);
    expect(r.bun).toMatchObject({ version: "1.2.19", affected: true, suspendSignal: "SIGPWR" });
    expect(r.platform).toMatchObject({ platform: "linux", arch: process.arch, libc: "glibc", supported: true });
    // Every library src/shipped.ts lists for this platform, each the shipped bytes.
    const shipped = Object.keys(SHIPPED).filter((key) => key.startsWith(`linux-${process.arch}/`));
    expect(shipped.length).toBeGreaterThan(0);
    expect(r.libraries.map((l) => `linux-${process.arch}/${l.path.split("/").pop()}`).sort()).toEqual(shipped.sort());
    expect(r.libraries.map((l) => l.role)[0]).toBe("warmup");
    for (const lib of r.libraries) {
      expect(lib.integrity).toBe("match");
      expect(lib.sha256).toBe(SHIPPED[`linux-${process.arch}/${lib.path.split("/").pop()}`]!.sha256);
    }
    const [asherah] = r.packages;
    expect(asherah).toMatchObject({ name: "asherah", resolved: true, entry: join(dir, "node_modules", "asherah", "dist", "asherah.node") });
    expect(asherah!.nativeFiles).toEqual([
      expect.objectContaining({ goRuntime: true, goBuildInfo: true, cgoSymbol: true, nodelete: true, keptLoaded: true, goVersion: expect.stringMatching(/^go1\.\d+/) }),
    ]);
    expect(r.bunfig.path).toBeUndefined(); // none in the app directory or above it
    expect(r.bunfig.configuredForRun).toBe(false);
    expect(codes(r, "error")).toEqual(["NOT_CONFIGURED"]);
    // Nothing Go-related ran in the doctor: Bun's own dispositions, read from /proc/self/status.
    expect(r.signals).toMatchObject({ checked: true, goRuntimesLoaded: 0, preloadInThisProcess: false });
    expect(r.signals.dispositions.map((s) => [s.signal, s.disposition])).toEqual([
      ["SIGPWR", "caught"], // JavaScriptCore's suspend handler
      ["SIGUSR1", "default"],
      ["SIGPIPE", "ignored"],
      ["SIGURG", "default"],
    ]);

    const text = await doctor("1.2.19", dir, []);
    expect(text.exitCode, describeRun(text)).toBe(1);
    expect(text.stdout).toContain("1.2.19");
    expect(text.stdout).toContain("AFFECTED");
    expect(text.stdout).toMatch(/ERROR +Bun 1\.2\.19 hangs once a Go runtime \(asherah\) is loaded/);
    expect(text.stdout).toContain('preload = ["asherah-bun-preload"]');
    expect(text.stdout).toMatch(/^Verdict: ERROR: /m);
    // The start path's bytecode cache is the pinned Bun's: 1.2.19 parses the start path.
    expect(r.bun.startBytecode).toEqual({ path: join(REPO_ROOT, "dist", "preload.cjs.jsc"), builtFor: PINNED, present: true, used: false });
    expect(text.stdout).toContain(`parsed at every process start: the bytecode cache is for Bun ${PINNED}, not 1.2.19`);
  }, 60_000);

  test("preload configured in ./bunfig.toml: exit 0; the doctor process itself ran the preload", async () => {
    const dir = appDir({ bunfig: '# app\npreload = [\n  "asherah-bun-preload", # guards asherah\n]\n[test]\npreload = ["asherah-bun-preload"]\n' });
    const result = await doctor("1.2.19", dir);
    const r = report(result);
    expect(result.exitCode, describeRun(result)).toBe(0);
    expect(r.verdict.status).toBe("ok");
    expect(r.bunfig).toMatchObject({ path: join(dir, "bunfig.toml"), readByBun: true, configuredForRun: true, configuredForTest: true });
    // The bare name resolves through package.json "exports" to the bundle.
    expect(r.bunfig.run).toEqual([{ entry: "asherah-bun-preload", kind: "self", resolved: join(REPO_ROOT, "dist", "index.js") }]);
    expect(r.signals.preloadInThisProcess).toBe(true);
    expect(r.signals.goRuntimesLoaded).toBe(1); // the warmup, loaded by the preload in the doctor process
  }, 60_000);

  test("a bunfig.toml in a parent directory: the doctor says Bun ignores it, and Bun does", async () => {
    const parent = appDir({ bunfig: 'preload = ["asherah-bun-preload"]\n' });
    const child = join(parent, "service");
    mkdirSync(child);
    const r = report(await doctor("1.2.19", child));
    expect(r.bunfig).toMatchObject({ path: join(parent, "bunfig.toml"), readByBun: false, configuredForRun: false });
    expect(codes(r)).toContain("BUNFIG_ELSEWHERE");
    expect(codes(r, "error")).toEqual(["NOT_CONFIGURED"]);
    writeFileSync(join(child, "phase.js"), 'console.log("PHASE", require("asherah-bun-preload/api").status().phase);\n');
    const run = await runProcess([bunBinary("1.2.19"), "phase.js"], { cwd: child, env: cleanEnv(), timeoutMs: TIMEOUT_MS });
    expect(run.stdout, describeRun(run)).toContain("PHASE not-installed");
  }, 60_000);

  test('preload = ["asherah-bun-preload/src/index.ts"]: the doctor reports it unresolvable, and Bun refuses it', async () => {
    const dir = appDir({ bunfig: 'preload = ["asherah-bun-preload/src/index.ts"]\n' });
    writeFileSync(join(dir, "app.js"), 'console.log("app ran");\n');
    const run = await runProcess([bunBinary("1.2.19"), "app.js"], { cwd: dir, env: cleanEnv(), timeoutMs: TIMEOUT_MS });
    expect(run.outcome, describeRun(run)).toBe("fail");
    expect(run.stderr).toContain('preload not found "asherah-bun-preload/src/index.ts"');
    // The doctor process reads the same bunfig.toml and would fail the same way: check from the parent directory.
    const r = report(await doctor("1.2.19", join(dir, ".."), ["--json", "--cwd", dir]));
    expect(r.bunfig.run).toEqual([expect.objectContaining({ kind: "missing" })]);
    expect(codes(r, "error")).toEqual(["PRELOAD_NOT_FOUND", "NOT_CONFIGURED"]);
    expect(r.exitCode).toBe(1);
  }, 60_000);
});

test("Bun 1.1.45: the doctor names SIGUSR1 as the suspend signal, and Bun's handler is on SIGUSR1", async () => {
  const r = report(await doctor("1.1.45", appDir()));
  expect(r.bun).toMatchObject({ affected: true, suspendSignal: "SIGUSR1" });
  const byName = Object.fromEntries(r.signals.dispositions.map((s) => [s.signal, s.disposition]));
  expect(byName).toMatchObject({ SIGUSR1: "caught", SIGPWR: "default" });
}, 60_000);

test(`Bun ${PINNED}: not affected, the preload optional: exit 0`, async () => {
  const result = await doctor(PINNED, appDir());
  const r = report(result);
  expect(result.exitCode, describeRun(result)).toBe(0);
  expect(r.bun.affected).toBe(false);
  expect(codes(r)).toEqual(["NOT_NEEDED"]);
  // Optional, not useless: SIGPIPE (README, "Why").
  expect(r.verdict.summary).toContain("optional here (it keeps SIGPIPE ignored after Go loads)");
}, 60_000);

test("no asherah installed: nothing to protect, exit 0 even on an affected Bun", async () => {
  const result = await doctor("1.2.19", appDir({ asherah: false }));
  const r = report(result);
  expect(result.exitCode, describeRun(result)).toBe(0);
  expect(r.packages).toEqual([{ name: "asherah", resolved: false, nativeFiles: [] }]);
  expect(r.verdict.summary).toContain("nothing to protect");
}, 60_000);

describe("Go runtimes the resolved copy does not show (src/doctor/go-scan.ts)", () => {
  // A real copy (not a symlink: the scan does not follow links) of a fixture package at `to`.
  const install = (fixture: string, to: string) => {
    mkdirSync(join(to, ".."), { recursive: true });
    cpSync(join(FIXTURE_BUILD, "node_modules", fixture), to, { recursive: true, dereference: true });
    return to;
  };

  test("asherah only nested under a dependency, on an affected Bun without the preload: an error, not 'nothing to protect'", async () => {
    const dir = appDir({ asherah: false });
    const nested = install("asherah", join(dir, "node_modules", "dep", "node_modules", "asherah"));
    const result = await doctor("1.2.19", dir);
    const r = report(result);
    expect(result.exitCode, describeRun(result)).toBe(1);
    expect(r.goScan?.goModules.map((m) => [m.packageName, m.guarded, m.file.path])).toEqual([["asherah", true, join(nested, "dist", "asherah.node")]]);
    expect(codes(r)).toContain("GO_ELSEWHERE");
    expect(codes(r, "error")).toEqual(["NOT_CONFIGURED"]);
  }, 60_000);

  test("a workspace package's asherah in Bun's isolated store, the doctor run in another workspace package: an error", async () => {
    const root = appDir({ asherah: false });
    const app = join(root, "packages", "app");
    mkdirSync(app, { recursive: true });
    install("asherah", join(root, "node_modules", ".bun", "asherah@3.0.0", "node_modules", "asherah"));
    const r = report(await doctor("1.2.19", app));
    expect(r.packages[0]!.resolved).toBe(false);
    expect(codes(r, "error")).toEqual(["NOT_CONFIGURED"]);
    expect(r.verdict.summary).not.toContain("nothing to protect");
  }, 60_000);

  test("a Go module that is not guarded: named in the error on an affected Bun, with the way to guard it; guarded once listed in ASHERAH_BUN_PRELOAD_PACKAGES", async () => {
    const dir = appDir({ asherah: false });
    install("go-js-entry", join(dir, "node_modules", "go-js-entry"));
    const r = report(await doctor("1.2.19", dir));
    expect(r.goScan?.goModules.map((m) => [m.packageName, m.guarded])).toEqual([["go-js-entry", false]]);
    expect(codes(r)).toContain("GO_UNGUARDED");
    expect(r.findings.find((f) => f.code === "GO_UNGUARDED")!.message).toContain("ASHERAH_BUN_PRELOAD_PACKAGES");
    expect(r.findings.find((f) => f.code === "NOT_CONFIGURED")!.message).toContain("go-js-entry");
    // Listed, it is a guarded package the doctor resolves and inspects, no longer a scan finding.
    const listed = report(await doctor("1.2.19", dir, ["--json"], { ASHERAH_BUN_PRELOAD_PACKAGES: "go-js-entry" }));
    expect(listed.goScan?.goModules).toEqual([]);
    expect(listed.packages.find((p) => p.name === "go-js-entry")?.nativeFiles.some((f) => f.goRuntime)).toBe(true);
  }, 60_000);

  test("a workspace package linked into node_modules (a symlink to packages/gofoo): its Go addon is found through the link", async () => {
    const root = appDir({ asherah: false });
    const pkg = install("go-js-entry", join(root, "packages", "gofoo"));
    symlinkSync(pkg, join(root, "node_modules", "gofoo"), "dir");
    const r = report(await doctor("1.2.19", root));
    expect(r.goScan?.goModules.map((m) => [m.packageName, m.guarded])).toEqual([["gofoo", false]]);
    expect(codes(r, "error")).toEqual(["NOT_CONFIGURED"]);
  }, 60_000);

  test("a native file too large to read: a warning that the search is incomplete, not 'nothing to protect'", async () => {
    const dir = appDir({ asherah: false });
    mkdirSync(join(dir, "node_modules", "big"), { recursive: true });
    // Sparse: 300 MiB on paper, nothing on disk; over the 256 MiB the doctor reads of one file.
    execFileSync("truncate", ["-s", "300M", join(dir, "node_modules", "big", "huge.node")]);
    const result = await doctor("1.2.19", dir);
    const r = report(result);
    expect(result.exitCode, describeRun(result)).toBe(3);
    expect(codes(r, "warn")).toContain("SCAN_INCOMPLETE");
    expect(r.findings.find((f) => f.code === "SCAN_INCOMPLETE")!.message).toContain(join(dir, "node_modules", "big", "huge.node"));
    expect(r.verdict.summary).not.toContain("nothing to protect");
  }, 60_000);

  test("the text report lists what the scan found", async () => {
    const dir = appDir({ asherah: false });
    const nested = install("asherah", join(dir, "node_modules", "dep", "node_modules", "asherah"));
    const result = await doctor(PINNED, dir, []);
    expect(result.stdout).toContain(`Go runtimes elsewhere under ${join(dir, "node_modules")}`);
    expect(result.stdout).toContain(`${join(nested, "dist", "asherah.node")}: asherah, guarded, Go runtime`);
  }, 60_000);
});

test("a glibc older than the shipped libraries need: PLATFORM error (the preload would run without its core and refuse asherah)", async () => {
  const dir = appDir();
  // A preload that runs before the doctor makes the process report glibc 2.31 (Debian 11).
  const fake = join(tempDir("abp-doctor-glibc-"), "glibc-2.31.ts");
  writeFileSync(fake, 'const real = process.report.getReport.bind(process.report);\nprocess.report.getReport = () => { const r = real(); r.header.glibcVersionRuntime = "2.31"; return r; };\n');
  const result = await runProcess([bunBinary(PINNED), "--preload", fake, CLI, "doctor", "--json"], { cwd: dir, env: cleanEnv(), timeoutMs: TIMEOUT_MS });
  const r = report(result);
  expect(result.exitCode, describeRun(result)).toBe(1);
  expect(r.platform.supported).toBe(false);
  expect(r.findings.find((f) => f.code === "PLATFORM")?.message).toContain("glibc 2.31 is older than the 2.34");
}, 60_000);

describe("a guarded addon cut short (a full disk, an interrupted install)", () => {
  test("is an error naming the file and both sizes (exit 1); a whole copy is not", async () => {
    const dir = appDir({ asherah: false, bunfig: 'preload = ["asherah-bun-preload"]\n' });
    const pkg = join(dir, "node_modules", "asherah");
    cpSync(join(FIXTURE_BUILD, "node_modules", "asherah"), pkg, { recursive: true, dereference: true });
    const addon = join(pkg, "dist", "asherah.node");
    const whole = await doctor(PINNED, dir);
    expect(codes(report(whole), "error")).not.toContain("LIBRARY_INVALID");
    const bytes = readFileSync(addon);
    const end = mappedEnd(bytes)!;
    writeFileSync(addon, bytes.subarray(0, Math.floor(end / 2)));
    const cut = await doctor(PINNED, dir);
    const r = report(cut);
    expect(cut.exitCode, describeRun(cut)).toBe(1);
    expect(codes(r, "error")).toEqual(["LIBRARY_INVALID"]);
    expect(r.packages[0]!.nativeFiles[0]!.cutShort).toEqual({ needed: end, size: Math.floor(end / 2) });
    const text = await doctor(PINNED, dir, []);
    expect(text.stdout).toContain(`${addon} (asherah) is cut short: its ELF headers map ${end} bytes, the file has ${Math.floor(end / 2)}.`);
  }, 60_000);

  test("a nested copy the application does not resolve (the scan's find) is the same error", async () => {
    const dir = appDir({ asherah: false, bunfig: 'preload = ["asherah-bun-preload"]\n' });
    const dep = join(dir, "node_modules", "dep");
    mkdirSync(join(dep, "node_modules"), { recursive: true });
    writeFileSync(join(dep, "package.json"), JSON.stringify({ name: "dep", version: "1.0.0", main: "index.js" }));
    const pkg = join(dep, "node_modules", "asherah");
    cpSync(join(FIXTURE_BUILD, "node_modules", "asherah"), pkg, { recursive: true, dereference: true });
    const addon = join(pkg, "dist", "asherah.node");
    const bytes = readFileSync(addon);
    const end = mappedEnd(bytes)!;
    writeFileSync(addon, bytes.subarray(0, Math.floor(end / 2)));
    const result = await doctor(PINNED, dir);
    const r = report(result);
    expect(result.exitCode, describeRun(result)).toBe(1);
    expect(codes(r, "error")).toEqual(["LIBRARY_INVALID"]);
    expect(r.findings.find((f) => f.code === "LIBRARY_INVALID")!.message).toContain(`${addon} (asherah) is cut short`);
  }, 60_000);
});

describe("a Go module linked without NODELETE", () => {
  // A stand-in .node: the two marks the doctor looks for (Go build info in
  // the bytes, the cgo runtime symbol in .dynsym), built with and without
  // -z nodelete, and as C++ with STB_GNU_UNIQUE symbols (as node-addon-api
  // addons such as the real asherah 3.x are: glibc keeps them loaded).
  function goLikeModule(kind: "plain" | "nodelete" | "unique"): string {
    const dir = appDir({ asherah: false });
    const pkg = join(dir, "node_modules", "asherah");
    mkdirSync(join(pkg, "dist"), { recursive: true });
    writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: "asherah", version: "3.0.0-test", main: "./dist/asherah.node" }));
    const out = join(pkg, "dist", "asherah.node");
    if (kind === "unique") buildShared(dir, out, GO_MARKS + UNIQUE_CXX, { cxx: true });
    else buildShared(dir, out, GO_MARKS, { flags: kind === "nodelete" ? ["-Wl,-z,nodelete"] : [] });
    return dir;
  }

  test("is a warning (exit 3), and the same module linked NODELETE is not", async () => {
    const without = await doctor(PINNED, goLikeModule("plain"));
    const r = report(without);
    expect(without.exitCode, describeRun(without)).toBe(3);
    expect(r.packages[0]!.nativeFiles).toEqual([expect.objectContaining({ goRuntime: true, goVersion: "go1.99.0", cgoSymbol: true, nodelete: false, uniqueSymbols: 0, keptLoaded: false })]);
    expect(codes(r, "warn")).toEqual(["NO_NODELETE"]);
    expect(r.verdict.status).toBe("warn");

    const withFlag = await doctor(PINNED, goLikeModule("nodelete"));
    expect(withFlag.exitCode, describeRun(withFlag)).toBe(0);
    expect(report(withFlag).packages[0]!.nativeFiles[0]!.nodelete).toBe(true);
    const text = await doctor(PINNED, goLikeModule("plain"), []);
    expect(text.stdout).toMatch(/WARN +.*asherah\.node \(asherah\) links a Go runtime but is not linked NODELETE/);
  }, 60_000);

  test("a C++ addon with STB_GNU_UNIQUE symbols and no -z nodelete is kept loaded by glibc: no warning (issue 12 item 6)", async () => {
    const dir = goLikeModule("unique");
    const result = await doctor(PINNED, dir);
    const r = report(result);
    expect(result.exitCode, describeRun(result)).toBe(0);
    const [file] = r.packages[0]!.nativeFiles;
    expect(file).toMatchObject({ goRuntime: true, nodelete: false, keptLoaded: true });
    expect(file!.uniqueSymbols).toBeGreaterThan(0);
    expect(codes(r, "warn")).toEqual([]);
    const text = await doctor(PINNED, dir, []);
    expect(text.stdout).toMatch(/asherah\.node: .*Go runtime go1\.99\.0 .*kept loaded \(\d+ STB_GNU_UNIQUE symbols?, not linked NODELETE\)/);
  }, 60_000);
});

describe("broken installs", () => {
  test("a shipped library whose bytes changed: exit 1, checksum named", async () => {
    const pkg = tempDir("abp-doctor-pkg-");
    for (const part of ["src", "prebuilds", "package.json"]) cpSync(join(REPO_ROOT, part), join(pkg, part), { recursive: true });
    const target = join(pkg, "prebuilds", `linux-${process.arch}`, "asherah-bun-warmup.so");
    const bytes = readFileSync(target);
    bytes[bytes.length - 64] = (bytes[bytes.length - 64] ?? 0) ^ 0xff;
    writeFileSync(target, bytes);
    const result = await doctor("1.2.19", appDir(), ["--json"], {}, join(pkg, "src", "cli.ts"));
    const r = report(result);
    expect(result.exitCode, describeRun(result)).toBe(1);
    expect(r.libraries.find((l) => l.role === "warmup")).toMatchObject({ integrity: "mismatch", path: target });
    expect(r.libraries.filter((l) => l.role !== "warmup").every((l) => l.integrity === "match")).toBe(true);
    expect(codes(r, "error")).toEqual(["CHECKSUM_MISMATCH", "NOT_CONFIGURED"]);
  }, 60_000);

  test("ASHERAH_BUN_PRELOAD_LIBRARY_DIR without the libraries: exit 1, every library missing", async () => {
    const empty = tempDir("abp-doctor-libdir-");
    const r = report(await doctor(PINNED, appDir(), ["--json"], { ASHERAH_BUN_PRELOAD_LIBRARY_DIR: empty }));
    const files = Object.keys(SHIPPED).filter((key) => key.startsWith(`linux-${process.arch}/`)).map((key) => key.split("/")[1]!);
    expect(r.libraries.map((l) => [l.path, l.integrity]).sort()).toEqual(files.map((file) => [join(empty, file), "missing"]).sort());
    expect(r.libraryDir).toMatchObject({ path: empty, exists: true, insideProject: false, permissions: [] });
    expect(codes(r, "error")).toEqual(files.map(() => "LIBRARY_MISSING"));
    expect(r.exitCode).toBe(1);
  }, 60_000);

  test("an invalid ASHERAH_BUN_PRELOAD_ variable: exit 1, the preload would refuse to start", async () => {
    const result = await doctor(PINNED, appDir(), [], { ASHERAH_BUN_PRELOAD_WARMUP: "sometimes" });
    expect(result.exitCode, describeRun(result)).toBe(1);
    expect(result.stdout).toContain('Config    INVALID: environment variable ASHERAH_BUN_PRELOAD_WARMUP has the invalid value "sometimes".');
  }, 60_000);
});

describe("the start path's bytecode cache (dist/preload.cjs.jsc)", () => {
  test("the pinned Bun uses it; a copy without it is reported, with what to do", async () => {
    const dir = appDir({ bunfig: 'preload = ["asherah-bun-preload"]\n' });
    const used = await doctor(PINNED, dir, []);
    expect(used.stdout, describeRun(used)).toContain(`Start     runs from its bytecode cache (made by Bun ${PINNED}, this release)`);
    // A copy of the package (src/, dist/, package.json) without the cache.
    const copy = tempDir("abp-doctor-nojsc-");
    for (const part of ["src", "dist", "prebuilds", "package.json"]) cpSync(join(REPO_ROOT, part), join(copy, part), { recursive: true });
    rmSync(join(copy, "dist", "preload.cjs.jsc"));
    const missing = await doctor(PINNED, dir, ["--json"], {}, join(copy, "src", "cli.ts"));
    expect(report(missing).bun.startBytecode).toEqual({ path: join(copy, "dist", "preload.cjs.jsc"), builtFor: PINNED, present: false, used: false });
    const text = await doctor(PINNED, dir, [], {}, join(copy, "src", "cli.ts"));
    expect(text.stdout).toContain("no bytecode cache (dist/preload.cjs.jsc is missing; reinstall asherah-bun-preload)");
    // A FIFO in its place: Bun would block every process on it; the doctor stats it, never opens it, and says so.
    execFileSync("mkfifo", [join(copy, "dist", "preload.cjs.jsc")]);
    const fifo = await doctor(PINNED, dir, ["--json"], {}, join(copy, "src", "cli.ts"));
    const r = report(fifo);
    expect(fifo.exitCode, describeRun(fifo)).toBe(1);
    expect(r.bun.startBytecode).toMatchObject({ present: false, used: false, notRegular: "a FIFO" });
    expect(codes(r, "error")).toContain("BYTECODE_NOT_REGULAR");
    expect(r.findings.find((f) => f.code === "BYTECODE_NOT_REGULAR")?.message).toContain(`${join(copy, "dist", "preload.cjs.jsc")} is a FIFO, not a regular file`);
  }, 60_000);

  test("a bunfig that preloads dist/preload.cjs directly: configured, with a warning to preload the package instead", async () => {
    const dir = appDir({ bunfig: 'preload = ["./node_modules/asherah-bun-preload/dist/preload.cjs"]\n' });
    const result = await doctor(PINNED, dir);
    const r = report(result);
    expect(r.bunfig.configuredForRun, describeRun(result)).toBe(true);
    expect(codes(r, "warn")).toContain("PRELOAD_START_BUNDLE");
    expect(codes(r, "error")).toEqual([]);
  }, 60_000);
});

describe("command line", () => {
  test("--help: usage on stdout, exit 0", async () => {
    const result = await runProcess([bunBinary(PINNED), CLI, "--help"], { env: cleanEnv(), timeoutMs: TIMEOUT_MS });
    expect(result.exitCode, describeRun(result)).toBe(0);
    expect(result.stdout).toStartWith("usage: asherah-bun-preload doctor [--json] [--cwd DIR]");
  }, 30_000);
  test("an unknown option: clear error and usage on stderr, exit 2", async () => {
    const result = await runProcess([bunBinary(PINNED), CLI, "doctor", "--jsn"], { env: cleanEnv(), timeoutMs: TIMEOUT_MS });
    expect(result.exitCode, describeRun(result)).toBe(2);
    expect(result.stderr).toStartWith('asherah-bun-preload: unknown option "--jsn" for doctor\n');
    expect(result.stderr).toContain("usage:");
    expect(result.stdout).toBe("");
  }, 30_000);
  test("no command: exit 2", async () => {
    const result = await runProcess([bunBinary(PINNED), CLI], { env: cleanEnv(), timeoutMs: TIMEOUT_MS });
    expect(result.exitCode, describeRun(result)).toBe(2);
    expect(result.stderr).toStartWith("asherah-bun-preload: missing command");
  }, 30_000);
  test("package.json declares the bin and the doctor script", () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { bin: Record<string, string>; scripts: Record<string, string> };
    expect(pkg.bin["asherah-bun-preload"]).toBe("./src/cli.ts");
    expect(readFileSync(CLI, "utf8")).toStartWith("#!/usr/bin/env bun\n");
  });
});

describe("debug output (ASHERAH_BUN_PRELOAD_DEBUG=1) on an affected Bun (1.2.19)", () => {
  const app = `const a = require("asherah");
a.setup({ ServiceName: "s", ProductID: "p", Metastore: "memory", KMS: "static" });
if (a.decrypt_string("p", a.encrypt_string("p", "hi")) !== "hi") throw new Error("round trip");
a.shutdown();
console.log("OK app");
`;
  const LINE = /^\[asherah-bun-preload\] (.+)$/;
  function debugLines(stderr: string): string[] {
    return stderr.split("\n").flatMap((l) => LINE.exec(l)?.[1] ?? []);
  }
  const warmupPath = join(REPO_ROOT, "prebuilds", `linux-${process.arch}`, "asherah-bun-warmup.so");

  async function run(env: Record<string, string>): Promise<{ result: RunResult; lines: string[]; addon: string }> {
    const dir = appDir();
    writeFileSync(join(dir, "app.js"), app);
    const result = await runProcess([bunBinary("1.2.19"), "--preload", PRELOAD, "app.js"], { cwd: dir, env: cleanEnv(env), timeoutMs: TIMEOUT_MS });
    expect(result.outcome, describeRun(result)).toBe("ok");
    expect(result.stdout).toContain("OK app");
    return { result, lines: debugLines(result.stderr), addon: join(FIXTURE_BUILD, "node_modules", "asherah", "dist", "asherah.node") };
  }

  test("default mechanism: suspend handler wrapped, warmup loaded (path, µs), SIGPIPE repaired after each Go load, module guarded", async () => {
    const { lines, addon } = await run({ ASHERAH_BUN_PRELOAD_DEBUG: "1" });
    const index = (pattern: RegExp) => lines.findIndex((l) => pattern.test(l));
    const wrapped = index(/^signals protected wrapped=SIGPWR snapshot=taken /);
    const warmup = lines[index(/^warmup loaded /)] ?? "";
    const w = /^warmup loaded path=(\S+) verify_us=(\d+) dlopen_us=(\d+) call_us=(\d+)$/.exec(warmup);
    expect(w, lines.join("\n")).not.toBeNull();
    expect(w![1]).toBe(warmupPath);
    for (const us of [Number(w![2]), Number(w![3]), Number(w![4])]) expect(us).toBeGreaterThan(0), expect(us).toBeLessThan(5_000_000);
    // Go in library mode takes SIGPIPE; Bun ignores it: put back after the warmup and after the addon.
    const pipe = (after: string) =>
      lines.find((l) => l.startsWith("signal repaired signal=SIGPIPE ") && l.endsWith(`after_load=${after}`)) ?? "";
    expect(pipe("warmup")).toMatch(/^signal repaired signal=SIGPIPE before="0x[0-9a-f]+ flags=SA_ONSTACK\|SA_SIGINFO\|SA_RESTART" after="SIG_IGN flags=0" after_load=warmup$/);
    expect(pipe(addon)).toMatch(/before="0x[0-9a-f]+ flags=SA_ONSTACK\|SA_SIGINFO\|SA_RESTART" after="SIG_IGN flags=0"/);
    const guarded = index(new RegExp(`^module guarded package=asherah path=${addon.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} via=process\\.dlopen go_runtime=true us=\\d+$`));
    expect(wrapped, lines.join("\n")).toBeGreaterThanOrEqual(0);
    expect(guarded, lines.join("\n")).toBeGreaterThan(index(/^warmup loaded /));
    expect(index(/^warmup loaded /)).toBeGreaterThan(wrapped);
  }, 60_000);

  test("flag-restore mechanism: SIGPWR repaired (SA_ONSTACK removed, same handler) after the warmup and again after the addon", async () => {
    const { lines, addon } = await run({ ASHERAH_BUN_PRELOAD_DEBUG: "1", ASHERAH_BUN_PRELOAD_SIGNAL_MECHANISM: "restore" });
    const pwr = lines.filter((l) => l.startsWith("signal repaired signal=SIGPWR "));
    expect(pwr.map((l) => l.replace(/.* after_load=/, "")), lines.join("\n")).toEqual(["warmup", addon]);
    for (const line of pwr) {
      const m = /before="(0x[0-9a-f]+) flags=(\S+)" after="(0x[0-9a-f]+) flags=(\S+)"/.exec(line);
      expect(m, line).not.toBeNull();
      expect(m![1]).toBe(m![3]); // JavaScriptCore's handler stays; only its flags go back
      expect(m![2]!.split("|")).toContain("SA_ONSTACK");
      expect(m![4]!.split("|")).not.toContain("SA_ONSTACK");
    }
  }, 60_000);

  test("without the variable there is no debug output at all", async () => {
    const { result, lines } = await run({});
    expect(lines).toEqual([]);
    expect(result.stderr).not.toContain("asherah-bun-preload");
  }, 60_000);
});
