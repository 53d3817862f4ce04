// Pure: the findings, verdict and exit code for the facts the doctor collected.
import { dirname, join } from "node:path";
import type { GoModule } from "./go-scan.ts";
import type { LibraryReport } from "./libraries.ts";
import type { PermissionIssue } from "./permissions.ts";
import type { DoctorFacts, DoctorReport, Finding, Level } from "./report.ts";

const LIBRARY_NAMES: Readonly<Record<string, string>> = {
  warmup: "Go warmup library",
  signals: "signal helper library",
  core: "native helper addon",
};

function libraryName(lib: LibraryReport): string {
  return LIBRARY_NAMES[lib.role] ?? `library ${lib.role}`;
}

/** The finding text for a guarded package's native file cut short inside what the loader maps. */
function cutShort(path: string, name: string, cut: { readonly needed: number; readonly size: number }): string {
  return `${path} (${name}) is cut short: its ELF headers map ${cut.needed} bytes, the file has ${cut.size}. The preload refuses to load it (Bun alone would crash): reinstall ${name}.`;
}

function noNodelete(path: string, packageName: string): string {
  return `${path} (${packageName}) links a Go runtime but is not linked NODELETE (-Wl,-z,nodelete) and has no STB_GNU_UNIQUE symbol: if the runtime unloads it (e.g. a Worker that loaded it exits) while Go's threads still run, the process crashes.`;
}

export function judge(report: DoctorFacts): Pick<DoctorReport, "findings" | "verdict" | "exitCode"> {
  const findings: Finding[] = [];
  const add = (level: Level, code: string, message: string) => findings.push({ level, code, message });
  const { bun, platform, config, libraries, bunfig, packages, libraryDir } = report;

  if (!config.valid) add("error", "CONFIG", `the preload would refuse to start: ${config.error ?? "invalid configuration"}`);
  if (config.values?.disabled) add("warn", "DISABLED", "ASHERAH_BUN_PRELOAD_DISABLE is set: the preload does nothing in processes with this environment.");
  if (!platform.supported) add("error", "PLATFORM", platform.problem ?? "unsupported platform");
  const projectEnv = report.projectEnv;
  const dotenvKeys = Object.keys(projectEnv?.values ?? {});
  if (projectEnv !== undefined && dotenvKeys.length > 0) {
    add(
      "info",
      "PROJECT_ENV",
      `${projectEnv.files.join(", ")} set${projectEnv.files.length === 1 ? "s" : ""} ${dotenvKeys.join(", ")}: Bun applies ${dotenvKeys.length === 1 ? "it" : "them"} to every process started in ${report.cwd}${projectEnv.loadedByBun ? " (this one included)" : "; this report does too"}.`,
    );
  }
  for (const problem of projectEnv?.problems ?? []) add("warn", "PROJECT_ENV_UNREADABLE", `${problem}: the doctor did not read it; Bun reads it when started in ${report.cwd}.`);
  if (libraryDir !== undefined) {
    add(
      "info",
      "LIBRARY_DIR",
      `ASHERAH_BUN_PRELOAD_LIBRARY_DIR=${libraryDir.path}${libraryDir.real !== undefined && libraryDir.real !== libraryDir.path ? ` (really ${libraryDir.real})` : ""}${libraryDir.insideProject ? `, a folder inside ${report.cwd}` : ""}: the preload loads its libraries from there without checksums. The doctor only read them; check that this variable (a .env file can set it) is meant.`,
    );
    if (!libraryDir.exists) add("error", "LIBRARY_DIR_MISSING", `ASHERAH_BUN_PRELOAD_LIBRARY_DIR=${libraryDir.path} does not exist.`);
  }
  for (const lib of libraries) {
    const name = libraryName(lib);
    if (lib.integrity === "missing") add("error", "LIBRARY_MISSING", `the ${name} ${lib.path} does not exist. Reinstall asherah-bun-preload or fix ASHERAH_BUN_PRELOAD_LIBRARY_DIR.`);
    else if (lib.integrity === "unreadable") add("error", "LIBRARY_INVALID", `the ${name} ${lib.path} cannot be read: ${lib.problem}.`);
    else if (lib.integrity === "mismatch") add("error", "CHECKSUM_MISMATCH", `the ${name} ${lib.path} has sha256 ${lib.sha256}, the package shipped ${lib.expected}: the preload will refuse to load it. Reinstall asherah-bun-preload.`);
    else if (lib.integrity === "unlisted") add("error", "CHECKSUM_MISMATCH", `the ${name} ${lib.path} has no shipped checksum in this copy of asherah-bun-preload: the preload will refuse to load it.`);
    else if (lib.problem !== undefined) add("error", "LIBRARY_INVALID", `the ${name} ${lib.path} cannot be loaded: ${lib.problem}.`);
  }
  // One finding per path and problem: the libraries share a folder, which may be LIBRARY_DIR itself.
  const seen = new Set<string>();
  const permissionIssues: PermissionIssue[] = [...(libraryDir?.permissions ?? []), ...libraries.flatMap((l) => l.permissions)];
  for (const issue of permissionIssues) {
    const key = `${issue.path}\0${issue.kind}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (issue.level === "error") add("error", "UNSAFE_PERMISSIONS", `${issue.problem}. Remove write access for others (chmod o-w) or move the libraries to a folder only root or this user can write.`);
    else add("warn", "PERMISSIONS", `${issue.problem}: someone besides root and this user can replace a library the preload loads. Check that this is intended.`);
  }
  const bytecode = bun.startBytecode;
  if (bytecode?.notRegular !== undefined) {
    add("error", "BYTECODE_NOT_REGULAR", `${bytecode.path} is ${bytecode.notRegular}, not a regular file: Bun opens it at the start of every process that preloads asherah-bun-preload, and blocks there (a FIFO) or reads without end (a device). Remove it, or reinstall asherah-bun-preload.`);
  }
  for (const [label, list] of [["preload", bunfig.run], ["[test] preload", bunfig.test]] as const) {
    for (const entry of list ?? []) {
      if (!bunfig.readByBun) continue;
      if ((entry.kind === "self" || entry.kind === "package") && entry.resolved?.endsWith("/dist/preload.cjs")) {
        add("warn", "PRELOAD_START_BUNDLE", `${bunfig.path}: ${label} entry ${JSON.stringify(entry.entry)} is the preload's start bundle, which Bun before 1.1.30 evaluates without running (no protection and no error). Preload "asherah-bun-preload" (or its dist/index.js) instead.`);
      }
      if (entry.kind === "missing") add("error", "PRELOAD_NOT_FOUND", `${bunfig.path}: ${label} entry ${JSON.stringify(entry.entry)} does not resolve from ${dirname(bunfig.path!)}; Bun stops with "preload not found". Use preload = ["asherah-bun-preload"] with the package installed there (bun add asherah-bun-preload), or a "./" path to its dist/index.js.`);
      if (entry.kind === "broken") add("error", "PRELOAD_NOT_FOUND", `${bunfig.path}: ${label} entry ${JSON.stringify(entry.entry)} does not resolve from ${dirname(bunfig.path!)}; Bun stops with "preload not found" before anything runs.`);
    }
  }
  for (const warning of bunfig.warnings) add("warn", "BUNFIG_SYNTAX", `${bunfig.path}: ${warning}`);
  if (bunfig.path !== undefined && !bunfig.readByBun && ((bunfig.run?.length ?? 0) > 0 || (bunfig.test?.length ?? 0) > 0)) {
    add("info", "BUNFIG_ELSEWHERE", `${bunfig.path} is not in ${report.cwd}: Bun reads bunfig.toml only from the directory it is started in, so its preload does not apply here.`);
  }

  const goFiles = packages.flatMap((p) => p.nativeFiles.filter((f) => f.goRuntime).map((f) => ({ pkg: p, file: f })));
  const goPackages = [...new Set(goFiles.map((g) => g.pkg.name))];
  for (const pkg of packages) {
    const label = `${pkg.name}${pkg.version ? ` ${pkg.version}` : ""}`;
    if (pkg.problem !== undefined) add("warn", "PACKAGE_UNREADABLE", `${pkg.name}: ${pkg.problem}. The doctor did not read or run it; Bun would fail, or run something that is not the package, when the application loads ${pkg.name}. Remove or reinstall ${pkg.root ?? "it"}.`);
    else if (!pkg.resolved) add("info", "NOT_INSTALLED", `${pkg.name} does not resolve from ${report.cwd}.`);
    else if (pkg.nativeFiles.length === 0) add("info", "NO_NATIVE", `${label} has no native file: nothing for the preload to guard.`);
    else if (!pkg.nativeFiles.some((f) => f.goRuntime) && pkg.nativeFiles.every((f) => f.elf || f.error === undefined)) add("info", "NO_GO", `${label} carries no Go runtime (asherah 4.x is written in Rust): it cannot cause this hang.`);
    for (const file of pkg.nativeFiles) {
      if (file.error !== undefined && !file.elf) add("warn", "NATIVE_UNREADABLE", `${file.path} (${pkg.name}) was not inspected: ${file.error}.`);
      if (file.cutShort !== undefined) add("error", "LIBRARY_INVALID", cutShort(file.path, pkg.name, file.cutShort));
    }
  }
  for (const { pkg, file } of goFiles) {
    if (file.keptLoaded === false) add("warn", "NO_NODELETE", noNodelete(file.path, pkg.name));
  }

  // Go runtimes the resolved copies do not show (go-scan.ts): one finding per package.
  const scan = report.goScan;
  const elsewhere = new Map<string, GoModule[]>();
  for (const module of scan?.goModules ?? []) {
    const modules = elsewhere.get(module.packageName);
    if (modules === undefined) elsewhere.set(module.packageName, [module]);
    else modules.push(module);
  }
  for (const [name, modules] of elsewhere) {
    const files = modules.map((m) => m.file.path);
    const shown = `${files.slice(0, 3).join(", ")}${files.length > 3 ? ` and ${files.length - 3} more` : ""}`;
    const version = modules.find((m) => m.file.goVersion !== undefined)?.file.goVersion;
    const go = `a Go runtime${version === undefined ? "" : ` (${version})`}`;
    if (modules[0]!.guarded) {
      add("info", "GO_ELSEWHERE", `${shown} carr${files.length === 1 ? "ies" : "y"} ${go}: ${files.length === 1 ? "a copy" : "copies"} of ${name} that ${report.cwd} does not resolve (nested under a dependency, or a workspace package's own). The preload guards ${files.length === 1 ? "it" : "them"} by path when ${files.length === 1 ? "it loads" : "they load"}.`);
    } else {
      add("info", "GO_UNGUARDED", `${shown} (${name}) carr${files.length === 1 ? "ies" : "y"} ${go} and ${name} is not guarded: its load gets the signal protection and repair of every load, but not the warmup before it. Add it to ASHERAH_BUN_PRELOAD_PACKAGES to guard it like asherah.`);
    }
    for (const module of modules) {
      // A guarded copy's load is refused when it is cut short (fast-load.ts truncatedNative), as the resolved one's.
      if (module.guarded && module.file.cutShort !== undefined) add("error", "LIBRARY_INVALID", cutShort(module.file.path, name, module.file.cutShort));
      if (module.file.keptLoaded === false) add("warn", "NO_NODELETE", noNodelete(module.file.path, name));
    }
  }
  // What the scan could not see, it cannot vouch for: a warning, not "nothing to protect".
  if (scan !== undefined && (scan.incomplete !== undefined || scan.unreadCount > 0)) {
    const parts = [
      ...(scan.incomplete === undefined ? [] : [`it stopped early: ${scan.incomplete}`]),
      ...(scan.unreadCount === 0 ? [] : [`${scan.unreadCount} native file${scan.unreadCount === 1 ? " was" : "s were"} not read (${scan.unread.map((u) => `${u.path}: ${u.reason}`).join("; ")}${scan.unreadCount > scan.unread.length ? "; …" : ""})`]),
    ];
    add("warn", "SCAN_INCOMPLETE", `the search for Go runtimes under ${scan.roots.join(", ")} is incomplete: ${parts.join("; ")}. A Go-based module there would not show in this report.`);
  }
  // Every Go-based module a process started here could load decides whether the preload is needed.
  const goModules = [...new Set([...goPackages, ...elsewhere.keys()])];

  const protectedRun = bunfig.configuredForRun && config.valid && !config.values?.disabled;
  if (bun.affected && goModules.length > 0) {
    if (!bunfig.configuredForRun) {
      add("error", "NOT_CONFIGURED", `Bun ${bun.version} hangs once a Go runtime (${goModules.join(", ")}) is loaded, and no bunfig.toml in ${report.cwd} preloads asherah-bun-preload. Add preload = ["asherah-bun-preload"] to ${join(report.cwd, "bunfig.toml")} (or run with bun --preload asherah-bun-preload), or upgrade Bun to ${bun.fixedIn} or later.`);
    }
    if (!bunfig.configuredForTest) {
      add("info", "TEST_NOT_CONFIGURED", `bun test ignores the top-level preload: add [test] preload = ["asherah-bun-preload"] if your tests load ${goModules.join(", ")}.`);
    }
  } else if (!bun.affected && goModules.length > 0 && !bunfig.configuredForRun) {
    add("info", "NOT_NEEDED", `Bun ${bun.version} is not affected by the hang; the preload is optional here (it still keeps SIGPIPE ignored after Go loads).`);
  }

  const errors = findings.filter((f) => f.level === "error");
  const warnings = findings.filter((f) => f.level === "warn");
  let summary: string;
  if (errors.length > 0) summary = `${errors.length} problem${errors.length === 1 ? "" : "s"} would break ${goModules.length > 0 ? goModules.join(", ") : "the preload"} here: fix the ERROR lines above.`;
  else if (warnings.length > 0) summary = `nothing would hang, but ${warnings.length} warning${warnings.length === 1 ? "" : "s"} need${warnings.length === 1 ? "s" : ""} attention.`;
  else if (goModules.length === 0) summary = `no Go-based module is installed where ${report.cwd} loads modules from: nothing to protect${bun.affected ? " (if you add one, add the preload too)" : ""}.`;
  else if (!bun.affected) summary = `Bun ${bun.version} does not hang with Go runtimes; ${protectedRun ? "the preload is configured, and keeps SIGPIPE ignored after Go loads" : "the preload is optional here (it keeps SIGPIPE ignored after Go loads)"}.`;
  else summary = `protected: ${goModules.join(", ")} will load behind the preload on Bun ${bun.version}.`;
  const status = errors.length > 0 ? "error" : warnings.length > 0 ? "warn" : "ok";
  return { findings, verdict: { status, summary }, exitCode: status === "error" ? 1 : status === "warn" ? 3 : 0 };
}
