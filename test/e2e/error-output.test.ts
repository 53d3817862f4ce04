// What a user sees when the preload refuses to start, or refuses a guarded
// package at its load: the errors.ts block and nothing else — no source frame
// or stack of dist/index.js, no "missing sourcemaps" notes, the prefix once,
// the code shown — on the oldest supported Bun, the worst affected one and the
// pinned one (issue 14). Needs `npm run build` and the fixtures.
import { beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isAffected, supportsJsEntryGuard } from "../../src/bun-version.ts";
import { ERROR_CODES, type PreloadErrorCode } from "../../src/errors.ts";
import { bunBinary, pinnedBunVersion, REPO_ROOT } from "../support/bun-versions.ts";
import { FIXTURE_BUILD, PRELOAD_ENTRY, prepareApps, scenarioEnv } from "../support/scenarios.ts";
import { describeRun, runProcess, type RunResult } from "../support/spawn.ts";
import { tempDirs } from "../support/temp.ts";

const tempDir = tempDirs();
const VERSIONS = ["1.0.36", "1.2.19", pinnedBunVersion()];
const X64 = join(REPO_ROOT, "prebuilds", "linux-x64");
const WARMUP = "asherah-bun-warmup.so";
const CORE = "asherah-bun-core.node";

let appsDir = "";
beforeAll(() => {
  appsDir = prepareApps();
  // Loads a guarded package and nothing else, so the refusal is uncaught.
  writeFileSync(join(appsDir, "guarded-require.cjs"), 'require("asherah");\nconsole.log("LOADED");\n');
  writeFileSync(join(appsDir, "guarded-import.mjs"), 'import "go-js-entry";\nconsole.log("LOADED");\n');
  writeFileSync(join(appsDir, "no-go.cjs"), 'console.log("RAN");\n');
  writeFileSync(join(appsDir, "go-unguarded.cjs"), 'require("go-js-entry");\nconsole.log("LOADED");\n');
});

/**
 * Every file the package ships for linux-x64, whatever the set is, with one
 * of them (the warmup library unless named) changed by `damage` (undefined
 * removes it). The core is checked at start; the warmup at the first guarded
 * load, which waits for the core's warmup thread.
 */
function libraryDir(damage: ((bytes: Buffer) => Buffer) | undefined, file = WARMUP): string {
  const dir = tempDir("abp-output-");
  for (const name of readdirSync(X64)) copyFileSync(join(X64, name), join(dir, name));
  const target = join(dir, file);
  if (damage === undefined) rmSync(target);
  else writeFileSync(target, damage(readFileSync(target)));
  return dir;
}

async function run(version: string, args: string[], env: Record<string, string>): Promise<RunResult> {
  const base = scenarioEnv({ bun: "", scenario: "plain", path: "napi", mode: "preload", timeoutMs: 0, appsDir, env });
  return runProcess([bunBinary(version), "--preload", PRELOAD_ENTRY, ...args], { cwd: appsDir, env: base, timeoutMs: 30_000 });
}

/** The checks of issue 14's "done when", on the whole of stderr. */
function expectBlock(result: RunResult, code: PreloadErrorCode): void {
  const context = describeRun(result);
  const stderr = result.stderr.trimEnd();
  const lines = stderr.split("\n");
  expect(result.outcome, context).toBe("fail");
  expect(result.stdout, context).not.toMatch(/^OK |LOADED/m); // the application did not go on
  expect(lines[0], context).toStartWith("asherah-bun-preload: ");
  expect(lines.length, context).toBeLessThanOrEqual(8);
  expect(stderr, context).not.toMatch(/^\s*\d+ \|/m); // a source-code frame
  expect(stderr, context).not.toMatch(/^\s*at .*dist\//m); // the bundle's stack
  expect(stderr, context).not.toContain("note: "); // Bun's "missing sourcemaps" notes
  expect(stderr.match(/asherah-bun-preload:/g)?.length, context).toBe(1);
  expect(stderr, context).toContain(`  (code ${code}; ASHERAH_BUN_PRELOAD_DEBUG=1 for details)`);
}

const startFailures: { name: string; code: PreloadErrorCode; env: () => Record<string, string> }[] = [
  { name: "a bad value", code: "CONFIG", env: () => ({ ASHERAH_BUN_PRELOAD_WARMUP: "bogus" }) },
  { name: "a missing library", code: "LIBRARY_MISSING", env: () => ({ ASHERAH_BUN_PRELOAD_LIBRARY_DIR: libraryDir(undefined, CORE) }) },
  { name: "a corrupt (truncated) library", code: "LIBRARY_INVALID", env: () => ({ ASHERAH_BUN_PRELOAD_LIBRARY_DIR: libraryDir((b) => b.subarray(0, 4096), CORE) }) },
  {
    name: "a library for the wrong architecture (arm64 on x64)",
    code: "LIBRARY_INVALID",
    env: () => ({ ASHERAH_BUN_PRELOAD_LIBRARY_DIR: libraryDir(() => readFileSync(join(REPO_ROOT, "prebuilds", "linux-arm64", CORE)), CORE) }),
  },
];

for (const version of VERSIONS) {
  describe(`Bun ${version}`, () => {
    for (const { name, code, env } of startFailures) {
      test(`start-up failure: ${name} prints the block and exits ${ERROR_CODES[code].status}`, async () => {
        const result = await run(version, ["./plain.ts"], env());
        expectBlock(result, code);
        expect(result.exitCode).toBe(ERROR_CODES[code].status);
      }, 60_000);
    }

    test("a guarded package refused at its load: require() prints the block", async () => {
      const env = { ASHERAH_BUN_PRELOAD_WARMUP: "lazy", ASHERAH_BUN_PRELOAD_LIBRARY_DIR: libraryDir(undefined) };
      const result = await run(version, ["./guarded-require.cjs"], env);
      // The cause is folded into the first line; lazy is eager on Bun 1.0.x,
      // where the load waits for the warmup started at start: the same block.
      expectBlock(result, "LIBRARY_MISSING");
      expect(result.stderr).toContain(`refusing to load asherah because the Go warmup did not complete: ${env.ASHERAH_BUN_PRELOAD_LIBRARY_DIR}/${WARMUP} cannot be opened`);
      // The folder is the user's own: the advice is to rebuild it, not to reinstall the package.
      expect(result.stderr).toContain("Rebuild the folder ASHERAH_BUN_PRELOAD_LIBRARY_DIR names");
    }, 60_000);

    test("a PreloadError thrown inside require() prints as the block", async () => {
      // What the platform degrade (issue 14 item 2) throws at a guarded load.
      // Bun 1.0.36 adds one line, ` code: "…"` (it reads `code` through the prototype).
      const dir = tempDir("abp-throw-");
      writeFileSync(
        join(dir, "inner.cjs"),
        `const { PreloadError } = require(${JSON.stringify(join(REPO_ROOT, "dist", "api.js"))});\n` +
          'throw new PreloadError({ code: "UNSUPPORTED_PLATFORM", what: "refusing to load asherah: no prebuilt libraries here.", where: { module: "asherah" }, next: "Use asherah 4.x." });\n',
      );
      writeFileSync(join(dir, "outer.cjs"), 'require("./inner.cjs");\nconsole.log("LOADED");\n');
      const base = scenarioEnv({ bun: "", scenario: "plain", path: "napi", mode: "none", timeoutMs: 0, appsDir, env: {} });
      const result = await runProcess([bunBinary(version), join(dir, "outer.cjs")], { cwd: dir, env: base, timeoutMs: 30_000 });
      expectBlock(result, "UNSUPPORTED_PLATFORM");
      expect(result.exitCode).toBe(1);
    }, 60_000);

    if (supportsJsEntryGuard(version)) {
      test("a guarded JavaScript package refused through the plugin keeps its code", async () => {
        const env = { ASHERAH_BUN_PRELOAD_WARMUP: "lazy", ASHERAH_BUN_PRELOAD_PACKAGES: "go-js-entry", ASHERAH_BUN_PRELOAD_LIBRARY_DIR: libraryDir(undefined) };
        expectBlock(await run(version, ["./guarded-import.mjs"], env), "LIBRARY_MISSING");
      }, 60_000);
    }
  });
}

for (const version of VERSIONS) {
  test(`Bun ${version}: an unsupported platform refuses a guarded package at its load, as the block`, async () => {
    // A preload that runs first makes this process look like linux-ppc64.
    const fake = join(tempDir("abp-platform-"), "fake-arch.ts");
    writeFileSync(fake, 'Object.defineProperty(process, "arch", { value: "ppc64" });\n');
    const base = scenarioEnv({ bun: "", scenario: "plain", path: "napi", mode: "preload", timeoutMs: 0, appsDir, env: {} });
    const result = await runProcess([bunBinary(version), "--preload", fake, "--preload", PRELOAD_ENTRY, "./guarded-require.cjs"], { cwd: appsDir, env: base, timeoutMs: 30_000 });
    expectBlock(result, "UNSUPPORTED_PLATFORM");
    expect(result.stderr).toContain("linux-ppc64");
  }, 60_000);
}

/**
 * A copy of the package whose shipped core needs `GLIBC_2.00` where it needed
 * `GLIBC_2.34` (same length: the ELF stays intact): the loader then fails as
 * on an older glibc, "version `GLIBC_2.00' not found".
 */
function packageNeedingGlibc(): string {
  const pkg = tempDir("abp-glibc-pkg-");
  for (const part of ["dist", "prebuilds", "package.json"]) cpSync(join(REPO_ROOT, part), join(pkg, part), { recursive: true });
  const core = join(pkg, "prebuilds", "linux-x64", CORE);
  writeFileSync(core, Buffer.from(readFileSync(core).toString("latin1").replaceAll("GLIBC_2.34", "GLIBC_2.00"), "latin1"));
  return pkg;
}

for (const version of VERSIONS) {
  test(`Bun ${version}: an older glibc runs a process without the core and refuses a guarded package at its load, as the block`, async () => {
    const pkg = packageNeedingGlibc();
    // A preload that runs first makes the process report glibc 2.31 (Debian 11).
    const fake = join(tempDir("abp-glibc-"), "glibc-2.31.ts");
    writeFileSync(fake, 'const real = process.report.getReport.bind(process.report);\nprocess.report.getReport = () => { const r = real(); r.header.glibcVersionRuntime = "2.31"; return r; };\n');
    const base = scenarioEnv({ bun: "", scenario: "plain", path: "napi", mode: "none", timeoutMs: 0, appsDir, env: {} });
    const spawn = (script: string) => runProcess([bunBinary(version), "--preload", fake, "--preload", join(pkg, "dist", "index.js"), script], { cwd: appsDir, env: base, timeoutMs: 30_000 });
    const plain = await spawn("./no-go.cjs");
    expect(plain.outcome, describeRun(plain)).toBe("ok");
    expect(plain.stdout).toContain("RAN");
    expect(plain.stderr).toBe("");
    const refused = await spawn("./guarded-require.cjs");
    expectBlock(refused, "UNSUPPORTED_PLATFORM");
    expect(refused.stderr).toContain("this system's glibc 2.31 is older than the 2.34 the prebuilt libraries need");
    // A Go module that is not guarded loads, with one warning: without the core nothing puts SIGPIPE back.
    const unguarded = await spawn("./go-unguarded.cjs");
    expect(unguarded.outcome, describeRun(unguarded)).toBe("ok");
    expect(unguarded.stdout).toContain("LOADED");
    expect(unguarded.stderr).toContain("carries a Go runtime and was loaded without the preload's native core, because this system's glibc 2.31 is older");
    expect(unguarded.stderr).toContain(isAffected(version, "linux") ? `Bun ${version} can hang with it loaded` : "SIGPIPE is no longer ignored after it");
    expect(unguarded.stderr).toContain("Run on glibc 2.34 or later");
  }, 60_000);
}

test("the same core on a glibc new enough is a damaged core, not an old glibc: the process stops at start", async () => {
  const pkg = packageNeedingGlibc();
  const base = scenarioEnv({ bun: "", scenario: "plain", path: "napi", mode: "none", timeoutMs: 0, appsDir, env: {} });
  const result = await runProcess([bunBinary("pinned"), "--preload", join(pkg, "dist", "index.js"), "./no-go.cjs"], { cwd: appsDir, env: base, timeoutMs: 30_000 });
  expectBlock(result, "LIBRARY_INVALID");
  expect(result.stderr).toContain("GLIBC_2.00");
}, 60_000);

test("a folder of one's own (LIBRARY_DIR) built for a newer glibc stops at start, saying to build it here", async () => {
  const older = (bytes: Buffer) => Buffer.from(bytes.toString("latin1").replaceAll("GLIBC_2.34", "GLIBC_2.99"), "latin1");
  const result = await run("pinned", ["./no-go.cjs"], { ASHERAH_BUN_PRELOAD_LIBRARY_DIR: libraryDir(older, CORE) });
  expectBlock(result, "LIBRARY_INVALID");
  expect(result.stderr).toContain("The library needs glibc 2.99, which this system does not have.");
}, 60_000);

for (const version of ["1.2.19", pinnedBunVersion()]) {
  test(`Bun ${version}: a damaged guarded addon: Bun's own error, at the application's require() line, none of the preload's frames (src/user-frames.ts)`, async () => {
    const dir = tempDir("abp-damaged-addon-");
    mkdirSync(join(dir, "node_modules", "asherah", "dist"), { recursive: true });
    copyFileSync(join(FIXTURE_BUILD, "node_modules", "asherah", "package.json"), join(dir, "node_modules", "asherah", "package.json"));
    writeFileSync(join(dir, "node_modules", "asherah", "dist", "asherah.node"), "not a library\n");
    writeFileSync(join(dir, "app.cjs"), 'const asherah = require("asherah");\n');
    writeFileSync(join(dir, "app.mjs"), 'import { setup } from "asherah";\nconsole.log(typeof setup);\n');
    const base = scenarioEnv({ bun: "", scenario: "plain", path: "napi", mode: "preload", timeoutMs: 0, appsDir, env: {} });
    const required = await runProcess([bunBinary(version), "--preload", PRELOAD_ENTRY, "./app.cjs"], { cwd: dir, env: base, timeoutMs: 30_000 });
    expect(required.outcome, describeRun(required)).toBe("fail");
    expect(required.stderr).toContain("ERR_DLOPEN_FAILED");
    expect(required.stderr).toContain('1 | const asherah = require("asherah");');
    expect(required.stderr).toMatch(/^\s+at .*app\.cjs:1:\d+/m);
    for (const ours of [join(REPO_ROOT, "dist"), join(REPO_ROOT, "src")]) expect(required.stderr, describeRun(required)).not.toContain(ours);
    // An import is served while Bun links the module: no line of the application's to show, and none of ours.
    const imported = await runProcess([bunBinary(version), "--preload", PRELOAD_ENTRY, "./app.mjs"], { cwd: dir, env: base, timeoutMs: 30_000 });
    expect(imported.outcome, describeRun(imported)).toBe("fail");
    expect(imported.stderr).toContain("ERR_DLOPEN_FAILED");
    for (const ours of [join(REPO_ROOT, "dist"), join(REPO_ROOT, "src")]) expect(imported.stderr, describeRun(imported)).not.toContain(ours);
  }, 60_000);
}

test("the programmatic install() throws an error that prints as the block", async () => {
  const script = join(tempDir("abp-api-"), "api.ts");
  writeFileSync(script, `import { install } from ${JSON.stringify(join(REPO_ROOT, "dist", "api.js"))};\ninstall({ env: { ASHERAH_BUN_PRELOAD_SIGNALS: "bogus" } });\n`);
  const base = scenarioEnv({ bun: "", scenario: "plain", path: "napi", mode: "none", timeoutMs: 0, appsDir, env: {} });
  const result = await runProcess([bunBinary("pinned"), script], { cwd: appsDir, env: base, timeoutMs: 30_000 });
  expectBlock(result, "CONFIG");
}, 60_000);

test("ASHERAH_BUN_PRELOAD_DEBUG=1 adds the stack and the cause", async () => {
  // A guarded load refused because the warmup failed: the cause is the warmup's error.
  const dir = libraryDir(undefined);
  const result = await run("pinned", ["./guarded-require.cjs"], { ASHERAH_BUN_PRELOAD_DEBUG: "1", ASHERAH_BUN_PRELOAD_WARMUP: "lazy", ASHERAH_BUN_PRELOAD_LIBRARY_DIR: dir });
  expect(result.outcome, describeRun(result)).toBe("fail");
  expect(result.stderr).toMatch(/^asherah-bun-preload: refusing to load asherah because the Go warmup did not complete: .* cannot be opened/m);
  expect(result.stderr).toContain("(code LIBRARY_MISSING)");
  // The frames name src/*.ts: dist/ carries a linked source map (package.json "build").
  expect(result.stderr).toMatch(/^\s+at .*\/src\/\w+\.ts:\d+/m);
  // The cause, printed by Bun after the error itself (the standard `cause` property, set in debug mode only).
  expect(result.stderr).toMatch(/refusing to load asherah[^]*\nasherah-bun-preload: the Go warmup did not complete/);
}, 60_000);
