// Runs one real process with a hard timeout, in its own process group, and
// classifies the result. A hang is an outcome, not a stuck test run: on
// timeout we look at the process (thread states, pending signals, CPU use),
// then kill the whole group.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

export type Outcome = "ok" | "fail" | "crash" | "hang";

export interface RunResult {
  readonly outcome: Outcome;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly wallMs: number;
  /** For a hang: what the process was doing when the timeout hit. */
  readonly diagnosis?: HangDiagnosis;
}

export interface HangDiagnosis {
  readonly threads: number;
  readonly runningThreads: number;
  /** Fraction of one core the process used over a short sample window (1 = 100 %). */
  readonly cpu: number;
  /**
   * Context switches per second over all threads in the sample window. Linux
   * keeps no per-process count of delivered signals; in a suspend-signal storm
   * every signal costs the JS thread a switch, so this rate is the visible trace.
   */
  readonly switchesPerSecond: number | undefined;
  readonly summary: string;
}

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: Record<string, string | undefined>;
  readonly timeoutMs: number;
  /** Diagnose hangs (costs ~300 ms of sampling at timeout). */
  readonly diagnose?: boolean;
  readonly stdin?: string;
}

const CLK_TCK = 100;

function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

function cpuTicks(pid: number): number | undefined {
  const stat = readProc(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

function contextSwitches(pid: number): number | undefined {
  let total = 0;
  let found = false;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const status = readProc(`/proc/${pid}/task/${tid}/status`);
      const match = status === undefined ? null : /nonvoluntary_ctxt_switches:\s+(\d+)/.exec(status);
      const voluntary = status === undefined ? null : /\nvoluntary_ctxt_switches:\s+(\d+)/.exec(status);
      if (match?.[1] !== undefined) {
        total += Number(match[1]) + Number(voluntary?.[1] ?? 0);
        found = true;
      }
    }
  } catch {
    return undefined;
  }
  return found ? total : undefined;
}

function threadStates(pid: number): { threads: number; running: number } {
  let threads = 0;
  let running = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const stat = readProc(`/proc/${pid}/task/${tid}/stat`);
      if (stat === undefined) continue;
      threads++;
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("R")) running++;
    }
  } catch {
    // gone
  }
  return { threads, running };
}

async function diagnose(pid: number): Promise<HangDiagnosis> {
  const windowMs = 300;
  const ticks0 = cpuTicks(pid);
  const switches0 = contextSwitches(pid);
  await Bun.sleep(windowMs);
  const ticks1 = cpuTicks(pid);
  const switches1 = contextSwitches(pid);
  const { threads, running } = threadStates(pid);
  const cpu = ticks0 !== undefined && ticks1 !== undefined ? (ticks1 - ticks0) / CLK_TCK / (windowMs / 1000) : 0;
  const rate = switches0 !== undefined && switches1 !== undefined ? Math.round(((switches1 - switches0) * 1000) / windowMs) : undefined;
  const summary =
    `${threads} threads, ${running} running, ${Math.round(cpu * 100)}% CPU` +
    (rate === undefined ? "" : `, ${rate} context switches/s`) +
    (cpu > 0.3 && (rate ?? 0) > 1000 ? " — looks like a signal storm (busy JS thread, thousands of wakeups/s)" : cpu < 0.05 ? " — idle: a deadlock or a wait that never ends" : "");
  return { threads, runningThreads: running, cpu, switchesPerSecond: rate, summary };
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
}

export async function runProcess(command: readonly string[], options: RunOptions): Promise<RunResult> {
  const [file, ...args] = command;
  if (file === undefined) throw new Error("runProcess: empty command");
  const started = performance.now();
  const child = spawn(file, args, {
    cwd: options.cwd,
    env: (options.env ?? process.env) as NodeJS.ProcessEnv,
    detached: true, // own process group: a hang is killed with everything it started
    stdio: ["pipe", "pipe", "pipe"],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`runProcess: could not start ${file}`);
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  child.stdin.end(options.stdin ?? "");
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal })),
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), options.timeoutMs);
  });
  const first = await Promise.race([exited, timedOut]);
  clearTimeout(timer);
  if (first === "timeout") {
    const diagnosis = options.diagnose === false ? undefined : await diagnose(pid);
    killGroup(pid);
    const { signal } = await exited;
    return { outcome: "hang", exitCode: null, signal, stdout, stderr, wallMs: performance.now() - started, diagnosis };
  }
  killGroup(pid); // leftovers (forked children) die with the run
  const { code, signal } = first;
  const outcome: Outcome = signal !== null ? "crash" : code === 0 ? "ok" : "fail";
  return { outcome, exitCode: code, signal, stdout, stderr, wallMs: performance.now() - started };
}

export function describeRun(result: RunResult): string {
  const head = `${result.outcome} (exit ${result.exitCode ?? "-"}, signal ${result.signal ?? "-"}, ${Math.round(result.wallMs)} ms)`;
  const diag = result.diagnosis === undefined ? "" : `\n  hang: ${result.diagnosis.summary}`;
  const tail = (text: string) => text.trim().split("\n").slice(-15).join("\n    ");
  return `${head}${diag}\n  stdout: ${tail(result.stdout)}\n  stderr: ${tail(result.stderr)}`;
}
