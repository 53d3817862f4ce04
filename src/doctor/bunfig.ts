// Which bunfig.toml applies, and whether its preload lists asherah-bun-preload.
import { lstatSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { classifyPreloadEntry, type EntryCheck } from "./entries.ts";
import { describeReadError, readText } from "./read.ts";
import { PACKAGE_ROOT } from "./self.ts";
import { parseBunfigPreloads } from "./toml.ts";

export interface BunfigReport {
  /** The nearest bunfig.toml walking up from cwd, if any. */
  readonly path: string | undefined;
  /** Bun reads bunfig.toml only from the directory it starts in (checked on 1.2.19 and 1.4.5). */
  readonly readByBun: boolean;
  readonly run: readonly EntryCheck[] | undefined;
  readonly test: readonly EntryCheck[] | undefined;
  readonly configuredForRun: boolean;
  readonly configuredForTest: boolean;
  readonly warnings: readonly string[];
}

/** Preload entries checked per list; real bunfig files have a handful. */
export const MAX_ENTRIES = 64;

function findBunfig(cwd: string): string | undefined {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const candidate = join(dir, "bunfig.toml");
    try {
      lstatSync(candidate);
      return candidate;
    } catch {
      // not here
    }
    if (dirname(dir) === dir) return undefined;
  }
}

export function inspectBunfig(cwd: string, selfRoot: string = PACKAGE_ROOT): BunfigReport {
  const path = findBunfig(cwd);
  if (path === undefined) return { path, readByBun: false, run: undefined, test: undefined, configuredForRun: false, configuredForTest: false, warnings: [] };
  const readByBun = dirname(path) === resolve(cwd);
  let text: string;
  try {
    text = readText(path);
  } catch (error) {
    return { path, readByBun, run: undefined, test: undefined, configuredForRun: false, configuredForTest: false, warnings: [`cannot read it: ${describeReadError(error)}`] };
  }
  const parsed = parseBunfigPreloads(text);
  const dir = dirname(path);
  const warnings = [...parsed.warnings];
  // Each entry may cost a walk up the folders and a manifest read: a crafted list must not multiply that.
  const classify = (label: string, list: readonly string[] | undefined) => {
    if (list === undefined) return undefined;
    if (list.length > MAX_ENTRIES) warnings.push(`${label} has ${list.length} entries; only the first ${MAX_ENTRIES} were checked`);
    return list.slice(0, MAX_ENTRIES).map((entry) => classifyPreloadEntry(entry, dir, selfRoot));
  };
  const run = classify("preload", parsed.run);
  const test = classify("[test] preload", parsed.test);
  const ours = (list: readonly EntryCheck[] | undefined) => list?.some((e) => e.kind === "self" || e.kind === "package") ?? false;
  const broken = (list: readonly EntryCheck[] | undefined) => list?.some((e) => e.kind === "missing" || e.kind === "broken") ?? false;
  return {
    path,
    readByBun,
    run,
    test,
    // A preload that does not resolve stops Bun before the app runs: not "configured".
    configuredForRun: readByBun && ours(run) && !broken(run),
    configuredForTest: readByBun && ours(test) && !broken(test),
    warnings,
  };
}
