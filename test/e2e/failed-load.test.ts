// A native load that throws after a Go runtime arrived still gets the repair
// (issue 12, item 3). Two such loads of the fixture's Go c-shared library:
// - bun:ffi dlopen(goLib, { NoSuchSymbol }): the library is mapped and Go's
//   runtime starts, then bun:ffi throws "Symbol not found";
// - require() of the same Go library under a `.node` name (a guarded
//   package's entry): process.dlopen maps it, Go starts, then Bun throws
//   "napi_register_module_v1 not found".
// Afterwards SIGPIPE must be ignored again (Go's handler gone, read from
// /proc/self/status), status().repairs must name the load, and on Bun 1.2.19
// hot WebAssembly calls with forced GCs must complete. Before the repair ran
// in a `finally` (src/guard.ts guardedLoad), SIGPIPE kept Go's handler and,
// with the flag-restore mechanism, the WebAssembly calls hung (measured on the
// pre-rewrite code: 6 of 6 runs hung).
import { beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanEnv, jsonLine } from "../support/app-run.ts";
import { bunBinary, REPO_ROOT } from "../support/bun-versions.ts";
import { FIXTURE_BUILD } from "../support/scenarios.ts";
import { describeRun, runProcess } from "../support/spawn.ts";
import { tempDirs } from "../support/temp.ts";

const tempDir = tempDirs();
const PRELOAD = join(REPO_ROOT, "dist", "index.js");
const API = join(REPO_ROOT, "dist", "api.js");
const GO_LIB = join(FIXTURE_BUILD, "node_modules", "libasherah-ffi", "libasherah.so");

beforeAll(() => {
  if (!existsSync(GO_LIB)) throw new Error(`fixtures are not built (${GO_LIB} is missing): run \`node test/fixtures/build.mjs\``);
  if (!existsSync(PRELOAD)) throw new Error(`${PRELOAD} is missing: run \`npm run build\``);
});

// SIGPIPE is signal 13: bit 12 of the masks in /proc/self/status.
const APP = `const fs = require("fs");
const { status, warmup } = require(${JSON.stringify(API)});
// The eager warmup starts Go on the core's own thread shortly after start;
// until it returns, SIGPIPE has Go's handler there too. Wait for it, so that
// "before" is the state the failed load starts from.
if (process.env.ASHERAH_BUN_PRELOAD_WARMUP !== "lazy") warmup();
const bit = (name) => Number((BigInt("0x" + new RegExp(name + ":\\\\s*([0-9a-f]+)").exec(fs.readFileSync("/proc/self/status", "utf8"))[1]) >> 12n) & 1n);
const before = { ignored: bit("SigIgn"), caught: bit("SigCgt") };
let threw = "";
try {
  if (process.env.ABP_HOW === "ffi") require("bun:ffi").dlopen(process.env.ABP_GO_LIB, { NoSuchSymbol: { args: [], returns: "i32" } });
  else require("asherah");
} catch (error) {
  threw = String(error && error.message).split("\\n")[0];
}
// With the wrapper, the wait for Go and the repair run on the core's repair
// thread (lifecycle.ts repairsInBackground): poll until it has put SIGPIPE
// back by itself, without status() (which would wait for it), for up to 5 s.
let repairedAfterMs = -1;
for (const t0 = Date.now(); Date.now() - t0 < 5000; Bun.sleepSync(1)) {
  if (bit("SigIgn") === 1 && bit("SigCgt") === 0) { repairedAfterMs = Date.now() - t0; break; }
}
const after = { ignored: bit("SigIgn"), caught: bit("SigCgt") };
const s = status();
console.log("RESULT " + JSON.stringify({ threw, before, after, repairedAfterMs, repairs: s.repairs, events: s.events.map((e) => e.event + " " + e.detail), mechanism: s.signals.mechanism, ffiDlopen: s.hooks.ffiDlopen, interposed: s.interpose && s.interpose.records }));
// Hot WebAssembly with forced collections: JSC suspends the JS thread.
const WASM_LOOP = new Uint8Array([0,97,115,109,1,0,0,0,1,5,1,96,0,1,127,3,2,1,0,7,5,1,1,102,0,0,10,34,1,32,1,1,127,65,0,33,0,2,64,3,64,32,0,65,1,106,33,0,32,0,65,144,206,0,72,13,0,11,11,32,0,11]);
let sum = 0;
for (let i = 0; i < 20; i++) { sum += new WebAssembly.Instance(new WebAssembly.Module(WASM_LOOP)).exports.f(); Bun.gc(true); }
console.log("WASM " + sum);
`;

interface Result {
  threw: string;
  before: { ignored: number; caught: number };
  after: { ignored: number; caught: number };
  /** How long after the load the repair thread had put SIGPIPE back by itself (-1: not within 5 s). */
  repairedAfterMs: number;
  repairs: { signal: string; after: string; trigger: string }[];
  events: string[];
  mechanism: string;
  ffiDlopen: unknown;
  interposed: { path: string; outcome: string; goRuntimes: number; repaired: number[] }[];
}

/** An app whose node_modules/asherah entry is the Go c-shared library (not a Node-API module). */
function appDir(): string {
  const dir = tempDir("abp-failed-load-");
  const pkg = join(dir, "node_modules", "asherah");
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: "asherah", version: "3.0.0", main: "./go-lib.node" }));
  copyFileSync(GO_LIB, join(pkg, "go-lib.node"));
  writeFileSync(join(dir, "package.json"), '{"type":"commonjs"}\n');
  writeFileSync(join(dir, "app.js"), APP);
  return dir;
}

const MODES: [string, Record<string, string>][] = [
  ["default (eager warmup, wrapper)", {}],
  ["lazy warmup, wrapper", { ASHERAH_BUN_PRELOAD_WARMUP: "lazy" }],
  ["flag restore", { ASHERAH_BUN_PRELOAD_SIGNAL_MECHANISM: "restore" }],
  ["flag restore, lazy warmup", { ASHERAH_BUN_PRELOAD_SIGNAL_MECHANISM: "restore", ASHERAH_BUN_PRELOAD_WARMUP: "lazy" }],
];

describe("Bun 1.2.19: a native load that throws after Go started is repaired", () => {
  for (const how of ["ffi", "require"] as const) {
    for (const [label, env] of MODES) {
      test(`${how === "ffi" ? "bun:ffi dlopen with a missing symbol" : "require() of a Go .so that is not Node-API"}, ${label}`, async () => {
        const dir = appDir();
        const result = await runProcess([bunBinary("1.2.19"), "--preload", PRELOAD, "app.js"], {
          cwd: dir,
          env: cleanEnv({ ...env, ABP_HOW: how, ABP_GO_LIB: GO_LIB }),
          timeoutMs: 10_000,
        });
        expect(result.outcome, describeRun(result)).toBe("ok");
        const r = jsonLine<Result>(result.stdout, "RESULT");
        expect(r.threw).toMatch(how === "ffi" ? /Symbol "NoSuchSymbol" not found/ : /napi_register_module_v1/);
        expect(r.mechanism).toBe(env.ASHERAH_BUN_PRELOAD_SIGNAL_MECHANISM === "restore" ? "restore" : "wrap");
        // Bun ignores SIGPIPE; the Go runtime that the failed load started took it over; the repair put it back.
        expect(r.before).toEqual({ ignored: 1, caught: 0 });
        expect(r.after).toEqual({ ignored: 1, caught: 0 });
        expect(r.repairedAfterMs).toBeGreaterThanOrEqual(0);
        const loaded = how === "ffi" ? GO_LIB : "go-lib.node";
        const restore = env.ASHERAH_BUN_PRELOAD_SIGNAL_MECHANISM === "restore";
        if (how === "ffi") {
          // bun:ffi's load is guarded by the core's hook on Bun's own dlopen
          // (go/core/abp_interpose.c): the loader returned the library, Go
          // started, the hook waited for it and repaired; then bun:ffi threw.
          expect(r.ffiDlopen).toBe("interposed");
          const record = r.interposed.find((x) => x.path === loaded && x.outcome === "loaded");
          expect(record?.goRuntimes, JSON.stringify(r.interposed)).toBeGreaterThanOrEqual(1);
          expect(record?.repaired, JSON.stringify(r.interposed)).toContain(13);
          // Flag restore took SA_ONSTACK off JSC's suspend handler (SIGPWR, 30) after this load too.
          if (restore) expect(record?.repaired, JSON.stringify(r.interposed)).toContain(30);
        } else {
          expect(r.events.some((e) => e.startsWith("native-load-done ") && e.includes(loaded) && e.endsWith(" go=go (threw)")), r.events.join("\n")).toBe(true);
          expect(r.repairs.some((x) => x.signal === "SIGPIPE" && x.after === "SIG_IGN flags=0" && x.trigger.endsWith(loaded)), JSON.stringify(r.repairs)).toBe(true);
          if (restore) {
            // Flag restore took SA_ONSTACK off JSC's suspend handler after this load too.
            expect(r.repairs.some((x) => x.signal === "SIGPWR" && !x.after.includes("SA_ONSTACK") && x.trigger.endsWith(loaded)), JSON.stringify(r.repairs)).toBe(true);
          }
        }
        expect(result.stdout).toContain("WASM 200000");
      }, 30_000);
    }
  }
});
