// The CI-sized subset of the compatibility matrix (test/matrix/run.ts, the
// full one is `npm run matrix`): the worst affected Bun (1.2.19), the last
// affected minor (1.3.14) and the pinned one; every scenario × loading path
// with the preload, REPEAT runs each, must all complete — and the control:
// without the preload, an affected Bun must hang on the WebAssembly scenario,
// which shows this harness can see the hang at all.
//
//   ABP_MATRIX_CI_VERSIONS=1.2.19,1.0.36,pinned   other versions
//   ABP_MATRIX_CI_REPEAT=10                       more runs per cell (default 5)
//   ABP_MATRIX_CI_NAA_REPEAT=5                    runs per cell on the node-addon-api asherah (default 2)
//
// The same cells (N-API path) also run on the node-addon-api stand-in for
// asherah 3.x (test/fixtures/README.md), fewer times: it links the same Go
// archive, so what it adds is its module shape (non-enumerable exports, no
// -z nodelete), which one or two runs per cell exercise.
//
// Same cells as in the full matrix, same runner functions: a failure here reads
// like a row of docs/compatibility.md.
import { afterAll, beforeAll, describe, test } from "bun:test";
import { cpSync, rmSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../support/bun-versions.ts";
import { fixtureRoot } from "../support/scenarios.ts";
import { bunBinary } from "../support/bun-versions.ts";
import { isAffected, LOAD_PATHS, prepareMatrixApps, resolveVersions, runCell, SCENARIOS, type CellResult, type CellSpec } from "../matrix/matrix.ts";
import { cellProblem, formatCell } from "../matrix/report.ts";

const VERSIONS = resolveVersions((process.env.ABP_MATRIX_CI_VERSIONS ?? "1.2.19,1.3.14,pinned").split(","));
const REPEAT = Number(process.env.ABP_MATRIX_CI_REPEAT ?? 5);
const NAA_REPEAT = Number(process.env.ABP_MATRIX_CI_NAA_REPEAT ?? 2);
const TIMEOUT_MS = 8_000; // with the preload a run takes well under a second
const CONTROL_TIMEOUT_MS = 4_000; // a hung Bun spins a core: keep it short
const CONTROL_TRIES = 3;
const JOBS = 2;

let apps: ReturnType<typeof prepareMatrixApps> | undefined;
// The apps again under build/naa/, where require("asherah") finds the node-addon-api fixture.
const naaAppsDir = join(fixtureRoot("naa"), `matrix-apps-${process.pid}`);
beforeAll(() => {
  for (const v of VERSIONS) bunBinary(v); // install before the clocks of the tests start
  apps = prepareMatrixApps();
  rmSync(naaAppsDir, { recursive: true, force: true });
  cpSync(join(REPO_ROOT, "test", "e2e", "apps"), naaAppsDir, { recursive: true });
}, 300_000);
afterAll(() => {
  apps?.cleanup();
  rmSync(naaAppsDir, { recursive: true, force: true });
});

function explain(cell: CellResult): string {
  const lines = [`Bun ${cell.version} ${cell.scenario}/${cell.path} ${cell.mode}: ${formatCell(cell)} (timeout ${cell.timeoutMs} ms)`];
  if (cell.firstHang) lines.push(`  first hang: ${cell.firstHang.summary}`);
  if (cell.firstFailure) lines.push(`  first ${cell.firstFailure.outcome} (exit ${cell.firstFailure.exitCode ?? "-"}, signal ${cell.firstFailure.signal ?? "-"}):`, ...cell.firstFailure.output.split("\n").map((l) => `    ${l}`));
  lines.push(`  the full cell: bun test/matrix/run.ts --versions ${cell.version} --scenarios ${cell.scenario} --paths ${cell.path} --modes ${cell.mode} --out /tmp/cell.json --no-markdown`);
  return lines.join("\n");
}

for (const version of VERSIONS) {
  describe(`matrix CI: Bun ${version} with the preload`, () => {
    for (const scenario of SCENARIOS) {
      for (const path of LOAD_PATHS) {
        test(`${scenario}/${path}: ${REPEAT}/${REPEAT} complete`, async () => {
          const spec: CellSpec = { version, scenario, path, mode: "preload" };
          // Stop at the first bad run: one is enough to fail, and a hang costs a full timeout.
          const cell = await runCell(spec, apps!.dir, { repeat: REPEAT, timeoutMs: TIMEOUT_MS, jobs: JOBS, stopWhen: (c) => c.hang + c.crash + c.fail > 0 });
          if (cellProblem(cell) || cell.runs !== REPEAT) {
            throw new Error(`expected every run with the preload to complete (zero hangs, zero crashes, zero failures), got:\n${explain(cell)}`);
          }
        }, (REPEAT * (TIMEOUT_MS + 1_000)) / JOBS + 30_000);
      }
    }
  });
}

for (const version of VERSIONS) {
  describe(`matrix CI: Bun ${version} with the preload, node-addon-api asherah`, () => {
    for (const scenario of SCENARIOS) {
      test(`${scenario}/napi: ${NAA_REPEAT}/${NAA_REPEAT} complete`, async () => {
        const spec: CellSpec = { version, scenario, path: "napi", mode: "preload" };
        const cell = await runCell(spec, naaAppsDir, { repeat: NAA_REPEAT, timeoutMs: TIMEOUT_MS, jobs: JOBS, stopWhen: (c) => c.hang + c.crash + c.fail > 0 });
        if (cellProblem(cell) || cell.runs !== NAA_REPEAT) {
          throw new Error(`expected every run with the preload to complete on the node-addon-api fixture, got:\n${explain(cell)}`);
        }
      }, (NAA_REPEAT * (TIMEOUT_MS + 1_000)) / JOBS + 30_000);
    }
  });
}

// The control: the same harness, no preload, on the affected versions above.
const CONTROL = VERSIONS.filter(isAffected).flatMap((version) => LOAD_PATHS.map((path): CellSpec => ({ version, scenario: "wasm", path, mode: "none" })));

describe("matrix CI control: without the preload, an affected Bun hangs", () => {
  test.skipIf(CONTROL.length === 0)(`${CONTROL.map((c) => `${c.version} wasm/${c.path}`).join(", ")}: at least one hang each`, async () => {
    const missing: string[] = [];
    for (const spec of CONTROL) {
      // Up to CONTROL_TRIES runs, stopping at the first hang (it hangs 30/30 in FACTS.md's measurements).
      const cell = await runCell(spec, apps!.dir, { repeat: CONTROL_TRIES, timeoutMs: CONTROL_TIMEOUT_MS, jobs: 1, stopWhen: (c) => c.hang > 0 });
      if (cell.counts.hang === 0) missing.push(explain(cell));
    }
    if (missing.length > 0) {
      throw new Error(
        `the control did not hang: without the preload these affected cells completed, so this harness (or these fixtures) no longer reproduces the hang ` +
          `and the preload tests above prove nothing:\n${missing.join("\n")}`,
      );
    }
  }, CONTROL.length * CONTROL_TRIES * (CONTROL_TIMEOUT_MS + 1_500) + 30_000);
});
