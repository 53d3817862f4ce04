// `asherah-bun-preload doctor`: everything that decides whether a Go-based
// module will hang, load or crash under this Bun in this directory. It
// inspects and never executes: no file of the checked project, and no
// library from a folder its environment names, is required, imported or
// dlopened; every read is capped and refuses FIFOs, devices and folders.
//
//   bunfig.ts, toml.ts   which bunfig.toml applies and what it preloads
//   dotenv.ts            what the project's .env files set for the preload
//   entries.ts           whether a preload entry is asherah-bun-preload
//   packages.ts          which copy of a guarded package Bun would find
//   go-scan.ts           Go runtimes anywhere under the reachable node_modules
//   native-files.ts,     the package's native files: Go runtime, NODELETE,
//   elf-dynamic.ts       STB_GNU_UNIQUE, read from the bytes
//   libraries.ts,        the preload's own libraries: shipped bytes (src/shipped.ts),
//   permissions.ts       ELF checks (src/elf.ts), who could replace them
//   signals.ts           this process's dispositions from /proc/self/status
//   judge.ts             findings, verdict, exit code (pure)
//   format.ts            the text report
//   read.ts              the one capped reader all of them use
import { realpathSync, statSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import { isAffected, parseVersion } from "../bun-version.ts";
import { DEFAULT_PACKAGES, readConfig, type Config } from "../config.ts";
import { describeError } from "../errors.ts";
import { currentPlatform, detectLibc, GLIBC_NEEDED, locatePrebuilds, olderThanNeeded, runningGlibc } from "../platform.ts";
import { inspectBunfig } from "./bunfig.ts";
import { readProjectEnv } from "./dotenv.ts";
import { judge } from "./judge.ts";
import { packageOfPath, reachableNodeModules, scanForGo, type GoScanReport } from "./go-scan.ts";
import { checkLibraries } from "./libraries.ts";
import { inspectNativeFile, NATIVE_NAME, nativeFilesOf, notInspected } from "./native-files.ts";
import { findPackage } from "./packages.ts";
import { checkPermissions } from "./permissions.ts";
import { describeKind, NATIVE_CAP, NATIVE_TOTAL_CAP, readManifest, realpathOrUndefined } from "./read.ts";
import type { DoctorReport, LibraryDirReport, PackageReport } from "./report.ts";
import { PACKAGE_NAME, PACKAGE_ROOT, PREBUILDS_DIR, START_BYTECODE } from "./self.ts";
import { inspectSignals } from "./signals.ts";

export { parseBunfigPreloads, MAX_DEPTH } from "./toml.ts";
export { classifyPreloadEntry, type EntryCheck, type EntryKind } from "./entries.ts";
export { findGoBuildInfo, readElfDynamic, keptLoaded } from "./elf-dynamic.ts";
export { inspectNativeFile, nativeFilesOf } from "./native-files.ts";
export { inspectBunfig } from "./bunfig.ts";
export { judge } from "./judge.ts";
export { formatReport } from "./format.ts";
export { PACKAGE_NAME, PACKAGE_ROOT, SELF_ENTRY } from "./self.ts";
export type { DoctorReport, DoctorFacts, Finding, Level, PackageReport } from "./report.ts";

export interface DoctorOptions {
  readonly cwd: string;
  readonly env?: Record<string, string | undefined>;
  /** Where the doctor process started (Bun loaded that folder's .env); process.cwd() by default. */
  readonly startDir?: string;
}

function suspendSignalOf(bunVersion: string, platform: string): "SIGPWR" | "SIGUSR1" | undefined {
  if (platform !== "linux") return undefined;
  const v = parseVersion(bunVersion);
  if (v === undefined) return undefined;
  return v.major === 1 && v.minor < 2 ? "SIGUSR1" : "SIGPWR";
}

/** This copy's package.json, read once; empty when it cannot be read. */
function ownManifest(): Record<string, unknown> {
  try {
    return readManifest(resolve(PACKAGE_ROOT, "package.json"));
  } catch {
    return {};
  }
}

function toolVersion(manifest: Record<string, unknown>): string {
  return typeof manifest.version === "string" ? manifest.version : "unknown";
}

/** This copy's start-path bytecode cache and whether the running Bun is the release it was made by (its pinned Bun). */
function startBytecode(manifest: Record<string, unknown>): NonNullable<DoctorReport["bun"]["startBytecode"]> {
  const dev = manifest.devDependencies as Record<string, unknown> | undefined;
  const builtFor = typeof dev?.bun === "string" ? dev.bun : undefined;
  // stat, never open: Bun itself opens and reads it without looking (docs/how-it-works.md, "Trust").
  let present = false;
  let notRegular: string | undefined;
  try {
    const stats = statSync(START_BYTECODE);
    present = stats.isFile() && stats.size > 0;
    if (!stats.isFile()) notRegular = describeKind(stats);
  } catch {
    present = false;
  }
  return { path: START_BYTECODE, builtFor, present, used: present && builtFor === Bun.version, ...(notRegular === undefined ? {} : { notRegular }) };
}

/** The preload's own words for a glibc older than the shipped libraries need (lifecycle.ts ensureCore), or undefined. */
function olderGlibc(override: boolean): string | undefined {
  const running = process.platform === "linux" && !override ? runningGlibc() : undefined;
  if (running === undefined || !olderThanNeeded(running)) return undefined;
  return `this system's glibc ${running} is older than the ${GLIBC_NEEDED} the prebuilt libraries need: the preload runs without its core here and refuses asherah at its load. Use an image with glibc ${GLIBC_NEEDED} or later (Debian 12, Ubuntu 22.04), or asherah 4.x (no Go runtime).`;
}

/** Where this process started; "" when that folder was removed (then it is not the checked one). */
function startFolder(): string {
  try {
    return process.cwd();
  } catch {
    return "";
  }
}

function sameFolder(a: string, b: string): boolean {
  if (a === "") return false;
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return resolve(a) === resolve(b);
  }
}

function inside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

export function inspectPackage(name: string, cwd: string, caps: { readonly file: number; readonly total: number } = { file: NATIVE_CAP, total: NATIVE_TOTAL_CAP }): PackageReport {
  const found = findPackage(name, cwd);
  if (found === undefined) return { name, resolved: false, nativeFiles: [] };
  if (found.problem !== undefined) return { name, resolved: false, root: found.root, problem: found.problem, nativeFiles: [] };
  // At most NATIVE_CAP per file and NATIVE_TOTAL_CAP per package: 50 files near the cap must not read 12 GiB.
  let budget = caps.total;
  const nativeFiles = nativeFilesOf(found.root, found.entry).map((file) => {
    if (budget <= 0) return notInspected(file, `not inspected: the doctor reads at most ${caps.total} bytes of one package's native files`);
    const report = inspectNativeFile(file, Math.min(caps.file, budget));
    budget -= report.size;
    return report;
  });
  return { name, resolved: true, root: found.root, entry: found.entry, version: found.version, nativeFiles };
}

/**
 * Go runtimes under the node_modules folders reachable from cwd, other than
 * the files of the copies in `packages` (reported there) and this package's
 * own warmup library, in any copy.
 */
function scanProject(cwd: string, guarded: readonly string[], packages: readonly PackageReport[]): GoScanReport {
  const real = (path: string) => realpathOrUndefined(path) ?? path;
  const own = real(PREBUILDS_DIR);
  const reported = new Set(packages.flatMap((p) => p.nativeFiles.map((f) => real(f.path))));
  // Any copy of this package, folder or file: its warmup library is Go, and
  // no application loads it as a module. A file the package report above
  // read already is not read again (nor reported unread twice).
  const skipped = (path: string) => {
    if (packageOfPath(path) === PACKAGE_NAME) return true;
    if (!NATIVE_NAME.test(path)) return false;
    const file = real(path);
    return reported.has(file) || inside(file, own);
  };
  return scanForGo(reachableNodeModules(cwd), guarded, skipped);
}

function inspectLibraryDir(dir: string, cwd: string): LibraryDirReport {
  const check = checkPermissions(dir, "folder");
  const real = check.real;
  return {
    path: dir,
    ...(real === undefined ? {} : { real }),
    exists: real !== undefined,
    insideProject: inside(dir, cwd) || (real !== undefined && inside(real, cwd)),
    permissions: check.issues,
  };
}

export function runDoctor(options: DoctorOptions): DoctorReport {
  const cwd = resolve(options.cwd);
  const processEnv = options.env ?? process.env;
  // The project's .env files, as Bun would apply them when started in cwd; the process's own variables win.
  const dotenv = readProjectEnv(cwd, processEnv.NODE_ENV);
  const loadedByBun = sameFolder(options.startDir ?? startFolder(), cwd);
  const env = { ...dotenv.values, ...processEnv };
  let config: Config | undefined;
  let configError: string | undefined;
  try {
    config = readConfig(env);
  } catch (error) {
    configError = describeError(error).replace(/^asherah-bun-preload: /, "");
  }
  const key = currentPlatform();
  const found = locatePrebuilds(key, PREBUILDS_DIR, config?.libraryDir);
  const location = found.status === "native" ? found : undefined;
  const platformProblem = found.status === "native" ? olderGlibc(found.override) : found.reason;
  const libraryDir = config?.libraryDir === undefined ? undefined : inspectLibraryDir(config.libraryDir, cwd);
  const libraries = location === undefined ? [] : checkLibraries(location, libraryDir !== undefined);
  const manifest = ownManifest();
  const guarded = config?.packages ?? DEFAULT_PACKAGES;
  const packages = guarded.map((name) => inspectPackage(name, cwd));
  const facts = {
    tool: { name: PACKAGE_NAME, version: toolVersion(manifest), root: PACKAGE_ROOT },
    cwd,
    bun: {
      version: Bun.version,
      path: process.execPath,
      affected: isAffected(Bun.version, process.platform),
      suspendSignal: suspendSignalOf(Bun.version, process.platform),
      fixedIn: "1.4.4",
      startBytecode: startBytecode(manifest),
    },
    platform: { ...key, libc: detectLibc(), supported: found.status !== "unsupported" && platformProblem === undefined, problem: platformProblem, prebuildDir: location?.dir },
    config: { valid: config !== undefined, error: configError, values: config },
    ...(dotenv.files.length > 0 || dotenv.problems.length > 0 ? { projectEnv: { ...dotenv, loadedByBun } } : {}),
    ...(libraryDir === undefined ? {} : { libraryDir }),
    libraries,
    bunfig: inspectBunfig(cwd),
    packages,
    goScan: scanProject(cwd, guarded, packages),
    signals: inspectSignals(),
  };
  return { ...facts, ...judge(facts) };
}
