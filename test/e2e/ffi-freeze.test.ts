// Bun 1.0.36: an application's own bun:ffi after the preload (issue 11).
// The pre-rewrite preload compiled its own bun:ffi trampoline at start; Bun
// 1.0.36 later mprotect()s those pages read-write when it compiles the
// application's trampoline, the preload's after-load hook then called its own
// → SIGSEGV SEGV_ACCERR, looped forever by the Go runtime's forwarding handler
// (100 % CPU). Whether it happened depended on the memory layout: it was seen
// with 1 and with 3 extra environment variables. The preload now has no
// trampoline of its own (its native code is a Node-API addon); this runs the
// application's dlopen of libc and getpid calls across environment sizes.
import { beforeAll, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanEnv } from "../support/app-run.ts";
import { bunBinary, REPO_ROOT } from "../support/bun-versions.ts";
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
