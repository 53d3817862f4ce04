// Bad input gets one clear error naming what is at fault, the application
// does not start half-protected, and nothing hangs.
import { beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bunBinary, pinnedBun, REPO_ROOT } from "../support/bun-versions.ts";
import { PRELOAD_ENTRY, prepareApps, scenarioEnv } from "../support/scenarios.ts";
import { describeRun, runProcess, type RunResult } from "../support/spawn.ts";
import { tempDirs } from "../support/temp.ts";

const tempDir = tempDirs();

const X64 = join(REPO_ROOT, "prebuilds", "linux-x64");
let appsDir = "";
beforeAll(() => {
  appsDir = prepareApps();
});

async function start(env: Record<string, string>, preload = PRELOAD_ENTRY, extraArgs: string[] = []): Promise<RunResult> {
  const base = scenarioEnv({ bun: "", scenario: "plain", path: "napi", mode: "preload", timeoutMs: 0, appsDir, env });
  return runProcess([pinnedBun(), ...extraArgs, "--preload", preload, "./plain.ts"], { cwd: appsDir, env: base, timeoutMs: 20_000 });
}

function expectRefused(result: RunResult, ...patterns: (string | RegExp)[]): void {
  expect(result.outcome, describeRun(result)).toBe("fail");
  expect(result.stdout).not.toContain("OK plain"); // the application never ran
  for (const pattern of patterns) {
    if (typeof pattern === "string") expect(result.stderr).toContain(pattern);
    else expect(result.stderr).toMatch(pattern);
  }
  expect(result.stderr).toContain("asherah-bun-preload:");
}

function libraryDir(files: Record<string, Buffer | string>): string {
  const dir = tempDir("abp-libdir-");
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

const core = () => readFileSync(join(X64, "asherah-bun-core.node"));
const warmup = () => readFileSync(join(X64, "asherah-bun-warmup.so"));

describe("environment variables", () => {
  const cases: [string, string][] = [
    ["ASHERAH_BUN_PRELOAD_WARMUP", "sometimes"],
    ["ASHERAH_BUN_PRELOAD_DISABLE", "perhaps"],
    ["ASHERAH_BUN_PRELOAD_SIGNALS", "\u00e9t\u00e9"],
    ["ASHERAH_BUN_PRELOAD_PACKAGES", "a b"],
    ["ASHERAH_BUN_PRELOAD_DEBUG", "2"],
    ["ASHERAH_BUN_PRELOAD_LIBRARY_DIR", "relative/dir"],
    ["ASHERAH_BUN_PRELOAD_WATCHDOG_MS", "soon"],
  ];
  for (const [variable, value] of cases) {
    test(`${variable}=${JSON.stringify(value)}`, async () => {
      expectRefused(await start({ [variable]: value }), variable);
    }, 30_000);
  }
});

describe("an unknown ASHERAH_BUN_PRELOAD_* name warns once and the application runs", () => {
  // A variable meant for a newer version must not stop an older copy (issue 13).
  // The worker app runs the preload again in its Workers (workers.ts): still one line.
  for (const app of ["plain", "worker"]) {
    test(app, async () => {
      const base = scenarioEnv({ bun: "", scenario: "plain", path: "napi", mode: "preload", timeoutMs: 0, appsDir, env: { ASHERAH_BUN_PRELOAD_TYPO: "1" } });
      const result = await runProcess([pinnedBun(), "--preload", PRELOAD_ENTRY, `./${app}.ts`], { cwd: appsDir, env: base, timeoutMs: 30_000 });
      expect(result.outcome, describeRun(result)).toBe("ok");
      expect(result.stdout).toContain(`OK ${app}`);
      const warnings = result.stderr.split("\n").filter((line) => line.includes("ASHERAH_BUN_PRELOAD_TYPO"));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toStartWith("asherah-bun-preload: warning: ignoring ASHERAH_BUN_PRELOAD_TYPO");
    }, 30_000);
  }
});

describe("the native libraries", () => {
  // The core is checked and loaded at start; the warmup library is checked by
  // the core on its own thread and never mapped unless it is the bytes the
  // core was built with, so its problems surface at the first guarded load
  // (./plain.ts loads asherah) — never as a hang, never half-loaded.
  test("missing", async () => {
    const dir = libraryDir({});
    expectRefused(await start({ ASHERAH_BUN_PRELOAD_LIBRARY_DIR: dir }), `${dir}/asherah-bun-core.node is missing or empty`, "(code LIBRARY_MISSING");
  }, 30_000);
  test("the warmup: zero bytes", async () => {
    const dir = libraryDir({ "asherah-bun-core.node": core(), "asherah-bun-warmup.so": "" });
    expectRefused(await start({ ASHERAH_BUN_PRELOAD_LIBRARY_DIR: dir }), `${dir}/asherah-bun-warmup.so is empty`, "refusing to load asherah");
  }, 30_000);
  test("the warmup: truncated (not the bytes the core was built with)", async () => {
    const dir = libraryDir({ "asherah-bun-core.node": core(), "asherah-bun-warmup.so": warmup().subarray(0, 4096) });
    expectRefused(await start({ ASHERAH_BUN_PRELOAD_LIBRARY_DIR: dir }), `${dir}/asherah-bun-warmup.so has sha256`, "but this asherah-bun-core was built with", "(code CHECKSUM_MISMATCH");
  }, 30_000);
  // `import` is served by the plugin's build.module (fast-load.ts
  // serveNative): the guard's error must reach the application as itself.
  // On Bun 1.0.36 an error thrown in that callback became "Expected module
  // mock to return an object" (a dynamic import there: a static named import
  // of a module that failed cannot link on 1.0.x either way).
  for (const [version, app] of [["1.0.36", "dynamic-import"], ["pinned", "import-esm"]] as const) {
    test(`the warmup: truncated, asherah imported (Bun ${version}, ${app}): the same refusal`, async () => {
      const dir = libraryDir({ "asherah-bun-core.node": core(), "asherah-bun-warmup.so": warmup().subarray(0, 4096) });
      const env = scenarioEnv({ bun: "", scenario: "plain", path: "napi", mode: "preload", timeoutMs: 0, appsDir, env: { ASHERAH_BUN_PRELOAD_LIBRARY_DIR: dir } });
      const bun = version === "pinned" ? pinnedBun() : bunBinary(version);
      const result = await runProcess([bun, "--preload", PRELOAD_ENTRY, `./${app}.ts`], { cwd: appsDir, env, timeoutMs: 20_000 });
      expect(result.outcome, describeRun(result)).toBe("fail");
      expect(result.stdout).not.toContain(`OK ${app}`);
      expect(result.stderr).toContain(`${dir}/asherah-bun-warmup.so has sha256`);
      expect(result.stderr).toContain("(code CHECKSUM_MISMATCH");
      expect(result.stderr).not.toContain("Expected module");
    }, 30_000);
  }
  test("the core: not a shared library", async () => {
    const dir = libraryDir({ "asherah-bun-core.node": "#!/bin/sh\necho not a library\n", "asherah-bun-warmup.so": warmup() });
    expectRefused(await start({ ASHERAH_BUN_PRELOAD_LIBRARY_DIR: dir }), `the native core ${dir}/asherah-bun-core.node could not be loaded: it is not an ELF file`);
  }, 30_000);
  test("the core: wrong architecture (the arm64 build on x64)", async () => {
    const arm = join(REPO_ROOT, "prebuilds", "linux-arm64");
    const dir = libraryDir({ "asherah-bun-core.node": readFileSync(join(arm, "asherah-bun-core.node")), "asherah-bun-warmup.so": warmup() });
    expectRefused(await start({ ASHERAH_BUN_PRELOAD_LIBRARY_DIR: dir }), "it is built for arm64, but this process is x64", /not a library for linux-x64/);
  }, 30_000);
  test("the warmup: a folder where the file should be", async () => {
    const dir = libraryDir({ "asherah-bun-core.node": core() });
    mkdirSync(join(dir, "asherah-bun-warmup.so"));
    expectRefused(await start({ ASHERAH_BUN_PRELOAD_LIBRARY_DIR: dir }), `${dir}/asherah-bun-warmup.so is a folder, not a regular file`);
  }, 30_000);
  test("the warmup: a FIFO is refused at once, never waited on", async () => {
    const dir = libraryDir({ "asherah-bun-core.node": core() });
    Bun.spawnSync(["mkfifo", join(dir, "asherah-bun-warmup.so")]);
    const result = await start({ ASHERAH_BUN_PRELOAD_LIBRARY_DIR: dir });
    expectRefused(result, `${dir}/asherah-bun-warmup.so is a FIFO, not a regular file`);
    expect(result.wallMs).toBeLessThan(5_000);
  }, 30_000);
  test("a world-writable library folder is refused", async () => {
    const dir = libraryDir({ "asherah-bun-core.node": core(), "asherah-bun-warmup.so": warmup() });
    chmodSync(dir, 0o777);
    expectRefused(await start({ ASHERAH_BUN_PRELOAD_LIBRARY_DIR: dir }), `its folder ${dir} is writable by every user (mode 777)`, "(code LIBRARY_UNSAFE");
  }, 30_000);
  for (const file of ["asherah-bun-warmup.so", "asherah-bun-core.node"]) {
    test(`a shipped ${file} whose bytes changed is refused by checksum`, async () => {
      // A private copy of the package, so the real prebuilds stay intact.
      const pkg = tempDir("abp-pkg-");
      for (const part of ["src", "prebuilds", "package.json"]) cpSync(join(REPO_ROOT, part), join(pkg, part), { recursive: true });
      const target = join(pkg, "prebuilds", "linux-x64", file);
      const bytes = readFileSync(target);
      const at = bytes.length - 100;
      bytes[at] = (bytes[at] ?? 0) ^ 0xff;
      writeFileSync(target, bytes);
      expectRefused(await start({}, join(pkg, "src", "index.ts")), target, /its sha256 is|has sha256/, "Reinstall asherah-bun-preload", "(code CHECKSUM_MISMATCH");
    }, 30_000);
  }
});

describe("a platform without prebuilds (made to look like linux-ppc64 by a preload that runs first)", () => {
  // Issue 14: it must not stop processes that never load Go.
  const fakeArch = () => {
    const fake = join(tempDir("abp-platform-"), "fake-arch.ts");
    writeFileSync(fake, 'Object.defineProperty(process, "arch", { value: "ppc64" });\n');
    return fake;
  };
  test("bun -e runs", async () => {
    const result = await runProcess([pinnedBun(), "--preload", fakeArch(), "--preload", PRELOAD_ENTRY, "-e", 'console.log("APP RAN " + require(process.env.ABP_API).status().nativeUnavailable)'], {
      cwd: appsDir,
      env: { ...scenarioEnv({ bun: "", scenario: "plain", path: "napi", mode: "preload", timeoutMs: 0, appsDir, env: {} }), ABP_API: join(REPO_ROOT, "src", "api.ts") },
      timeoutMs: 20_000,
    });
    expect(result.outcome, describeRun(result)).toBe("ok");
    expect(result.stdout).toContain("APP RAN there are no prebuilt libraries for linux-ppc64");
    expect(result.stderr).toBe("");
  }, 30_000);
  test("bun test with a test file that never loads Go passes", async () => {
    const dir = tempDir("abp-platform-test-");
    writeFileSync(join(dir, "a.test.ts"), 'import { test, expect } from "bun:test";\ntest("adds", () => expect(1 + 1).toBe(2));\n');
    const result = await runProcess([pinnedBun(), "test", "--preload", fakeArch(), "--preload", PRELOAD_ENTRY, "./a.test.ts"], { cwd: dir, env: { ...process.env, ASHERAH_BUN_PRELOAD_DEBUG: undefined }, timeoutMs: 20_000 });
    expect(result.outcome, describeRun(result)).toBe("ok");
    expect(result.stderr).toContain("1 pass");
  }, 30_000);
  // One warning on every Bun: without the core nothing puts SIGPIPE back, and on an affected Bun the hang is back too.
  for (const [version, risk] of [["1.2.19", "Bun 1.2.19 can hang with it loaded"], ["pinned", "SIGPIPE is no longer ignored after it"]] as const) {
    test(`Bun ${version}: a Go library loaded there gets one warning line naming what it risks`, async () => {
      const lib = join(REPO_ROOT, "test", "fixtures", "build", "node_modules", "libasherah-ffi", "libasherah.so");
      const app = `const { dlopen } = require("bun:ffi"); for (let i = 0; i < 2; i++) dlopen(${JSON.stringify(lib)}, { IsSetUp: { args: [], returns: "i32" } }).close(); console.log("APP RAN");`;
      const result = await runProcess([bunBinary(version), "--preload", fakeArch(), "--preload", PRELOAD_ENTRY, "-e", app], {
        cwd: appsDir,
        env: scenarioEnv({ bun: "", scenario: "plain", path: "ffi", mode: "preload", timeoutMs: 0, appsDir, env: {} }),
        timeoutMs: 20_000,
      });
      expect(result.outcome, describeRun(result)).toBe("ok");
      expect(result.stdout).toContain("APP RAN");
      const lines = result.stderr.split("\n").filter((line) => line.startsWith("asherah-bun-preload: warning:"));
      expect(lines).toEqual([expect.stringContaining(`${lib} carries a Go runtime`)]);
      expect(result.stderr).toContain("linux-ppc64");
      expect(result.stderr).toContain(risk);
    }, 30_000);
  }
  test("a guarded package is refused at its load, naming the platform", async () => {
    const result = await start({}, PRELOAD_ENTRY, ["--preload", fakeArch()]);
    expectRefused(result, "refusing to load asherah because there is no native core here", "linux-ppc64", "asherah 4.x", "(code UNSUPPORTED_PLATFORM");
  }, 30_000);
});

test("lazy mode: a guarded module is refused, not loaded, when the warmup cannot run", async () => {
  const dir = libraryDir({ "asherah-bun-core.node": core() });
  const result = await start({ ASHERAH_BUN_PRELOAD_WARMUP: "lazy", ASHERAH_BUN_PRELOAD_LIBRARY_DIR: dir });
  expectRefused(result, "refusing to load asherah because the Go warmup did not complete", `${dir}/asherah-bun-warmup.so cannot be opened: No such file or directory`);
}, 30_000);
