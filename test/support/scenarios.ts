// The end-to-end scenarios, each a real Bun process running a small app from
// test/e2e/apps against the Go-based fixtures, with and without the preload.
import { cpSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./bun-versions.ts";
import { runProcess, type Outcome, type RunResult } from "./spawn.ts";

export const FIXTURE_BUILD = join(REPO_ROOT, "test", "fixtures", "build");
// The published entry (package.json "exports" "."), built from src/ by `npm run build`.
export const PRELOAD_ENTRY = join(REPO_ROOT, "dist", "index.js");
export const WARMUP_ONLY_ENTRY = join(REPO_ROOT, "test", "support", "warmup-only.ts");

export type ScenarioName = "plain" | "gc" | "async" | "worker" | "wasm" | "bun-test";
export type LoadPath = "napi" | "ffi";
// preload-restore: the full preload with the flag-restore mechanism instead of the wrapper.
export type Mode = "none" | "warmup-only" | "preload" | "preload-restore";

export const SCENARIOS: readonly ScenarioName[] = ["plain", "gc", "async", "worker", "wasm", "bun-test"];
export const LOAD_PATHS: readonly LoadPath[] = ["napi", "ffi"];
export const MODES: readonly Mode[] = ["none", "warmup-only", "preload", "preload-restore"];

// Two stand-ins for asherah 3.x (test/fixtures/README.md): "c", the plain
// N-API one (enumerable exports, -z nodelete, "node-addons" condition), and
// "naa", the node-addon-api one shaped like today's asherah-node
// (non-enumerable exports, unique symbols instead of -z nodelete, "." export
// conditions). Both are named `asherah`; the naa tree build/naa/ has its own
// node_modules/asherah and finds every other fixture in build/node_modules.
export type Fixture = "c" | "naa";
export const FIXTURES: readonly Fixture[] = ["c", "naa"];

/** The folder whose node_modules/asherah is the given fixture. */
export function fixtureRoot(fixture: Fixture): string {
  return fixture === "naa" ? join(FIXTURE_BUILD, "naa") : FIXTURE_BUILD;
}

/** Copies the scenario apps next to the built fixtures so `require("asherah")` resolves there (to `fixture`'s asherah). */
export function prepareApps(fixture: Fixture = "c"): string {
  const root = fixtureRoot(fixture);
  if (!existsSync(join(root, "node_modules", "asherah"))) {
    throw new Error(`fixtures are not built (${root} has no node_modules/asherah): run \`node test/fixtures/build.mjs\``);
  }
  const apps = join(root, "apps");
  rmSync(apps, { recursive: true, force: true });
  cpSync(join(REPO_ROOT, "test", "e2e", "apps"), apps, { recursive: true });
  // The package itself, installed the way users install it, for bare-name preloads.
  const self = join(FIXTURE_BUILD, "node_modules", "asherah-bun-preload");
  if (!existsSync(self)) symlinkSync(REPO_ROOT, self, "dir");
  return apps;
}

export interface ScenarioRun {
  readonly bun: string;
  readonly scenario: ScenarioName;
  readonly path: LoadPath;
  readonly mode: Mode;
  readonly timeoutMs: number;
  readonly env?: Record<string, string>;
  readonly appsDir: string;
}

export function scenarioCommand(run: ScenarioRun): string[] {
  const preload =
    run.mode === "preload" || run.mode === "preload-restore" ? ["--preload", PRELOAD_ENTRY] : run.mode === "warmup-only" ? ["--preload", WARMUP_ONLY_ENTRY] : [];
  if (run.scenario === "bun-test") return [run.bun, "test", ...preload, "./asherah.bun-test.ts"];
  return [run.bun, ...preload, `./${run.scenario}.ts`];
}

export function scenarioEnv(run: ScenarioRun): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    ABP_PATH: run.path,
    ...(run.mode === "preload-restore" ? { ASHERAH_BUN_PRELOAD_SIGNAL_MECHANISM: "restore" } : {}),
    ...run.env,
  };
  // The developer's own settings must not leak into a measured run.
  for (const key of Object.keys(env)) {
    const ours = (run.env && key in run.env) || (run.mode === "preload-restore" && key === "ASHERAH_BUN_PRELOAD_SIGNAL_MECHANISM");
    if (key.startsWith("ASHERAH_BUN_PRELOAD_") && !ours) delete env[key];
  }
  delete env.BUN_INSTALL_CACHE_DIR;
  env.BUN_RUNTIME_TRANSPILER_CACHE_PATH = "0";
  return env;
}

export async function runScenario(run: ScenarioRun): Promise<RunResult> {
  const result = await runProcess(scenarioCommand(run), { cwd: run.appsDir, env: scenarioEnv(run), timeoutMs: run.timeoutMs });
  // A zero exit without the scenario's own OK line is a failure too.
  const expected = run.scenario === "bun-test" ? /\b1 pass\b/ : new RegExp(`^OK ${run.scenario} ${run.path}\\b`, "m");
  if (result.outcome === "ok" && !expected.test(result.stdout + result.stderr)) return { ...result, outcome: "fail" };
  return result;
}

export type Counts = Record<Outcome, number>;

export function emptyCounts(): Counts {
  return { ok: 0, fail: 0, crash: 0, hang: 0 };
}

export async function runMany(run: ScenarioRun, times: number): Promise<{ counts: Counts; results: RunResult[] }> {
  const counts = emptyCounts();
  const results: RunResult[] = [];
  for (let i = 0; i < times; i++) {
    const result = await runScenario(run);
    counts[result.outcome]++;
    results.push(result);
  }
  return { counts, results };
}

export function writeBunfig(dir: string, body: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "bunfig.toml"), body);
}
