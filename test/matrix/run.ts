// The compatibility matrix runner: `npm run matrix -- [options]`, or with the
// pinned Bun `bun test/matrix/run.ts [options]` (fixtures must be built).
// Writes a JSON result (test/matrix/results/latest.json), a raw per-run log
// (test/matrix/results/raw/, not committed) and docs/compatibility.md.
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { bunBinary, REPO_ROOT } from "../support/bun-versions.ts";
import {
  cellKey,
  collectEnvironment,
  CONTROL_MODES,
  isAffected,
  parseArgs,
  planCells,
  prepareMatrixApps,
  RESULTS_DIR,
  runCells,
  timeoutFor,
  USAGE,
  type CellResult,
  type MatrixResult,
} from "./matrix.ts";
import { formatCell, formatDuration, renderMarkdown, renderSummary } from "./report.ts";

function writeOutputs(result: MatrixResult, out: string | undefined, markdown: string | undefined, resultPath: string | undefined): void {
  if (out !== undefined) {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(result, null, 1)}\n`);
    console.log(`result:   ${relative(process.cwd(), out)}`);
  }
  if (markdown !== undefined) {
    mkdirSync(dirname(markdown), { recursive: true });
    writeFileSync(markdown, renderMarkdown(result, resultPath));
    console.log(`report:   ${relative(process.cwd(), markdown)}`);
  }
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`matrix: ${(error as Error).message}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const out = resolve(args.out);
  const markdown = args.markdown === undefined ? undefined : resolve(args.markdown);

  if (args.from !== undefined) {
    const from = resolve(args.from);
    const result = JSON.parse(readFileSync(from, "utf8")) as MatrixResult;
    console.log(renderSummary(result));
    writeOutputs(result, undefined, markdown, from);
    return 0;
  }

  const o = args.options;
  const cells = planCells(o);
  const worst = cells.reduce((ms, c) => ms + o.repeat * (timeoutFor(c, o) + 400), 0) / o.jobs;
  // Likely: every control run on an affected Bun hangs (timeout + diagnosis), everything else ~0.5 s.
  const likely = cells.reduce((ms, c) => ms + o.repeat * (CONTROL_MODES.includes(c.mode) && isAffected(c.version) ? timeoutFor(c, o) + 400 : 500), 0) / o.jobs;
  console.log(
    `matrix: Bun ${o.versions.join(", ")}; ${o.scenarios.length} scenarios × ${o.paths.length} paths × ${o.modes.length} modes = ${cells.length} cells × ${o.repeat} runs = ${cells.length * o.repeat} processes; ` +
      `${o.jobs} at a time; timeout ${o.timeoutMs} ms (${o.controlTimeoutMs} ms for none/warmup-only on affected Bun); strace ${o.strace ? "on" : "off"}; ` +
      `about ${formatDuration(likely)} if the controls on affected Bun all hang and the rest takes 0.5 s a run (worst case, every run timing out: ${formatDuration(worst)})`,
  );
  if (args.dryRun) {
    for (const c of cells) console.log(`  ${cellKey(c)}  timeout ${timeoutFor(c, o)} ms`);
    return 0;
  }

  // Install every Bun first, so a registry problem shows before an hour of runs.
  for (const v of o.versions) {
    const started = performance.now();
    const bin = bunBinary(v);
    console.log(`bun ${v}: ${relative(REPO_ROOT, bin)}${performance.now() - started > 1000 ? ` (installed in ${formatDuration(performance.now() - started)})` : ""}`);
  }
  const environment = collectEnvironment(process.argv.slice(2), o.versions);
  const stamp = environment.date.replace(/[:.]/g, "-");
  const rawLog = join(RESULTS_DIR, "raw", `${stamp}.jsonl`);
  mkdirSync(dirname(rawLog), { recursive: true });
  console.log(`raw log:  ${relative(process.cwd(), rawLog)}`);

  const apps = prepareMatrixApps();
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    console.error("\nmatrix: interrupted — the runs in flight are finishing (they have timeouts); press Ctrl-C again to abort at once");
  };
  process.on("SIGINT", onSignal);
  const started = performance.now();
  let cellsDone: CellResult[] = [];
  try {
    cellsDone = await runCells(
      cells,
      apps.dir,
      {
        ...o,
        stopWhen: () => interrupted,
        onRun: (cell, index, { result, strace }) => {
          const entry = {
            ...cell,
            run: index + 1,
            outcome: result.outcome,
            exitCode: result.exitCode,
            signal: result.signal,
            wallMs: Math.round(result.wallMs),
            diagnosis: result.diagnosis,
            strace,
            ...(result.outcome === "ok" ? {} : { stdout: result.stdout.slice(-2000), stderr: result.stderr.slice(-4000) }),
          };
          appendFileSync(rawLog, `${JSON.stringify(entry)}\n`);
        },
      },
      (cell, done, total) => {
        const elapsed = performance.now() - started;
        const eta = done < total ? `, ~${formatDuration((elapsed / done) * (total - done))} left` : "";
        const hang = cell.firstHang ? `  [hang: ${cell.firstHang.summary.split(" — ")[0]}${cell.firstHang.strace ? `; strace ${JSON.stringify(cell.firstHang.strace.calls)}` : ""}]` : "";
        console.log(`[${String(done).padStart(String(total).length)}/${total}] ${cellKey(cell).padEnd(34)} ${formatCell(cell).padEnd(28)} ${formatDuration(cell.elapsedMs)}${eta}${hang}`);
      },
    );
  } finally {
    apps.cleanup();
  }
  const result: MatrixResult = {
    schema: 1,
    complete: !interrupted,
    environment: { ...environment, platform: { ...environment.platform, loadavgEnd: loadavg().map((l) => Math.round(l * 100) / 100) } },
    options: o,
    durationMs: Math.round(performance.now() - started),
    cells: cellsDone.filter((c) => c.runs > 0),
  };
  console.log("");
  console.log(renderSummary(result));
  console.log("");
  console.log(`matrix: ${result.cells.reduce((n, c) => n + c.runs, 0)} processes in ${formatDuration(result.durationMs)}${interrupted ? " (interrupted: partial result)" : ""}`);
  writeOutputs(result, out, markdown, out);
  return interrupted ? 130 : 0;
}

process.exit(await main());
