// The ASHERAH_BUN_PRELOAD_* variables a project's .env files set. Bun loads
// them only from the directory it starts in: run inside the project, the
// doctor's own environment already has them; run from elsewhere with --cwd,
// the doctor reads them here (as capped text) so that the report describes
// what the application would see. Bun's order, increasing precedence (its
// docs, runtime/env): .env, .env.<NODE_ENV> (production, development (the
// default) or test), .env.local (not when NODE_ENV=test); the process's own
// environment wins over every file. Not modelled: Bun's $VAR expansion.
import { join } from "node:path";
import { ENV_PREFIX } from "../config.ts";
import { describeReadError, readText, ReadRefused } from "./read.ts";

export interface ProjectEnv {
  /** The .env files that exist, in the order Bun applies them. */
  readonly files: readonly string[];
  /** ASHERAH_BUN_PRELOAD_* values after Bun's precedence (files only). */
  readonly values: Readonly<Record<string, string>>;
  /** Files that exist but were not read (FIFO, too large, ...). */
  readonly problems: readonly string[];
}

export function dotenvFiles(nodeEnv: string | undefined): string[] {
  const mode = nodeEnv === "production" || nodeEnv === "test" ? nodeEnv : "development";
  return [".env", `.env.${mode}`, ...(mode === "test" ? [] : [".env.local"])];
}

/** Pure: KEY=VALUE lines (optional `export`, quotes, # comments). */
export function parseDotenv(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(raw);
    if (match === null) continue;
    const [, key, rest] = match as unknown as [string, string, string];
    let value = rest.trim();
    const quote = value[0];
    if ((quote === '"' || quote === "'" || quote === "`") && value.indexOf(quote, 1) > 0) {
      value = value.slice(1, value.indexOf(quote, 1));
      if (quote === '"') value = value.replace(/\\n/g, "\n");
    } else {
      value = value.replace(/\s+#.*$/, "").trim();
    }
    values.set(key, value);
  }
  return values;
}

export function readProjectEnv(dir: string, nodeEnv: string | undefined): ProjectEnv {
  const files: string[] = [];
  const problems: string[] = [];
  const values: Record<string, string> = {};
  for (const name of dotenvFiles(nodeEnv)) {
    const path = join(dir, name);
    let text: string;
    try {
      text = readText(path);
    } catch (error) {
      if (!(error instanceof ReadRefused && error.reason === "missing")) problems.push(describeReadError(error));
      continue;
    }
    files.push(path);
    for (const [key, value] of parseDotenv(text)) if (key.startsWith(ENV_PREFIX)) values[key] = value;
  }
  return { files, values, problems };
}
