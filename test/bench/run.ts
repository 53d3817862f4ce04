// `npm run bench`: what asherah-bun-preload costs, each figure measured side
// by side with two baselines in the same interleaved rounds (shuffled order):
// bare Bun (no preload) and an empty preload file (what any preload costs
// before it runs a line). Medians with p10–p90, per-round differences, wall
// and CPU time, ratios against both baselines.
//
//   bun test/bench/run.ts [--quick] [--bun <version>] [--only <sections>]
//                         [--candidate <label>=<preload entry>]... [--variants <list>]
//                         [--scale <x>] [--out <file>]
//
//   --quick        ~1 min instead of ~5 (fewer rounds; figures are rougher)
//   --bun <v>      measure another Bun release (e.g. 1.2.19, an affected one)
//   --only <list>  comma-separated subset of the sections below
//   --candidate    an alternative preload entry (e.g. a patched copy of the
//                  bundle in /tmp) measured in eager mode next to the real one
//   --variants <l> comma-separated subset of eager,lazy,off,disabled to measure
//                  next to the baselines (default: all; "none" for candidates only)
//   --scale <x>    multiply every round count and time budget by x
//   --out <file>   JSON destination (default test/bench/results/latest.json)
//
// Sections: start (process start: `bun -e 0` with and without asherah
// installed, a small app), grace (a 50 ms process: past the warmup's grace
// period), test (`bun test`
// on a one-test file), worker (Worker start-up, in-process), inproc (inside
// the process: the preload's own timings, RSS, threads, warmup() wait,
// loading the Go module), layers (the start path's pieces as preload files,
// process-level), steps (the start path step by step, in-process), modules
// (2,000 generated modules), throughput (encrypt/decrypt).
// Targets are printed as met / not met, never asserted.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { isAffected } from "../../src/bun-version.ts";
import { bunBinary, pinnedBunVersion, REPO_ROOT } from "../support/bun-versions.ts";
import { cleanEnv, lastJson, runChild, type ChildResult } from "./lib/child.ts";
import { BARE_KEY, between, compare, EMPTY_KEY, type Comparison, type Samples } from "./lib/compare.ts";
import { dci, fmt, signed, spread, table, times } from "./lib/format.ts";
import { Report } from "./lib/report.ts";
import { rng, shuffle, summarize, type Summary } from "./lib/stats.ts";
import { createWorkdir, type Workdir } from "./lib/workdir.ts";

// ---------------------------------------------------------------- options

const SECTIONS = ["start", "grace", "test", "worker", "inproc", "layers", "steps", "modules", "throughput"] as const;
type Section = (typeof SECTIONS)[number];
const MODES = ["eager", "lazy", "off", "disabled"] as const;

interface Options {
  quick: boolean;
  bunVersion: string;
  only: Set<Section>;
  candidates: { label: string; entry: string }[];
  variants: Set<string>;
  scale: number;
  out: string;
}

function usage(message: string): never {
  console.error(`bench: ${message}`);
  console.error(`usage: bun test/bench/run.ts [--quick] [--bun <version>] [--only ${SECTIONS.join(",")}] [--candidate <label>=<entry>] [--variants ${MODES.join(",")}] [--scale <x>] [--out <file>]`);
  process.exit(2);
}

function parseOptions(argv: readonly string[]): Options {
  const options: Options = {
    quick: false,
    bunVersion: pinnedBunVersion(),
    only: new Set(SECTIONS),
    candidates: [],
    variants: new Set(MODES),
    scale: 1,
    out: join(import.meta.dir, "results", "latest.json"),
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const value = () => {
      const next = argv[++i];
      if (next === undefined) usage(`${arg} needs a value`);
      return next;
    };
    switch (arg) {
      case "--quick":
        options.quick = true;
        break;
      case "--bun":
        options.bunVersion = value();
        break;
      case "--only": {
        const names = value().split(",").map((s) => s.trim());
        for (const name of names) if (!(SECTIONS as readonly string[]).includes(name)) usage(`unknown section ${JSON.stringify(name)}`);
        options.only = new Set(names as Section[]);
        break;
      }
      case "--candidate": {
        const [label, entry] = value().split("=", 2);
        if (!label || !entry) usage("--candidate wants <label>=<path of a preload entry>");
        if (!existsSync(entry)) usage(`candidate entry ${entry} does not exist`);
        options.candidates.push({ label, entry: resolve(entry) });
        break;
      }
      case "--variants": {
        const names = value().split(",").map((s) => s.trim()).filter((s) => s !== "none");
        for (const name of names) if (!(MODES as readonly string[]).includes(name)) usage(`unknown variant ${JSON.stringify(name)}`);
        options.variants = new Set(names);
        break;
      }
      case "--scale":
        options.scale = Number(value());
        if (!(options.scale > 0)) usage("--scale wants a positive number");
        break;
      case "--out":
        options.out = resolve(value());
        break;
      case "--help":
      case "-h":
        usage("help");
      default:
        usage(`unknown argument ${JSON.stringify(arg)}`);
    }
  }
  return options;
}

const options = parseOptions(process.argv.slice(2));
// What users run: the bundles package.json "exports" point at (npm run bench builds them first).
const PRELOAD_ENTRY = join(REPO_ROOT, "dist", "index.js");
const API_ENTRY = join(REPO_ROOT, "dist", "api.js");
// The start path's bundle behind it, and its bytecode cache (scripts/build.ts).
const START_BUNDLE = join(REPO_ROOT, "dist", "preload.cjs");
for (const file of [PRELOAD_ENTRY, API_ENTRY, START_BUNDLE]) {
  if (!existsSync(file)) {
    console.error(`bench: ${file} is missing; run: npm run build (npm run bench builds it first)`);
    process.exit(1);
  }
}
const bun = bunBinary(options.bunVersion);
const pinned = options.bunVersion === pinnedBunVersion();
const affected = isAffected(options.bunVersion, process.platform);
const fixture = join(REPO_ROOT, "test", "fixtures", "build", "node_modules", "asherah");
if (!existsSync(join(fixture, "dist", "asherah.node"))) {
  console.error(`bench: the asherah fixture is missing (${fixture}); run: node test/fixtures/build.mjs`);
  process.exit(1);
}
const arch = process.arch === "arm64" ? "arm64" : "x64";
const libraries = ["asherah-bun-core.node", "asherah-bun-warmup.so"].map((name) => {
  const path = join(REPO_ROOT, "prebuilds", `linux-${arch}`, name);
  return { name, path, bytes: statSync(path).size };
});
const LAYERS = join(import.meta.dir, "layers");

// Round counts and time budgets (seconds): whichever ends first.
const q = options.quick;
const plan = {
  start: { rounds: q ? 40 : 200, budget: q ? 8 : 60 },
  grace: { rounds: q ? 8 : 40, budget: q ? 4 : 20 },
  test: { rounds: q ? 10 : 60, budget: q ? 5 : 35 },
  worker: { rounds: q ? 10 : 60, budget: q ? 4 : 30 },
  inproc: { rounds: q ? 10 : 60, budget: q ? 5 : 40 },
  layers: { rounds: q ? 15 : 100, budget: q ? 6 : 40 },
  steps: { rounds: q ? 8 : 30, budget: q ? 2 : 8 },
  modules: { rounds: q ? 5 : 30, budget: q ? 5 : 30 },
  throughput: { rounds: q ? 1 : 3, phaseMs: q ? 300 : 500 },
};
for (const section of Object.values(plan)) {
  if ("budget" in section) section.budget *= options.scale;
  section.rounds = Math.max(1, Math.round(section.rounds * options.scale));
}

// ---------------------------------------------------------------- variants

interface Variant {
  readonly key: string;
  readonly label: string;
  /** The --preload file, or undefined for bare Bun. */
  readonly entry: string | undefined;
  readonly env: Record<string, string>;
  /** A preload of this package (not a baseline or a layer). */
  readonly preload: boolean;
}

const BARE: Variant = { key: BARE_KEY, label: "bare bun (no preload)", entry: undefined, env: {}, preload: false };
const EMPTY: Variant = { key: EMPTY_KEY, label: "empty preload file", entry: join(LAYERS, "empty.js"), env: {}, preload: false };
const EAGER: Variant = { key: "eager", label: "preload, eager (default)", entry: PRELOAD_ENTRY, env: {}, preload: true };
const LAZY: Variant = { key: "lazy", label: "preload, lazy", entry: PRELOAD_ENTRY, env: { ASHERAH_BUN_PRELOAD_WARMUP: "lazy" }, preload: true };
const OFF: Variant = { key: "off", label: "preload, off", entry: PRELOAD_ENTRY, env: { ASHERAH_BUN_PRELOAD_WARMUP: "off" }, preload: true };
const DISABLED: Variant = { key: "disabled", label: "preload, DISABLE=1 (bundle only)", entry: PRELOAD_ENTRY, env: { ASHERAH_BUN_PRELOAD_DISABLE: "1" }, preload: true };
const chosen = (...vs: Variant[]) => vs.filter((v) => options.variants.has(v.key));
const CANDIDATES: Variant[] = options.candidates.map((c, i) => ({ key: `candidate${i + 1}`, label: `candidate ${c.label}, eager`, entry: c.entry, env: {}, preload: true }));
const BASELINES = [BARE, EMPTY];
const withWarmup = (v: Variant) => v === EAGER || v === LAZY || CANDIDATES.includes(v);

const layer = (file: string, label: string, env: Record<string, string> = {}): Variant => ({
  key: `layer:${file}${env.ABP_LAYER_WAIT ? "+wait" : ""}${env.ABP_LAYER_PLUGIN ? "+plugin" : ""}${env.ABP_LAYER_BUILTIN ? `:${env.ABP_LAYER_BUILTIN}` : ""}`,
  label,
  entry: join(LAYERS, `${file}.js`),
  env,
  preload: false,
});

/** `bun [--preload X] args`; for `bun test` the preload goes after the subcommand. */
function command(variant: Variant, args: readonly string[]): string[] {
  const preload = variant.entry === undefined ? [] : ["--preload", variant.entry];
  if (args[0] === "test") return [bun, "test", ...preload, ...args.slice(1)];
  return [bun, ...preload, ...args];
}

// ---------------------------------------------------------------- progress and output

const isTTY = process.stderr.isTTY === true;
function progress(text: string): void {
  if (isTTY) process.stderr.write(`\r\x1b[K${text}`);
}
function progressDone(text: string): void {
  if (isTTY) process.stderr.write("\r\x1b[K");
  process.stderr.write(`${text}\n`);
}

const report = new Report();
const print = (text = "") => report.print(text);
const json: Record<string, unknown> = {};
const ms = (micros: number | undefined | null) => (micros === undefined || micros === null ? undefined : micros / 1000);

// ---------------------------------------------------------------- setup

const runStarted = Date.now();
const loadBefore = loadavg();
const workdir: Workdir = createWorkdir({ probesDir: join(import.meta.dir, "probes"), asherahFixture: fixture, moduleCount: 2000 });
process.on("exit", () => workdir.remove());
const nodeVersion = (() => {
  try {
    return execFileSync("node", ["--version"], { encoding: "utf8" }).trim();
  } catch {
    return undefined;
  }
})();
const TIMEOUT = 20_000;
const gitRevision = (() => {
  try {
    const head = execFileSync("git", ["rev-parse", "--short=12", "HEAD"], { cwd: REPO_ROOT, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "src", "prebuilds", "go"], { cwd: REPO_ROOT, encoding: "utf8" }).trim() !== "";
    return `${head}${dirty ? " + uncommitted changes in src/, go/ or prebuilds/" : ""}`;
  } catch {
    return undefined;
  }
})();

function check(result: ChildResult, what: string): ChildResult {
  if (!result.ok) {
    throw new Error(
      `${what} failed (exit ${result.exitCode}, signal ${result.signal}, timedOut ${result.timedOut})\nstderr: ${result.stderr.slice(-3000)}\nstdout: ${result.stdout.slice(-1000)}`,
    );
  }
  return result;
}

/**
 * Whether the measured Bun runs the start path from dist/preload.cjs.jsc, by
 * Bun's own report (test/e2e/bytecode.test.ts): every figure below depends on it.
 */
function bytecodeUse(): string {
  const probe = runChild([bun, "--preload", PRELOAD_ENTRY, "-e", "0"], { cwd: REPO_ROOT, env: cleanEnv({ BUN_JSC_reportBytecodeCacheDecodeTimes: "1" }), timeoutMs: 20_000 });
  if (probe.stderr.includes(`BytecodeCache: decoded ${START_BUNDLE} (`)) return `decoded by this Bun (${options.bunVersion})`;
  if (probe.ok) return `NOT used by this Bun (${options.bunVersion}): it parses the start path (the cache is for Bun ${pinnedBunVersion()})`;
  return `this Bun (${options.bunVersion}) cannot report whether it decodes it (the cache is for Bun ${pinnedBunVersion()})`;
}

print(
  `asherah-bun-preload benchmark: Bun ${options.bunVersion}${pinned ? " (pinned)" : ""}${affected ? " (affected release: the preload protects the suspend handler)" : ""}, ` +
    `${nodeVersion ? `Node ${nodeVersion}, ` : ""}${process.platform}-${process.arch}, ${cpus().length} CPUs, load ${loadBefore.map((l) => l.toFixed(2)).join(" ")}` +
    `${options.quick ? ", --quick" : ""}`,
);
const bundleBytes = statSync(PRELOAD_ENTRY).size + statSync(START_BUNDLE).size;
const bytecodeBytes = existsSync(`${START_BUNDLE}.jsc`) ? statSync(`${START_BUNDLE}.jsc`).size : 0;
print(
  `Native files: ${libraries.map((l) => `${l.name} ${l.bytes.toLocaleString("en-US")} B`).join(", ")}; ` +
    `the preload's JavaScript dist/index.js + dist/preload.cjs ${bundleBytes.toLocaleString("en-US")} B, its bytecode cache ${bytecodeBytes.toLocaleString("en-US")} B: ${bytecodeUse()}`,
);
if (gitRevision !== undefined) print(`Measured tree: ${gitRevision}`);
print("Figures: median [p10–p90] over interleaved rounds in shuffled order. Δ = median of per-round differences against a baseline of the same");
print("round; × = ratio of medians. Baselines: bare Bun, and an empty preload file (test/bench/layers/empty.js).");

// ---------------------------------------------------------------- process start (sections start, test, layers)

interface Workload {
  readonly key: string;
  readonly label: string;
  readonly args: readonly string[];
  /** Where it runs (default: the bench folder, where asherah is installed). */
  readonly cwd?: string;
  /** Checks a run's output; returns what is wrong, or undefined. */
  readonly verify: (result: ChildResult) => string | undefined;
}

interface StartRun {
  readonly rounds: number;
  /** workload → measure → variant → per-round samples (ms; `value`: what the workload prints, if it prints a number). */
  readonly samples: Record<string, { wall: Samples; cpu: Samples; value: Samples }>;
  readonly failures: Record<string, number>;
}

/**
 * Spawns every workload × variant once per round, in shuffled order, after
 * one untimed pass. `tolerate`: a failed run is counted and left out (layers
 * without the preload's signal care may hang on an affected Bun) instead of
 * stopping the bench.
 */
function measureStarts(name: string, workloads: readonly Workload[], variants: readonly Variant[], budget: { rounds: number; budget: number }, seed: number, tolerate = false): StartRun {
  const wall: Record<string, Record<string, (number | undefined)[]>> = {};
  const cpu: Record<string, Record<string, (number | undefined)[]>> = {};
  const value: Record<string, Record<string, (number | undefined)[]>> = {};
  for (const w of workloads) {
    wall[w.key] = Object.fromEntries(variants.map((v) => [v.key, []]));
    cpu[w.key] = Object.fromEntries(variants.map((v) => [v.key, []]));
    value[w.key] = Object.fromEntries(variants.map((v) => [v.key, []]));
  }
  const failures: Record<string, number> = Object.fromEntries(variants.map((v) => [v.key, 0]));
  const timeoutMs = tolerate ? 5_000 : TIMEOUT;
  const run = (w: Workload, v: Variant) => runChild(command(v, w.args), { cwd: w.cwd ?? workdir.dir, env: cleanEnv(v.env), timeoutMs });
  const random = rng(seed);
  const started = Date.now();
  // One untimed pass: page cache, transpiler cache, first-run effects.
  for (const w of workloads) for (const v of variants) run(w, v);
  let rounds = 0;
  while (rounds === 0 || (rounds < budget.rounds && (Date.now() - started) / 1000 < budget.budget)) {
    for (const { w, v } of shuffle(workloads.flatMap((w) => variants.map((v) => ({ w, v }))), random)) {
      const result = run(w, v);
      const wrong = result.ok ? w.verify(result) : `exit ${result.exitCode}, signal ${result.signal}, timedOut ${result.timedOut}`;
      if (wrong !== undefined) {
        if (!tolerate) throw new Error(`${w.label} / ${v.label}: ${wrong}\nstderr: ${result.stderr.slice(-3000)}\nstdout: ${result.stdout.slice(-1000)}`);
        failures[v.key]!++;
      }
      wall[w.key]![v.key]!.push(wrong === undefined ? result.wallMs : undefined);
      cpu[w.key]![v.key]!.push(wrong === undefined ? result.cpuMs : undefined);
      value[w.key]![v.key]!.push(wrong === undefined ? Number(result.stdout.trim()) : undefined);
    }
    rounds++;
    progress(`${name}: round ${rounds}/${budget.rounds}`);
  }
  progressDone(`${name}: ${rounds} rounds in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  const samples: StartRun["samples"] = {};
  for (const w of workloads) samples[w.key] = { wall: wall[w.key]!, cpu: cpu[w.key]!, value: value[w.key]! };
  return { rounds, samples, failures };
}

interface StartFigures {
  readonly wall: Comparison;
  readonly cpu: Comparison;
}

/** One table per workload, every variant against both baselines; returns the figures for targets and JSON. */
function printStarts(run: StartRun, workloads: readonly Workload[], variants: readonly Variant[]): Record<string, Record<string, StartFigures>> {
  const figures: Record<string, Record<string, StartFigures>> = {};
  for (const w of workloads) {
    const rows: string[][] = [];
    figures[w.key] = {};
    for (const v of variants) {
      const wall = compare(run.samples[w.key]!.wall, v.key);
      const cpu = compare(run.samples[w.key]!.cpu, v.key);
      figures[w.key]![v.key] = { wall, cpu };
      const isBare = v === BARE;
      const isBase = isBare || v === EMPTY;
      rows.push([
        `  ${v.label}${run.failures[v.key] ? ` (${run.failures[v.key]} failed runs left out)` : ""}`,
        spread(wall.value),
        isBare ? "" : signed(wall.vsBare?.median),
        isBare ? "" : times(wall.ratioBare),
        isBase ? "" : signed(wall.vsEmpty?.median),
        isBase ? "" : times(wall.ratioEmpty),
        spread(cpu.value),
        isBare ? "" : signed(cpu.vsBare?.median),
        isBare ? "" : times(cpu.ratioBare),
        isBase ? "" : times(cpu.ratioEmpty),
      ]);
    }
    print(table([w.label, "wall ms", "Δ bare", "× bare", "Δ empty", "× empty", "CPU ms", "Δ bare", "× bare", "× empty"], rows));
  }
  return figures;
}

function startJson(run: StartRun, workloads: readonly Workload[], variants: readonly Variant[], figures: Record<string, Record<string, StartFigures>>): unknown {
  return {
    rounds: run.rounds,
    failures: run.failures,
    workloads: Object.fromEntries(
      workloads.map((w) => [
        w.key,
        {
          label: w.label,
          args: w.args,
          variants: Object.fromEntries(
            variants.map((v) => [
              v.key,
              { label: v.label, ...figures[w.key]![v.key]!, samples: { wallMs: run.samples[w.key]!.wall[v.key], cpuMs: run.samples[w.key]!.cpu[v.key] } },
            ]),
          ),
        },
      ]),
    ),
  };
}

const silent = (expected: string) => (result: ChildResult) => (result.stdout.trim() === expected ? undefined : `unexpected output ${JSON.stringify(result.stdout.slice(0, 200))}`);
const BUN_E_0: Workload = { key: "bun-e-0", label: "bun -e 0 (asherah installed)", args: ["-e", "0"], verify: silent("") };
/** Reads VmRSS at the end (node:fs is alike in every variant). */
const PRINT_RSS = 'console.log(/^VmRSS:\\s+(\\d+)/m.exec(require("node:fs").readFileSync("/proc/self/status", "utf8"))[1])';
// Bun < 1.2 without the preload cannot resolve the fixture's only export condition ("node-addons").
const LATE_REQUIRE =
  'const t = Bun.nanoseconds(); try { require("asherah"); } catch (e) { if (!/Cannot find (package|module)/.test(String(e && e.message))) throw e; require(process.cwd() + "/node_modules/asherah/dist/asherah.node"); } console.log(Math.round((Bun.nanoseconds() - t) / 1000))';
const printsNumber = (r: ChildResult) => (/^\d+$/.test(r.stdout.trim()) ? undefined : `no number in ${JSON.stringify(r.stdout.slice(0, 200))}`);

function sectionStart(): void {
  const workloads: Workload[] = [
    BUN_E_0,
    { key: "bun-e-0-plain", label: "bun -e 0 (nothing installed)", args: ["-e", "0"], cwd: workdir.plainDir, verify: silent("") },
    { key: "app", label: "small app (4 modules, node:fs, node:path)", args: ["app/main.ts"], verify: silent("hello from bench-app 10") },
  ];
  const variants = [...BASELINES, ...chosen(EAGER, LAZY, OFF, DISABLED), ...CANDIDATES];
  const run = measureStarts("start", workloads, variants, plan.start, 11);
  print("");
  print(`Process start (${run.rounds} interleaved rounds; wall time seen by the parent, CPU = user+sys of the child)`);
  const figures = printStarts(run, workloads, variants);
  json.start = startJson(run, workloads, variants, figures);

  for (const v of variants.filter((v) => v.preload)) {
    const f = figures[BUN_E_0.key]![v.key]!;
    report.summarize(v.label, "bun -e 0: × bare (wall/CPU)", `${times(f.wall.ratioBare)} / ${times(f.cpu.ratioBare)}`);
    report.summarize(v.label, "× empty (wall)", times(f.wall.ratioEmpty));
    report.summarize(v.label, "+ wall ms vs bare / empty", `${signed(f.wall.vsBare?.median)} / ${signed(f.wall.vsEmpty?.median)}`);
  }
  const eager = figures[BUN_E_0.key]![EAGER.key];
  if (eager !== undefined) {
    report.target({
      target: `default (eager), a process that never loads Go: ≤ 1.30× bare \`bun -e 0\` (Bun ${options.bunVersion})`,
      figure: `wall ${times(eager.wall.ratioBare)} (${fmt(eager.wall.value.median)} vs ${fmt(eager.wall.value.median / eager.wall.ratioBare)} ms), CPU ${times(eager.cpu.ratioBare)}; vs empty preload: wall ${times(eager.wall.ratioEmpty)}`,
      met: eager.wall.ratioBare <= 1.3,
      note: "ratio of the wall-time medians, eager over bare Bun; CPU shown for reference",
    });
  }
  if (options.variants.has("eager") && options.variants.has("lazy")) {
    const d = between(run.samples[BUN_E_0.key]!.wall, EAGER.key, LAZY.key);
    const dc = between(run.samples[BUN_E_0.key]!.cpu, EAGER.key, LAZY.key);
    json.eagerMinusLazyStart = { wallMs: d, cpuMs: dc };
    report.target({
      target: "eager warmup over lazy, whole process (`bun -e 0` wall): ≤ +0.5 ms",
      figure: `wall ${dci(d, 2, 1, " ms")}, CPU ${signed(dc.median)} ms`,
      met: d.median <= 0.5,
      note: "per-round difference eager − lazy; includes the warmup thread's exit with the process and its CPU on a 2-core machine",
    });
  }
}

/**
 * A process that lives past the warmup's grace period (20 ms after the
 * preload starts it, src/lifecycle.ts WARMUP_GRACE_MS) without loading Go:
 * in eager mode the Go warmup then runs, on its own thread, while the
 * process idles. What that costs in CPU and memory, and whether the wall
 * time notices.
 */
function sectionGrace(): void {
  const waitMs = 50;
  const workloads: Workload[] = [
    { key: "idle-50", label: `a ${waitMs} ms process (setTimeout, then prints VmRSS)`, args: ["-e", `setTimeout(() => { ${PRINT_RSS} }, ${waitMs})`], verify: printsNumber },
    // The first guarded load of an app that loads asherah later than its
    // first line (a server's request handler, a module imported after
    // others), with no warmup() call: the warmup has finished on the core's
    // thread, and the load reads its report (src/fast-load.ts). Prints the
    // in-process µs of the require() call.
    { key: "late-require", label: `require('asherah') ${waitMs} ms after start, no warmup() call (prints its µs)`, args: ["-e", `setTimeout(() => { ${LATE_REQUIRE} }, ${waitMs})`], verify: printsNumber },
  ];
  const variants = [...BASELINES, ...chosen(EAGER, LAZY), ...CANDIDATES];
  // tolerate: bare Bun on an affected release can hang once Go is loaded.
  const run = measureStarts("grace", workloads, variants, plan.grace, 29, affected);
  print("");
  print(`A process that lives past the warmup's grace period and loads no Go (${run.rounds} interleaved rounds)`);
  const figures = printStarts(run, workloads, variants);
  const rss = run.samples["idle-50"]!.value;
  const rssFigures = Object.fromEntries(variants.map((v) => [v.key, compare(rss, v.key)]));
  print(
    table(
      ["RSS at its end (MiB)", "median [p10–p90]", "Δ bare", "Δ empty"],
      variants.map((v) => {
        const c = rssFigures[v.key]!;
        return [`  ${v.label}`, spread(c.value, 2, 1 / 1024), v === BARE ? "" : signed((c.vsBare?.median ?? NaN) / 1024), v.preload ? signed((c.vsEmpty?.median ?? NaN) / 1024) : ""];
      }),
    ),
  );
  const late = run.samples["late-require"]!.value;
  const lateFigures = Object.fromEntries(variants.map((v) => [v.key, compare(late, v.key)]));
  print(
    table(
      [`require('asherah') ${waitMs} ms after start, in-process ms`, "median [p10–p90]", "Δ bare", "Δ empty"],
      variants.map((v) => {
        const c = lateFigures[v.key]!;
        return [`  ${v.label}`, spread(c.value, 3, 1 / 1000), v === BARE ? "" : signed((c.vsBare?.median ?? NaN) / 1000, 3), v.preload ? signed((c.vsEmpty?.median ?? NaN) / 1000, 3) : ""];
      }),
    ),
  );
  json.grace = {
    ...(startJson(run, workloads, variants, figures) as object),
    rssKiB: Object.fromEntries(variants.map((v) => [v.key, { label: v.label, ...rssFigures[v.key]!, samples: rss[v.key] }])),
    lateRequireMicros: Object.fromEntries(variants.map((v) => [v.key, { label: v.label, ...lateFigures[v.key]!, samples: late[v.key] }])),
  };
  for (const v of variants.filter((v) => v.preload)) {
    const f = figures["idle-50"]![v.key]!;
    report.summarize(v.label, `${waitMs} ms process: Δ wall / CPU ms`, `${signed(f.wall.vsBare?.median)} / ${signed(f.cpu.vsBare?.median)}`);
  }
}

function sectionTest(): void {
  const workloads: Workload[] = [
    {
      key: "bun-test",
      label: "bun test ./one.test.ts (one test, no bunfig)",
      args: ["test", "./one.test.ts"],
      verify: (r) => (/\b1 pass\b/.test(r.stderr) && /\b0 fail\b/.test(r.stderr) ? undefined : "no `1 pass, 0 fail` in its output"),
    },
  ];
  const variants = [...BASELINES, ...chosen(EAGER, LAZY), ...CANDIDATES];
  const run = measureStarts("test", workloads, variants, plan.test, 13);
  print("");
  print(`bun test on a one-test file (${run.rounds} interleaved rounds; \`bun test --preload <file> ./one.test.ts\` vs without)`);
  const figures = printStarts(run, workloads, variants);
  json.test = startJson(run, workloads, variants, figures);
  for (const v of variants.filter((v) => v.preload)) {
    const f = figures["bun-test"]![v.key]!;
    report.summarize(v.label, "bun test: Δ ms bare / empty", `${signed(f.wall.vsBare?.median)} / ${signed(f.wall.vsEmpty?.median)}`);
  }
}

/**
 * Two copies of the start bundle (dist/preload.cjs) that stop early, written
 * into the bench folder, without its bytecode cache (so parsed from source,
 * as on a Bun release other than the build's): its modules evaluated without
 * the entry's install() call, and the same code wrapped in a function that
 * never runs (parsed only). The entry's code is the final `start();`
 * (src/index.ts) inside Bun's CommonJS wrapper; undefined when the bundle no
 * longer ends with it.
 */
function bundleStages(): { evaluated: string; parsed: string } | undefined {
  const text = readFileSync(START_BUNDLE, "utf8");
  // start(), under whatever name the minifier gave it: the wrapper's last
  // statement, then the wrapper's end and the source-map comments.
  const call = /(?<![\w$.])[A-Za-z_$][\w$]*\(\);?\}\)\s*(?:\/\/# \w+=\S*\s*)*$/g;
  const open = text.indexOf("{", text.indexOf("(function(exports, require, module, __filename, __dirname)"));
  let at = -1;
  for (const m of text.matchAll(call)) at = m.index ?? -1;
  if (at < 0 || open < 0) return undefined;
  const head = `// @bun @bun-cjs\n${text.slice(text.indexOf("\n") + 1, open + 1)}`;
  const modules = text.slice(open + 1, at);
  const dir = join(workdir.dir, "bundle-stages");
  mkdirSync(dir, { recursive: true });
  const evaluated = join(dir, "evaluated.cjs");
  const parsed = join(dir, "parsed.cjs");
  writeFileSync(evaluated, `${head}${modules}\n})\n`);
  writeFileSync(parsed, `${head}function neverCalled() {\n${modules}\n}\n})\n`);
  return { evaluated, parsed };
}

/**
 * layers/minimal-addon.c built into the bench's folder, for the minimum.js
 * layer; undefined (and said) where there is no C compiler.
 */
function minimalAddon(): string | undefined {
  const out = join(workdir.dir, "minimal-addon.node");
  const headers = join(REPO_ROOT, "node_modules", "node-api-headers", "include");
  const compiler = process.env.CC || "cc";
  const skip = (why: string) => {
    print(`   (${why}: the minimum.js layers are left out)`);
    return undefined;
  };
  // runChild throws for a program that is not on PATH.
  if (Bun.which(compiler) === null) return skip(`no C compiler (${compiler}) on PATH to build test/bench/layers/minimal-addon.c`);
  const built = runChild([compiler, "-O2", "-shared", "-fPIC", "-I", headers, "-o", out, join(LAYERS, "minimal-addon.c")], { cwd: workdir.dir, env: cleanEnv({}), timeoutMs: 60_000 });
  if (built.ok) return out;
  return skip(`${compiler} could not build test/bench/layers/minimal-addon.c\n${built.stderr.trim().split("\n").slice(-3).join("\n")}`);
}

function sectionLayers(): void {
  const stages = bundleStages();
  if (stages === undefined) print("   (dist/preload.cjs does not end with a call of start(): the bundle-copy layers are left out)");
  const addon = minimalAddon();
  const minimumVariants: Variant[] =
    addon === undefined
      ? []
      : [
          layer("minimum", "layer minimum.js: a one-function Node-API addon (not the core), no code of this package", { ABP_LAYER_ADDON: addon }),
          layer("minimum", "layer minimum.js: that addon + one Bun.plugin (the least this design pays)", { ABP_LAYER_ADDON: addon, ABP_LAYER_PLUGIN: "1" }),
        ];
  const stageVariants: Variant[] =
    stages === undefined
      ? []
      : [
          { key: "layer:bundle-parsed", label: "bundle copy: its modules parsed, never run", entry: stages.parsed, env: {}, preload: false },
          { key: "layer:bundle-evaluated", label: "bundle copy: its modules evaluated, no install()", entry: stages.evaluated, env: {}, preload: false },
        ];
  const variants: Variant[] = [
    ...BASELINES,
    ...minimumVariants,
    layer("core", "layer core.js: process.dlopen of the core + its self-check"),
    layer("core-warmup", "layer core-warmup.js: core + snapshot + warmup thread started"),
    layer("core-warmup", "layer core-warmup.js, waiting for the warmup (Go start on the JS thread)", { ABP_LAYER_WAIT: "1" }),
    layer("floor", "layer floor.js: every native step and hook of the start path, flat, no plugin"),
    layer("ffi", "layer ffi.js: bun:ffi loaded, its dlopen wrapped"),
    layer("module", "layer module.js: node:module loaded, require wrapped"),
    layer("plugin", "layer plugin.js: Bun.plugin with one build.module"),
    layer("ffi-warmup", "layer ffi-warmup.js: Go warmup via bun:ffi on the JS thread"),
    layer("builtin", "layer builtin.js: node:fs (avoided on the start path)", { ABP_LAYER_BUILTIN: "node:fs" }),
    layer("builtin", "layer builtin.js: node:path (avoided on the start path)", { ABP_LAYER_BUILTIN: "node:path" }),
    ...stageVariants,
    ...(options.variants.has("disabled") ? [DISABLED] : []),
    ...chosen(LAZY, EAGER),
  ];
  // RSS from a second, otherwise empty script (node:fs's own pages are alike in every variant).
  const RSS: Workload = { key: "rss", label: "bun -e <print VmRSS>", args: ["-e", PRINT_RSS], verify: printsNumber };
  const run = measureStarts("layers", [BUN_E_0, RSS], variants, plan.layers, 17, true);
  print("");
  print(`Layers: the start path's pieces as preload files on \`bun -e 0\` (${run.rounds} interleaved rounds; test/bench/layers/; "Δ empty" = the piece's own cost)`);
  const figures = printStarts(run, [BUN_E_0], variants);
  const rss = run.samples[RSS.key]!.value;
  const rssFigures = Object.fromEntries(variants.map((v) => [v.key, compare(rss, v.key)]));
  // What the 1.30× and 1.5 MiB targets are up against, next to the preload in
  // the closing summary: Bun's own minimum for this design, and the design's floor.
  const comparisons: [string, string][] = [
    ["layer:minimum+plugin", "(for comparison) layer minimum.js + plugin: Bun's minimum for this design"],
    ["layer:floor", "(for comparison) layer floor.js: the design's floor, no plugin"],
  ];
  for (const [key, row] of comparisons) {
    const f = figures[BUN_E_0.key]![key];
    if (f === undefined) continue;
    report.summarize(row, "bun -e 0: × bare (wall/CPU)", `${times(f.wall.ratioBare)} / ${times(f.cpu.ratioBare)}`);
    report.summarize(row, "× empty (wall)", times(f.wall.ratioEmpty));
    report.summarize(row, "+ wall ms vs bare / empty", `${signed(f.wall.vsBare?.median)} / ${signed(f.wall.vsEmpty?.median)}`);
    report.summarize(row, "layers: + RSS MiB vs bare", signed((rssFigures[key]?.vsBare?.median ?? NaN) / 1024));
  }
  // Beside the targets: how close any preload of this design can come to them here.
  const minimum = figures[BUN_E_0.key]!["layer:minimum+plugin"];
  const minimumRss = rssFigures["layer:minimum+plugin"]?.vsBare;
  if (minimum !== undefined && minimumRss != null) {
    report.target({
      target: "for reference, not a target: Bun's own minimum for this design (layer minimum.js: an empty preload, a one-function Node-API addon, one Bun.plugin)",
      figure: `\`bun -e 0\` wall ${times(minimum.wall.ratioBare)} bare (${signed(minimum.wall.vsBare?.median)} ms); RSS ${signed(minimumRss.median / 1024)} MiB vs bare`,
      met: null,
      note: "what the ≤ 1.30× and ≤ 1.5 MiB targets leave for everything else the preload does (its core, hooks and JavaScript); RSS from the layers' print script",
    });
  }
  print(
    table(
      ["RSS at the end of a script that prints it (MiB)", "median [p10–p90]", "Δ bare", "Δ empty"],
      variants.map((v) => {
        const c = rssFigures[v.key]!;
        return [`  ${v.label}`, spread(c.value, 2, 1 / 1024), v === BARE ? "" : signed((c.vsBare?.median ?? NaN) / 1024), v === BARE || v === EMPTY ? "" : signed((c.vsEmpty?.median ?? NaN) / 1024)];
      }),
    ),
  );
  print("   (the RSS script loads node:fs itself: the node:fs layer's RSS difference is not what node:fs costs)");
  json.layers = { ...(startJson(run, [BUN_E_0], variants, figures) as object), rssKiB: Object.fromEntries(variants.map((v) => [v.key, { label: v.label, ...rssFigures[v.key]!, samples: rss[v.key] }])) };
}

// ---------------------------------------------------------------- Worker start-up

interface WorkerResult {
  first: { constructMicros: number; firstMessageMicros: number; reply: { installMicros: number | null; coreMicros: number | null } };
  second: { constructMicros: number; firstMessageMicros: number; reply: { installMicros: number | null } };
}

function sectionWorker(): void {
  // Eager once more, with the Workers started after warmup() returned: the
  // Worker's own cost without the Go runtime's start competing for the CPU.
  const warm: Variant = { ...EAGER, key: "eager-warm", label: "preload, eager, Workers after warmup()", env: { ...EAGER.env, ABP_WARMUP: "1", ABP_API: API_ENTRY } };
  // Bare Bun with the empty preload given to each Worker (as src/workers.ts
  // gives the package's entry): what Bun charges any preload in a Worker.
  const emptyInWorker: Variant = { key: "worker-empty-preload", label: "empty preload in each Worker (Worker option), none on the main thread", entry: undefined, env: { ABP_WORKER_PRELOAD: EMPTY.entry! }, preload: false };
  const variants = [...BASELINES, emptyInWorker, ...chosen(EAGER, LAZY), ...(options.variants.has("eager") ? [warm] : []), ...CANDIDATES];
  const results: Record<string, (WorkerResult | undefined)[]> = Object.fromEntries(variants.map((v) => [v.key, []]));
  const run = (v: Variant) => runChild(command(v, ["worker.ts"]), { cwd: workdir.dir, env: cleanEnv(v.env), timeoutMs: TIMEOUT });
  const random = rng(19);
  const started = Date.now();
  for (const v of variants) run(v);
  let rounds = 0;
  while (rounds === 0 || (rounds < plan.worker.rounds && (Date.now() - started) / 1000 < plan.worker.budget)) {
    for (const v of shuffle(variants, random)) results[v.key]!.push(lastJson<WorkerResult>(check(run(v), `worker / ${v.label}`), `worker / ${v.label}`));
    rounds++;
    progress(`worker: round ${rounds}/${plan.worker.rounds}`);
  }
  progressDone(`worker: ${rounds} rounds in ${((Date.now() - started) / 1000).toFixed(0)} s`);

  const metrics: [string, string, (r: WorkerResult) => number | null][] = [
    ["firstWorkerMs", "1st Worker: new Worker → first message, ms", (r) => r.first.firstMessageMicros / 1000],
    ["secondWorkerMs", "2nd Worker, ms", (r) => r.second.firstMessageMicros / 1000],
    ["constructMs", "1st new Worker() call returns, ms", (r) => r.first.constructMicros / 1000],
  ];
  const samples = (pick: (r: WorkerResult) => number | null): Samples =>
    Object.fromEntries(variants.map((v) => [v.key, results[v.key]!.map((r) => (r === undefined ? undefined : (pick(r) ?? undefined)))]));
  print("");
  print(`Worker start-up (${rounds} interleaved rounds; inside the process: new Worker(file) until its first message, main thread's clock)`);
  const out: Record<string, unknown> = {};
  for (const [key, label, pick] of metrics) {
    const s = samples(pick);
    const rows = variants.map((v) => {
      const c = compare(s, v.key);
      return [`  ${v.label}`, spread(c.value), v === BARE ? "" : signed(c.vsBare?.median), v === BARE ? "" : times(c.ratioBare), v.preload ? signed(c.vsEmpty?.median) : ""];
    });
    print(table([label, "median [p10–p90]", "Δ bare", "× bare", "Δ empty"], rows));
    out[key] = Object.fromEntries(variants.map((v) => [v.key, { label: v.label, ...compare(s, v.key), samples: s[v.key] }]));
  }
  const inWorker = (v: Variant) => summarize(results[v.key]!.flatMap((r) => (r?.first.reply.installMicros == null ? [] : [r.first.reply.installMicros / 1000])));
  const preloaded = variants.filter((v) => v.preload);
  if (preloaded.length > 0) {
    print(`   the preload's install() inside the 1st Worker, ms: ${preloaded.map((v) => `${v.label} ${spread(inWorker(v))}`).join("; ")}`);
  }
  json.worker = { rounds, metrics: out, installInWorkerMs: Object.fromEntries(preloaded.map((v) => [v.key, inWorker(v)])) };

  const first = samples(metrics[0]![2]);
  for (const v of preloaded) {
    const c = compare(first, v.key);
    report.summarize(v.label, "Worker: Δ ms bare / empty", `${signed(c.vsBare?.median)} / ${signed(c.vsEmpty?.median)}`);
  }
  if (options.variants.has("eager")) {
    const c = compare(first, EAGER.key);
    report.target({
      target: "a Worker started with the preload (eager): ≤ +1 ms over one without",
      figure: `${dci(c.vsBare ?? undefined, 2, 1, " ms")} vs bare; ${signed(c.vsEmpty?.median)} ms vs empty preload`,
      met: (c.vsBare?.median ?? Infinity) <= 1,
      note: "the first Worker of the process, new Worker(file) → its first message; per-round difference against bare Bun",
    });
  }
  const minimum = compare(first, emptyInWorker.key).vsBare;
  if (minimum != null) {
    report.target({
      target: "for reference, not a target: Bun's own cost of any preload in a Worker (an empty file as the Worker's preload)",
      figure: `1st Worker ${dci(minimum, 2, 1, " ms")} vs bare`,
      met: null,
      note: "what the ≤ +1 ms Worker target leaves for the package's own copy in the Worker",
    });
  }
}

// ---------------------------------------------------------------- inside the process

interface Usage {
  rssKiB: number;
  anonKiB: number;
  fileKiB: number;
  shmemKiB: number;
  threads: number;
}
interface InprocResult {
  entryMicros: number;
  atEntry: Usage;
  beforeGo: Usage;
  afterLoad: Usage;
  apiLoadMicros: number;
  warmupWaitMicros: number | null;
  warmup: { verifyMicros?: number; dlopenMicros?: number; callMicros?: number } | null;
  requireMicros: number;
  setupMicros: number | null;
  firstRoundTripMicros: number | null;
  preload: null | {
    phase: string;
    timings: { installMicros?: number; coreMicros?: number; signalsMicros?: number };
    events: { event: string; atMicros: number }[];
    guarded: { loadMicros: number }[];
    /** The event log after require('asherah'). */
    eventsAfter: { event: string; atMicros: number }[];
  };
}

/** native-load-start → native-load-done of the first guarded load: the load itself, the watchdog, and the wait for its Go runtime. */
function loadAndWait(r: InprocResult): number | undefined {
  const events = r.preload?.eventsAfter ?? [];
  const start = events.find((e) => e.event === "native-load-start");
  const done = events.find((e) => e.event === "native-load-done");
  return start === undefined || done === undefined ? undefined : done.atMicros - start.atMicros;
}

function eventAt(r: InprocResult, name: string): number | undefined {
  return r.preload?.events.find((e) => e.event === name)?.atMicros;
}
function gap(r: InprocResult, from: readonly string[], to: string): number | undefined {
  const b = eventAt(r, to);
  const a = from.map((name) => eventAt(r, name)).find((x) => x !== undefined);
  return a === undefined || b === undefined ? undefined : b - a;
}

function sectionInproc(): void {
  const variants = [...BASELINES, ...chosen(EAGER, LAZY, OFF, DISABLED), ...CANDIDATES];
  const results: Record<string, (InprocResult | undefined)[]> = Object.fromEntries(variants.map((v) => [v.key, []]));
  const hangs: Record<string, number> = Object.fromEntries(variants.map((v) => [v.key, 0]));
  // Without the preload an affected Bun can hang once Go is loaded (when JSC
  // next suspends the thread): a short timeout, and a run that printed its
  // result before hanging still counts.
  const timeoutFor = (v: Variant) => (affected && !v.preload ? 5_000 : TIMEOUT);
  const env = (v: Variant) => cleanEnv({ ...v.env, ABP_API: API_ENTRY, ...(withWarmup(v) ? { ABP_WARMUP: "1" } : {}) });
  const run = (v: Variant) => runChild(command(v, ["inproc.ts"]), { cwd: workdir.dir, env: env(v), timeoutMs: timeoutFor(v) });
  const random = rng(23);
  const started = Date.now();
  for (const v of variants) run(v);
  let rounds = 0;
  while (rounds === 0 || (rounds < plan.inproc.rounds && (Date.now() - started) / 1000 < plan.inproc.budget)) {
    for (const v of shuffle(variants, random)) {
      const result = run(v);
      if (!v.preload && result.timedOut) {
        hangs[v.key]!++;
        results[v.key]!.push(result.stdout.includes("{") ? lastJson<InprocResult>(result, `inproc / ${v.label}`) : undefined);
        continue;
      }
      results[v.key]!.push(lastJson<InprocResult>(check(result, `inproc / ${v.label}`), `inproc / ${v.label}`));
    }
    rounds++;
    progress(`inproc: round ${rounds}/${plan.inproc.rounds}`);
  }
  progressDone(`inproc: ${rounds} rounds in ${((Date.now() - started) / 1000).toFixed(0)} s`);

  const samples = (pick: (r: InprocResult) => number | null | undefined): Samples =>
    Object.fromEntries(variants.map((v) => [v.key, results[v.key]!.map((r) => (r === undefined ? undefined : (pick(r) ?? undefined)))]));
  const preloaded = variants.filter((v) => v.preload);

  print("");
  print(`Inside the process (${rounds} interleaved rounds; µs from Bun.nanoseconds(), which counts from process start)`);
  for (const v of variants) if (hangs[v.key]! > 0) print(`   ${v.label}: ${hangs[v.key]} run(s) hung after loading the Go module (killed after ${timeoutFor(v) / 1000} s; a result printed before is kept)`);
  print("");
  print("The preload's own start-up, from its state (events and timings), µs");
  const own: [string, (r: InprocResult) => number | undefined][] = [
    ["install() starts at", (r) => eventAt(r, "install-start")],
    ["install() total (timings.installMicros)", (r) => r.preload?.timings.installMicros],
    ["  install-start → core-loaded", (r) => gap(r, ["install-start"], "core-loaded")],
    ["    of which loadCore (timings.coreMicros)", (r) => r.preload?.timings.coreMicros],
    ["  protectSignals (timings.signalsMicros)", (r) => r.preload?.timings.signalsMicros],
    ["  signals-protected → warmup-start (thread started)", (r) => gap(r, ["signals-protected"], "warmup-start")],
    ["  last of those → install-done", (r) => gap(r, ["warmup-start", "signals-protected", "core-loaded", "install-start"], "install-done")],
  ];
  print(table(["µs, median [p10–p90]", ...preloaded.map((v) => v.label)], own.map(([label, pick]) => [label, ...preloaded.map((v) => spread(summarize(samples(pick)[v.key]!.filter((x): x is number => x !== undefined)), 0))])));
  print("   eager: locate + load the core, protect signals, start the warmup, then the hooks (process.dlopen, bun:ffi, plugin, Workers).");
  print("   lazy/off on a fixed Bun: the hooks first; the plugin's read of asherah's package.json loads the core (its capped reader) when asherah is installed.");

  const group = (title: string, metrics: readonly [string, (r: InprocResult) => number | null | undefined, number, number][]) => {
    print("");
    print(title);
    const rows: string[][] = [];
    for (const [label, pick, scale, digits] of metrics) {
      const s = samples(pick);
      rows.push([label, "", "", ""]);
      for (const v of variants) {
        const c = compare(s, v.key);
        if (c.value.n === 0) continue;
        // A baseline without this value (e.g. guarded loads) leaves its column empty.
        const dBare = v === BARE || !c.vsBare?.n ? "" : signed(c.vsBare.median * scale, digits);
        const dEmpty = v.preload && c.vsEmpty?.n ? signed(c.vsEmpty.median * scale, digits) : "";
        rows.push([`  ${v.label}`, spread(c.value, digits, scale), dBare, dEmpty]);
      }
    }
    print(table(["", "median [p10–p90]", "Δ bare", "Δ empty"], rows));
  };
  const mib = 1 / 1024;
  group("Start, memory and threads (/proc/self/status); \"before Go\" = after warmup() returned (eager, lazy), before require('asherah')", [
    ["first line of the entry runs at, ms", (r) => r.entryMicros, 1 / 1000, 2],
    ["RSS at the first line, MiB", (r) => r.atEntry.rssKiB, mib, 2],
    ["  of which anonymous, MiB", (r) => r.atEntry.anonKiB, mib, 2],
    ["  of which file-backed, MiB", (r) => r.atEntry.fileKiB, mib, 2],
    ["threads at the first line", (r) => r.atEntry.threads, 1, 0],
    ["api warmup() blocked the JS thread for, ms", (r) => r.warmupWaitMicros, 1 / 1000, 2],
    ["RSS before Go, MiB", (r) => r.beforeGo.rssKiB, mib, 2],
    ["  of which anonymous (heaps, stacks), MiB", (r) => r.beforeGo.anonKiB, mib, 2],
    ["  of which file-backed (code pages, shared with other processes), MiB", (r) => r.beforeGo.fileKiB, mib, 2],
    ["  of which shared memory (the warmup library's verified in-memory copy), MiB", (r) => r.beforeGo.shmemKiB, mib, 2],
    ["threads before Go", (r) => r.beforeGo.threads, 1, 0],
  ]);
  group("Loading the Go module after warmup() returned (warmup excluded), ms", [
    ["require('asherah')", (r) => r.requireMicros, 1 / 1000, 3],
    ["  of which the load guard measured (guarded[0].loadMicros)", (r) => r.preload?.guarded[0]?.loadMicros, 1 / 1000, 3],
    ["    of which the load, the watchdog and the wait for its Go runtime", loadAndWait, 1 / 1000, 3],
    ["    of which the guard's checks before and repair after", (r) => {
      const total = r.preload?.guarded[0]?.loadMicros;
      const inner = loadAndWait(r);
      return total === undefined || inner === undefined ? undefined : total - inner;
    }, 1 / 1000, 3],
    ["setup()", (r) => r.setupMicros, 1 / 1000, 2],
    ["require + setup() (the guard waits for the module's Go runtime; without it setup() does)", (r) => (r.setupMicros === null ? undefined : r.requireMicros + r.setupMicros), 1 / 1000, 2],
    ["first encrypt + decrypt", (r) => r.firstRoundTripMicros, 1 / 1000, 2],
    ["RSS after, MiB", (r) => r.afterLoad.rssKiB, mib, 2],
    ["threads after", (r) => r.afterLoad.threads, 1, 0],
  ]);
  const thread = (pick: (r: InprocResult) => number | undefined) =>
    preloaded.filter(withWarmup).map((v) => `${v.label} ${spread(summarize(samples(pick)[v.key]!.filter((x): x is number => x !== undefined)), 0)}`).join("; ");
  if (preloaded.some(withWarmup)) {
    print(`   the warmup on the core's thread, µs (its own report): verify ${thread((r) => r.warmup?.verifyMicros)}`);
    print(`     map ${thread((r) => r.warmup?.dlopenMicros)}; WarmupGoRuntime() ${thread((r) => r.warmup?.callMicros)}`);
  }

  const named: [string, (r: InprocResult) => number | null | undefined][] = [
    ["entryMicros", (r) => r.entryMicros],
    ["installMicros", (r) => r.preload?.timings.installMicros],
    ["coreMicros", (r) => r.preload?.timings.coreMicros],
    ["signalsMicros", (r) => r.preload?.timings.signalsMicros],
    ["rssKiBAtEntry", (r) => r.atEntry.rssKiB],
    ["threadsAtEntry", (r) => r.atEntry.threads],
    ["warmupWaitMicros", (r) => r.warmupWaitMicros],
    ["rssKiBBeforeGo", (r) => r.beforeGo.rssKiB],
    ["anonKiBBeforeGo", (r) => r.beforeGo.anonKiB],
    ["fileKiBBeforeGo", (r) => r.beforeGo.fileKiB],
    ["shmemKiBBeforeGo", (r) => r.beforeGo.shmemKiB],
    ["anonKiBAtEntry", (r) => r.atEntry.anonKiB],
    ["fileKiBAtEntry", (r) => r.atEntry.fileKiB],
    ["threadsBeforeGo", (r) => r.beforeGo.threads],
    ["requireMicros", (r) => r.requireMicros],
    ["guardMicros", (r) => r.preload?.guarded[0]?.loadMicros],
    ["loadAndWaitMicros", loadAndWait],
    ["setupMicros", (r) => r.setupMicros],
    ["requirePlusSetupMicros", (r) => (r.setupMicros === null ? undefined : r.requireMicros + r.setupMicros)],
    ["firstRoundTripMicros", (r) => r.firstRoundTripMicros],
    ["rssKiBAfterLoad", (r) => r.afterLoad.rssKiB],
    ["warmupVerifyMicros", (r) => r.warmup?.verifyMicros],
    ["warmupDlopenMicros", (r) => r.warmup?.dlopenMicros],
    ["warmupCallMicros", (r) => r.warmup?.callMicros],
  ];
  json.inproc = {
    rounds,
    hangs,
    metrics: Object.fromEntries(named.map(([name, pick]) => [name, Object.fromEntries(variants.map((v) => [v.key, { label: v.label, ...compare(samples(pick), v.key), samples: samples(pick)[v.key] }]))])),
  };

  const rss = samples((r) => r.atEntry.rssKiB);
  const rssBeforeGo = samples((r) => r.beforeGo.rssKiB);
  const req = samples((r) => r.requireMicros);
  for (const v of preloaded) {
    report.summarize(v.label, "+ RSS MiB at start", signed((compare(rss, v.key).vsBare?.median ?? NaN) / 1024, 1));
    report.summarize(v.label, "+ require ms", signed(ms(compare(req, v.key).vsBare?.median), 3));
  }
  if (options.variants.has("eager") && options.variants.has("lazy")) {
    const install = samples((r) => r.preload?.timings.installMicros);
    const d = between(install, EAGER.key, LAZY.key);
    const entry = between(samples((r) => r.entryMicros), EAGER.key, LAZY.key);
    json.eagerMinusLazyInproc = { installMicros: d, entryMicros: entry };
    report.target({
      target: "eager warmup over lazy, on the JS thread (install() time): ≤ +0.5 ms",
      figure: `${dci(d, 2, 1 / 1000, " ms")}; the entry's first line runs ${signed(ms(entry.median))} ms later`,
      met: d.median <= 500,
      note: "per-round difference of status().timings.installMicros, eager − lazy. With asherah installed, lazy loads the core at start too (the plugin reads asherah's package.json through it); eager adds protectSignals, starting the warmup thread, and that thread's competition for the CPU while the hooks install",
    });
    const split = (key: string, pick: (r: InprocResult) => Usage) => {
      const d = (f: (u: Usage) => number) => signed((compare(samples((r) => f(pick(r))), key).vsBare?.median ?? NaN) / 1024);
      return `anonymous ${d((u) => u.anonKiB)}, file-backed ${d((u) => u.fileKiB)}, shared memory ${d((u) => u.shmemKiB)} MiB`;
    };
    const lazyRss = compare(rss, LAZY.key).vsBare!;
    const eagerRss = compare(rssBeforeGo, EAGER.key).vsBare!;
    const eagerRssEntry = compare(rss, EAGER.key).vsBare!;
    const lim = 1.5 * 1024;
    report.target({
      target: "RSS added before any Go module loads, lazy (at the entry's first line): ≤ 1.5 MiB",
      figure: `${dci(lazyRss, 2, 1 / 1024, " MiB")} vs bare (${split(LAZY.key, (r) => r.atEntry)}); ${signed((compare(rss, LAZY.key).vsEmpty?.median ?? NaN) / 1024)} MiB vs empty preload`,
      met: lazyRss.median <= lim,
    });
    report.target({
      target: "RSS added before any Go module loads, eager (after warmup() returned: includes the Go warmup runtime): ≤ 1.5 MiB",
      figure: `${dci(eagerRss, 2, 1 / 1024, " MiB")} vs bare (${split(EAGER.key, (r) => r.beforeGo)}); at the entry's first line (the warmup still in its grace period) ${signed(eagerRssEntry.median / 1024)} MiB`,
      met: eagerRss.median <= lim,
      note: "eager includes the Go runtime the warmup starts (its heap, its threads' stacks); the warmup is the preload's own Go runtime, not the application's",
    });
  }
  if (options.variants.has("eager")) {
    const c = compare(req, EAGER.key);
    const both = compare(samples((r) => (r.setupMicros === null ? undefined : r.requireMicros + r.setupMicros)), EAGER.key);
    const bareOk = (c.vsBare?.n ?? 0) > 0;
    report.target({
      target: "require('asherah') with the preload (eager, after warmup() returned) vs without: ≤ +0.3 ms",
      figure: bareOk
        ? `${dci(c.vsBare ?? undefined, 3, 1 / 1000, " ms")} vs bare; ${signed(ms(c.vsEmpty?.median), 3)} ms vs empty preload; require + setup() ${signed(ms(both.vsBare?.median))} ms vs bare`
        : "bare Bun gave no result (hung)",
      met: bareOk ? (c.vsBare?.median ?? Infinity) <= 300 : null,
      note: "in-process time of the require() call alone. The guard waits for the module's own Go runtime to finish starting (so that it can repair the signals after it); without the preload that wait lands in the first call (setup()): see the require + setup() row",
    });
  }
}

// ---------------------------------------------------------------- step by step

interface StepsResult {
  entryMicros: number;
  marks: [string, number][];
  warmup: { waitAfterStepsMicros: number; verifyMicros: number; dlopenMicros: number; callMicros: number };
  extra: Record<string, number>;
}

function sectionSteps(): void {
  const runs: StepsResult[] = [];
  const env = cleanEnv({ ABP_SRC: join(REPO_ROOT, "src") });
  const run = () => runChild([bun, "steps.ts"], { cwd: workdir.dir, env, timeoutMs: TIMEOUT });
  const started = Date.now();
  run();
  while (runs.length === 0 || (runs.length < plan.steps.rounds && (Date.now() - started) / 1000 < plan.steps.budget)) {
    runs.push(lastJson<StepsResult>(check(run(), "steps probe"), "steps probe"));
    progress(`steps: run ${runs.length}/${plan.steps.rounds}`);
  }
  progressDone(`steps: ${runs.length} runs in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  const first = runs[0]!;
  const steps = first.marks.map(([name], i) => ({ name, micros: summarize(runs.map((r) => r.marks[i]![1])) }));
  const onPath = steps.filter((s) => !s.name.startsWith("("));
  const rows: string[][] = steps.map((s) => [`  ${s.name}`, fmt(s.micros.median, 0), `${fmt(s.micros.p10, 0)}–${fmt(s.micros.p90, 0)}`]);
  rows.push(["  sum of the steps on the start path (no parentheses)", fmt(onPath.reduce((a, s) => a + s.micros.median, 0), 0), ""]);
  const w = (pick: (r: StepsResult) => number) => summarize(runs.map(pick));
  const thread: [string, Summary][] = [
    ["  asked for after the steps and waited for (warmupInfo(true) ends the grace period)", w((r) => r.warmup.waitAfterStepsMicros)],
    ["  on the core's thread: verify (read + sha256 of the warmup library)", w((r) => r.warmup.verifyMicros)],
    ["  on the core's thread: map it (dlopen from the verified descriptor)", w((r) => r.warmup.dlopenMicros)],
    ["  on the core's thread: WarmupGoRuntime() (the Go runtime starts)", w((r) => r.warmup.callMicros)],
  ];
  rows.push(["the warmup thread (off the JS thread in the preload)", "", ""], ...thread.map(([name, s]) => [name, fmt(s.median, 0), `${fmt(s.p10, 0)}–${fmt(s.p90, 0)}`]));
  const extras = Object.keys(first.extra).map((name) => ({ name, micros: summarize(runs.map((r) => r.extra[name]!)) }));
  rows.push(["repeated after the warmup, one at a time", "", ""], ...extras.map((e) => [`  ${e.name}`, fmt(e.micros.median, 0), `${fmt(e.micros.p10, 0)}–${fmt(e.micros.p90, 0)}`]));
  print("");
  print(`Step by step (${runs.length} runs of test/bench/probes/steps.ts without the preload: the functions install() calls in eager mode, one at a time, first use in the process)`);
  print(table(["step", "median µs", "p10–p90"], rows));
  json.steps = {
    runs: runs.length,
    steps,
    warmupThread: Object.fromEntries(thread.map(([name, s]) => [name.trim(), s])),
    extras,
    raw: runs,
  };
}

// ---------------------------------------------------------------- module loading

interface ModulesResult {
  kind: string;
  count: number;
  misplaced: number;
  checksum: number;
  loadMicros: number;
  loadCpuMicros: number;
}

function sectionModules(): void {
  const variants = [...BASELINES, ...chosen(EAGER), ...CANDIDATES];
  const kinds = [
    { key: "esm", label: "2,000 ESM (.mjs), one static import each", dir: workdir.esmDir },
    { key: "cjs", label: "2,000 CJS (.cjs), one require each", dir: workdir.cjsDir },
  ];
  const load: Record<string, Record<string, (number | undefined)[]>> = {};
  const loadCpu: Record<string, Record<string, (number | undefined)[]>> = {};
  const wrong: string[] = [];
  for (const k of kinds) {
    load[k.key] = Object.fromEntries(variants.map((v) => [v.key, []]));
    loadCpu[k.key] = Object.fromEntries(variants.map((v) => [v.key, []]));
  }
  const random = rng(37);
  const started = Date.now();
  const runOne = (k: (typeof kinds)[number], v: Variant) =>
    runChild(command(v, ["modules.ts"]), { cwd: workdir.dir, env: cleanEnv({ ...v.env, ABP_KIND: k.key, ABP_MODS: k.dir }), timeoutMs: 60_000 });
  for (const k of kinds) for (const v of variants) runOne(k, v);
  let rounds = 0;
  while (rounds === 0 || (rounds < plan.modules.rounds && (Date.now() - started) / 1000 < plan.modules.budget)) {
    for (const { k, v } of shuffle(kinds.flatMap((k) => variants.map((v) => ({ k, v }))), random)) {
      const result = check(runOne(k, v), `modules ${k.key} / ${v.label}`);
      const r = lastJson<ModulesResult>(result, `modules ${k.key} / ${v.label}`);
      const correct = r.count === workdir.moduleCount && r.misplaced === 0 && r.checksum === workdir.expectedChecksum;
      if (!correct) wrong.push(`${k.key} / ${v.label}: count ${r.count}, misplaced ${r.misplaced}, checksum ${r.checksum} (expected ${workdir.expectedChecksum})`);
      load[k.key]![v.key]!.push(correct ? r.loadMicros / 1000 : undefined);
      loadCpu[k.key]![v.key]!.push(correct && Number.isFinite(r.loadCpuMicros) ? r.loadCpuMicros / 1000 : undefined);
    }
    rounds++;
    progress(`modules: round ${rounds}/${plan.modules.rounds}`);
  }
  progressDone(`modules: ${rounds} rounds in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  print("");
  print(`Module loading (${rounds} interleaved rounds; in-process time and CPU from import()/require() of the index to its return; results checked against a checksum)`);
  if (wrong.length > 0) {
    print(`   WRONG RESULTS in ${wrong.length} run(s), left out of the figures:`);
    for (const w of [...new Set(wrong)].slice(0, 10)) print(`     ${w}`);
  } else {
    print(`   all ${rounds * kinds.length * variants.length} runs returned the expected checksum ${workdir.expectedChecksum} (2,000 distinct modules, ids in order)`);
  }
  const pct = (d: number | undefined, base: number) => (d === undefined ? "–" : `${signed((d / base) * 100, 1)} %`);
  const out: Record<string, unknown> = {};
  for (const k of kinds) {
    const rows = variants.map((v) => {
      const l = compare(load[k.key]!, v.key);
      const c = compare(loadCpu[k.key]!, v.key);
      const base = l.value.median / l.ratioBare;
      const baseCpu = c.value.median / c.ratioBare;
      return [
        `  ${v.label}`,
        spread(l.value, 1),
        v === BARE ? "" : `${signed(l.vsBare?.median)} (${pct(l.vsBare?.median, base)})`,
        v.preload ? signed(l.vsEmpty?.median) : "",
        spread(c.value, 1),
        v === BARE ? "" : `${signed(c.vsBare?.median)} (${pct(c.vsBare?.median, baseCpu)})`,
      ];
    });
    print(table([k.label, "load ms", "Δ bare", "Δ empty", "load CPU ms", "Δ bare"], rows));
    out[k.key] = Object.fromEntries(variants.map((v) => [v.key, { label: v.label, loadMs: compare(load[k.key]!, v.key), loadCpuMs: compare(loadCpu[k.key]!, v.key) }]));
    if (options.variants.has("eager")) {
      const l = compare(load[k.key]!, EAGER.key);
      report.summarize(EAGER.label, `${k.key.toUpperCase()} load: Δ %`, pct(l.vsBare?.median, l.value.median / l.ratioBare));
    }
  }
  json.modules = { rounds, moduleCount: workdir.moduleCount, expectedChecksum: workdir.expectedChecksum, wrongResults: wrong, kinds: out, raw: { load, loadCpu } };
}

// ---------------------------------------------------------------- throughput

interface ThroughputResult {
  runtime: string;
  encryptPerSecond: number;
  decryptPerSecond: number;
}

function sectionThroughput(): void {
  const runners: { key: string; label: string; cmd: string[] }[] = [{ key: "bun-preload", label: `bun ${options.bunVersion} + preload (eager)`, cmd: command(EAGER, ["throughput.cjs"]) }];
  if (nodeVersion !== undefined) runners.push({ key: "node", label: `node ${nodeVersion}, no preload`, cmd: ["node", "throughput.cjs"] });
  // Without the preload an affected Bun may hang once Go is loaded: not measured there.
  if (!affected) runners.push({ key: "bun", label: `bun ${options.bunVersion}, no preload`, cmd: command(BARE, ["throughput.cjs"]) });
  const results: Record<string, ThroughputResult[]> = Object.fromEntries(runners.map((r) => [r.key, []]));
  const random = rng(41);
  const started = Date.now();
  for (let round = 0; round < plan.throughput.rounds; round++) {
    for (const r of shuffle(runners, random)) {
      const result = check(runChild(r.cmd, { cwd: workdir.dir, env: cleanEnv({ ABP_PHASE_MS: String(plan.throughput.phaseMs) }), timeoutMs: 60_000 }), `throughput / ${r.label}`);
      results[r.key]!.push(lastJson<ThroughputResult>(result, `throughput / ${r.label}`));
    }
    progress(`throughput: round ${round + 1}/${plan.throughput.rounds}`);
  }
  progressDone(`throughput: ${plan.throughput.rounds} rounds in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  print("");
  print(`Throughput sanity (${plan.throughput.rounds} interleaved round(s) of ${plan.throughput.phaseMs} ms per operation; 64-byte payload, session caching on)`);
  if (affected) print(`   Bun ${options.bunVersion} without the preload is not measured: it is an affected release and can hang once Go is loaded.`);
  const best = (key: string, pick: (r: ThroughputResult) => number) => (results[key] === undefined ? undefined : Math.max(...results[key]!.map(pick)));
  const rows: string[][] = [];
  const out: Record<string, unknown> = {};
  for (const r of runners) {
    const enc = summarize(results[r.key]!.map((x) => x.encryptPerSecond));
    const dec = summarize(results[r.key]!.map((x) => x.decryptPerSecond));
    const nodeEnc = best("node", (x) => x.encryptPerSecond);
    const nodeDec = best("node", (x) => x.decryptPerSecond);
    rows.push([r.label, spread(enc, 0), fmt(enc.max, 0), nodeEnc ? times(enc.max / nodeEnc) : "–", spread(dec, 0), fmt(dec.max, 0), nodeDec ? times(dec.max / nodeDec) : "–"]);
    out[r.key] = { label: r.label, encryptPerSecond: enc, decryptPerSecond: dec, raw: results[r.key] };
  }
  print(table(["runtime", "encrypt ops/s", "best", "vs node (best)", "decrypt ops/s", "best", "vs node (best)"], rows));
  print("   On a shared machine other load only lowers throughput, so the best round is the steadier comparison.");
  json.throughput = { rounds: plan.throughput.rounds, phaseMs: plan.throughput.phaseMs, runners: out };
}

// ---------------------------------------------------------------- main

const sections: [Section, () => void][] = [
  ["start", sectionStart],
  ["grace", sectionGrace],
  ["test", sectionTest],
  ["worker", sectionWorker],
  ["inproc", sectionInproc],
  ["layers", sectionLayers],
  ["steps", sectionSteps],
  ["modules", sectionModules],
  ["throughput", sectionThroughput],
];
for (const [name, fn] of sections) if (options.only.has(name)) fn();

report.printSummary(["Summary: each preload variant against bare Bun and the empty preload (medians of per-round differences; × = ratio of medians)"]);
report.printTargets();
const loadAfter = loadavg();
const seconds = (Date.now() - runStarted) / 1000;
print("");
print(`Run took ${seconds.toFixed(0)} s; load average before ${loadBefore.map((l) => l.toFixed(2)).join(" ")}, after ${loadAfter.map((l) => l.toFixed(2)).join(" ")}.`);

mkdirSync(dirname(options.out), { recursive: true });
writeFileSync(
  options.out,
  JSON.stringify(
    {
      meta: {
        date: new Date(runStarted).toISOString(),
        seconds,
        bunVersion: options.bunVersion,
        bunBinary: bun,
        pinned,
        affected,
        nodeVersion,
        gitRevision,
        platform: `${process.platform}-${process.arch}`,
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model,
        loadBefore,
        loadAfter,
        quick: options.quick,
        scale: options.scale,
        preloadEntry: PRELOAD_ENTRY,
        bundleBytes,
        candidates: options.candidates,
        plan,
        libraries,
      },
      targets: report.targets.map((t) => ({ ...t, status: Report.status(t) })),
      ...json,
      report: report.lines.join("\n"),
    },
    (_key, value) => (typeof value === "number" && !Number.isInteger(value) ? Math.round(value * 1000) / 1000 : value),
    1,
  ) + "\n",
);
console.log(`\nJSON: ${options.out}`);
