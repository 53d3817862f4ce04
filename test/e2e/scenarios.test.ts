// Every scenario × loading path, with the preload, on affected Bun releases
// and the pinned one: all must complete. And the control: without the
// preload (and with only the original write-up's warmup) the same harness
// sees the hang, so these tests can fail.
import { beforeAll, describe, expect, test } from "bun:test";
import { bunBinary, pinnedBunVersion } from "../support/bun-versions.ts";
import { describeRun, runProcess } from "../support/spawn.ts";
import { LOAD_PATHS, PRELOAD_ENTRY, prepareApps, runScenario, SCENARIOS, WARMUP_ONLY_ENTRY, type ScenarioRun } from "../support/scenarios.ts";

// 1.0.36 (SIGUSR1, no Bun altstack), 1.2.19 (worst case), 1.3.14 (last affected), pinned (fixed).
const VERSIONS = (process.env.ABP_E2E_VERSIONS ?? `1.0.36,1.2.19,1.3.14,${pinnedBunVersion()}`).split(",");
const REPEAT = Number(process.env.ABP_E2E_REPEAT ?? 2);
const TIMEOUT_MS = 20_000;

let appsDir = "";
// The node-addon-api stand-in (test/fixtures/README.md): its own apps folder,
// N-API path only (the bun:ffi path does not load asherah).
let naaAppsDir = "";
beforeAll(() => {
  appsDir = prepareApps();
  naaAppsDir = prepareApps("naa");
});

for (const version of VERSIONS) {
  describe(`Bun ${version} with the preload`, () => {
    for (const scenario of SCENARIOS) {
      for (const path of LOAD_PATHS) {
        test(`${scenario} via ${path} completes ${REPEAT}×`, async () => {
          const run: ScenarioRun = { bun: bunBinary(version), scenario, path, mode: "preload", timeoutMs: TIMEOUT_MS, appsDir };
          for (let i = 0; i < REPEAT; i++) {
            const result = await runScenario(run);
            if (result.outcome !== "ok") throw new Error(`run ${i + 1}/${REPEAT}: ${describeRun(result)}`);
          }
        }, REPEAT * TIMEOUT_MS + 30_000);
      }
    }
  });
}

for (const version of VERSIONS) {
  describe(`Bun ${version} with the preload, node-addon-api asherah`, () => {
    for (const scenario of SCENARIOS) {
      test(`${scenario} via napi completes ${REPEAT}×`, async () => {
        const run: ScenarioRun = { bun: bunBinary(version), scenario, path: "napi", mode: "preload", timeoutMs: TIMEOUT_MS, appsDir: naaAppsDir };
        for (let i = 0; i < REPEAT; i++) {
          const result = await runScenario(run);
          if (result.outcome !== "ok") throw new Error(`run ${i + 1}/${REPEAT}: ${describeRun(result)}`);
        }
      }, REPEAT * TIMEOUT_MS + 30_000);
    }
  });
}

describe("control: the hang is real and visible to this harness", () => {
  // Short timeouts: a hung Bun spins a core until killed.
  test("Bun 1.2.19 without the preload hangs after one WebAssembly call (N-API path)", async () => {
    const result = await runScenario({ bun: bunBinary("1.2.19"), scenario: "wasm", path: "napi", mode: "none", timeoutMs: 5_000, appsDir });
    expect(result.outcome, describeRun(result)).toBe("hang");
    // The storm's signature: a thread woken thousands of times a second (CPU share varies on a shared machine).
    expect(result.diagnosis!.switchesPerSecond ?? 0, describeRun(result)).toBeGreaterThan(1000);
  }, 30_000);

  test("Bun 1.2.19: the Go warmup library alone, then one WebAssembly call, hangs; with the full preload it does not", async () => {
    const bun = bunBinary("1.2.19");
    const warmupOnly = await runProcess([bun, "--preload", WARMUP_ONLY_ENTRY, "./wasm-only.ts"], { cwd: appsDir, timeoutMs: 5_000 });
    expect(warmupOnly.outcome, describeRun(warmupOnly)).toBe("hang");
    const preload = await runProcess([bun, "--preload", PRELOAD_ENTRY, "./wasm-only.ts"], { cwd: appsDir, timeoutMs: 20_000 });
    expect(preload.outcome, describeRun(preload)).toBe("ok");
    expect(preload.stdout).toContain("OK wasm-only");
  }, 40_000);

  test("Bun 1.4.0 (WebKit's fix included): terminating a Worker that used Go still hangs without the preload, not with it", async () => {
    const bun = bunBinary("1.4.0");
    const run = { bun, scenario: "worker", path: "napi", appsDir } as const;
    // It hangs in about 3 of 4 runs on 1.4.0 (matrix: 15 of 20): up to six
    // tries must see one. Three missed it once in a full test run (~1 in 60
    // by that rate); six leave ~1 in 4,000, and a run that does not hang ends
    // in ~0.3 s.
    let hang = false;
    for (let i = 0; i < 6 && !hang; i++) hang = (await runScenario({ ...run, mode: "none", timeoutMs: 5_000 })).outcome === "hang";
    expect(hang).toBe(true);
    for (let i = 0; i < 3; i++) {
      const result = await runScenario({ ...run, mode: "preload", timeoutMs: 20_000 });
      expect(result.outcome, describeRun(result)).toBe("ok");
    }
  }, 90_000);

  test("Bun 1.2.19 without the preload hangs after one WebAssembly call (node-addon-api asherah)", async () => {
    const result = await runScenario({ bun: bunBinary("1.2.19"), scenario: "wasm", path: "napi", mode: "none", timeoutMs: 5_000, appsDir: naaAppsDir });
    expect(result.outcome, describeRun(result)).toBe("hang");
  }, 30_000);

  test("Bun 1.2.19 with only the Go warmup (the original write-up's fix) still hangs (bun:ffi path)", async () => {
    const result = await runScenario({ bun: bunBinary("1.2.19"), scenario: "wasm", path: "ffi", mode: "warmup-only", timeoutMs: 5_000, appsDir });
    expect(result.outcome, describeRun(result)).toBe("hang");
  }, 30_000);
});
