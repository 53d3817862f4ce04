// One measured child process: wall time seen by the parent and CPU time
// (user + system) of the child from wait4()'s rusage, which Bun exposes as
// resourceUsage. Linux splits user/system by tick sampling, but their sum is
// the scheduler's exact runtime, so only the sum is reported. (Its maxRSS is
// not the child's own peak: the same value for every child of a run, so RSS
// is read by the probes from /proc/self/status instead.)

export interface ChildResult {
  readonly ok: boolean;
  readonly timedOut: boolean;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ChildOptions {
  readonly cwd: string;
  readonly env: Record<string, string | undefined>;
  readonly timeoutMs: number;
}

/** The environment without any ASHERAH_BUN_PRELOAD_* variable of the caller's. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith("ASHERAH_BUN_PRELOAD_") || key === "BUN_INSPECT" || key === "NODE_OPTIONS") continue;
    env[key] = value;
  }
  return { ...env, NO_COLOR: "1", ...extra };
}

const decoder = new TextDecoder();

export function runChild(cmd: readonly string[], options: ChildOptions): ChildResult {
  const started = Bun.nanoseconds();
  const result = Bun.spawnSync({
    cmd: [...cmd],
    cwd: options.cwd,
    env: options.env,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    timeout: options.timeoutMs,
    killSignal: "SIGKILL",
  });
  const wallMs = (Bun.nanoseconds() - started) / 1e6;
  const usage = result.resourceUsage;
  const cpuMs = usage === undefined ? Number.NaN : Number(usage.cpuTime.total) / 1000;
  const timedOut = result.exitedDueToTimeout === true;
  return {
    ok: result.exitCode === 0 && !timedOut,
    timedOut,
    exitCode: result.exitCode,
    signal: result.signalCode == null ? null : String(result.signalCode),
    wallMs,
    cpuMs,
    stdout: result.stdout ? decoder.decode(result.stdout) : "",
    stderr: result.stderr ? decoder.decode(result.stderr) : "",
  };
}

/** The last line of stdout that parses as JSON, or throws with the child's output. */
export function lastJson<T>(result: ChildResult, what: string): T {
  const lines = result.stdout.trim().split("\n").reverse();
  for (const line of lines) {
    if (!line.startsWith("{")) continue;
    try {
      return JSON.parse(line) as T;
    } catch {
      // keep looking
    }
  }
  throw new Error(`${what}: no JSON result (exit ${result.exitCode}, signal ${result.signal}, timedOut ${result.timedOut})\nstdout: ${result.stdout.slice(-2000)}\nstderr: ${result.stderr.slice(-2000)}`);
}
