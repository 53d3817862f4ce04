// Bun 1.0.36: an application's own bun:ffi after the preload (issue 11).
// bun:ffi compiles each symbol's trampoline with TinyCC into memory from
// Bun's allocator (mimalloc) and makes those pages executable. mimalloc later
// re-commits a 2 MiB range around them with mprotect(PROT_READ|PROT_WRITE):
// the next call into a trampoline faults (SIGSEGV, SEGV_ACCERR at its own
// address) and, with a Go runtime's forwarding handler installed, faults
// again forever at 100 % CPU. Whether a range holding live trampolines gets
// re-committed depends on the memory layout and timing: the pre-rewrite
// preload (its own trampoline) hit it with 1 and 3 extra environment
// variables; this preload hit it in the gc/ffi scenario (1 of 20 runs in the
// matrix, 8 of 12 under CPU load once the bundle was minified). The core now
// takes Bun's mprotect slot and keeps those pages executable
// (go/core/abp_exec_keep.c). Below: the application's dlopen of libc across
// environment sizes; the keeper against the same mprotect calls, with its
// control; and the gc/ffi scenario under CPU load.
import { beforeAll, expect, test } from "bun:test";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanEnv } from "../support/app-run.ts";
import { bunBinary, REPO_ROOT } from "../support/bun-versions.ts";
import { prepareApps, runScenario } from "../support/scenarios.ts";
import { describeRun, runProcess, type RunResult } from "../support/spawn.ts";
import { tempDirs } from "../support/temp.ts";

const tempDir = tempDirs();
const PRELOAD = join(REPO_ROOT, "dist", "index.js");
const API = join(REPO_ROOT, "dist", "api.js");

beforeAll(() => {
  if (!existsSync(PRELOAD)) throw new Error(`${PRELOAD} is missing: run \`npm run build\``);
});

// The app first waits for the preload's Go warmup (it runs on the core's own
// thread): with a Go runtime up, as the pre-rewrite preload had it at this
// point, a fault in a trampoline loops in Go's forwarding handler instead of
// crashing. Then two dlopens, each with a call: the second compiles a
// trampoline after the first one's, which is what moved the page protections.
const APP = `import { dlopen } from "bun:ffi";
const api = require(process.env.ABP_API);
if (api.warmup().warmup.status !== "done") throw new Error("the warmup did not complete");
const libc = dlopen("libc.so.6", { getpid: { args: [], returns: "i32" } });
const first = libc.symbols.getpid();
const again = dlopen("libc.so.6", { getppid: { args: [], returns: "i32" }, getpid: { args: [], returns: "i32" } });
const second = again.symbols.getpid();
const parent = again.symbols.getppid();
// The core's hook on Bun's own dlopen ran around both loads (the preload no
// longer loads bun:ffi at all: go/core/abp_interpose.c).
const s = api.status();
const hooked = s.hooks.ffiDlopen === "interposed" && s.interpose.records.filter((r) => r.path === "libc.so.6" && r.outcome === "loaded").length === 2;
console.log("OK ffi " + (first === process.pid && second === process.pid && parent === process.ppid) + " hooked " + hooked);
`;

const EXTRA_VARIABLES = [0, 1, 2, 3, 4, 5, 6, 7, 8];
const PADDING = [1, 100, 1000];

test(`Bun 1.0.36: the application's own bun:ffi dlopen + getpid completes with 0–8 extra variables × ${PADDING.join("/")}-byte values`, async () => {
  const dir = tempDir("abp-ffi-freeze-");
  writeFileSync(join(dir, "app.ts"), APP);
  const bun = bunBinary("1.0.36");
  const failures: string[] = [];
  let slowest = 0;
  for (const count of EXTRA_VARIABLES) {
    for (const length of PADDING) {
      const extra: Record<string, string> = {};
      for (let i = 0; i < count; i++) extra[`ABP_PAD_${i}`] = "x".repeat(length);
      const result: RunResult = await runProcess([bun, "--preload", PRELOAD, "app.ts"], { cwd: dir, env: cleanEnv({ ...extra, ABP_API: API }), timeoutMs: 8_000 });
      slowest = Math.max(slowest, result.wallMs);
      if (result.outcome !== "ok" || !result.stdout.includes("OK ffi true hooked true")) failures.push(`${count} extra × ${length} bytes: ${describeRun(result)}`);
    }
  }
  console.log(`${EXTRA_VARIABLES.length * PADDING.length} runs on Bun 1.0.36, slowest ${Math.round(slowest)} ms`);
  expect(failures).toEqual([]);
}, 120_000);

// The keeper (go/core/abp_exec_keep.c) called as Bun calls through its
// mprotect slot: TinyCC's RWX pages inside a 2 MiB chunk, then mimalloc's RW
// over the chunk. The control (libc's mprotect) shows the fault it prevents.
test("the core keeps bun:ffi's code executable when Bun's allocator re-protects the memory around it", async () => {
  const dir = tempDir("abp-exec-keep-");
  const core = join(REPO_ROOT, "go", "core");
  const binary = join(dir, "exec-keep");
  execFileSync(process.env.CC ?? "gcc", ["-O2", "-I", core, "-o", binary, join(REPO_ROOT, "test", "native", "exec-keep.c"), join(core, "abp_exec_keep.c")], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  const kept = await runProcess([binary, "keep"], { timeoutMs: 10_000 });
  expect(kept.outcome, describeRun(kept)).toBe("ok");
  expect(kept.stdout).toContain("pass the code still runs");
  expect(kept.stdout.trim().split("\n").at(-1)).toBe("ok");
  const control = await runProcess([binary, "plain"], { timeoutMs: 10_000 });
  expect(control.outcome, describeRun(control)).toBe("ok");
  expect(control.stdout).toContain("pass control: the code faults");
});

// The scenario that hung: Go through the application's own bun:ffi
// (test/e2e/apps/gc.ts), with allocation pressure and forced collections.
// Before the keeper, 8 of 12 runs hung like this under CPU load; the load
// makes mimalloc's re-commit land while the trampolines are in use.
test("Bun 1.0.36: the gc/ffi scenario completes under CPU load (bun:ffi's trampolines stay executable)", async () => {
  const appsDir = prepareApps();
  // Two busy loops, killed with their process group below; `timeout` ends
  // them anyway should this test runner die first.
  const busy = [0, 1].map(() => spawn("timeout", ["90", "sh", "-c", "while :; do :; done"], { detached: true, stdio: "ignore" }));
  const failures: string[] = [];
  try {
    for (let i = 0; i < 6; i++) {
      const result = await runScenario({ bun: bunBinary("1.0.36"), scenario: "gc", path: "ffi", mode: "preload", timeoutMs: 10_000, appsDir });
      if (result.outcome !== "ok") failures.push(`run ${i + 1}: ${describeRun(result)}`);
    }
  } finally {
    for (const child of busy) if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
  }
  expect(failures).toEqual([]);
}, 120_000);

// The keeper is for Bun 1.0.x only (src/hooks.ts): Bun 1.3's lib.close()
// takes execute permission from its trampolines on purpose, so that calling
// a closed library's function crashes instead of running freed memory; a
// keeper there would undo that (found in review: "after close 7" with the
// preload, a crash without).
const CLOSE_APP = `const { dlopen, FFIType } = require("bun:ffi");
const lib = dlopen("libc.so.6", { abs: { args: [FFIType.i32], returns: FFIType.i32 } });
const abs = lib.symbols.abs;
if (abs(-5) !== 5) throw new Error("abs");
console.log("STATS " + JSON.stringify(require(process.env.ABP_API).status().interpose ?? null));
lib.close();
console.log("after close " + abs(-7));
`;

test("Bun's mprotect slot is taken on 1.0.x only; on 1.3.14 a closed library's function crashes with the preload as without it", async () => {
  const dir = tempDir("abp-exec-close-");
  writeFileSync(join(dir, "close.js"), CLOSE_APP);
  const run = (version: string, preload: boolean) =>
    runProcess([bunBinary(version), ...(preload ? ["--preload", PRELOAD] : []), "close.js"], { cwd: dir, env: cleanEnv({ ABP_API: API }), timeoutMs: 10_000 });
  const stats = (result: RunResult) => JSON.parse(result.stdout.split("\n").find((l) => l.startsWith("STATS "))?.slice(6) ?? "null") as { execRanges: number } | null;

  const old = await run("1.0.36", true);
  expect(old.outcome, describeRun(old)).toBe("ok");
  expect(stats(old)?.execRanges).toBeGreaterThan(0);

  const newer = await run("1.3.14", true);
  const bare = await run("1.3.14", false);
  expect(stats(newer)?.execRanges).toBe(0);
  expect(bare.stdout).not.toContain("after close");
  expect(newer.stdout, describeRun(newer)).not.toContain("after close");
  expect(newer.outcome).toBe(bare.outcome);
}, 60_000);
