// The doctor's report as text for people (--json prints the report itself).
import { isAbsolute, relative } from "node:path";
import type { EntryCheck } from "./entries.ts";
import type { DoctorReport } from "./report.ts";

function bytes(n: number | undefined): string {
  if (n === undefined) return "?";
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

function shown(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
}

/** The doctor's "Start" line: how this Bun gets the start path (docs/how-it-works.md, "The start bundle's bytecode"). */
function describeStartBytecode(bytecode: NonNullable<DoctorReport["bun"]["startBytecode"]>, bunVersion: string): string {
  if (bytecode.notRegular !== undefined) return `BROKEN: its bytecode cache ${bytecode.path} is ${bytecode.notRegular}, which Bun blocks on or reads without end at every start`;
  if (!bytecode.present) return "parsed at every process start: no bytecode cache (dist/preload.cjs.jsc is missing; reinstall asherah-bun-preload)";
  if (bytecode.used) return `runs from its bytecode cache (made by Bun ${bytecode.builtFor}, this release)`;
  return `parsed at every process start: the bytecode cache is for Bun ${bytecode.builtFor ?? "(unknown)"}, not ${bunVersion} (~1–2 ms more per process; docs/performance.md)`;
}

export function formatReport(report: DoctorReport): string {
  const out: string[] = [];
  const line = (text = "") => out.push(text);
  const { bun, platform, config, libraries, bunfig, packages, signals, cwd } = report;
  line(`${report.tool.name} doctor ${report.tool.version} (${report.tool.root})`);
  line(`cwd: ${cwd}`);
  line();
  line(
    `Bun       ${bun.version} (${bun.path}): ${
      bun.affected
        ? `AFFECTED: JavaScriptCore suspends threads with ${bun.suspendSignal ?? "a signal"}, and a Go runtime makes that loop forever (fixed in Bun ${bun.fixedIn})`
        : platform.platform === "linux"
          ? `not affected (Bun >= ${bun.fixedIn} carries the fix)`
          : "not affected (JavaScriptCore does not suspend threads with signals on this OS)"
    }`,
  );
  if (bun.startBytecode !== undefined) line(`Start     ${describeStartBytecode(bun.startBytecode, bun.version)}`);
  line(`Platform  ${platform.platform} ${platform.arch} ${platform.libc}: ${platform.supported ? `supported (${platform.prebuildDir})` : `NOT SUPPORTED: ${platform.problem}`}`);
  if (config.valid && config.values !== undefined) {
    const v = config.values;
    line(
      `Config    ${v.disabled ? "DISABLED " : ""}warmup=${v.warmup} signals=${v.signals} debug=${v.debug ? "on" : "off"} watchdog=${v.watchdogMs > 0 ? `${v.watchdogMs} ms` : "off"} packages=${v.packages.join(",")}${v.libraryDir ? ` library-dir=${v.libraryDir}` : ""}`,
    );
  } else {
    line(`Config    INVALID: ${config.error}`);
  }
  line();
  if (report.libraryDir !== undefined) {
    const dir = report.libraryDir;
    line(`Library folder (ASHERAH_BUN_PRELOAD_LIBRARY_DIR) ${dir.path}${dir.real !== undefined && dir.real !== dir.path ? ` -> ${dir.real}` : ""}${dir.exists ? "" : " (MISSING)"}${dir.insideProject ? " (inside the checked directory)" : ""}`);
  }
  line("Libraries the preload would load");
  if (libraries.length === 0) line("  none (see Platform)");
  for (const lib of libraries) {
    const verdict = {
      match: "the bytes this package shipped",
      mismatch: `DOES NOT MATCH what this package shipped (expected ${lib.expected?.slice(0, 16)}…)`,
      unlisted: "NO SHIPPED CHECKSUM in this copy of the package",
      override: "from ASHERAH_BUN_PRELOAD_LIBRARY_DIR (not checksummed; read, never loaded, by the doctor)",
      missing: "MISSING",
      unreadable: "UNREADABLE",
    }[lib.integrity];
    line(`  ${lib.role.padEnd(8)} ${lib.path}`);
    line(`           ${lib.exists ? `${bytes(lib.size)}, sha256 ${lib.sha256 ?? "?"}` : "-"}: ${verdict}${lib.problem && lib.integrity !== "missing" ? `; ${lib.problem}` : ""}`);
    for (const issue of lib.permissions) line(`           ${issue.level.toUpperCase()}: ${issue.problem}`);
  }
  line();
  line("bunfig.toml");
  if (bunfig.path === undefined) {
    line(`  none in ${cwd} or above`);
  } else {
    line(`  ${bunfig.path}${bunfig.readByBun ? "" : ` (NOT read by Bun when started in ${cwd}: Bun reads only ./bunfig.toml)`}`);
    const describe = (label: string, list: readonly EntryCheck[] | undefined, configured: boolean) => {
      if (list === undefined) {
        line(`  ${label}: not set`);
        return;
      }
      const entries = list.map((e) => `${JSON.stringify(e.entry)} (${{ self: "this asherah-bun-preload", package: `asherah-bun-preload at ${e.resolved}`, missing: "DOES NOT RESOLVE", other: "another preload", broken: "another preload, DOES NOT RESOLVE" }[e.kind]})`);
      line(`  ${label}: ${entries.length === 0 ? "[]" : entries.join(", ")} -> ${configured ? "asherah-bun-preload is preloaded" : "asherah-bun-preload is NOT preloaded"}`);
    };
    describe("preload (bun run)", bunfig.run, bunfig.configuredForRun);
    describe("[test] preload (bun test)", bunfig.test, bunfig.configuredForTest);
  }
  line();
  line("Guarded packages");
  for (const pkg of packages) {
    if (!pkg.resolved) {
      line(`  ${pkg.name}: not installed (does not resolve from ${cwd})`);
      continue;
    }
    if (pkg.problem !== undefined) {
      line(`  ${pkg.name}: NOT READ: ${pkg.problem}`);
      continue;
    }
    line(`  ${pkg.name}${pkg.version ? ` ${pkg.version}` : ""}: ${pkg.root}${pkg.entry ? `, entry ${shown(pkg.entry, pkg.root!)}` : ""}`);
    if (pkg.nativeFiles.length === 0) line("    no native files");
    for (const file of pkg.nativeFiles) {
      if (!file.elf && file.error !== undefined) {
        line(`    ${shown(file.path, pkg.root!)}: NOT READ: ${file.error}`);
        continue;
      }
      const go = file.goRuntime
        ? `Go runtime${file.goVersion ? ` ${file.goVersion}` : ""} (${[file.goBuildInfo ? "Go build info" : "", file.cgoSymbol ? "_cgo_wait_runtime_init_done" : ""].filter(Boolean).join(", ")})`
        : "no Go runtime";
      const nodelete =
        file.nodelete === true
          ? "NODELETE"
          : (file.uniqueSymbols ?? 0) > 0
            ? `kept loaded (${file.uniqueSymbols} STB_GNU_UNIQUE symbol${file.uniqueSymbols === 1 ? "" : "s"}, not linked NODELETE)`
            : file.nodelete === false
              ? "NOT NODELETE"
              : file.elf
                ? "no dynamic section"
                : "not ELF";
      line(`    ${shown(file.path, pkg.root!)}: ${bytes(file.size)}, ${go}, ${nodelete}${file.error ? `; ${file.error}` : ""}`);
    }
  }
  const scan = report.goScan;
  if (scan !== undefined) {
    line();
    line(`Go runtimes elsewhere under ${scan.roots.length === 0 ? "node_modules (none reachable)" : scan.roots.join(", ")} (${scan.inspected} native file${scan.inspected === 1 ? "" : "s"} read)`);
    if (scan.goModules.length === 0) line("  none");
    for (const m of scan.goModules) {
      line(`  ${m.file.path}: ${m.packageName}, ${m.guarded ? "guarded" : "NOT guarded"}, Go runtime${m.file.goVersion ? ` ${m.file.goVersion}` : ""}, ${m.file.keptLoaded === false ? "NOT NODELETE" : m.file.keptLoaded ? "kept loaded" : "not ELF"}`);
    }
    for (const u of scan.unread) line(`  NOT READ: ${u.path}: ${u.reason}`);
    if (scan.unreadCount > scan.unread.length) line(`  NOT READ: ${scan.unreadCount - scan.unread.length} more`);
    if (scan.incomplete !== undefined) line(`  stopped early: ${scan.incomplete}`);
  }
  line();
  if (signals.checked) {
    const go = signals.goRuntimesLoaded;
    line(
      signals.preloadInThisProcess
        ? `Signal dispositions of this doctor process (/proc/self/status; the preload ran in it from bunfig.toml, ${go} Go runtime${go === 1 ? "" : "s"} loaded, repairs applied)`
        : "Signal dispositions of this doctor process (/proc/self/status; no Go runtime loaded: Bun's own state)",
    );
    for (const s of signals.dispositions) line(`  ${s.signal.padEnd(8)} ${s.disposition}`);
    if (!signals.preloadInThisProcess) {
      line(`  A Go runtime adds SA_ONSTACK to handlers such as ${bun.suspendSignal ?? "SIGPWR"}'s and takes over SIGPIPE and SIGURG; the preload puts them back.`);
    }
  } else {
    line(`Signal dispositions: not checked (${signals.reason})`);
  }
  line();
  line("Findings");
  if (report.findings.length === 0) line("  none");
  for (const finding of report.findings) line(`  ${finding.level.toUpperCase().padEnd(5)} ${finding.message}`);
  line();
  line(`Verdict: ${report.verdict.status.toUpperCase()}: ${report.verdict.summary}`);
  return out.join("\n") + "\n";
}
