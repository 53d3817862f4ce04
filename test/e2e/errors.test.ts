// Bad input gets one clear error naming what is at fault, the application
// does not start half-protected, and nothing hangs.
import { beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pinnedBun, REPO_ROOT } from "../support/bun-versions.ts";
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

const signals = () => readFileSync(join(X64, "asherah-bun-signals.so"));
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
  test("missing", async () => {
    const dir = libraryDir({});
    expectRefused(await start({ ASHERAH_BUN_PRELOAD_LIBRARY_DIR: dir }), `${dir}/asherah-bun-signals.so does not exist`);
  }, 30_000);
  test("zero bytes", async () => {
    const dir = libraryDir({ "asherah-bun-signals.so": signals(), "asherah-bun-warmup.so": "" });
    expectRefused(await start({ ASHERAH_BUN_PRELOAD_LIBRARY_DIR: dir }), `${dir}/asherah-bun-warmup.so is empty`);
  }, 30_000);
  test("truncated", async () => {
    const dir = libraryDir({ "asherah-bun-signals.so": signals(), "asherah-bun-warmup.so": warmup().subarray(0, 4096) });
    expectRefused(await start({ ASHERAH_BUN_PRELOAD_LIBRARY_DIR: dir }), `the Go warmup library ${dir}/asherah-bun-warmup.so cannot be loaded: it is truncated`);
  }, 30_000);
  test("not a shared library", async () => {
    const dir = libraryDir({ "asherah-bun-signals.so": "#!/bin/sh\necho not a library\n", "asherah-bun-warmup.so": warmup() });
    expectRefused(await start({ ASHERAH_BUN_PRELOAD_LIBRARY_DIR: dir }), `the signal helper library ${dir}/asherah-bun-signals.so cannot be loaded: it is not an ELF file`);
  }, 30_000);
  test("wrong architecture (the arm64 build on x64)", async () => {
    const arm = join(REPO_ROOT, "prebuilds", "linux-arm64");
    const dir = libraryDir({ "asherah-bun-signals.so": readFileSync(join(arm, "asherah-bun-signals.so")), "asherah-bun-warmup.so": warmup() });
    expectRefused(await start({ ASHERAH_BUN_PRELOAD_LIBRARY_DIR: dir }), "it is built for arm64, but this process is x64", /not a shared library for linux-x64/);
  }, 30_000);
  test("unreadable", async () => {
    const dir = libraryDir({ "asherah-bun-signals.so": signals() });
    mkdirSync(join(dir, "asherah-bun-warmup.so")); // a directory where the file should be
    expectRefused(await start({ ASHERAH_BUN_PRELOAD_LIBRARY_DIR: dir }), `${dir}/asherah-bun-warmup.so is not a regular file`);
  }, 30_000);
  test("a shipped library whose bytes changed is refused by checksum", async () => {
    // A private copy of the package, so the real prebuilds stay intact.
    const pkg = tempDir("abp-pkg-");
    for (const part of ["src", "prebuilds", "package.json"]) cpSync(join(REPO_ROOT, part), join(pkg, part), { recursive: true });
    const target = join(pkg, "prebuilds", "linux-x64", "asherah-bun-warmup.so");
    const bytes = readFileSync(target);
    const at = bytes.length - 100;
    bytes[at] = (bytes[at] ?? 0) ^ 0xff;
    writeFileSync(target, bytes);
    expectRefused(await start({}, join(pkg, "src", "index.ts")), `refusing to load ${target}: its sha256 is`, "Reinstall asherah-bun-preload");
  }, 30_000);
});

test("an unsupported platform is refused by name", async () => {
  // A preload that runs first and makes this look like linux-ppc64.
  const dir = tempDir("abp-platform-");
  const fake = join(dir, "fake-arch.ts");
  writeFileSync(fake, 'Object.defineProperty(process, "arch", { value: "ppc64" });\n');
  const result = await start({}, PRELOAD_ENTRY, ["--preload", fake]);
  expectRefused(result, "no warmup library for linux-ppc64 (glibc)", "Supported: linux x64 glibc");
}, 30_000);

test("lazy mode: a guarded module is refused, not loaded, when the warmup cannot run", async () => {
  const dir = libraryDir({ "asherah-bun-signals.so": signals() });
  copyFileSync(join(X64, "asherah-bun-signals.so"), join(dir, "asherah-bun-signals.so"));
  const result = await start({ ASHERAH_BUN_PRELOAD_WARMUP: "lazy", ASHERAH_BUN_PRELOAD_LIBRARY_DIR: dir });
  expectRefused(result, /refusing to load asherah \(.*asherah\.node\) because the Go warmup did not complete/, "asherah-bun-warmup.so does not exist");
}, 30_000);
