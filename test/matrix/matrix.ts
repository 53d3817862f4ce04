// The compatibility matrix: Bun version × scenario × loading path × mode, each
// cell run N times as separate processes with a hard timeout (see run.ts for
// the command line and report.ts for the tables). Everything here is exported
// for test/e2e/matrix-ci.test.ts, which runs a small subset under `bun test`.
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { bunBinary, pinnedBunVersion, REPO_ROOT } from "../support/bun-versions.ts";
import { FIXTURE_BUILD, LOAD_PATHS, MODES, runScenario, SCENARIOS, type LoadPath, type Mode, type ScenarioName } from "../support/scenarios.ts";
import type { Outcome, RunResult } from "../support/spawn.ts";

export { LOAD_PATHS, MODES, SCENARIOS, type LoadPath, type Mode, type ScenarioName };

export const RESULTS_DIR = join(REPO_ROOT, "test", "matrix", "results");
export const DEFAULT_OUT = join(RESULTS_DIR, "latest.json");
export const DEFAULT_MARKDOWN = join(REPO_ROOT, "docs", "compatibility.md");
/** First release with the upstream fix (oven-sh/bun PR #31161). */
export const FIRST_FIXED = "1.4.4";
export const DEFAULT_VERSIONS: readonly string[] = ["1.0.36", "1.1.45", "1.2.19", "1.2.23", "1.3.14", "1.4.0", "1.4.3", "pinned"];
/** Fewer repetitions than this are reported as preliminary. */
export const REQUIRED_REPEAT = 20;

// ---------------------------------------------------------------- options

export interface MatrixOptions {
  readonly versions: readonly string[];
  readonly scenarios: readonly ScenarioName[];
  readonly paths: readonly LoadPath[];
  readonly modes: readonly Mode[];
  readonly repeat: number;
  /** Timeout of every run with the preload, and of every run on an unaffected Bun. */
  readonly timeoutMs: number;
  /** Timeout of `none` / `warmup-only` runs on affected Bun releases, where most runs are expected to hang. */
  readonly controlTimeoutMs: number;
  readonly jobs: 1 | 2;
  /** Attach `strace -c` for 1 s to a run that is still alive shortly before its timeout. */
  readonly strace: boolean;
}

export const DEFAULT_OPTIONS: MatrixOptions = {
  versions: DEFAULT_VERSIONS,
  scenarios: SCENARIOS,
  paths: LOAD_PATHS,
  modes: MODES,
  repeat: REQUIRED_REPEAT,
  timeoutMs: 8_000,
  controlTimeoutMs: 4_000,
  jobs: 1,
  strace: false,
};

export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/** Bun releases the hang is expected on (Linux, before the upstream fix). */
export function isAffected(version: string): boolean {
  return process.platform === "linux" && compareVersions(version, FIRST_FIXED) < 0;
}

/** `pinned` → the pinned version; validated, deduplicated, ascending. */
export function resolveVersions(list: readonly string[]): string[] {
  const out = new Set<string>();
  for (const raw of list) {
    const v = raw.trim();
    if (v === "") continue;
    const version = v === "pinned" ? pinnedBunVersion() : v;
    if (!/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`not a Bun release version: ${JSON.stringify(raw)} (use e.g. 1.2.19 or "pinned")`);
    out.add(version);
  }
  if (out.size === 0) throw new Error("no Bun versions given");
  return [...out].sort(compareVersions);
}

function pickList<T extends string>(flag: string, value: string, allowed: readonly T[]): T[] {
  const items = value.split(",").map((s) => s.trim()).filter((s) => s !== "");
  for (const item of items) if (!allowed.includes(item as T)) throw new Error(`${flag}: unknown value ${JSON.stringify(item)} (allowed: ${allowed.join(", ")})`);
  if (items.length === 0) throw new Error(`${flag}: empty list`);
  return allowed.filter((a) => items.includes(a)); // canonical order
}

function positiveInt(flag: string, value: string, min = 1): number {
  if (!/^\d+$/.test(value) || Number(value) < min) throw new Error(`${flag}: expected a whole number ≥ ${min}, got ${JSON.stringify(value)}`);
  return Number(value);
}

export interface CliArgs {
  readonly options: MatrixOptions;
  readonly out: string;
  readonly markdown: string | undefined;
  /** Only re-render the markdown/summary from an existing result file. */
  readonly from: string | undefined;
  readonly dryRun: boolean;
  readonly help: boolean;
}

export const USAGE = `usage: bun test/matrix/run.ts [options]      (npm run matrix -- [options])

  --versions LIST        comma-separated Bun releases, "pinned" for the pinned one
                         (default ${DEFAULT_VERSIONS.join(",")})
  --scenarios LIST       subset of ${SCENARIOS.join(",")}
  --paths LIST           subset of ${LOAD_PATHS.join(",")}
  --modes LIST           subset of ${MODES.join(",")}
  --repeat N             runs per cell (default ${REQUIRED_REPEAT}; fewer is reported as preliminary)
  --timeout-ms MS        timeout of every run (default ${DEFAULT_OPTIONS.timeoutMs})
  --control-timeout-ms MS  timeout of none/warmup-only runs on affected Bun (< ${FIRST_FIXED}), where
                         hangs are expected (default ${DEFAULT_OPTIONS.controlTimeoutMs}; capped by --timeout-ms)
  --jobs 1|2             processes at once (default 1)
  --strace / --no-strace attach \`strace -f -c -e trace=tgkill,rt_sigreturn\` for 1 s to one
                         hanging run of each cell that already hung once (default: on when
                         strace is installed)
  --out FILE             JSON result (default test/matrix/results/latest.json)
  --markdown FILE        generated report (default docs/compatibility.md); --no-markdown to skip
  --from FILE            do not run anything: re-render the report from a result file
  --dry-run              print the plan and a worst-case duration, run nothing
`;

export function parseArgs(argv: readonly string[]): CliArgs {
  let options: MatrixOptions = { ...DEFAULT_OPTIONS, strace: straceAvailable() };
  let out = DEFAULT_OUT;
  let markdown: string | undefined = DEFAULT_MARKDOWN;
  let from: string | undefined;
  let dryRun = false;
  let help = false;
  let controlGiven = false;
  const args = [...argv];
  while (args.length > 0) {
    let arg = args.shift()!;
    let value: string | undefined;
    const eq = arg.indexOf("=");
    if (arg.startsWith("--") && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const need = (): string => {
      const v = value ?? args.shift();
      if (v === undefined || (value === undefined && v.startsWith("--"))) throw new Error(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case "--versions":
        options = { ...options, versions: resolveVersions(need().split(",")) };
        break;
      case "--scenarios":
        options = { ...options, scenarios: pickList(arg, need(), SCENARIOS) };
        break;
      case "--paths":
        options = { ...options, paths: pickList(arg, need(), LOAD_PATHS) };
        break;
      case "--modes":
        options = { ...options, modes: pickList(arg, need(), MODES) };
        break;
      case "--repeat":
        options = { ...options, repeat: positiveInt(arg, need()) };
        break;
      case "--timeout-ms":
        options = { ...options, timeoutMs: positiveInt(arg, need(), 500) };
        break;
      case "--control-timeout-ms":
        options = { ...options, controlTimeoutMs: positiveInt(arg, need(), 500) };
        controlGiven = true;
        break;
      case "--jobs": {
        const jobs = positiveInt(arg, need());
        if (jobs !== 1 && jobs !== 2) throw new Error("--jobs: 1 or 2 (the machine budget is two Bun processes at once)");
        options = { ...options, jobs };
        break;
      }
      case "--strace":
        if (!straceAvailable()) throw new Error("--strace: strace is not installed (or not on PATH)");
        options = { ...options, strace: true };
        break;
      case "--no-strace":
        options = { ...options, strace: false };
        break;
      case "--out":
        out = need();
        break;
      case "--markdown":
        markdown = need();
        break;
      case "--no-markdown":
        markdown = undefined;
        break;
      case "--from":
        from = need();
        break;
      case "--dry-run":
        dryRun = true;
        break;
      case "--help":
      case "-h":
        help = true;
        break;
      default:
        throw new Error(`unknown argument ${JSON.stringify(arg)}\n\n${USAGE}`);
    }
  }
  if (!controlGiven) options = { ...options, controlTimeoutMs: Math.min(options.controlTimeoutMs, options.timeoutMs) };
  return { options: { ...options, versions: resolveVersions(options.versions) }, out, markdown, from, dryRun, help };
}

// ---------------------------------------------------------------- cells

export interface CellSpec {
  readonly version: string;
  readonly scenario: ScenarioName;
  readonly path: LoadPath;
  readonly mode: Mode;
}

export function cellKey(c: CellSpec): string {
  return `${c.version} ${c.scenario}/${c.path} ${c.mode}`;
}

export function planCells(options: Pick<MatrixOptions, "versions" | "scenarios" | "paths" | "modes">): CellSpec[] {
  const cells: CellSpec[] = [];
  for (const version of options.versions)
    for (const scenario of options.scenarios)
      for (const path of options.paths) for (const mode of options.modes) cells.push({ version, scenario, path, mode });
  return cells;
}

/** Modes without the preload: on affected Bun most of their runs hang, so they get the short timeout. */
export const CONTROL_MODES: readonly Mode[] = ["none", "warmup-only"];

export function isPreloadMode(mode: Mode): boolean {
  return !CONTROL_MODES.includes(mode);
}

export function timeoutFor(cell: CellSpec, options: Pick<MatrixOptions, "timeoutMs" | "controlTimeoutMs">): number {
  return CONTROL_MODES.includes(cell.mode) && isAffected(cell.version) ? Math.min(options.controlTimeoutMs, options.timeoutMs) : options.timeoutMs;
}

export interface StraceCount {
  readonly seconds: number;
  /** syscall name → calls during the window, all threads. */
  readonly calls: Record<string, number>;
  readonly error?: string;
}

export interface HangInfo {
  readonly summary: string;
  readonly cpu: number;
  readonly switchesPerSecond: number | null;
  readonly threads: number;
  readonly strace?: StraceCount;
}

export interface FailureInfo {
  readonly outcome: Outcome;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly output: string;
}

export interface CellResult extends CellSpec {
  readonly runs: number;
  readonly timeoutMs: number;
  readonly counts: Record<Outcome, number>;
  /** Crash signal → count. */
  readonly crashSignals: Record<string, number>;
  /** Hangs whose diagnosis looked like a signal storm (≥ STORM_MIN_CPU of a core, > STORM_MIN_SWITCHES switches/s) or an idle wait (< 5 % CPU). */
  readonly hangKinds: { storm: number; idle: number; other: number };
  /**
   * Hangs that had strace attached for 1 s before the timeout: their diagnosis
   * is perturbed (some went idle after strace detached), so they are not in hangKinds.
   */
  readonly straced: number;
  readonly medianOkMs: number | null;
  /** Wall time of every ok run, rounded to ms, in run order. */
  readonly okWallMs: number[];
  /** The first hang of the cell (never a straced one); `strace` from the first straced hang. */
  readonly firstHang: HangInfo | null;
  /** The first crash or failure of the cell. */
  readonly firstFailure: FailureInfo | null;
  readonly elapsedMs: number;
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function tail(text: string, lines: number): string {
  return text.trim().split("\n").slice(-lines).join("\n");
}

export const STORM_MIN_CPU = 0.3;
export const STORM_MIN_SWITCHES = 1000;

function hangKind(r: RunResult): "storm" | "idle" | "other" {
  const d = r.diagnosis;
  if (d === undefined) return "other";
  // Looser than spawn.ts's wording (80 %): on a shared 2-core machine a storming
  // process often gets well under a full core, but keeps its switch rate.
  if (d.cpu >= STORM_MIN_CPU && (d.switchesPerSecond ?? 0) > STORM_MIN_SWITCHES) return "storm";
  if (d.cpu < 0.05) return "idle";
  return "other";
}

// ---------------------------------------------------------------- strace probe

let straceCache: string | null | undefined;
export function straceBinary(): string | null {
  if (straceCache !== undefined) return straceCache;
  straceCache = null;
  for (const dir of (process.env.PATH ?? "/usr/bin:/bin").split(":")) {
    if (dir && existsSync(join(dir, "strace"))) {
      straceCache = join(dir, "strace");
      break;
    }
  }
  return straceCache;
}
export function straceAvailable(): boolean {
  return process.platform === "linux" && straceBinary() !== null;
}

/** The direct child of this process whose environment carries `marker` (our run tag). */
function findChild(marker: string): number | undefined {
  const me = String(process.pid);
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1] !== me) continue;
      if (readFileSync(`/proc/${entry}/environ`, "latin1").split("\0").includes(marker)) return Number(entry);
    } catch {
      // raced with an exit
    }
  }
  return undefined;
}

export function parseStraceSummary(text: string): Record<string, number> {
  const calls: Record<string, number> = {};
  for (const line of text.split("\n")) {
    // % time  seconds  usecs/call  calls  [errors]  syscall
    const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?([a-z_0-9]+)\s*$/.exec(line);
    if (m && m[2] !== "total") calls[m[2]!] = Number(m[1]);
  }
  return calls;
}

/** `strace -f -c -e trace=tgkill,rt_sigreturn -p PID` for `seconds`, then SIGINT for the summary. */
export function straceCount(pid: number, seconds = 1): Promise<StraceCount> {
  const bin = straceBinary();
  if (bin === null) return Promise.resolve({ seconds, calls: {}, error: "strace not installed" });
  return new Promise((resolve) => {
    const child = spawn(bin, ["-f", "-c", "-e", "trace=tgkill,rt_sigreturn", "-p", String(pid)], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    const stop = setTimeout(() => child.kill("SIGINT"), seconds * 1000);
    const hard = setTimeout(() => child.kill("SIGKILL"), seconds * 1000 + 3000);
    child.on("error", (e) => {
      clearTimeout(stop);
      clearTimeout(hard);
      resolve({ seconds, calls: {}, error: e.message });
    });
    child.on("close", () => {
      clearTimeout(stop);
      clearTimeout(hard);
      const calls = parseStraceSummary(err);
      const problem = /attach: ptrace|Operation not permitted|No such process/.exec(err);
      resolve(problem && Object.keys(calls).length === 0 ? { seconds, calls, error: tail(err, 2) } : { seconds, calls });
    });
  });
}

// ---------------------------------------------------------------- running

export interface RunOne {
  readonly result: RunResult;
  readonly strace?: StraceCount;
}

let runCounter = 0;

/**
 * One process of a cell; with `strace`, a run still alive 1.6 s before its
 * timeout gets a 1 s syscall count (which perturbs it: only used on cells that
 * already hung once).
 */
export async function runOnce(cell: CellSpec, appsDir: string, timeoutMs: number, strace: boolean): Promise<RunOne> {
  const tag = `${process.pid}-${++runCounter}`;
  const marker = `ABP_MATRIX_RUN=${tag}`;
  let probe: Promise<StraceCount | undefined> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  if (strace) {
    // Late enough that a healthy run is long gone, early enough to finish before the kill.
    const at = Math.max(timeoutMs - 1600, Math.round(timeoutMs * 0.6));
    timer = setTimeout(() => {
      const pid = findChild(marker);
      probe = pid === undefined ? Promise.resolve(undefined) : straceCount(pid).catch(() => undefined);
    }, at);
  }
  const result = await runScenario({ bun: bunBinary(cell.version), scenario: cell.scenario, path: cell.path, mode: cell.mode, timeoutMs, appsDir, env: { ABP_MATRIX_RUN: tag } });
  clearTimeout(timer);
  const count = probe === undefined ? undefined : await probe;
  return count === undefined ? { result } : { result, strace: count };
}

export interface CellRunOptions {
  readonly repeat: number;
  readonly timeoutMs: number;
  readonly jobs?: 1 | 2;
  readonly strace?: boolean;
  /** Stop scheduling further runs once this is true (CI: first non-ok, or first hang for a control). Default: never. */
  readonly stopWhen?: (counts: Record<Outcome, number>) => boolean;
  /** Called after every run (raw log, progress). */
  readonly onRun?: (cell: CellSpec, index: number, run: RunOne) => void;
}

/** Aggregates runs of one cell into a CellResult. */
export class CellAccumulator {
  readonly counts: Record<Outcome, number> = { ok: 0, fail: 0, crash: 0, hang: 0 };
  readonly crashSignals: Record<string, number> = {};
  readonly hangKinds = { storm: 0, idle: 0, other: 0 };
  readonly okWallMs: number[] = [];
  firstHang: HangInfo | null = null;
  firstFailure: FailureInfo | null = null;
  straceDone = false;
  straceBusy = false;
  straced = 0;
  runs = 0;
  readonly started = performance.now();

  constructor(
    readonly cell: CellSpec,
    readonly timeoutMs: number,
  ) {}

  add({ result, strace }: RunOne): void {
    this.runs++;
    this.counts[result.outcome]++;
    if (result.outcome === "ok") this.okWallMs.push(Math.round(result.wallMs));
    if (result.outcome === "crash") {
      const sig = result.signal ?? "unknown";
      this.crashSignals[sig] = (this.crashSignals[sig] ?? 0) + 1;
    }
    if (result.outcome === "hang") {
      if (strace === undefined) this.hangKinds[hangKind(result)]++;
      else this.straced++;
      const d = result.diagnosis;
      if (this.firstHang === null && strace === undefined) {
        this.firstHang = {
          summary: d?.summary ?? "no diagnosis",
          cpu: Math.round((d?.cpu ?? 0) * 100) / 100,
          switchesPerSecond: d?.switchesPerSecond ?? null,
          threads: d?.threads ?? 0,
        };
      }
      if (strace !== undefined && !this.straceDone && strace.error === undefined && this.firstHang !== null) {
        this.firstHang = { ...this.firstHang, strace };
        this.straceDone = true;
      }
    }
    if ((result.outcome === "fail" || result.outcome === "crash") && this.firstFailure === null) {
      this.firstFailure = { outcome: result.outcome, exitCode: result.exitCode, signal: result.signal, output: tail(`${result.stdout}\n${result.stderr}`, 8) };
    }
  }

  result(): CellResult {
    return {
      ...this.cell,
      runs: this.runs,
      timeoutMs: this.timeoutMs,
      counts: { ...this.counts },
      crashSignals: { ...this.crashSignals },
      hangKinds: { ...this.hangKinds },
      straced: this.straced,
      medianOkMs: median(this.okWallMs),
      okWallMs: [...this.okWallMs],
      firstHang: this.firstHang,
      firstFailure: this.firstFailure,
      elapsedMs: Math.round(performance.now() - this.started),
    };
  }
}

/**
 * Runs a list of cells, `repeat` processes each, at most `jobs` at once. The
 * queue is per run, in cell order, so with two jobs both slots stay busy.
 */
export async function runCells(
  cells: readonly CellSpec[],
  appsDir: string,
  options: Pick<MatrixOptions, "repeat" | "timeoutMs" | "controlTimeoutMs"> & Partial<Pick<MatrixOptions, "jobs" | "strace">> & Pick<CellRunOptions, "stopWhen" | "onRun">,
  onCell?: (result: CellResult, done: number, total: number) => void,
): Promise<CellResult[]> {
  const accs = cells.map((cell) => new CellAccumulator(cell, timeoutFor(cell, options)));
  const pending = accs.map(() => options.repeat);
  const inFlight = accs.map(() => 0);
  const results: (CellResult | undefined)[] = accs.map(() => undefined);
  let next = 0;
  let done = 0;
  const take = (): number | undefined => {
    while (next < accs.length) {
      const acc = accs[next]!;
      if (pending[next]! > 0 && !(options.stopWhen?.(acc.counts) ?? false)) {
        pending[next]!--;
        return next;
      }
      if (inFlight[next]! > 0) {
        // Let the other slot move on to the next cell rather than wait.
        for (let j = next + 1; j < accs.length; j++) {
          if (pending[j]! > 0 && !(options.stopWhen?.(accs[j]!.counts) ?? false)) {
            pending[j]!--;
            return j;
          }
        }
        return undefined;
      }
      next++;
    }
    return undefined;
  };
  const finishIfDone = (i: number) => {
    const acc = accs[i]!;
    const stopped = options.stopWhen?.(acc.counts) ?? false;
    if (results[i] === undefined && inFlight[i] === 0 && (pending[i] === 0 || stopped)) {
      results[i] = acc.result();
      done++;
      onCell?.(results[i]!, done, accs.length);
    }
  };
  const worker = async () => {
    for (;;) {
      const i = take();
      if (i === undefined) return;
      const acc = accs[i]!;
      inFlight[i]!++;
      // Only after the cell has hung once: the first hang's diagnosis stays unperturbed,
      // and a healthy-but-slow run is never traced.
      const wantStrace = (options.strace ?? false) && acc.firstHang !== null && !acc.straceDone && !acc.straceBusy;
      if (wantStrace) acc.straceBusy = true;
      const index = acc.runs + inFlight[i]! - 1;
      try {
        const one = await runOnce(acc.cell, appsDir, acc.timeoutMs, wantStrace);
        acc.add(one);
        options.onRun?.(acc.cell, index, one);
      } finally {
        if (wantStrace) acc.straceBusy = false;
        inFlight[i]!--;
      }
      finishIfDone(i);
    }
  };
  const jobs = options.jobs ?? 1;
  await Promise.all(Array.from({ length: jobs }, worker));
  // Cells stopped early whose last run finished in another slot.
  for (let i = 0; i < accs.length; i++) finishIfDone(i);
  return results.map((r, i) => r ?? accs[i]!.result());
}

/** Runs one cell (CI helper). */
export async function runCell(cell: CellSpec, appsDir: string, options: CellRunOptions): Promise<CellResult> {
  const [result] = await runCells([cell], appsDir, { ...options, controlTimeoutMs: options.timeoutMs });
  return result!;
}

// ---------------------------------------------------------------- apps

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A private copy of the scenario apps next to the built fixtures (so
 * `require("asherah")` resolves there), in a folder of its own: the shared
 * `build/apps` is deleted and recopied by every other test run. Stale copies
 * of processes that are gone are removed. Returns the folder and a cleanup.
 */
export function prepareMatrixApps(): { dir: string; cleanup: () => void } {
  if (!existsSync(join(FIXTURE_BUILD, "node_modules", "asherah"))) {
    throw new Error(`fixtures are not built (${FIXTURE_BUILD} has no node_modules/asherah): run \`node test/fixtures/build.mjs\` (npm run matrix does this)`);
  }
  for (const entry of readdirSync(FIXTURE_BUILD)) {
    const m = /^matrix-apps-(\d+)$/.exec(entry);
    if (m && !pidAlive(Number(m[1]))) rmSync(join(FIXTURE_BUILD, entry), { recursive: true, force: true });
  }
  const dir = join(FIXTURE_BUILD, `matrix-apps-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  cpSync(join(REPO_ROOT, "test", "e2e", "apps"), dir, { recursive: true });
  const self = join(FIXTURE_BUILD, "node_modules", "asherah-bun-preload");
  try {
    if (!existsSync(self)) symlinkSync(REPO_ROOT, self, "dir");
  } catch {
    // created concurrently by another test run
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

// ---------------------------------------------------------------- environment

export interface Environment {
  readonly date: string;
  readonly command: string;
  readonly platform: { uname: string; os: string; arch: string; cpus: number; cpuModel: string; loadavgStart: number[]; loadavgEnd?: number[] };
  readonly go: { fixtures: string; warmupLibrary: string; toolchain: string };
  readonly bun: { version: string; revision: string; affected: boolean }[];
  readonly git: { commit: string; dirty: string[] };
  /** sha256 (first 16 hex) of the shipped libraries the preload loads: identifies the signal mechanism measured. */
  readonly prebuilds: Record<string, string>;
}

function tryExec(file: string, args: string[]): string {
  try {
    return execFileSync(file, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], cwd: REPO_ROOT }).trim();
  } catch {
    return "unknown";
  }
}

function goVersionOf(file: string): string {
  const out = tryExec("go", ["version", file]);
  return /go\d+\.\d+(\.\d+)?/.exec(out)?.[0] ?? "unknown";
}

export function collectEnvironment(argv: readonly string[], versions: readonly string[]): Environment {
  const arch = process.arch === "arm64" ? "arm64" : "x64";
  const prebuildDir = join(REPO_ROOT, "prebuilds", `linux-${arch}`);
  const prebuilds: Record<string, string> = {};
  if (existsSync(prebuildDir)) {
    for (const f of readdirSync(prebuildDir).sort()) {
      prebuilds[`linux-${arch}/${f}`] = createHash("sha256").update(readFileSync(join(prebuildDir, f))).digest("hex").slice(0, 16);
    }
  }
  const dirty = tryExec("git", ["status", "--porcelain", "--", "src", "go", "prebuilds", "test/support", "test/e2e/apps"]);
  return {
    date: new Date().toISOString(),
    command: ["bun", "test/matrix/run.ts", ...argv].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(" "),
    platform: {
      uname: tryExec("uname", ["-srm"]),
      os: process.platform,
      arch: process.arch,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model.trim() ?? "unknown",
      loadavgStart: loadavg().map((l) => Math.round(l * 100) / 100),
    },
    go: {
      fixtures: goVersionOf(join(FIXTURE_BUILD, "node_modules", "asherah", "dist", "asherah.node")),
      warmupLibrary: goVersionOf(join(prebuildDir, "asherah-bun-warmup.so")),
      toolchain: /go\d+\.\d+(\.\d+)?/.exec(tryExec("go", ["version"]))?.[0] ?? "unknown",
    },
    bun: versions.map((version) => ({ version, revision: tryExec(bunBinary(version), ["--revision"]), affected: isAffected(version) })),
    git: { commit: tryExec("git", ["rev-parse", "--short=12", "HEAD"]), dirty: dirty === "unknown" || dirty === "" ? [] : dirty.split("\n").map((l) => l.trim()) },
    prebuilds,
  };
}

export interface MatrixResult {
  readonly schema: 1;
  /** False when the run was interrupted: some cells have fewer runs, some are missing. */
  readonly complete?: boolean;
  readonly environment: Environment;
  readonly options: MatrixOptions;
  readonly durationMs: number;
  readonly cells: CellResult[];
}
