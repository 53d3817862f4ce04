// The linux-arm64 prebuilds, exercised by Bun's own arm64 build: natively on
// an arm64 host, under qemu-user (qemu-aarch64 -L /usr/aarch64-linux-gnu) on
// x64. Bun comes from npm (@oven/bun-linux-aarch64): the pinned release and
// two affected ones, installed into .cache/bun-arm64/.
//
// Measured under qemu on a 2-core x64 machine: a preloaded `bun -e` takes
// 1-3 s on 1.4.5 and 4-7 s on 1.2.19 / 1.1.38 (emulating Bun's start-up, not
// the preload), 2-3x that while other jobs use the cores; the control that
// hangs is given 30 s. About 65 s in all on an idle machine.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Status } from "../../src/api.ts";
import { SHIPPED } from "../../src/shipped.ts";
import { pinnedBunVersion, REPO_ROOT } from "../support/bun-versions.ts";
import { arm64Support, bunArm64Binary } from "../support/qemu.ts";
import { describeRun, runProcess, type RunResult } from "../support/spawn.ts";

const AFFECTED = [
  { version: "1.2.19", signal: "SIGPWR", control: true },
  { version: "1.1.38", signal: "SIGUSR1", control: false },
] as const;
const PRELOAD = join(REPO_ROOT, "src", "index.ts");
const ARM64 = join(REPO_ROOT, "prebuilds", "linux-arm64");
const APPS = join(REPO_ROOT, "test", "e2e", "apps");
const RUN_MS = 120_000; // one emulated Bun process that is expected to finish
const TEST_MS = 300_000; // may include installing Bun from npm
const HANG_MS = 30_000; // the control: finishes in ~4 s when it does not hang

const support = arm64Support();
if (support.runner === undefined) {
  console.warn(`[arm64.test.ts] SKIPPED: the linux-arm64 prebuilds are not exercised: ${support.reason}`);
} else {
  console.log(`[arm64.test.ts] running linux-arm64 Bun via ${support.runner.description}`);
}
const armTest = test.skipIf(support.runner === undefined);
const prefix = support.runner?.prefix ?? [];

/** The environment of a run: this machine's, minus the developer's own preload settings. */
function env(extra: Record<string, string> = {}): Record<string, string | undefined> {
  const base: Record<string, string | undefined> = { ...process.env };
  for (const key of Object.keys(base)) if (key.startsWith("ASHERAH_BUN_PRELOAD_")) delete base[key];
  delete base.BUN_OPTIONS;
  return { ...base, ...extra };
}

interface Probe {
  readonly arch: string;
  readonly platform: string;
  readonly bun: string;
  readonly status: Status;
  /** Live and snapshot dispositions, described as status() describes them, with the owning object. */
  readonly dispositions: Record<"SIGPWR" | "SIGUSR1" | "SIGPIPE", { live: string; snapshot: string; liveOwner: string; snapshotOwner: string; wrapped: boolean }>;
}

// Runs in the arm64 Bun after the preload: status() once the warmup (on the
// core's own thread) is done, plus the live signal table read through the core.
function probeScript(root: string): string {
  const api = JSON.stringify(join(root, "src", "api.ts"));
  const state = JSON.stringify(join(root, "src", "state.ts"));
  const reports = JSON.stringify(join(root, "src", "core-reports.ts"));
  return `
const { warmup } = require(${api});
const status = warmup();
const core = require(${state}).processState().core;
const { describeDisposition } = require(${reports});
const { constants } = require("node:os");
const dispositions = {};
if (core !== undefined) for (const name of ["SIGPWR", "SIGUSR1", "SIGPIPE"]) {
  const n = constants.signals[name];
  dispositions[name] = {
    live: describeDisposition(core, core.query(n, 0)),
    snapshot: describeDisposition(core, core.query(n, 1)),
    liveOwner: core.handlerOwner(n, 0),
    snapshotOwner: core.handlerOwner(n, 1),
    wrapped: core.isWrapped(n),
  };
}
console.log("ABP-PROBE " + JSON.stringify({ arch: process.arch, platform: process.platform, bun: Bun.version, status, dispositions }));
`;
}

let workDir = "";
beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), "abp-arm64-"));
});
afterAll(() => {
  if (workDir !== "") rmSync(workDir, { recursive: true, force: true });
});

async function runArm64(version: string, args: string[], options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  const bun = bunArm64Binary(version);
  return runProcess([...prefix, bun, ...args], { cwd: options.cwd ?? workDir, env: env(options.env), timeoutMs: options.timeoutMs ?? RUN_MS });
}

async function probe(version: string, extraEnv: Record<string, string> = {}, root = REPO_ROOT): Promise<{ result: RunResult; probe: Probe }> {
  const result = await runArm64(version, ["--preload", join(root, "src", "index.ts"), "-e", probeScript(root)], { env: extraEnv });
  expect(result.outcome, describeRun(result)).toBe("ok");
  const line = result.stdout.split("\n").find((l) => l.startsWith("ABP-PROBE "));
  expect(line, describeRun(result)).toBeDefined();
  return { result, probe: JSON.parse(line!.slice("ABP-PROBE ".length)) as Probe };
}

function sha256(path: string): string {
  return new Bun.CryptoHasher("sha256").update(readFileSync(path)).digest("hex");
}

/** A copy of the package (src/ + prebuilds/) with one byte of one arm64 library changed. */
function tamperedCopy(file: string): string {
  const root = mkdtempSync(join(workDir, "tampered-"));
  cpSync(join(REPO_ROOT, "src"), join(root, "src"), { recursive: true });
  cpSync(join(REPO_ROOT, "prebuilds"), join(root, "prebuilds"), { recursive: true });
  const path = join(root, "prebuilds", "linux-arm64", file);
  const bytes = readFileSync(path);
  // Near the end (the section headers, which the loader never reads), as
  // errors.test.ts does on x64: the hash is what is tested. A byte in code
  // that runs before the check can crash instead (docs/how-it-works.md,
  // "Trust"); the middle of the file did once the core grew.
  const at = bytes.length - 100;
  bytes[at] = (bytes[at] ?? 0) ^ 0xff;
  writeFileSync(path, bytes);
  return root;
}

describe(`pinned Bun (${pinnedBunVersion()}) linux-arm64`, () => {
  armTest(
    "the preload loads, verifies both arm64 libraries and runs the Go warmup",
    async () => {
      const { result, probe: p } = await probe(pinnedBunVersion());
      console.log(`[arm64] pinned bun -e with the preload: ${Math.round(result.wallMs)} ms`);
      expect(p.arch).toBe("arm64");
      expect(p.platform).toBe("linux");
      expect(p.bun).toBe(pinnedBunVersion());
      expect(p.status.phase).toBe("installed");
      expect(p.status.error).toBeUndefined();
      expect(p.status.warmup.status).toBe("done");
      expect(p.status.warmup.path).toBe(join(ARM64, "asherah-bun-warmup.so"));
      expect(p.status.core).toBe(join(ARM64, "asherah-bun-core.node"));
      expect(p.status.snapshotTainted).toBe(false);
      // The arm64 core hashed the bytes it mapped (its portable SHA-256: no SHA extensions there).
      expect(p.status.warmup.sha256).toBe(SHIPPED["linux-arm64/asherah-bun-warmup.so"]!.sha256);
      expect(sha256(join(ARM64, "asherah-bun-core.node"))).toBe(SHIPPED["linux-arm64/asherah-bun-core.node"]!.sha256);
      // Bun 1.4 is not affected: no suspend handler work, SIGPIPE still back to SIG_IGN after Go.
      expect(p.status.signals.mechanism).toBe("not needed");
      expect(p.status.repairs.map((r) => r.signal)).toEqual(["SIGPIPE"]);
      expect(p.dispositions.SIGPIPE.live).toStartWith("SIG_IGN");
      const events = p.status.events.map((e) => e.event);
      const order = ["install-start", "core-loaded", "signals-protected", "warmup-start", "install-done"].map((e) => events.indexOf(e));
      expect(order.every((at, i) => at >= 0 && (i === 0 || at > order[i - 1]!)), events.join(",")).toBe(true);
      expect(events).toContain("warmup-done");
      // The arm64 core took over Bun's own dlopen (R_AARCH64_JUMP_SLOT): bun:ffi is not loaded at start.
      expect(p.status.hooks.ffiDlopen).toBe("interposed");
      expect(p.status.interpose?.result).toBe("done");
    },
    TEST_MS,
  );

  armTest(
    "the published entry: dist/index.js runs dist/preload.cjs (its bytecode cache built on x64) on the start path",
    async () => {
      // What an installed package runs, not src/: the bytecode cache beside
      // dist/preload.cjs is the x64 build's (scripts/build.ts), and arm64 Bun
      // decodes it too (its own report: test/e2e/bytecode.test.ts); the start
      // path installs, without the cold half.
      const script = `const s = globalThis[Symbol.for("asherah-bun-preload.state")];
console.log("ABP-DIST " + JSON.stringify({ phase: s.phase, by: s.installedBy, ffi: s.hooks.ffiDlopen, warmup: s.warmup.status, files: Object.keys(require.cache).filter((f) => f.includes("/dist/")).map((f) => f.slice(f.lastIndexOf("/") + 1)) }));`;
      const result = await runArm64(pinnedBunVersion(), ["--preload", join(REPO_ROOT, "dist", "index.js"), "-e", script], { env: { BUN_JSC_reportBytecodeCacheDecodeTimes: "1" } });
      expect(result.outcome, describeRun(result)).toBe("ok");
      const line = result.stdout.split("\n").find((l) => l.startsWith("ABP-DIST "));
      expect(line, describeRun(result)).toBeDefined();
      const seen = JSON.parse(line!.slice("ABP-DIST ".length)) as { phase: string; by: string[]; ffi: string; warmup: string; files: string[] };
      expect(seen).toMatchObject({ phase: "installed", by: ["preload"], ffi: "interposed" });
      expect(["running", "done"]).toContain(seen.warmup); // eager: started at once, read by the first guarded load
      expect(seen.files).toContain("preload.cjs");
      expect(seen.files).not.toContain("cold.js");
      expect(result.stderr, describeRun(result)).toContain(`BytecodeCache: decoded ${join(REPO_ROOT, "dist", "preload.cjs")} (`);
    },
    TEST_MS,
  );

  armTest(
    "ASHERAH_BUN_PRELOAD_SIGNALS=force (wrap, the default): JSC's SIGPWR handler is wrapped before Go loads, so Go leaves it alone",
    async () => {
      const { probe: p } = await probe(pinnedBunVersion(), { ASHERAH_BUN_PRELOAD_SIGNALS: "force" });
      expect(p.status.warmup.status).toBe("done");
      expect(p.status.signals.mechanism).toBe("wrap");
      expect(p.status.signals.wrapped).toEqual(["SIGPWR"]);
      expect(p.status.signals.wrapStats?.registeredThreads).toBeGreaterThanOrEqual(1);
      const pwr = p.dispositions.SIGPWR;
      // Before Go: Bun's own handler, without SA_ONSTACK.
      expect(pwr.snapshotOwner).toEndWith("/bin/bun");
      expect(pwr.snapshot).not.toContain("SA_ONSTACK");
      // After the warmup: the wrapper (in the core) with SA_ONSTACK, which Go does not touch ...
      expect(pwr.wrapped).toBe(true);
      expect(pwr.liveOwner).toBe(join(ARM64, "asherah-bun-core.node"));
      expect(pwr.live).toContain("SA_ONSTACK");
      // ... so there is nothing to repair for SIGPWR; only SIGPIPE, which Go took over.
      expect(p.status.repairs.map((r) => r.signal)).toEqual(["SIGPIPE"]);
      const pipe = p.status.repairs[0]!;
      expect(pipe.trigger).toBe("warmup");
      expect(pipe.before).toContain("SA_ONSTACK"); // Go's handler
      expect(pipe.after).toStartWith("SIG_IGN");
    },
    TEST_MS,
  );

  armTest(
    "ASHERAH_BUN_PRELOAD_SIGNALS=force with the restore mechanism: SIGPWR gets its pre-Go flags back after the warmup",
    async () => {
      const { probe: p } = await probe(pinnedBunVersion(), { ASHERAH_BUN_PRELOAD_SIGNALS: "force", ASHERAH_BUN_PRELOAD_SIGNAL_MECHANISM: "restore" });
      expect(p.status.warmup.status).toBe("done");
      expect(p.status.signals.mechanism).toBe("restore");
      expect(p.status.signals.wrapped).toEqual([]);
      // The warmup thread repairs in signal-number order.
      expect(p.status.repairs.map((r) => r.signal)).toEqual(["SIGPIPE", "SIGPWR"]);
      const pwr = p.status.repairs.find((r) => r.signal === "SIGPWR")!;
      expect(pwr.trigger).toBe("warmup");
      expect(pwr.before).toContain("SA_ONSTACK"); // what the Go runtime did to JSC's handler
      expect(pwr.after).not.toContain("SA_ONSTACK");
      expect(pwr.before.split(" ")[0]).toBe(pwr.after.split(" ")[0]!); // same handler, only the flags
      // Live equals the pre-Go snapshot, and the handler is Bun's own again.
      expect(p.dispositions.SIGPWR.live).toBe(p.dispositions.SIGPWR.snapshot);
      expect(p.dispositions.SIGPWR.liveOwner).toEndWith("/bin/bun");
      expect(p.dispositions.SIGPIPE.live).toBe(p.dispositions.SIGPIPE.snapshot);
    },
    TEST_MS,
  );

  // A modified core is refused by the warmup thread's check of its own file
  // (start.ts) before the warmup library is touched; a modified warmup is
  // never mapped. Whatever waits for the warmup (a guarded load, or
  // warmup() here) gets the error.
  for (const [file, refusal] of [
    ["asherah-bun-core.node", "the native core"],
    ["asherah-bun-warmup.so", "the Go warmup did not complete"],
  ] as const) {
    armTest(
      `a modified linux-arm64/${file} is refused before any Go module loads`,
      async () => {
        const root = tamperedCopy(file);
        try {
          const api = JSON.stringify(join(root, "src", "api.ts"));
          const result = await runArm64(pinnedBunVersion(), ["--preload", join(root, "src", "index.ts"), "-e", `require(${api}).warmup(); console.log("APP RAN")`]);
          expect(result.outcome, describeRun(result)).toBe("fail");
          expect(result.stdout).not.toContain("APP RAN");
          expect(result.stderr).toContain("CHECKSUM_MISMATCH");
          expect(result.stderr).toContain(refusal);
          expect(result.stderr).toContain(join(root, "prebuilds", "linux-arm64", file));
        } finally {
          rmSync(root, { recursive: true, force: true });
        }
      },
      TEST_MS,
    );
  }

  armTest(
    "the x64 libraries are refused by an arm64 process with a message naming both architectures",
    async () => {
      const result = await runArm64(pinnedBunVersion(), ["--preload", PRELOAD, "-e", 'console.log("APP RAN")'], {
        env: { ASHERAH_BUN_PRELOAD_LIBRARY_DIR: join(REPO_ROOT, "prebuilds", "linux-x64") },
      });
      expect(result.outcome, describeRun(result)).toBe("fail");
      expect(result.stdout).not.toContain("APP RAN");
      expect(result.stderr).toContain("it is built for x64, but this process is arm64");
    },
    TEST_MS,
  );
});

// Both generations of JSC's suspend signal: SIGPWR (Bun 1.2/1.3), SIGUSR1 (1.0/1.1;
// 1.1.38 is the last 1.1 release published for aarch64 on npm).
for (const { version, signal, control } of AFFECTED) {
  describe(`affected Bun (${version}) linux-arm64`, () => {
    armTest(
      `the preload wraps ${signal} by default and the warmup runs`,
      async () => {
        const { result, probe: p } = await probe(version);
        console.log(`[arm64] ${version} bun -e with the preload: ${Math.round(result.wallMs)} ms`);
        expect(p.arch).toBe("arm64");
        expect(p.bun).toBe(version);
        expect(p.status.warmup.status).toBe("done");
        expect(p.status.signals.mechanism).toBe("wrap");
        expect(p.status.signals.wrapped).toEqual([signal]);
        expect(p.dispositions[signal].wrapped).toBe(true);
        expect(p.dispositions[signal].live).toContain("SA_ONSTACK");
        expect(p.dispositions[signal].liveOwner).toBe(join(ARM64, "asherah-bun-core.node"));
        expect(p.dispositions[signal].snapshotOwner).toEndWith("/bin/bun");
        expect(p.status.repairs.map((r) => r.signal)).not.toContain(signal);
        // GLOB_DAT + JUMP_SLOT for dlopen and dlerror on these releases: four
        // slots (mprotect's is taken on 1.0.x only: go/core/abp_exec_keep.c).
        expect(p.status.hooks.ffiDlopen).toBe("interposed");
        expect(p.status.interpose?.slots).toBe(4);
      },
      TEST_MS,
    );

    // A hot WebAssembly function makes JSC suspend the JS thread. With only a Go
    // runtime loaded (the "warmup alone" fix), JSC's handler carries Go's
    // SA_ONSTACK and the suspend never completes; with the preload it does.
    armTest(
      "a hot WebAssembly call completes with the preload",
      async () => {
        const result = await runArm64(version, ["--preload", PRELOAD, "./wasm-only.ts"], { cwd: APPS });
        console.log(`[arm64] ${version} wasm-only with the preload: ${describeRun(result).split("\n")[0]}`);
        expect(result.outcome, describeRun(result)).toBe("ok");
        expect(result.stdout).toContain("OK wasm-only");
      },
      TEST_MS,
    );

    if (control) {
      armTest(
        "control: the same program with only the Go warmup loaded hangs (also under emulation)",
        async () => {
          const result = await runArm64(version, ["--preload", join(REPO_ROOT, "test", "support", "warmup-only.ts"), "./wasm-only.ts"], {
            cwd: APPS,
            timeoutMs: HANG_MS,
          });
          console.log(`[arm64] ${version} wasm-only with the warmup alone: ${describeRun(result).split("\n").slice(0, 2).join(" ")}`);
          expect(result.outcome, describeRun(result)).toBe("hang");
          expect(result.stdout).not.toContain("OK wasm-only");
          // Not merely slow: the suspend-signal storm (measured 37 000-124 000 switches/s under qemu).
          expect(result.diagnosis?.switchesPerSecond ?? 0, describeRun(result)).toBeGreaterThan(2_000);
        },
        TEST_MS,
      );
    }
  });
}
