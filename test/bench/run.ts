// `npm run bench`: what asherah-bun-preload costs, each figure measured side
// by side with its baseline in the same run (interleaved rounds in shuffled
// order, medians with p10–p90, per-round differences, wall and CPU time).
//
//   bun test/bench/run.ts [--quick] [--bun <version>] [--only <sections>]
//                         [--candidate <label>=<preload entry>]... [--scale <x>] [--out <file>]
//
//   --quick        ~30 s instead of ~3 min (fewer rounds; figures are rougher)
//   --bun <v>      measure another Bun release (e.g. 1.2.19, where the preload repairs)
//   --only <list>  comma-separated subset of: start,inproc,steps,modules,throughput
//   --candidate    an alternative preload entry (e.g. a bundled or patched copy
//                  of src/ in /tmp) measured in eager mode next to the real one
//   --variants <l> comma-separated subset of eager,lazy,off,disabled to measure
//                  next to the baseline (default: all; "none" for candidates only)
//   --scale <x>    multiply every round count and time budget by x
//   --out <file>   JSON destination (default test/bench/results/latest.json)
//
// Sections: 1 process start, 2+3 inside the process (preload timings, Go
// module load, RSS and threads), 2b step-by-step breakdown of the preload's
// start-up, 4 loading 2,000 generated modules, 5 encrypt/decrypt throughput.
// Targets are reported as met / not met, never asserted.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { isAffected } from "../../src/bun-version.ts";
import { bunBinary, pinnedBunVersion, REPO_ROOT } from "../support/bun-versions.ts";
import { cleanEnv, lastJson, runChild, type ChildResult } from "./lib/child.ts";
import { pairedDelta, rng, shuffle, summarize, type DeltaSummary, type Summary } from "./lib/stats.ts";
import { createWorkdir, type Workdir } from "./lib/workdir.ts";

// ---------------------------------------------------------------- options

const SECTIONS = ["start", "inproc", "steps", "modules", "throughput"] as const;
type Section = (typeof SECTIONS)[number];

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
  console.error("usage: bun test/bench/run.ts [--quick] [--bun <version>] [--only start,inproc,steps,modules,throughput] [--candidate <label>=<entry>] [--variants eager,lazy,off,disabled] [--scale <x>] [--out <file>]");
  process.exit(2);
}

function parseOptions(argv: readonly string[]): Options {
  const options: Options = {
    quick: false,
    bunVersion: pinnedBunVersion(),
    only: new Set(SECTIONS),
    candidates: [],
    variants: new Set(["eager", "lazy", "off", "disabled"]),
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
        for (const name of names) if (!["eager", "lazy", "off", "disabled"].includes(name)) usage(`unknown variant ${JSON.stringify(name)}`);
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
// What users run: the bundle package.json "exports" point at (npm run bench builds it first).
const PRELOAD_ENTRY = join(REPO_ROOT, "dist", "index.js");
const bun = bunBinary(options.bunVersion);
const pinned = options.bunVersion === pinnedBunVersion();
const affected = isAffected(options.bunVersion, process.platform);
const fixture = join(REPO_ROOT, "test", "fixtures", "build", "node_modules", "asherah");
if (!existsSync(join(fixture, "dist", "asherah.node"))) {
  console.error(`bench: the asherah fixture is missing (${fixture}); run: node test/fixtures/build.mjs`);
  process.exit(1);
}
const arch = process.arch === "arm64" ? "arm64" : "x64";
const warmupLibrary = join(REPO_ROOT, "prebuilds", `linux-${arch}`, "asherah-bun-warmup.so");
const signalsLibrary = join(REPO_ROOT, "prebuilds", `linux-${arch}`, "asherah-bun-signals.so");

// Round counts and time budgets (seconds): whichever ends first.
const plan = {
  start: { rounds: options.quick ? 50 : 200, budget: options.quick ? 12 : 70 },
  inproc: { rounds: options.quick ? 15 : 60, budget: options.quick ? 5 : 30 },
  steps: { rounds: options.quick ? 10 : 30, budget: options.quick ? 2 : 8 },
  modules: { rounds: options.quick ? 8 : 40, budget: options.quick ? 6 : 40 },
  throughput: { rounds: options.quick ? 1 : 5, phaseMs: options.quick ? 300 : 500 },
};
for (const section of Object.values(plan)) {
  if ("budget" in section) section.budget *= options.scale;
  section.rounds = Math.max(1, Math.round(section.rounds * options.scale));
}

// ---------------------------------------------------------------- variants

interface Variant {
  readonly key: string;
  readonly label: string;
  /** The --preload entry, or undefined for the baseline. */
  readonly entry: string | undefined;
  readonly env: Record<string, string>;
}

const BASE: Variant = { key: "base", label: "no preload (baseline)", entry: undefined, env: {} };
const EAGER: Variant = { key: "eager", label: "preload, eager (default)", entry: PRELOAD_ENTRY, env: {} };
const LAZY: Variant = { key: "lazy", label: "preload, lazy", entry: PRELOAD_ENTRY, env: { ASHERAH_BUN_PRELOAD_WARMUP: "lazy" } };
const OFF: Variant = { key: "off", label: "preload, off", entry: PRELOAD_ENTRY, env: { ASHERAH_BUN_PRELOAD_WARMUP: "off" } };
const DISABLED: Variant = { key: "disabled", label: "preload, DISABLE=1 (module graph only)", entry: PRELOAD_ENTRY, env: { ASHERAH_BUN_PRELOAD_DISABLE: "1" } };
const chosen = (...vs: Variant[]) => vs.filter((v) => options.variants.has(v.key));
const CANDIDATES: Variant[] = options.candidates.map((c, i) => ({ key: `candidate${i + 1}`, label: `candidate ${c.label}, eager`, entry: c.entry, env: {} }));

function command(variant: Variant, args: readonly string[]): string[] {
  return [bun, ...(variant.entry === undefined ? [] : ["--preload", variant.entry]), ...args];
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

const fmt = (value: number | undefined, digits = 2): string => (value === undefined || !Number.isFinite(value) ? "–" : value.toFixed(digits));
const signed = (value: number | undefined, digits = 2): string =>
  value === undefined || !Number.isFinite(value) ? "–" : `${value >= 0 ? "+" : ""}${value.toFixed(digits)}`;
const spread = (s: Summary | undefined, digits = 2, scale = 1): string =>
  s === undefined || s.n === 0 ? "–" : `${fmt(s.median * scale, digits)} [${fmt(s.p10 * scale, digits)}–${fmt(s.p90 * scale, digits)}]`;
const dspread = (s: DeltaSummary | undefined, digits = 2, scale = 1): string =>
  s === undefined || s.n === 0 ? "–" : `${signed(s.median * scale, digits)} [${signed(s.p10 * scale, digits)}…${signed(s.p90 * scale, digits)}]`;

function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (cells: readonly string[]) => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ").trimEnd();
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

const report: string[] = [];
function print(text = ""): void {
  report.push(text);
  console.log(text);
}

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
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "src", "prebuilds"], { cwd: REPO_ROOT, encoding: "utf8" }).trim() !== "";
    return `${head}${dirty ? " + uncommitted changes in src/ or prebuilds/" : ""}`;
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

const json: Record<string, unknown> = {};
/** One row per preload variant for the closing summary: label → column → text. */
const summaryRows = new Map<string, Record<string, string>>();
function addSummary(variant: Variant, column: string, text: string): void {
  const row = summaryRows.get(variant.label) ?? {};
  row[column] = text;
  summaryRows.set(variant.label, row);
}
type TargetStatus = "met" | "NOT MET" | "inconclusive" | "n/a";
const targets: { target: string; figure: string; met: boolean | null; status?: TargetStatus; note?: string }[] = [];
const statusOf = (t: { met: boolean | null; status?: TargetStatus }): TargetStatus => t.status ?? (t.met === null ? "n/a" : t.met ? "met" : "NOT MET");

print(
  `asherah-bun-preload benchmark: Bun ${options.bunVersion}${pinned ? " (pinned)" : ""}${affected ? " (affected release: the preload repairs signals)" : ""}, ` +
    `${nodeVersion ? `Node ${nodeVersion}, ` : ""}${process.platform}-${process.arch}, ${cpus().length} CPUs, load ${loadBefore.map((l) => l.toFixed(2)).join(" ")}` +
    `${options.quick ? ", --quick" : ""}`,
);
const warmupBytes = statSync(warmupLibrary).size;
const signalsBytes = statSync(signalsLibrary).size;
print(`Native libraries: ${warmupLibrary.slice(REPO_ROOT.length + 1)} ${warmupBytes.toLocaleString("en-US")} B (${(warmupBytes / 1048576).toFixed(2)} MiB), ` +
  `${signalsLibrary.slice(REPO_ROOT.length + 1)} ${signalsBytes.toLocaleString("en-US")} B`);
if (gitRevision !== undefined) print(`Measured tree: ${gitRevision}`);
print("Figures: median [p10–p90] over interleaved rounds; Δ = median [p10…p90] of per-round differences against the baseline of the same round.");

// ---------------------------------------------------------------- 1. process start

interface StartSample {
  wallMs: number;
  cpuMs: number;
}

function sectionStart(): void {
  const workloads = [
    { key: "bun-e-0", label: "bun -e 0", args: ["-e", "0"], expect: "" },
    { key: "app", label: "small app", args: ["app/main.ts"], expect: "hello from bench-app 10" },
  ];
  const variants = [BASE, ...chosen(EAGER, LAZY, OFF, DISABLED), ...CANDIDATES];
  const samples: Record<string, Record<string, StartSample[]>> = {};
  for (const w of workloads) samples[w.key] = Object.fromEntries(variants.map((v) => [v.key, []]));
  const random = rng(11);
  const started = Date.now();
  // One untimed pass: page cache, transpiler, first-run effects.
  for (const w of workloads) for (const v of variants) runChild(command(v, w.args), { cwd: workdir.dir, env: cleanEnv(v.env), timeoutMs: TIMEOUT });
  let rounds = 0;
  while (rounds < plan.start.rounds && (Date.now() - started) / 1000 < plan.start.budget) {
    for (const { w, v } of shuffle(workloads.flatMap((w) => variants.map((v) => ({ w, v }))), random)) {
      const result = check(runChild(command(v, w.args), { cwd: workdir.dir, env: cleanEnv(v.env), timeoutMs: TIMEOUT }), `${w.label} / ${v.label}`);
      if (result.stdout.trim() !== w.expect) throw new Error(`${w.label} / ${v.label}: unexpected output ${JSON.stringify(result.stdout)}`);
      samples[w.key]![v.key]!.push({ wallMs: result.wallMs, cpuMs: result.cpuMs });
    }
    rounds++;
    progress(`1. process start: round ${rounds}/${plan.start.rounds}`);
  }
  progressDone(`1. process start: ${rounds} rounds in ${((Date.now() - started) / 1000).toFixed(0)} s`);

  print("");
  print(`1. Process start (${rounds} interleaved rounds; wall time seen by the parent, CPU = user+sys of the child)`);
  const rows: string[][] = [];
  const out: Record<string, unknown> = {};
  for (const w of workloads) {
    const base = samples[w.key]!.base!;
    const baseWall = summarize(base.map((s) => s.wallMs));
    const baseCpu = summarize(base.map((s) => s.cpuMs));
    const perVariant: Record<string, unknown> = {};
    for (const v of variants) {
      const mine = samples[w.key]![v.key]!;
      const wall = summarize(mine.map((s) => s.wallMs));
      const cpu = summarize(mine.map((s) => s.cpuMs));
      const dWall = pairedDelta(mine.map((s) => s.wallMs), base.map((s) => s.wallMs));
      const dCpu = pairedDelta(mine.map((s) => s.cpuMs), base.map((s) => s.cpuMs));
      const ratio = wall.median / baseWall.median;
      const cpuRatio = cpu.median / baseCpu.median;
      const isBase = v === BASE;
      rows.push([
        `${w.label}: ${v.label}`,
        spread(wall),
        isBase ? "" : dspread(dWall),
        isBase ? "" : `${ratio.toFixed(2)}×`,
        spread(cpu),
        isBase ? "" : dspread(dCpu),
        isBase ? "" : `${cpuRatio.toFixed(2)}×`,
      ]);
      if (!isBase) {
        addSummary(v, `${w.label}: + wall ms`, signed(dWall.median));
        addSummary(v, `${w.label}: + CPU ms`, signed(dCpu.median));
      }
      perVariant[v.key] = { label: v.label, wallMs: wall, cpuMs: cpu, deltaWallMs: isBase ? null : dWall, deltaCpuMs: isBase ? null : dCpu, ratioWall: ratio, ratioCpu: cpuRatio, samples: { wallMs: mine.map((x) => x.wallMs), cpuMs: mine.map((x) => x.cpuMs) } };
    }
    out[w.key] = { label: w.label, args: w.args, variants: perVariant };
  }
  print(table(["workload: variant", "wall ms", "Δ wall ms", "ratio", "CPU ms", "Δ CPU ms", "ratio"], rows));
  json.start = { rounds, workloads: out };

  type Row = { deltaWallMs: DeltaSummary; deltaCpuMs: DeltaSummary; ratioWall: number; ratioCpu: number };
  const bare = out["bun-e-0"] as { variants: Record<string, Row | undefined> };
  const eager = bare.variants.eager;
  if (eager !== undefined) {
    targets.push({
      target: "default (eager) adds ≤ 1 ms median to bare `bun -e 0`",
      figure: `wall ${signed(eager.deltaWallMs.median)} ms, CPU ${signed(eager.deltaCpuMs.median)} ms`,
      met: eager.deltaWallMs.median <= 1 && eager.deltaCpuMs.median <= 1,
      note: "met when both the wall and the CPU difference are within the target",
    });
    targets.push({
      target: "default (eager) adds ≤ 2 % to bare `bun -e 0`",
      figure: `wall ${signed((eager.ratioWall - 1) * 100, 1)} %, CPU ${signed((eager.ratioCpu - 1) * 100, 1)} %`,
      met: eager.ratioWall - 1 <= 0.02 && eager.ratioCpu - 1 <= 0.02,
      note: "met when both the wall and the CPU ratio are within the target",
    });
  }
  const contains0 = (d: DeltaSummary) => d.ciLow <= 0 && d.ciHigh >= 0;
  for (const w of workloads) {
    const lazy = (out[w.key] as typeof bare).variants.lazy;
    if (lazy === undefined) continue;
    targets.push({
      target: `lazy within noise for a process that never loads Go (${w.label})`,
      figure: `wall ${signed(lazy.deltaWallMs.median)} ms (95 % CI ${signed(lazy.deltaWallMs.ciLow)}…${signed(lazy.deltaWallMs.ciHigh)}), CPU ${signed(lazy.deltaCpuMs.median)} ms (${signed(lazy.deltaCpuMs.ciLow)}…${signed(lazy.deltaCpuMs.ciHigh)})`,
      met: rounds >= 10 ? contains0(lazy.deltaWallMs) && contains0(lazy.deltaCpuMs) : null,
      note: "within noise = the bootstrap 95 % intervals of the median per-round wall and CPU differences both contain 0 (needs ≥ 10 rounds)",
    });
  }
}

// ---------------------------------------------------------------- 2 + 3. inside the process

interface InprocResult {
  entryMicros: number;
  atEntry: { rssKiB: number; threads: number };
  afterLoad: { rssKiB: number; threads: number };
  requireMicros: number;
  setupMicros: number;
  firstRoundTripMicros: number;
  loadToFirstResultMicros: number;
  preload: null | {
    phase: string;
    timings: { installMicros?: number; signalsMicros?: number };
    warmup: { status: string; dlopenMicros?: number; callMicros?: number };
    events: { event: string; atMicros: number }[];
    eventsAfter: { event: string; atMicros: number }[];
    guarded: { loadMicros: number }[];
    repairs: { signal: string }[];
  };
}

function eventAt(events: readonly { event: string; atMicros: number }[], name: string): number | undefined {
  return events.find((e) => e.event === name)?.atMicros;
}

function sectionInproc(): void {
  const variants = [BASE, ...chosen(EAGER, LAZY, OFF, DISABLED), ...CANDIDATES];
  const results: Record<string, (InprocResult | undefined)[]> = Object.fromEntries(variants.map((v) => [v.key, []]));
  const hangs: Record<string, number> = Object.fromEntries(variants.map((v) => [v.key, 0]));
  const random = rng(23);
  const started = Date.now();
  for (const v of variants) runChild(command(v, ["inproc.ts"]), { cwd: workdir.dir, env: cleanEnv(v.env), timeoutMs: TIMEOUT });
  let rounds = 0;
  while (rounds < plan.inproc.rounds && (Date.now() - started) / 1000 < plan.inproc.budget) {
    for (const v of shuffle(variants, random)) {
      if (hangs[v.key]! > 0) {
        // Without the preload an affected Bun can hang once Go is loaded; one hang is the answer.
        results[v.key]!.push(undefined);
        continue;
      }
      const result = runChild(command(v, ["inproc.ts"]), { cwd: workdir.dir, env: cleanEnv(v.env), timeoutMs: TIMEOUT });
      if (result.timedOut && v === BASE) {
        hangs[v.key]!++;
        results[v.key]!.push(undefined);
        continue;
      }
      results[v.key]!.push(lastJson<InprocResult>(check(result, `inproc / ${v.label}`), `inproc / ${v.label}`));
    }
    rounds++;
    progress(`2. inside the process: round ${rounds}/${plan.inproc.rounds}`);
  }
  progressDone(`2. inside the process: ${rounds} rounds in ${((Date.now() - started) / 1000).toFixed(0)} s`);

  const col = (key: string, pick: (r: InprocResult) => number | undefined) => results[key]!.map((r) => (r === undefined ? undefined : pick(r)));
  const sum = (key: string, pick: (r: InprocResult) => number | undefined) => summarize(col(key, pick).filter((x): x is number => x !== undefined));
  const delta = (key: string, pick: (r: InprocResult) => number | undefined) => pairedDelta(col(key, pick), col("base", pick));

  print("");
  print(`2. Inside the process (${rounds} interleaved rounds; µs from Bun.nanoseconds(), which counts from process start)`);
  if (hangs.base! > 0) print(`   baseline (no preload) HUNG loading the Go module (killed after ${TIMEOUT / 1000} s); its columns are empty.`);
  const preloadVariants = variants.filter((v) => v !== BASE);
  const rows: string[][] = [];
  const step = (label: string, pick: (r: InprocResult) => number | undefined) => {
    rows.push([label, ...preloadVariants.map((v) => spread(sum(v.key, pick), 0))]);
  };
  const p = (r: InprocResult) => r.preload;
  step("first line of the entry runs at", (r) => r.entryMicros);
  step("preload install() starts at", (r) => eventAt(p(r)?.events ?? [], "install-start"));
  step("install() total", (r) => p(r)?.timings.installMicros);
  step("  signals: verify + dlopen + snapshot", (r) => p(r)?.timings.signalsMicros);
  step("  warmup: verify (sha256)", (r) => {
    const ev = p(r)?.events ?? [];
    const a = eventAt(ev, "signals-snapshot");
    const b = eventAt(ev, "warmup-start");
    return a === undefined || b === undefined ? undefined : b - a;
  });
  step("  warmup: dlopen", (r) => p(r)?.warmup.dlopenMicros);
  step("  warmup: WarmupGoRuntime() call", (r) => p(r)?.warmup.callMicros);
  step("  signal repair after warmup", (r) => {
    const ev = p(r)?.events ?? [];
    const a = eventAt(ev, "warmup-done");
    const b = eventAt(ev, "signals-repaired");
    return a === undefined || b === undefined ? undefined : b - a;
  });
  step("  hooks, plugin, workers", (r) => {
    const ev = p(r)?.events ?? [];
    const a = eventAt(ev, "signals-repaired") ?? eventAt(ev, "install-start");
    const b = eventAt(ev, "install-done");
    return a === undefined || b === undefined ? undefined : b - a;
  });
  print(table(["µs, median [p10–p90]", ...preloadVariants.map((v) => v.label)], rows));

  print("");
  print("Loading the Go module (require('asherah') → setup → first encrypt+decrypt), µs; Δ against the baseline of the same round");
  const loadRows: string[][] = [];
  const loadMetrics: [string, (r: InprocResult) => number | undefined][] = [
    ["entry reached (process start → first line)", (r) => r.entryMicros],
    ["require('asherah')", (r) => r.requireMicros],
    ["  of which the load hook measured (guarded[].loadMicros)", (r) => p(r)?.guarded[0]?.loadMicros],
    ["setup()", (r) => r.setupMicros],
    ["first encrypt + decrypt", (r) => r.firstRoundTripMicros],
    ["require → first result", (r) => r.loadToFirstResultMicros],
  ];
  for (const [label, pick] of loadMetrics) {
    loadRows.push([label, spread(sum("base", pick), 0), ...preloadVariants.map((v) => `${fmt(sum(v.key, pick).median, 0)} (Δ ${signed(delta(v.key, pick).median, 0)})`)]);
  }
  print(table(["µs", BASE.label, ...preloadVariants.map((v) => v.label)], loadRows));

  print("");
  print("3. Memory and threads (/proc/self/status), median; Δ per round against the baseline");
  const memRows: string[][] = [];
  const memMetrics: [string, (r: InprocResult) => number, number, number][] = [
    ["RSS at first line, MiB", (r) => r.atEntry.rssKiB, 1 / 1024, 2],
    ["threads at first line", (r) => r.atEntry.threads, 1, 0],
    ["RSS after loading the Go module, MiB", (r) => r.afterLoad.rssKiB, 1 / 1024, 2],
    ["threads after loading the Go module", (r) => r.afterLoad.threads, 1, 0],
  ];
  for (const [label, pick, scale, digits] of memMetrics) {
    memRows.push([
      label,
      fmt(sum("base", pick).median * scale, digits),
      ...preloadVariants.map((v) => `${fmt(sum(v.key, pick).median * scale, digits)} (Δ ${signed(delta(v.key, pick).median * scale, digits)})`),
    ]);
  }
  print(table(["", BASE.label, ...preloadVariants.map((v) => v.label)], memRows));

  const summaries: Record<string, unknown> = {};
  const metricsForJson: [string, (r: InprocResult) => number | undefined][] = [
    ...loadMetrics,
    ["installMicros", (r) => p(r)?.timings.installMicros],
    ["signalsMicros", (r) => p(r)?.timings.signalsMicros],
    ["warmupDlopenMicros", (r) => p(r)?.warmup.dlopenMicros],
    ["warmupCallMicros", (r) => p(r)?.warmup.callMicros],
    ["installStartAtMicros", (r) => eventAt(p(r)?.events ?? [], "install-start")],
    ["rssKiBAtEntry", (r) => r.atEntry.rssKiB],
    ["threadsAtEntry", (r) => r.atEntry.threads],
    ["rssKiBAfterLoad", (r) => r.afterLoad.rssKiB],
    ["threadsAfterLoad", (r) => r.afterLoad.threads],
  ];
  for (const v of variants) {
    summaries[v.key] = {
      label: v.label,
      hangs: hangs[v.key],
      metrics: Object.fromEntries(metricsForJson.map(([name, pick]) => [name, { value: sum(v.key, pick), delta: v === BASE ? null : delta(v.key, pick) }])),
    };
  }
  // Raw values per variant, one array per metric, one entry per round (null: hung or not run).
  const raw = Object.fromEntries(
    variants.map((v) => [v.key, Object.fromEntries(metricsForJson.map(([name, pick]) => [name, col(v.key, pick).map((x) => x ?? null)]))]),
  );
  json.inproc = { rounds, variants: summaries, raw };
  for (const v of preloadVariants) {
    addSummary(v, "+ RSS MiB", signed(delta(v.key, (r) => r.atEntry.rssKiB).median / 1024, 1));
    addSummary(v, "+ threads", signed(delta(v.key, (r) => r.atEntry.threads).median, 0));
    addSummary(v, "Go load: + ms", hangs.base! > 0 ? "base hung" : signed(delta(v.key, (r) => r.loadToFirstResultMicros).median / 1000, 1));
  }

  if (!options.variants.has("eager") || !options.variants.has("lazy")) return;
  const rssEager = delta("eager", (r) => r.atEntry.rssKiB);
  const rssLazy = delta("lazy", (r) => r.atEntry.rssKiB);
  targets.push({ target: "added RSS ≤ 4 MiB, default (eager), after start", figure: `${signed(rssEager.median / 1024)} MiB`, met: hangs.base === 0 ? rssEager.median <= 4096 : null });
  targets.push({
    target: "added RSS 0, lazy, after start",
    figure: `${signed(rssLazy.median / 1024)} MiB, 95 % CI ${signed(rssLazy.ciLow / 1024)}…${signed(rssLazy.ciHigh / 1024)}`,
    met: hangs.base === 0 ? rssLazy.ciLow <= 0 : null,
    note: "met when the 95 % interval of the median difference reaches 0 or below",
  });
}

// ---------------------------------------------------------------- 2b. step-by-step breakdown

function sectionSteps(): void {
  const runs: { marks: [string, number][]; extra: Record<string, number>; entryMicros: number; modules: string[]; missing: string[] }[] = [];
  const started = Date.now();
  const probe = join(workdir.dir, "steps.ts");
  runChild([bun, probe], { cwd: workdir.dir, env: cleanEnv({ ABP_SRC: join(REPO_ROOT, "src") }), timeoutMs: TIMEOUT });
  while (runs.length < plan.steps.rounds && (Date.now() - started) / 1000 < plan.steps.budget) {
    const result = check(runChild([bun, probe], { cwd: workdir.dir, env: cleanEnv({ ABP_SRC: join(REPO_ROOT, "src") }), timeoutMs: TIMEOUT }), "steps probe");
    runs.push(lastJson(result, "steps probe"));
    progress(`2b. breakdown: run ${runs.length}/${plan.steps.rounds}`);
  }
  progressDone(`2b. breakdown: ${runs.length} runs in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  const names = runs[0]!.marks.map(([name]) => name);
  const steps = names.map((name, i) => ({ name, micros: summarize(runs.map((r) => r.marks[i]![1])) }));
  const groups = [
    { label: "builtins src/ imports (first use in the process)", match: (n: string) => n.startsWith("builtin ") },
    { label: `src/*.ts modules (${runs[0]!.modules.length}; resolve + read + transpile + evaluate, one import() each)`, match: (n: string) => n.startsWith("module ") },
    { label: "install() steps, eager", match: (n: string) => !n.startsWith("builtin ") && !n.startsWith("module ") && !n.startsWith("(") },
  ];
  print("");
  print(`2b. Where the eager start-up goes (${runs.length} runs of test/bench/probes/steps.ts: the same builtins, modules and functions install() uses, timed one by one)`);
  const rows: string[][] = [];
  for (const g of groups) {
    const members = steps.filter((s) => g.match(s.name));
    const total = members.reduce((acc, s) => acc + s.micros.median, 0);
    rows.push([g.label, fmt(total, 0), ""]);
    for (const s of members) rows.push([`  ${s.name}`, fmt(s.micros.median, 0), `${fmt(s.micros.p10, 0)}–${fmt(s.micros.p90, 0)}`]);
  }
  const extras = Object.keys(runs[0]!.extra).map((k) => ({ name: k, micros: summarize(runs.map((r) => r.extra[k]!)) }));
  rows.push(["side experiments (same process, after the steps)", "", ""]);
  for (const e of extras) rows.push([`  ${e.name}`, fmt(e.micros.median, 0), `${fmt(e.micros.p10, 0)}–${fmt(e.micros.p90, 0)}`]);
  print(table(["step", "median µs", "p10–p90"], rows));
  if (runs[0]!.missing.length > 0) print(`   not in src/ any more (skipped): ${runs[0]!.missing.join(", ")}`);
  json.steps = {
    runs: runs.length,
    modules: runs[0]!.modules,
    missing: runs[0]!.missing,
    steps,
    extras,
    raw: Object.fromEntries([...names.map((name, i) => [name, runs.map((r) => r.marks[i]![1])]), ...extras.map((e) => [e.name, runs.map((r) => r.extra[e.name])])]),
  };
}

// ---------------------------------------------------------------- 4. module loading

interface ModulesResult {
  kind: string;
  count: number;
  misplaced: number;
  checksum: number;
  loadMicros: number;
  loadCpuMicros: number;
}

function sectionModules(): void {
  const variants = [BASE, ...chosen(EAGER), ...CANDIDATES];
  const kinds = [
    { key: "esm", label: "2,000 ESM (.mjs), one static import each", dir: workdir.esmDir },
    { key: "cjs", label: "2,000 CJS (.cjs), one require each", dir: workdir.cjsDir },
  ];
  const load: Record<string, Record<string, (number | undefined)[]>> = {};
  const loadCpu: Record<string, Record<string, (number | undefined)[]>> = {};
  const wall: Record<string, Record<string, (number | undefined)[]>> = {};
  const cpu: Record<string, Record<string, (number | undefined)[]>> = {};
  const wrong: string[] = [];
  for (const k of kinds) {
    load[k.key] = Object.fromEntries(variants.map((v) => [v.key, []]));
    loadCpu[k.key] = Object.fromEntries(variants.map((v) => [v.key, []]));
    wall[k.key] = Object.fromEntries(variants.map((v) => [v.key, []]));
    cpu[k.key] = Object.fromEntries(variants.map((v) => [v.key, []]));
  }
  const random = rng(37);
  const started = Date.now();
  const runOne = (k: (typeof kinds)[number], v: Variant) =>
    runChild(command(v, ["modules.ts"]), { cwd: workdir.dir, env: cleanEnv({ ...v.env, ABP_KIND: k.key, ABP_MODS: k.dir }), timeoutMs: 60_000 });
  for (const k of kinds) for (const v of variants) runOne(k, v);
  let rounds = 0;
  while (rounds < plan.modules.rounds && (Date.now() - started) / 1000 < plan.modules.budget) {
    for (const { k, v } of shuffle(kinds.flatMap((k) => variants.map((v) => ({ k, v }))), random)) {
      const result = check(runOne(k, v), `modules ${k.key} / ${v.label}`);
      const r = lastJson<ModulesResult>(result, `modules ${k.key} / ${v.label}`);
      const correct = r.count === workdir.moduleCount && r.misplaced === 0 && r.checksum === workdir.expectedChecksum;
      if (!correct) {
        wrong.push(`${k.key} / ${v.label}: count ${r.count}, misplaced ${r.misplaced}, checksum ${r.checksum} (expected ${workdir.expectedChecksum})`);
      }
      load[k.key]![v.key]!.push(correct ? r.loadMicros : undefined);
      loadCpu[k.key]![v.key]!.push(correct && Number.isFinite(r.loadCpuMicros) ? r.loadCpuMicros : undefined);
      wall[k.key]![v.key]!.push(correct ? result.wallMs : undefined);
      cpu[k.key]![v.key]!.push(correct ? result.cpuMs : undefined);
    }
    rounds++;
    progress(`4. module loading: round ${rounds}/${plan.modules.rounds}`);
  }
  progressDone(`4. module loading: ${rounds} rounds in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  print("");
  print(`4. Module loading (${rounds} interleaved rounds; load = in-process time and CPU from import()/require() of the index to its return; results checked against a checksum)`);
  if (wrong.length > 0) {
    print(`   WRONG RESULTS in ${wrong.length} run(s), excluded from the figures:`);
    for (const w of [...new Set(wrong)].slice(0, 10)) print(`     ${w}`);
  } else {
    print(`   all ${rounds * kinds.length * variants.length} runs returned the expected checksum ${workdir.expectedChecksum} (2,000 distinct modules, ids in order)`);
  }
  const rows: string[][] = [];
  const out: Record<string, unknown> = {};
  for (const k of kinds) {
    const perVariant: Record<string, unknown> = {};
    for (const v of variants) {
      const nums = (xs: (number | undefined)[]) => xs.filter((x): x is number => x !== undefined);
      const l = summarize(nums(load[k.key]![v.key]!));
      const lc = summarize(nums(loadCpu[k.key]![v.key]!));
      const w = summarize(nums(wall[k.key]![v.key]!));
      const c = summarize(nums(cpu[k.key]![v.key]!));
      const dl = pairedDelta(load[k.key]![v.key]!, load[k.key]!.base!);
      const dlc = pairedDelta(loadCpu[k.key]![v.key]!, loadCpu[k.key]!.base!);
      const dw = pairedDelta(wall[k.key]![v.key]!, wall[k.key]!.base!);
      const baseLoad = summarize(nums(load[k.key]!.base!)).median;
      const baseLoadCpu = summarize(nums(loadCpu[k.key]!.base!)).median;
      // Relative to the baseline's median, from the per-round differences (robust to a bimodal spread).
      const overhead = dl.median / baseLoad;
      const overheadCpu = dlc.median / baseLoadCpu;
      const isBase = v === BASE;
      rows.push([
        `${k.label}: ${v.label}`,
        spread(l, 1, 1 / 1000),
        isBase ? "" : `${signed(dl.median / 1000, 2)} (${signed(overhead * 100, 1)} %)`,
        spread(lc, 1, 1 / 1000),
        isBase ? "" : `${signed(dlc.median / 1000, 2)} (${signed(overheadCpu * 100, 1)} %)`,
        spread(w, 1),
        isBase ? "" : signed(dw.median, 1),
        spread(c, 1),
      ]);
      perVariant[v.key] = {
        label: v.label,
        loadMicros: l,
        deltaLoadMicros: isBase ? null : dl,
        overhead: isBase ? null : overhead,
        loadCpuMicros: lc,
        deltaLoadCpuMicros: isBase ? null : dlc,
        overheadCpu: isBase ? null : overheadCpu,
        wallMs: w,
        deltaWallMs: isBase ? null : dw,
        cpuMs: c,
      };
      if (v === EAGER) {
        addSummary(v, `${k.key.toUpperCase()} load: + %`, `${signed(overhead * 100, 1)} / ${signed(overheadCpu * 100, 1)}`);
        targets.push({
          target: `module loading overhead ≤ 1 % (${k.key.toUpperCase()}, default mode)`,
          figure:
            `wall ${signed(overhead * 100, 1)} % (Δ ${signed(dl.median / 1000, 2)} ms, 95 % CI ${signed(dl.ciLow / 1000, 2)}…${signed(dl.ciHigh / 1000, 2)}), ` +
            `CPU ${signed(overheadCpu * 100, 1)} % (Δ ${signed(dlc.median / 1000, 2)} ms, ${signed(dlc.ciLow / 1000, 2)}…${signed(dlc.ciHigh / 1000, 2)})`,
          met: wrong.length > 0 ? null : overhead <= 0.01 && overheadCpu <= 0.01,
          status: (() => {
            if (wrong.length > 0) return "n/a";
            const hi = Math.max(dl.ciHigh / baseLoad, dlc.ciHigh / baseLoadCpu);
            const lo = Math.max(dl.ciLow / baseLoad, dlc.ciLow / baseLoadCpu);
            return hi <= 0.01 ? "met" : lo > 0.01 ? "NOT MET" : "inconclusive";
          })(),
          note: "in-process time and CPU (process.cpuUsage) of importing the 2,000 modules; met when the upper 95 % bounds of both are within the target, NOT MET when one lower bound is beyond it",
        });
      }
    }
    out[k.key] = { label: k.label, variants: perVariant };
  }
  print(table(["modules: variant", "load ms", "Δ load ms", "load CPU ms", "Δ load CPU ms", "process wall ms", "Δ wall ms", "process CPU ms"], rows));
  json.modules = { rounds, moduleCount: workdir.moduleCount, expectedChecksum: workdir.expectedChecksum, wrongResults: wrong, kinds: out, raw: { load, loadCpu, wall, cpu } };
}

// ---------------------------------------------------------------- 5. throughput

interface ThroughputResult {
  runtime: string;
  encryptPerSecond: number;
  decryptPerSecond: number;
}

function sectionThroughput(): void {
  const runners: { key: string; label: string; cmd: string[]; env: Record<string, string> }[] = [
    { key: "bun-preload", label: `bun ${options.bunVersion} + preload (eager)`, cmd: command(EAGER, ["throughput.cjs"]), env: {} },
  ];
  if (nodeVersion !== undefined) runners.push({ key: "node", label: `node ${nodeVersion}, no preload`, cmd: ["node", "throughput.cjs"], env: {} });
  // Without the preload an affected Bun may hang once Go is loaded: not measured there.
  if (!affected) runners.push({ key: "bun", label: `bun ${options.bunVersion}, no preload`, cmd: command(BASE, ["throughput.cjs"]), env: {} });
  const results: Record<string, ThroughputResult[]> = Object.fromEntries(runners.map((r) => [r.key, []]));
  const random = rng(41);
  const started = Date.now();
  for (let round = 0; round < plan.throughput.rounds; round++) {
    for (const r of shuffle(runners, random)) {
      const result = check(
        runChild(r.cmd, { cwd: workdir.dir, env: cleanEnv({ ...r.env, ABP_PHASE_MS: String(plan.throughput.phaseMs) }), timeoutMs: 60_000 }),
        `throughput / ${r.label}`,
      );
      results[r.key]!.push(lastJson<ThroughputResult>(result, `throughput / ${r.label}`));
    }
    progress(`5. throughput: round ${round + 1}/${plan.throughput.rounds}`);
  }
  progressDone(`5. throughput: ${plan.throughput.rounds} rounds in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  print("");
  print(`5. Throughput sanity (${plan.throughput.rounds} interleaved round(s) of ${plan.throughput.phaseMs} ms per operation; 64-byte payload, session caching on)`);
  if (affected) print(`   Bun ${options.bunVersion} without the preload is not measured: it is an affected release and can hang once Go is loaded.`);
  const node = results.node === undefined ? undefined : summarize(results.node.map((r) => r.encryptPerSecond));
  const nodeDec = results.node === undefined ? undefined : summarize(results.node.map((r) => r.decryptPerSecond));
  const rows: string[][] = [];
  const out: Record<string, unknown> = {};
  for (const r of runners) {
    const enc = summarize(results[r.key]!.map((x) => x.encryptPerSecond));
    const dec = summarize(results[r.key]!.map((x) => x.decryptPerSecond));
    rows.push([
      r.label,
      spread(enc, 0),
      fmt(enc.max, 0),
      node ? `${(enc.max / node.max).toFixed(2)}×` : "–",
      spread(dec, 0),
      fmt(dec.max, 0),
      nodeDec ? `${(dec.max / nodeDec.max).toFixed(2)}×` : "–",
    ]);
    out[r.key] = { label: r.label, encryptPerSecond: enc, decryptPerSecond: dec, raw: results[r.key] };
  }
  print(table(["runtime", "encrypt ops/s", "best", "vs node (best)", "decrypt ops/s", "best", "vs node (best)"], rows));
  print("   On a shared machine other load only lowers throughput, so the best round is the steadier comparison.");
  json.throughput = { rounds: plan.throughput.rounds, phaseMs: plan.throughput.phaseMs, runners: out };
}

// ---------------------------------------------------------------- main

const sections: [Section, () => void][] = [
  ["start", sectionStart],
  ["inproc", sectionInproc],
  ["steps", sectionSteps],
  ["modules", sectionModules],
  ["throughput", sectionThroughput],
];
for (const [name, fn] of sections) if (options.only.has(name)) fn();

if (summaryRows.size > 0) {
  const columns = [...new Set([...summaryRows.values()].flatMap((row) => Object.keys(row)))];
  print("");
  print("Summary: what each mode adds against no preload (medians of per-round differences; RSS/threads at the entry's first line;");
  print("Go load = require('asherah') → setup → first encrypt+decrypt)");
  print(table(["variant", ...columns], [...summaryRows].map(([label, row]) => [label, ...columns.map((c) => row[c] ?? "–")])));
}
if (targets.length > 0) {
  print("");
  print("Targets (reported, not asserted)");
  print(table(["target", "measured", "result"], targets.map((t) => [t.target, t.figure, statusOf(t)])));
  if (targets.some((t) => statusOf(t) === "inconclusive")) print("inconclusive: the 95 % interval of the difference contains both values within and beyond the target; more rounds (--scale) or a quieter machine decide it.");
}
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
        candidates: options.candidates,
        plan,
        libraries: { warmup: { path: warmupLibrary, bytes: warmupBytes }, signals: { path: signalsLibrary, bytes: signalsBytes } },
      },
      targets: targets.map((t) => ({ ...t, status: statusOf(t) })),
      ...json,
      report: report.join("\n"),
    },
    (_key, value) => (typeof value === "number" && !Number.isInteger(value) ? Math.round(value * 1000) / 1000 : value),
    1,
  ) + "\n",
);
console.log(`\nJSON: ${options.out}`);
