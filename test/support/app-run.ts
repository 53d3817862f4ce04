// Small pieces the limit and integrity e2e tests share: a clean environment
// for a preload run, the JSON line an app prints, and gcc for tiny C
// libraries. (runProcess in spawn.ts does the running.)
import { execFileSync } from "node:child_process";

/** process.env without the developer's ASHERAH_BUN_PRELOAD_* settings, plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith("ASHERAH_BUN_PRELOAD_")) delete env[key];
  delete env.BUN_INSTALL_CACHE_DIR;
  env.BUN_RUNTIME_TRANSPILER_CACHE_PATH = "0";
  return { ...env, ...extra };
}

/** The JSON after `prefix ` on the first stdout line that starts with it. */
export function jsonLine<T>(stdout: string, prefix: string): T {
  const line = stdout.split("\n").find((l) => l.startsWith(prefix + " "));
  if (line === undefined) throw new Error(`no "${prefix}" line in:\n${stdout}`);
  return JSON.parse(line.slice(prefix.length + 1)) as T;
}

/** Compiles C source into a shared library at `out`. */
export function buildSharedLibrary(source: string, out: string, extraArgs: string[] = []): void {
  execFileSync(process.env.CC ?? "gcc", ["-shared", "-fPIC", "-O2", "-o", out, source, ...extraArgs], { stdio: ["ignore", "ignore", "inherit"] });
}
