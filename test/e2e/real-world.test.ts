// What a real install looks like, beyond the happy path (issues 12 and 13):
// a dependency with its own nested copy of asherah, the node-addon-api addon
// inside a `bun build --compile` binary, and hostile package.json files in a
// parent folder of the application (a folder with code in it, a symlink to
// code, a FIFO). Real Bun processes, each with a timeout.
import { beforeAll, describe, expect, test } from "bun:test";
import { cpSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { bunBinary, pinnedBunVersion, REPO_ROOT } from "../support/bun-versions.ts";
import { FIXTURE_BUILD, fixtureRoot, PRELOAD_ENTRY, prepareApps, scenarioEnv } from "../support/scenarios.ts";
import { describeRun, runProcess, type RunResult } from "../support/spawn.ts";
import { tempDirs } from "../support/temp.ts";

const PINNED = pinnedBunVersion();
const TIMEOUT_MS = 20_000;
const API_ENTRY = join(REPO_ROOT, "dist", "api.js");
const tempDir = tempDirs();

beforeAll(() => {
  prepareApps("c"); // creates build/node_modules/asherah-bun-preload for bare-name imports
});

function env(extra: Record<string, string> = {}): Record<string, string | undefined> {
  return scenarioEnv({ bun: "", scenario: "plain", path: "napi", mode: "none", timeoutMs: TIMEOUT_MS, appsDir: "", env: extra });
}

async function run(version: string, args: string[], cwd: string, extra: Record<string, string> = {}, timeoutMs = TIMEOUT_MS): Promise<RunResult> {
  return runProcess([bunBinary(version), ...args], { cwd, env: env(extra), timeoutMs });
}

function jsonLine<T>(stdout: string, prefix: string): T {
  const line = stdout.split("\n").find((l) => l.startsWith(prefix + " "));
  if (line === undefined) throw new Error(`no "${prefix}" line in:\n${stdout}`);
  return JSON.parse(line.slice(prefix.length + 1)) as T;
}

describe("nested copies keep Node's semantics", () => {
  // node_modules/asherah is the plain N-API fixture (enumerable exports);
  // node_modules/dep/node_modules/asherah the node-addon-api one (none): which
  // one a require() got is visible from Object.keys alone.
  let app = "";
  const nestedEntry = () => join(app, "node_modules", "dep", "node_modules", "asherah", "dist", "asherah.node");
  beforeAll(() => {
    app = tempDir("abp-nested-");
    cpSync(join(fixtureRoot("c"), "node_modules", "asherah"), join(app, "node_modules", "asherah"), { recursive: true });
    cpSync(join(fixtureRoot("naa"), "node_modules", "asherah"), join(app, "node_modules", "dep", "node_modules", "asherah"), { recursive: true });
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "nested-app", private: true, type: "commonjs" }));
    writeFileSync(join(app, "node_modules", "dep", "package.json"), JSON.stringify({ name: "dep", version: "1.0.0", main: "index.js" }));
    writeFileSync(
      join(app, "node_modules", "dep", "index.js"),
      'module.exports = { asherah: require("asherah"), resolved: require("node:module").createRequire(__filename).resolve("asherah") };\n',
    );
    writeFileSync(
      join(app, "app.js"),
      [
        'const top = require("asherah");',
        'const { asherah: dep, resolved } = require("dep");',
        "const out = { top: Object.keys(top).length, dep: Object.keys(dep).length, depOwn: Object.getOwnPropertyNames(dep).length, same: top === dep, resolved };",
        "if (process.env.ABP_API) out.guarded = require(process.env.ABP_API).status().guarded.map((g) => g.path);",
        'console.log("NESTED " + JSON.stringify(out));',
      ].join("\n"),
    );
  });

  test(`Bun ${PINNED} without the preload: each require() gets its own folder's copy (the reference)`, async () => {
    const result = await run(PINNED, ["./app.js"], app);
    expect(result.outcome, describeRun(result)).toBe("ok");
    expect(jsonLine(result.stdout, "NESTED")).toEqual({ top: 17, dep: 0, depOwn: 17, same: false, resolved: nestedEntry() });
  }, 40_000);

  for (const version of ["1.0.36", "1.2.19", PINNED]) {
    test(`Bun ${version} with the preload: the same, and each physical copy is guarded`, async () => {
      const result = await run(version, ["--preload", PRELOAD_ENTRY, "./app.js"], app, { ABP_API: API_ENTRY });
      expect(result.outcome, describeRun(result)).toBe("ok");
      const nested = jsonLine<{ top: number; dep: number; depOwn: number; same: boolean; resolved: string; guarded: string[] }>(result.stdout, "NESTED");
      // createRequire(...).resolve is the one resolve() a preload can reach
      // (plugin.ts hookCreateRequireResolve); require.resolve says "asherah".
      expect({ ...nested, guarded: undefined }).toEqual({ top: 17, dep: 0, depOwn: 17, same: false, resolved: nestedEntry(), guarded: undefined });
      expect([...nested.guarded].sort()).toEqual([join(app, "node_modules", "asherah", "dist", "asherah.node"), nestedEntry()].sort());
    }, 40_000);
  }
});

describe("bun build --compile with the node-addon-api fixture", () => {
  for (const version of ["1.2.19", PINNED]) {
    test(`Bun ${version}, lazy warmup: the embedded addon is recognised as asherah, warmed up before and guarded`, async () => {
      const dir = join(fixtureRoot("naa"), `compiled-lazy-${version}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        join(dir, "entry.ts"),
        [
          'import { install, status } from "asherah-bun-preload/api";',
          "install();",
          'const asherah = require("asherah");',
          'asherah.setup({ ServiceName: "svc", ProductID: "prod", Metastore: "memory", KMS: "static" });',
          'if (asherah.decrypt_string("p", asherah.encrypt_string("p", "compiled")) !== "compiled") throw new Error("round trip failed");',
          "asherah.shutdown();",
          "const s = status();",
          'console.log("STATUS " + JSON.stringify({ warmup: s.warmup.status, guarded: s.guarded.map((g) => ({ name: g.packageName, path: g.path, go: g.goRuntime })), events: s.events.map((e) => e.event) }));',
        ].join("\n"),
      );
      const build = await run(version, ["build", "--compile", "./entry.ts", "--outfile", "./app"], dir);
      expect(build.outcome, describeRun(build)).toBe("ok");
      const result = await runProcess([join(dir, "app")], {
        cwd: dir,
        env: env({ ASHERAH_BUN_PRELOAD_WARMUP: "lazy", ASHERAH_BUN_PRELOAD_LIBRARY_DIR: join(REPO_ROOT, "prebuilds", `linux-${process.arch}`) }),
        timeoutMs: TIMEOUT_MS,
      });
      expect(result.outcome, describeRun(result)).toBe("ok");
      const status = jsonLine<{ warmup: string; guarded: { name: string; path: string; go: boolean }[]; events: string[] }>(result.stdout, "STATUS");
      // Bun dlopen()s an extracted temporary copy, not the /$bunfs/ path: the
      // preload then waits for every Go runtime in the process (lifecycle.ts
      // afterNativeLoad), and still sees this one.
      expect(status.guarded).toEqual([{ name: "asherah", path: expect.stringMatching(/^\/\$bunfs\/root\/asherah-[0-9a-z]+\.node$/), go: true }]);
      // Lazy: nothing warmed up at start; the guarded load did it, first.
      expect(status.warmup).toBe("done");
      expect(status.events.indexOf("warmup-done")).toBeLessThan(status.events.indexOf("native-load-start"));
    }, 90_000);
  }
});

describe("resolution reads package.json files, never runs them", () => {
  // A parent folder of the application holds node_modules/<name>/package.json
  // that is a folder with index.js (or a symlink to a .js file): Bun's
  // require() of that path runs the code. The app itself never uses them.
  const NAMES = ["asherah", "planted-extra", "planted-link"];
  let parent = "";
  let app = "";
  beforeAll(() => {
    parent = tempDir("abp-planted-");
    app = join(parent, "project", "app");
    mkdirSync(app, { recursive: true });
    writeFileSync(join(app, "main.js"), 'console.log("OK app");\n');
    const evil = (marker: string) => `require("node:fs").writeFileSync(${JSON.stringify(join(parent, marker))}, "ran");\nmodule.exports = {};\n`;
    for (const name of NAMES.slice(0, 2)) {
      mkdirSync(join(parent, "node_modules", name, "package.json"), { recursive: true });
      writeFileSync(join(parent, "node_modules", name, "package.json", "index.js"), evil(`ran-${name}`));
    }
    mkdirSync(join(parent, "node_modules", "planted-link"), { recursive: true });
    writeFileSync(join(parent, "evil.js"), evil("ran-planted-link"));
    symlinkSync(join(parent, "evil.js"), join(parent, "node_modules", "planted-link", "package.json"));
  });

  for (const version of ["1.2.19", PINNED]) {
    test(`Bun ${version}: a planted package.json folder or symlink runs for no name in ASHERAH_BUN_PRELOAD_PACKAGES`, async () => {
      const result = await run(version, ["--preload", PRELOAD_ENTRY, "./main.js"], app, { ASHERAH_BUN_PRELOAD_PACKAGES: NAMES.slice(1).join(",") });
      const ran = NAMES.filter((name) => existsSync(join(parent, `ran-${name}`)));
      expect(ran, describeRun(result)).toEqual([]);
      expect(result.outcome, describeRun(result)).toBe("ok");
      expect(result.stdout).toContain("OK app");
      expect(result.stderr).toContain(`ignoring ${join(parent, "node_modules", "asherah", "package.json")}: it is a folder, not a regular file`);
    }, 40_000);
  }

  test(`Bun ${PINNED}: a FIFO as package.json is refused at once, never opened`, async () => {
    const dir = tempDir("abp-fifo-");
    mkdirSync(join(dir, "node_modules", "asherah"), { recursive: true });
    const made = spawnSync("mkfifo", [join(dir, "node_modules", "asherah", "package.json")]);
    expect(made.status, String(made.stderr)).toBe(0);
    writeFileSync(join(dir, "main.js"), 'console.log("OK app");\n');
    const result = await run(PINNED, ["--preload", PRELOAD_ENTRY, "./main.js"], dir, {}, 5_000);
    expect(result.outcome, describeRun(result)).toBe("ok");
    expect(result.wallMs).toBeLessThan(1_000 + 1_000); // a second for the refusal, one for Bun's own start on a busy machine
    expect(result.stderr).toContain("not a regular file");
  }, 30_000);
});

test("the fixture build holds both asherah stand-ins", () => {
  expect(existsSync(join(FIXTURE_BUILD, "node_modules", "asherah", "dist", "asherah.node"))).toBe(true);
  expect(existsSync(join(FIXTURE_BUILD, "naa", "node_modules", "asherah", "dist", "asherah.node"))).toBe(true);
});
