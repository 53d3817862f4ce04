#!/usr/bin/env bun
// The command line: `bunx asherah-bun-preload doctor [--json] [--cwd DIR]`.
import { statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { formatReport, runDoctor } from "./doctor/index.ts";

const USAGE = `usage: asherah-bun-preload doctor [--json] [--cwd DIR]
       asherah-bun-preload --help

doctor   checks whether Go-based native modules (asherah 3.x,
         ASHERAH_BUN_PRELOAD_PACKAGES) will load and run under this Bun in DIR:
         Bun version, platform, the preload's native libraries (shipped
         checksums, ELF headers, who may write them), bunfig.toml preload
         entries, the guarded packages' native files (Go runtime, NODELETE),
         every other Go runtime under the node_modules folders DIR can
         load from, signal dispositions. It only reads files: nothing from DIR or from
         ASHERAH_BUN_PRELOAD_LIBRARY_DIR is imported, required or loaded.
  --json     print the report as one JSON object instead of text
  --cwd DIR  check DIR instead of the current directory (where bun would start).
             The doctor is a Bun process too: started inside DIR, Bun itself
             applies DIR's bunfig.toml preload and loads DIR's .env before the
             doctor runs (as it would for your app). To inspect a project you
             do not trust, or one whose bunfig.toml preload is broken, run it
             from elsewhere with --cwd DIR.

exit status: 0 nothing would break, 1 something would break (ERROR lines),
             3 warnings only, 2 bad command line.
`;

class UsageError extends Error {}

interface Command {
  readonly json: boolean;
  readonly cwd: string;
}

/** Parses argv (without the runtime and script). Returns "help" or a doctor command; throws UsageError. */
/** The working folder; one that was removed under the process is a usage error, not a crash. */
function currentFolder(): string {
  try {
    return process.cwd();
  } catch (error) {
    throw new UsageError(`the current folder cannot be found (${(error as { code?: unknown }).code ?? String(error)}): run the doctor from an existing folder, or give --cwd DIR`);
  }
}

export function parseArgs(args: readonly string[], cwd?: string): Command | "help" {
  if (args.length === 0) throw new UsageError("missing command");
  if (args.includes("--help") || args.includes("-h") || args[0] === "help") return "help";
  const [command, ...rest] = args;
  if (command !== "doctor") throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  let json = false;
  let dir: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === "--json") {
      json = true;
    } else if (arg === "--cwd" || arg.startsWith("--cwd=")) {
      if (dir !== undefined) throw new UsageError("--cwd given twice");
      const value = arg === "--cwd" ? rest[++i] : arg.slice("--cwd=".length);
      if (value === undefined || value === "") throw new UsageError("--cwd needs a directory");
      dir = value;
    } else {
      throw new UsageError(`unknown option ${JSON.stringify(arg)} for doctor`);
    }
  }
  const target = dir !== undefined && isAbsolute(dir) ? resolve(dir) : resolve(cwd ?? currentFolder(), dir ?? ".");
  const named = dir === undefined ? "the current folder" : `--cwd ${JSON.stringify(dir)}`;
  let isDirectory: boolean;
  try {
    isDirectory = statSync(target).isDirectory();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const why = code === "ENOENT" ? "does not exist" : code === "EACCES" || code === "EPERM" ? `cannot be examined (${code}): run the doctor as a user who can read it` : `cannot be examined (${typeof code === "string" ? code : String(error)})`;
    throw new UsageError(`${named}: ${target} ${why}`);
  }
  if (!isDirectory) throw new UsageError(`${named}: ${target} is not a directory`);
  return { json, cwd: target };
}

export function main(args: readonly string[]): number {
  let command: Command | "help";
  try {
    command = parseArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`asherah-bun-preload: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (command === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  const report = runDoctor({ cwd: command.cwd, env: process.env });
  process.stdout.write(command.json ? JSON.stringify(report, null, 2) + "\n" : formatReport(report));
  return report.exitCode;
}

if (import.meta.main) process.exitCode = main(process.argv.slice(2));
