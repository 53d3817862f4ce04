// Every way an application can reach the Go-based module, and every way users
// enable the preload. Real Bun processes, each with a timeout.
import { beforeAll, describe, expect, test } from "bun:test";
import { cpSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { bunBinary, pinnedBunVersion, REPO_ROOT } from "../support/bun-versions.ts";
import { FIXTURE_BUILD, FIXTURES, PRELOAD_ENTRY, prepareApps, scenarioEnv, writeBunfig, type Fixture } from "../support/scenarios.ts";
import { describeRun, runProcess, type RunResult } from "../support/spawn.ts";

const PINNED = pinnedBunVersion();
const TIMEOUT_MS = 20_000;
let appsDir = "";
const appsFor: Record<Fixture, string> = { c: "", naa: "" };

beforeAll(() => {
  for (const fixture of FIXTURES) appsFor[fixture] = prepareApps(fixture);
  appsDir = appsFor.c;
});

interface EventRecord {
  seq: number;
  event: string;
  detail: string;
}

async function run(version: string, args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<RunResult> {
  const env = scenarioEnv({ bun: "", scenario: "plain", path: "napi", mode: "preload", timeoutMs: TIMEOUT_MS, appsDir, env: options.env });
  return runProcess([bunBinary(version), ...args], { cwd: options.cwd ?? appsDir, env, timeoutMs: TIMEOUT_MS });
}

function expectOk(result: RunResult, marker: string): void {
  expect(result.outcome, describeRun(result)).toBe("ok");
  expect(result.stdout, describeRun(result)).toContain(marker);
}

function jsonLine<T>(stdout: string, prefix: string): T {
  const line = stdout.split("\n").find((l) => l.startsWith(prefix + " "));
  if (line === undefined) throw new Error(`no "${prefix}" line in:\n${stdout}`);
  return JSON.parse(line.slice(prefix.length + 1)) as T;
}

/** A folder inside the fixture build (so node_modules resolves) with its own bunfig.toml. */
function appDir(name: string, bunfig: string): string {
  const dir = join(FIXTURE_BUILD, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(appsDir, dir, { recursive: true });
  writeBunfig(dir, bunfig);
  return dir;
}

describe("require('asherah')", () => {
  for (const version of ["1.2.19", PINNED]) {
    test(`Bun ${version}: the warmup and signal snapshot complete before the addon loads`, async () => {
      const result = await run(version, ["--preload", PRELOAD_ENTRY, "./require.ts"]);
      expectOk(result, "OK require");
      const status = jsonLine<{ phase: string; warmup: string; events: EventRecord[]; guarded: { packageName: string; goRuntime: boolean }[] }>(result.stdout, "STATUS");
      expect(status.phase).toBe("installed");
      expect(status.warmup).toBe("done");
      const seq = (event: string, detail = "") => status.events.find((e) => e.event === event && e.detail.includes(detail))?.seq ?? -1;
      const snapshot = seq("signals-protected");
      const warmupDone = seq("warmup-done");
      const addonStart = seq("native-load-start", "asherah.node");
      const addonDone = seq("native-load-done", "asherah.node");
      expect(snapshot).toBeGreaterThan(0);
      expect(warmupDone).toBeGreaterThan(snapshot);
      expect(addonStart).toBeGreaterThan(warmupDone);
      expect(addonDone).toBeGreaterThan(addonStart);
      // The addon links a Go c-archive: the preload must have seen its runtime.
      expect(status.guarded).toEqual([expect.objectContaining({ packageName: "asherah", goRuntime: true })]);
    }, 40_000);
  }
});

describe("the common case of a guarded load, without the cold half", () => {
  const apps = [
    ["load-after-warmup", [], "require('asherah') after warmup()"],
    ["require-first", [], "require('asherah') as the first line, the warmup still running"],
    ["load-after-warmup", ["--import"], "import('asherah') after warmup()"],
  ] as const;
  for (const [app, args, what] of apps) {
    for (const version of ["1.2.19", PINNED]) {
      test(`Bun ${version}: ${what} loads without the cold half, and is still recorded and repaired`, async () => {
        const result = await run(version, ["--preload", PRELOAD_ENTRY, `./${app}.ts`, ...args]);
        expectOk(result, `OK ${app}`);
        const status = jsonLine<{ loaded: string[]; warmup: string; events: EventRecord[]; guarded: { packageName: string; via: string; goRuntime: boolean }[]; repairs: { signal: string; trigger: string }[] }>(
          result.stdout,
          "STATUS",
        );
        expect(status.warmup).toBe("done");
        // The warmup's own repair (its Go runtime took SIGPIPE too) is recorded, whoever read its report.
        expect(status.repairs).toContainEqual(expect.objectContaining({ signal: "SIGPIPE", trigger: "warmup" }));
        // src/fast-load.ts: neither dist/cold.js nor anything else of the package beyond the preload entry and the api.
        expect(status.loaded.some((file) => file.endsWith("/cold.js")), status.loaded.join("\n")).toBe(false);
        expect(status.guarded).toEqual([expect.objectContaining({ packageName: "asherah", via: "process.dlopen", goRuntime: true })]);
        const seq = (event: string, detail = "") => status.events.find((e) => e.event === event && e.detail.includes(detail))?.seq ?? -1;
        expect(seq("native-load-done", "asherah.node")).toBeGreaterThan(seq("native-load-start", "asherah.node"));
        expect(seq("native-load-start", "asherah.node")).toBeGreaterThan(seq("warmup-done"));
        // The addon's Go runtime took SIGPIPE; the core's repair thread put it back.
        expect(status.repairs).toContainEqual(expect.objectContaining({ signal: "SIGPIPE", trigger: expect.stringContaining("asherah.node") }));
      }, 40_000);
    }
  }
});

describe("the general path in lazy mode", () => {
  // On a fixed Bun in lazy mode nothing needs the warmup at start; the core
  // still loads at install (the dlopen interposer, hooks.ts), and the first
  // native load — the common case of src/fast-load.ts once the lazy warmup
  // is done — must find the snapshot taken and get SIGPIPE put back.
  test(`Bun ${PINNED}, WARMUP=lazy with another setting: the first load still protects and repairs`, async () => {
    const result = await run(PINNED, ["--preload", PRELOAD_ENTRY, "./require.ts"], { env: { ASHERAH_BUN_PRELOAD_WARMUP: "lazy", ASHERAH_BUN_PRELOAD_PACKAGES: "not-installed-anywhere" } });
    expectOk(result, "OK require");
    const status = jsonLine<{ events: EventRecord[]; repairs: { signal: string; trigger: string }[] }>(result.stdout, "STATUS");
    const seq = (event: string, detail = "") => status.events.find((e) => e.event === event && e.detail.includes(detail))?.seq ?? -1;
    expect(seq("signals-protected")).toBeGreaterThan(0);
    expect(seq("native-load-start", "asherah.node")).toBeGreaterThan(seq("signals-protected"));
    expect(status.repairs.some((r) => r.signal === "SIGPIPE"), JSON.stringify(status.repairs)).toBe(true);
  }, 40_000);
});

describe("import forms, both asherah stand-ins", () => {
  // The node-addon-api one has no enumerable export: named imports failed on
  // every Bun until the plugin served every own property name (issue 12).
  for (const fixture of FIXTURES) {
    for (const version of ["1.0.36", "1.2.19", "1.3.14", PINNED]) {
      test(`Bun ${version}, ${fixture} fixture: named, default, dynamic import and require() in one process`, async () => {
        const result = await run(version, ["--preload", PRELOAD_ENTRY, "./import-forms.ts"], { cwd: appsFor[fixture] });
        expectOk(result, "OK import-forms");
        const counts = jsonLine<{ enumerable: number; own: number }>(result.stdout, "OK import-forms");
        expect(counts).toEqual({ enumerable: fixture === "naa" ? 0 : 17, own: 17 });
      }, 40_000);
    }
  }
});

describe("import forms", () => {
  for (const version of ["1.0.36", "1.2.19", "1.3.14", PINNED]) {
    test(`Bun ${version}: import { encrypt_string } from 'asherah' works with the preload`, async () => {
      expectOk(await run(version, ["--preload", PRELOAD_ENTRY, "./import-esm.ts"]), "OK import-esm");
    }, 40_000);
  }
  test(`Bun ${PINNED}: without the preload, Bun itself refuses the ESM import (why the plugin exists)`, async () => {
    const result = await run(PINNED, ["./import-esm.ts"]);
    expect(result.outcome, describeRun(result)).toBe("fail");
    expect(result.stderr).toMatch(/require\(\) or process\.dlopen/);
  }, 40_000);
  test(`Bun ${PINNED}: await import('asherah')`, async () => {
    expectOk(await run(PINNED, ["--preload", PRELOAD_ENTRY, "./dynamic-import.ts"]), "OK dynamic-import");
  }, 40_000);
  for (const version of ["1.2.19", PINNED]) {
    test(`Bun ${version}: asherah required by a dependency is guarded`, async () => {
      const result = await run(version, ["--preload", PRELOAD_ENTRY, "./transitive.ts"]);
      expectOk(result, "OK transitive");
      expect(jsonLine<string[]>(result.stdout, "GUARDED")).toEqual(["asherah"]);
    }, 40_000);
  }
  for (const version of ["1.0.36", "1.2.19", "1.3.14", PINNED]) {
    test(`Bun ${version}: a guarded CommonJS entry, imported and required, runs after the lazy warmup`, async () => {
      const result = await run(version, ["--preload", PRELOAD_ENTRY, "./js-entry-forms.ts"], {
        env: { ASHERAH_BUN_PRELOAD_PACKAGES: "go-js-entry", ASHERAH_BUN_PRELOAD_WARMUP: "lazy" },
      });
      expectOk(result, "OK js-entry-forms");
      const { events } = jsonLine<{ events: EventRecord[] }>(result.stdout, "STATUS");
      const seq = (event: string, detail = "") => events.find((e) => e.event === event && e.detail.includes(detail))?.seq ?? -1;
      expect(seq("native-load-start", "gojs.node")).toBeGreaterThan(seq("warmup-done"));
      if (version === "1.0.36") {
        // Bun 1.0.x: JavaScript entries are not served by the plugin (it would
        // lose their named exports there), and lazy mode warms up at start.
        expect(seq("warmup-start", "lazy is eager")).toBeGreaterThan(0);
        expect(seq("js-entry-loaded")).toBe(-1);
      } else {
        expect(seq("warmup-start", "index.js")).toBeGreaterThan(0); // the JS entry triggered the lazy warmup
        expect(seq("js-entry-loaded", "go-js-entry/index.js")).toBeGreaterThan(seq("warmup-done"));
        expect(events.filter((e) => e.event === "js-entry-loaded" && e.detail.endsWith("index.js"))).toHaveLength(1);
      }
    }, 40_000);
  }
  test(`Bun ${PINNED}: a JavaScript entry that loads its Go addon later is guarded when configured`, async () => {
    const result = await run(PINNED, ["--preload", PRELOAD_ENTRY, "./js-entry.ts"], { env: { ASHERAH_BUN_PRELOAD_PACKAGES: "go-js-entry" } });
    expectOk(result, "OK js-entry");
    const status = jsonLine<{ guarded: { packageName: string; goRuntime: boolean }[] }>(result.stdout, "STATUS");
    expect(status.guarded.map((g) => [g.packageName, g.goRuntime])).toContainEqual(["go-js-entry", true]);
  }, 40_000);
});

describe("ways to enable the preload", () => {
  test("bunfig.toml preload = [\"asherah-bun-preload\"] (bare package name)", async () => {
    const dir = appDir("apps-bunfig", 'preload = ["asherah-bun-preload"]\n');
    const result = await run(PINNED, ["./require.ts"], { cwd: dir });
    expectOk(result, "OK require");
    expect(jsonLine<{ phase: string }>(result.stdout, "STATUS").phase).toBe("installed");
  }, 40_000);

  test("bun --preload asherah-bun-preload (bare package name) on an affected Bun", async () => {
    const result = await run("1.2.19", ["--preload", "asherah-bun-preload", "./wasm.ts"]);
    expectOk(result, "OK wasm napi");
  }, 40_000);

  for (const version of ["1.2.19", PINNED]) {
    test(`Bun ${version}: bun test with [test] preload`, async () => {
      const dir = appDir("apps-test-preload", '[test]\npreload = ["asherah-bun-preload"]\n');
      const result = await run(version, ["test", "./preload-status.bun-test.ts"], { cwd: dir });
      expect(result.outcome, describeRun(result)).toBe("ok");
      expect(result.stderr).toMatch(/\b1 pass\b/);
    }, 40_000);
  }

  // On 1.2.19 too: Bun's bundler before 1.4.5 emits code that does not parse
  // for a static import of a `@bun-cjs` file, which dist/index.js therefore
  // does not make (src/entry.ts).
  for (const [entry, first, version] of [
    ["entry.ts", "install() first in the entry", PINNED],
    ["entry-preload.ts", "the preload entry imported first (its dist/cold.js embedded)", PINNED],
    ["entry-preload.ts", "the preload entry imported first (its dist/cold.js embedded)", "1.2.19"],
  ] as const) {
    test(`bun build --compile (Bun ${version}): ${first}; libraries from ASHERAH_BUN_PRELOAD_LIBRARY_DIR`, async () => {
      const dir = join(appsDir, "compiled");
      const binary = join(dir, entry.replace(/\.ts$/, `-${version}.app`));
      const build = await run(version, ["build", "--compile", `./${entry}`, "--outfile", binary], { cwd: dir });
      expect(build.outcome, describeRun(build)).toBe("ok");
      const env = scenarioEnv({ bun: "", scenario: "plain", path: "napi", mode: "preload", timeoutMs: TIMEOUT_MS, appsDir });
      const without = await runProcess([binary], { cwd: dir, env, timeoutMs: TIMEOUT_MS });
      expect(without.outcome, describeRun(without)).toBe("fail");
      // The binary starts; loading asherah is refused with the way out.
      expect(without.stderr).toContain("this is a `bun build --compile` binary, which does not embed the prebuilt libraries");
      expect(without.stderr).toContain("ASHERAH_BUN_PRELOAD_LIBRARY_DIR");
      const withDir = await runProcess([binary], {
        cwd: dir,
        env: { ...env, ASHERAH_BUN_PRELOAD_LIBRARY_DIR: join(REPO_ROOT, "prebuilds", `linux-${process.arch}`) },
        timeoutMs: TIMEOUT_MS,
      });
      expect(withDir.outcome, describeRun(withDir)).toBe("ok");
      expect(withDir.stdout).toContain("compiled");
      expect(withDir.stdout).toContain('"phase":"installed","warmup":"done"');
    }, 60_000);
  }

  test("a Worker in a compiled binary starts (no file of the package to preload in it; src/workers.ts)", async () => {
    const dir = join(appsDir, "compiled");
    const binary = join(dir, "entry-worker.app");
    const build = await run(PINNED, ["build", "--compile", "./entry-worker.ts", "--outfile", binary], { cwd: dir });
    expect(build.outcome, describeRun(build)).toBe("ok");
    const env = scenarioEnv({ bun: "", scenario: "plain", path: "napi", mode: "preload", timeoutMs: TIMEOUT_MS, appsDir });
    const result = await runProcess([binary], { cwd: dir, env, timeoutMs: TIMEOUT_MS });
    expect(result.outcome, describeRun(result)).toBe("ok");
    expect(result.stdout).toContain('{"worker":"ready","phase":"installed","workers":false}');
  }, 60_000);

  // `--bytecode` makes CommonJS output unless told otherwise, and Bun's bundler
  // copies `import.meta.require` into CommonJS output unchanged (it replaces
  // only .dir, .path, .url and .main; oven-sh/bun#14954, PRs #38200, #39715),
  // where JavaScriptCore refuses it: the binary dies at start. This package's
  // files need import.meta.require (a `// @bun` ES module has no `require`),
  // so README tells `--compile --bytecode` users to add `--format=esm`. The
  // second half is a canary: when a pinned Bun fixes the bundler, it fails,
  // and README's note can go.
  test("bun build --compile --bytecode: with --format=esm the binary works; the CommonJS default dies in Bun's bundler, as README says", async () => {
    const dir = join(appsDir, "compiled");
    const env = {
      ...scenarioEnv({ bun: "", scenario: "plain", path: "napi", mode: "preload", timeoutMs: TIMEOUT_MS, appsDir }),
      ASHERAH_BUN_PRELOAD_LIBRARY_DIR: join(REPO_ROOT, "prebuilds", `linux-${process.arch}`),
    };
    const esm = join(dir, "entry-bytecode-esm.app");
    const build = await run(PINNED, ["build", "--compile", "--bytecode", "--format=esm", "./entry.ts", "--outfile", esm], { cwd: dir });
    expect(build.outcome, describeRun(build)).toBe("ok");
    expect(build.stderr + build.stdout).not.toContain("Failed to generate bytecode");
    const works = await runProcess([esm], { cwd: dir, env, timeoutMs: TIMEOUT_MS });
    expect(works.outcome, describeRun(works)).toBe("ok");
    expect(works.stdout).toContain('"phase":"installed","warmup":"done"');

    const cjs = join(dir, "entry-bytecode-cjs.app");
    await run(PINNED, ["build", "--compile", "--bytecode", "./entry.ts", "--outfile", cjs], { cwd: dir });
    const dies = await runProcess([cjs], { cwd: dir, env, timeoutMs: TIMEOUT_MS });
    expect(dies.outcome, describeRun(dies)).toBe("fail");
    expect(dies.stderr).toContain("import.meta is only valid inside modules");
  }, 60_000);

  for (const version of ["1.2.19", PINNED]) test(`Bun ${version}: a plain bun build bundle that imports the preload: the error says to keep it external, and external works`, async () => {
    const dir = join(appsDir, "compiled");
    const outdir = join(dir, `bundled-${version}`);
    rmSync(outdir, { recursive: true, force: true });
    const build = await run(version, ["build", "--target=bun", "./entry-preload.ts", "--outdir", outdir], { cwd: dir });
    expect(build.outcome, describeRun(build)).toBe("ok");
    const env = scenarioEnv({ bun: "", scenario: "plain", path: "napi", mode: "preload", timeoutMs: TIMEOUT_MS, appsDir });
    const bundled = await runProcess([bunBinary(version), join(outdir, "entry-preload.js")], { cwd: dir, env, timeoutMs: TIMEOUT_MS });
    expect(bundled.outcome, describeRun(bundled)).toBe("fail");
    expect(bundled.exitCode, describeRun(bundled)).toBe(66);
    expect(bundled.stderr).toContain("bun build --external asherah-bun-preload");
    expect(bundled.stderr).toContain("(code LIBRARY_MISSING;");
    expect(bundled.stderr).not.toContain("Cannot find module");
    // The same bundle run with the real preload: that one protects the process, the bundled copy stands aside.
    const alongside = await runProcess([bunBinary(version), "--preload", PRELOAD_ENTRY, join(outdir, "entry-preload.js")], { cwd: dir, env, timeoutMs: TIMEOUT_MS });
    expect(alongside.outcome, describeRun(alongside)).toBe("ok");
    expect(alongside.stdout).toContain("compiled");
    // What the error advises: the preload stays a package, the application is bundled.
    const externalDir = join(dir, `bundled-external-${version}`);
    rmSync(externalDir, { recursive: true, force: true });
    const external = await run(version, ["build", "--target=bun", "./entry-preload.ts", "--outdir", externalDir, "--external", "asherah-bun-preload", "--external", "asherah"], { cwd: dir });
    expect(external.outcome, describeRun(external)).toBe("ok");
    const works = await runProcess([bunBinary(version), join(externalDir, "entry-preload.js")], { cwd: dir, env, timeoutMs: TIMEOUT_MS });
    expect(works.outcome, describeRun(works)).toBe("ok");
    expect(works.stdout).toContain('"phase":"installed","warmup":"done"');
  }, 60_000);

  test("the preload listed twice (bare name and path) installs once", async () => {
    const dir = appDir("apps-twice", `preload = ["asherah-bun-preload", ${JSON.stringify(PRELOAD_ENTRY)}]\n`);
    const result = await run(PINNED, ["--preload", PRELOAD_ENTRY, "./require.ts"], { cwd: dir });
    expectOk(result, "OK require");
    const status = jsonLine<{ events: EventRecord[] }>(result.stdout, "STATUS");
    expect(status.events.filter((e) => e.event === "warmup-done")).toHaveLength(1);
    expect(status.events.filter((e) => e.event === "install-start")).toHaveLength(1);
  }, 40_000);
});
