// Renders a matrix result (matrix.ts) as the console summary and as
// docs/compatibility.md. Every sentence about what the numbers show is
// computed from the numbers here; nothing in the report is hand-written.
import { relative } from "node:path";
import { REPO_ROOT } from "../support/bun-versions.ts";
import { compareVersions, FIRST_FIXED, isPreloadMode, MODES, REQUIRED_REPEAT, STORM_MIN_CPU, STORM_MIN_SWITCHES, type CellResult, type MatrixResult, type Mode } from "./matrix.ts";

const MODE_TEXT: Partial<Record<string, string>> = {
  none: "the app as is, no preload",
  "warmup-only": "`--preload test/support/warmup-only.ts`: load a Go c-shared warmup library through `bun:ffi` and call it first, nothing else (the fix from the original write-up)",
  preload: "`--preload dist/index.js` (the bundle package.json `exports` point at; runs before the bundle existed used `src/index.ts`): this package with its default settings",
  "preload-restore": "`--preload dist/index.js` with `ASHERAH_BUN_PRELOAD_SIGNAL_MECHANISM=restore`: this package with the flag-restore signal mechanism instead of the default",
};

const SCENARIO_TEXT: Record<string, string> = {
  plain: "setup, 50 encrypt/decrypt round trips, shutdown",
  gc: "round trips under allocation pressure with forced `Bun.gc()`",
  async: "the async API first (first Go call on a thread-pool thread), then GC",
  worker: "the module loaded and used inside a `Worker`, which is then terminated",
  wasm: "one hot WebAssembly call after the Go module ran (oven-sh/bun#31158)",
  "bun-test": "a round trip plus a WebAssembly call inside `bun test`",
};

function pct(n: number, d: number): string {
  if (d === 0) return "–";
  const p = (100 * n) / d;
  return `${p >= 10 || p === 0 ? Math.round(p) : p.toFixed(1)} %`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function seconds(ms: number | null): string {
  if (ms === null) return "";
  return ms >= 10_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 1000).toFixed(2)} s`;
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** "18/20 · 1 hang · 1 crash (SIGSEGV)" — what a cell shows. */
export function formatCell(c: CellResult, withMedian = true): string {
  const parts = [`${c.counts.ok}/${c.runs}`];
  if (c.counts.hang > 0) parts.push(`${c.counts.hang} hang`);
  if (c.counts.crash > 0) parts.push(`${c.counts.crash} crash (${Object.keys(c.crashSignals).join(", ")})`);
  if (c.counts.fail > 0) parts.push(`${c.counts.fail} fail`);
  const text = parts.join(" · ");
  return withMedian && c.medianOkMs !== null ? `${text} (${seconds(c.medianOkMs)})` : text;
}

export function cellProblem(c: CellResult): boolean {
  return c.counts.ok !== c.runs;
}

interface Totals {
  runs: number;
  ok: number;
  hang: number;
  crash: number;
  fail: number;
  cells: number;
  hangCells: number;
}

function totals(cells: readonly CellResult[]): Totals {
  const t: Totals = { runs: 0, ok: 0, hang: 0, crash: 0, fail: 0, cells: cells.length, hangCells: 0 };
  for (const c of cells) {
    t.runs += c.runs;
    t.ok += c.counts.ok;
    t.hang += c.counts.hang;
    t.crash += c.counts.crash;
    t.fail += c.counts.fail;
    if (c.counts.hang > 0) t.hangCells++;
  }
  return t;
}

function versionsOf(result: MatrixResult): string[] {
  return [...new Set(result.cells.map((c) => c.version))];
}

function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

function cellName(c: CellResult): string {
  return `${c.version} ${c.scenario}/${c.path}`;
}

/** The "what this shows" statements, derived from the counts only. */
export function findings(result: MatrixResult): string[] {
  const out: string[] = [];
  const versions = versionsOf(result);
  const modes = new Set(result.cells.map((c) => c.mode));
  const of = (version: string, mode: Mode) => result.cells.filter((c) => c.version === version && c.mode === mode);
  const minRuns = Math.min(...result.cells.map((c) => c.runs));

  if (result.complete === false) out.push("**Interrupted:** this run was stopped before the end; cells may have fewer runs than asked for, and some are missing.");
  if (minRuns < REQUIRED_REPEAT) {
    out.push(
      `**Preliminary:** some cells have only ${minRuns} run${minRuns === 1 ? "" : "s"} (the project's bar is ${REQUIRED_REPEAT} per cell), so rare outcomes may be missing from these tables.`,
    );
  }

  if (modes.has("none")) {
    const hanging: string[] = [];
    const clean: string[] = [];
    for (const v of versions) {
      const t = totals(of(v, "none"));
      if (t.runs === 0) continue;
      if (t.hang > 0) hanging.push(`${v} (${t.hang}/${t.runs} runs, ${pct(t.hang, t.runs)}, in ${t.hangCells} of ${t.cells} cells)`);
      else clean.push(`${v} (0/${t.runs})`);
    }
    if (hanging.length > 0) out.push(`**Without any mitigation** (\`none\`), runs hung on Bun ${list(hanging)}.`);
    if (clean.length > 0) out.push(`Without any mitigation, no run hung on Bun ${list(clean)}.`);
    const t = totals(result.cells.filter((c) => c.mode === "none"));
    if (t.crash + t.fail > 0) {
      const bad = result.cells.filter((c) => c.mode === "none" && c.counts.crash + c.counts.fail > 0).map((c) => `${cellName(c)} (${formatCell(c, false)})`);
      out.push(`Without any mitigation there were also crashes or failures: ${list(bad)}.`);
    }
  }

  if (modes.has("warmup-only") && modes.has("none")) {
    const compared: string[] = [];
    let noneHang = 0;
    let warmHang = 0;
    let runsN = 0;
    let runsW = 0;
    for (const v of versions) {
      const n = totals(of(v, "none"));
      const w = totals(of(v, "warmup-only"));
      if (n.runs === 0 || w.runs === 0 || (n.hang === 0 && w.hang === 0)) continue;
      compared.push(`${v}: ${w.hang}/${w.runs} with it vs ${n.hang}/${n.runs} without`);
      noneHang += n.hang;
      warmHang += w.hang;
      runsN += n.runs;
      runsW += w.runs;
    }
    if (compared.length > 0) {
      const rn = noneHang / runsN;
      const rw = warmHang / runsW;
      const verdict =
        warmHang === 0
          ? "it prevented every hang"
          : rw >= rn * 0.8
            ? "it does not prevent the hang (its hang rate is at least 80 % of the unmitigated one)"
            : `it lowers the hang rate from ${pct(noneHang, runsN)} to ${pct(warmHang, runsW)} but does not prevent it`;
      out.push(`**Loading a Go warmup library first** (\`warmup-only\`, the original write-up's fix): ${verdict}. Hangs on the versions that hung: ${compared.join("; ")}.`);
    }
    const bad = result.cells.filter((c) => c.mode === "warmup-only" && c.counts.crash + c.counts.fail > 0).map((c) => `${cellName(c)} (${formatCell(c, false)})`);
    if (bad.length > 0) out.push(`With the warmup only there were also crashes or failures: ${list(bad)}.`);
  }

  for (const mode of modesOf(result).filter(isPreloadMode)) {
    const cells = result.cells.filter((c) => c.mode === mode);
    const t = totals(cells);
    const label = `**With \`${mode}\`**`;
    if (t.hang + t.crash + t.fail === 0) {
      out.push(`${label}: ${t.ok}/${t.runs} runs completed on every Bun version measured (${list(versions)}) — zero hangs, zero crashes, zero failures.`);
    } else {
      const bad = cells.filter(cellProblem).map((c) => `${cellName(c)} (${formatCell(c, false)})`);
      out.push(
        `${label}: ${t.ok}/${t.runs} runs completed; ${plural(t.hang, "hang")}, ${plural(t.crash, "crash", "crashes")}, ${plural(t.fail, "failure")}, in: ${list(bad)}.`,
      );
      const clean = versions.filter((v) => of(v, mode).length > 0 && !of(v, mode).some(cellProblem));
      if (clean.length > 0) out.push(`With \`${mode}\` every run completed on Bun ${list(clean)}.`);
    }
  }
  const fixed = versions.filter((v) => !affectedIn(result, v));
  if (fixed.length > 0 && versions.some((v) => affectedIn(result, v))) {
    const ft = totals(result.cells.filter((c) => fixed.includes(c.version)));
    if (ft.hang === 0) out.push(`On Bun ${list(fixed)} (≥ ${FIRST_FIXED}, the upstream fix) no run hung in any mode (${ft.runs} runs).`);
    else out.push(`On Bun ${list(fixed)} (≥ ${FIRST_FIXED}, the upstream fix) ${ft.hang} of ${ft.runs} runs still hung.`);
  }

  const hangs = result.cells.reduce((n, c) => n + c.counts.hang, 0);
  const straced = result.cells.reduce((n, c) => n + (c.straced ?? 0), 0);
  const diagnosed = hangs - straced;
  if (diagnosed > 0) {
    const storms = result.cells.reduce((n, c) => n + c.hangKinds.storm, 0);
    const idle = result.cells.reduce((n, c) => n + c.hangKinds.idle, 0);
    out.push(
      `Of the ${diagnosed} hangs sampled without strace attached, ${storms} (${pct(storms, diagnosed)}) looked like a signal storm when the timeout hit ` +
        `(at least ${Math.round(STORM_MIN_CPU * 100)} % of a core with more than ${STORM_MIN_SWITCHES.toLocaleString("en-US")} context switches/s) and ${idle} were idle (under 5 % CPU: a wait that never ends).`,
    );
  }
  return out;
}

/** Affected as recorded in the result (so a result re-rendered elsewhere reads the same). */
function affectedIn(result: MatrixResult, version: string): boolean {
  return result.environment.bun.find((b) => b.version === version)?.affected ?? compareVersions(version, FIRST_FIXED) < 0;
}

function cellsFor(result: MatrixResult, version: string): Map<string, Map<Mode, CellResult>> {
  const rows = new Map<string, Map<Mode, CellResult>>();
  for (const c of result.cells) {
    if (c.version !== version) continue;
    const key = `${c.scenario}\t${c.path}`;
    if (!rows.has(key)) rows.set(key, new Map());
    rows.get(key)!.set(c.mode, c);
  }
  return rows;
}

function modesOf(result: MatrixResult): Mode[] {
  const present = [...new Set(result.cells.map((c) => c.mode))];
  return [...MODES.filter((m) => present.includes(m)), ...present.filter((m) => !MODES.includes(m))];
}

function straceText(c: CellResult): string {
  const s = c.firstHang?.strace;
  if (s === undefined) return "";
  const parts = Object.entries(s.calls).map(([name, n]) => `${name} ${Math.round(n / s.seconds).toLocaleString("en-US")}/s`);
  return parts.length === 0 ? "; strace: no tgkill/rt_sigreturn calls in 1 s" : `; strace (1 s, all threads): ${parts.join(", ")}`;
}

export function renderMarkdown(result: MatrixResult, resultPath?: string): string {
  const env = result.environment;
  const o = result.options;
  const versions = versionsOf(result);
  const modes = modesOf(result);
  const t = totals(result.cells);
  const lines: string[] = [];
  const source = resultPath === undefined ? "" : ` from \`${relative(REPO_ROOT, resultPath)}\``;
  lines.push("# Compatibility matrix", "");
  lines.push(`<!-- Generated by test/matrix/run.ts${source}. Do not edit by hand: rerun \`npm run matrix\` (or \`bun test/matrix/run.ts --from <result.json>\`). -->`, "");
  lines.push(
    "Every cell is a number of separate Bun processes running one scenario app against the Go-based test fixtures " +
      "(built from the real Asherah library: an N-API addon linking a Go c-archive, and a Go c-shared library loaded with `bun:ffi`), " +
      "each with a hard timeout; a process that does not finish in time is diagnosed, killed with its process group and counted as a hang.",
    "",
  );
  lines.push("| | |", "| --- | --- |");
  lines.push(`| date | ${env.date.replace("T", " ").replace(/\.\d+Z$/, " UTC")} |`);
  lines.push(`| command | \`${env.command}\` |`);
  lines.push(`| platform | ${env.platform.uname} (${env.platform.os}-${env.platform.arch}) |`);
  lines.push(`| CPUs | ${env.platform.cpus} × ${env.platform.cpuModel}; load average ${env.platform.loadavgStart.join(" / ")} at start${env.platform.loadavgEnd ? `, ${env.platform.loadavgEnd.join(" / ")} at end` : ""} |`);
  lines.push(`| Go | fixtures ${env.go.fixtures}, warmup library ${env.go.warmupLibrary} (toolchain on the machine: ${env.go.toolchain}) |`);
  lines.push(`| Bun | ${env.bun.map((b) => `${b.revision === "unknown" ? b.version : b.revision}${b.affected ? "" : " (fixed upstream)"}`).join(", ")} |`);
  lines.push(
    `| runs | ${o.repeat} per cell, ${o.jobs} at a time; timeout ${o.timeoutMs / 1000} s` +
      (o.modes.some((m) => !isPreloadMode(m)) && versions.some((v) => affectedIn(result, v)) && o.controlTimeoutMs < o.timeoutMs
        ? ` (${o.controlTimeoutMs / 1000} s for \`none\` / \`warmup-only\` on Bun < ${FIRST_FIXED}, where hangs are expected)`
        : "") +
      `; ${t.runs.toLocaleString("en-US")} processes in ${formatDuration(result.durationMs)} |`,
  );
  lines.push(
    `| code measured | git ${env.git.commit}${env.git.dirty.length > 0 ? ` with uncommitted changes (${env.git.dirty.map((d) => `\`${d}\``).join(", ")})` : ""}; ` +
      `libraries ${Object.entries(env.prebuilds).map(([f, h]) => `\`${f.split("/").pop()}\` ${h}`).join(", ")} (sha256, first 16 hex) |`,
  );
  lines.push("");
  lines.push("## What this shows", "");
  for (const f of findings(result)) lines.push(`- ${f}`);
  lines.push("");
  lines.push("## How to read the tables", "");
  lines.push("Columns are the modes:", "");
  for (const m of modes) lines.push(`- \`${m}\` — ${MODE_TEXT[m] ?? "see test/support/scenarios.ts"}`);
  lines.push("");
  lines.push(
    "A cell reads `ok/runs`, then the hangs (timeout), crashes (killed by a signal, named) and failures (non-zero exit, or no success line), " +
      "then in parentheses the median wall time of the runs that completed (process start to exit, as seen by the runner).",
    "",
  );
  lines.push("Rows are scenario × loading path (`napi`: `require(\"asherah\")`, the N-API addon; `ffi`: the Go c-shared library through `bun:ffi`). Scenarios:", "");
  const scenarios = [...new Set(result.cells.map((c) => c.scenario))];
  for (const s of scenarios) lines.push(`- \`${s}\` — ${SCENARIO_TEXT[s] ?? s}`);
  lines.push("");
  for (const v of versions) {
    const bun = env.bun.find((b) => b.version === v);
    const vc = result.cells.filter((c) => c.version === v);
    const vt = totals(vc);
    lines.push(`## Bun ${v}${bun && !bun.affected ? " (fixed upstream)" : ""}`, "");
    lines.push(`${vt.ok}/${vt.runs} runs completed; ${plural(vt.hang, "hang")}, ${plural(vt.crash, "crash", "crashes")}, ${plural(vt.fail, "failure")}.`, "");
    lines.push(`| scenario | path | ${modes.join(" | ")} |`);
    lines.push(`| --- | --- | ${modes.map(() => "---").join(" | ")} |`);
    for (const [key, row] of cellsFor(result, v)) {
      const [scenario, path] = key.split("\t");
      const cells = modes.map((m) => {
        const c = row.get(m);
        if (c === undefined) return "–";
        const text = formatCell(c);
        return cellProblem(c) ? `**${text}**` : text;
      });
      lines.push(`| ${scenario} | ${path} | ${cells.join(" | ")} |`);
    }
    lines.push("");
  }
  const hung = result.cells.filter((c) => c.firstHang !== null);
  if (hung.length > 0) {
    lines.push("## Hang diagnoses", "");
    lines.push(
      "For each cell with a hang: the process as sampled for 300 ms when its first hang timed out (threads, CPU, context switches/s); how the hangs sampled without strace split into " +
        "signal storm / idle / other; and, where taken, a 1 s `strace -f -c -e trace=tgkill,rt_sigreturn` count on a later hanging run of the same cell (calls per second under strace, which slows the storm down).",
      "",
    );
    lines.push("| Bun | scenario | path | mode | hangs | storm / idle / other | first hang |");
    lines.push("| --- | --- | --- | --- | --- | --- | --- |");
    for (const c of hung) {
      lines.push(
        `| ${c.version} | ${c.scenario} | ${c.path} | ${c.mode} | ${c.counts.hang}/${c.runs} | ${c.hangKinds.storm} / ${c.hangKinds.idle} / ${c.hangKinds.other}${c.straced ? ` (+${c.straced} straced)` : ""} | ${c.firstHang!.summary.replace(/\|/g, "\\|")}${straceText(c)} |`,
      );
    }
    lines.push("");
  }
  const failed = result.cells.filter((c) => c.firstFailure !== null);
  if (failed.length > 0) {
    lines.push("## Crashes and failures", "");
    lines.push("The last lines of output of the first crash or failure in each cell.", "");
    for (const c of failed) {
      const f = c.firstFailure!;
      lines.push(`- **${c.version} ${c.scenario}/${c.path} ${c.mode}** — ${formatCell(c, false)}; first: ${f.outcome} (exit ${f.exitCode ?? "-"}, signal ${f.signal ?? "-"})`);
      if (f.output.trim() !== "") {
        lines.push("", "  ```text", ...f.output.split("\n").map((l) => `  ${l.slice(0, 200)}`), "  ```", "");
      }
    }
    lines.push("");
  }
  return `${lines.join("\n").replace(/\n{3,}/g, "\n\n").trimEnd()}\n`;
}

/** Plain-text summary table for the terminal. */
export function renderSummary(result: MatrixResult): string {
  const modes = modesOf(result);
  const rows: string[][] = [["bun", "scenario", "path", ...modes]];
  for (const v of versionsOf(result)) {
    for (const [key, row] of cellsFor(result, v)) {
      const [scenario = "", path = ""] = key.split("\t");
      rows.push([v, scenario, path, ...modes.map((m) => (row.get(m) ? formatCell(row.get(m)!) : "–"))]);
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  const fmt = (r: string[]) => r.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd();
  const out = [fmt(rows[0]!), widths.map((w) => "-".repeat(w)).join("  ")];
  let last = "";
  for (const r of rows.slice(1)) {
    if (last !== "" && r[0] !== last) out.push("");
    last = r[0]!;
    out.push(fmt(r));
  }
  out.push("", ...findings(result).map((f) => `* ${f.replace(/\*\*/g, "").replace(/`/g, "")}`));
  return out.join("\n");
}
