// The core's hook on Bun's own dlopen (go/core/abp_interpose.c, issue 11):
// the preload no longer loads bun:ffi at start to wrap its dlopen; the core
// rewrites the GOT slots of Bun's executable instead, so every load Bun makes
// reaches it. On Bun 1.0.36 (PIE, BIND_NOW, the slots in RELRO), 1.2.19
// (GLOB_DAT + JUMP_SLOT) and the pinned 1.4.5 (JUMP_SLOT with a canonical
// PLT address), an application's own bun:ffi, on the main thread and in a
// Worker:
// - status() says "interposed" and bun:ffi's dlopen is Bun's own function,
//   the same source text as in a process without the preload (the
//   pre-interposer preload had loaded bun:ffi and replaced it with a wrapper);
// - a Go c-shared library loaded by path gets SIGPIPE put back (read from
//   /proc/self/status), by the hook (its record names the signal);
// - a guarded package's library (node_modules/asherah/…) waits for the lazy
//   warmup, which it starts;
// - a bare name ("libc.so.6") still resolves (glibc sees the core, not Bun, as
//   the caller: neither has an RPATH/RUNPATH);
// - a FIFO is refused at once with the hook's message, instead of blocking;
// - a Node-API addon loaded with require() is guarded by process.dlopen's
//   JavaScript wrapper, and the hook lets that load through (guardDepth).
import { beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Status } from "../../src/api.ts";
import { buildSharedLibrary, cleanEnv, jsonLine } from "../support/app-run.ts";
import { bunBinary, pinnedBunVersion, REPO_ROOT } from "../support/bun-versions.ts";
import { FIXTURE_BUILD } from "../support/scenarios.ts";
import { describeRun, runProcess } from "../support/spawn.ts";
import { tempDirs } from "../support/temp.ts";

const tempDir = tempDirs();
const PRELOAD = join(REPO_ROOT, "dist", "index.js");
const API = join(REPO_ROOT, "dist", "api.js");
const GO_LIB = join(FIXTURE_BUILD, "node_modules", "libasherah-ffi", "libasherah.so");
const VERSIONS = ["1.0.36", "1.2.19", pinnedBunVersion()];

beforeAll(() => {
  if (!existsSync(GO_LIB)) throw new Error(`fixtures are not built (${GO_LIB} is missing): run \`node test/fixtures/build.mjs\``);
  if (!existsSync(PRELOAD)) throw new Error(`${PRELOAD} is missing: run \`npm run build\``);
});

// SIGPIPE is signal 13: bit 12 of the masks in /proc/self/status.
const SIGPIPE_BITS = `const sigpipe = () => {
  const text = require("fs").readFileSync("/proc/self/status", "utf8");
  const bit = (name) => Number((BigInt("0x" + new RegExp(name + ":\\\\s*([0-9a-f]+)").exec(text)[1]) >> 12n) & 1n);
  return { ignored: bit("SigIgn"), caught: bit("SigCgt") };
};
const SYMBOL = { IsSetUp: { args: [], returns: "i32" } };
// Loads a FIFO through bun:ffi: refused (and how long that took), or not.
const fifoLoad = (ffi, path) => {
  const started = performance.now();
  try { ffi.dlopen(path, SYMBOL); return { refused: false, ms: performance.now() - started }; }
  catch (error) { return { refused: true, message: String(error && error.message), ms: performance.now() - started }; }
};
`;

const APP = `${SIGPIPE_BITS}
const { status } = require(process.env.ABP_API);
const start = status();
const ffi = require("bun:ffi");
const result = {
  ffiDlopen: start.hooks.ffiDlopen,
  ffiSource: String(ffi.dlopen),
  warmupBefore: start.warmup.status,
  sigpipeStart: sigpipe(),
};
const libc = ffi.dlopen("libc.so.6", { getpid: { args: [], returns: "i32" } });
result.bareName = libc.symbols.getpid() === process.pid;
ffi.dlopen(process.env.ABP_GO_LIB, SYMBOL).symbols.IsSetUp();
result.sigpipeAfterGo = sigpipe();
const guarded = ffi.dlopen(process.env.ABP_GUARDED_LIB, SYMBOL);
guarded.symbols.IsSetUp();
result.sigpipeAfterGuarded = sigpipe();
result.fifo = fifoLoad(ffi, process.env.ABP_FIFO);
// A Node-API addon through process.dlopen: its JavaScript wrapper guards it, the hook lets it through.
require(process.env.ABP_ADDON);
const worker = new Worker(process.env.ABP_WORKER);
worker.onmessage = (event) => {
  result.worker = event.data;
  worker.terminate();
  result.status = status();
  console.log("RESULT " + JSON.stringify(result));
};
`;

const WORKER = `${SIGPIPE_BITS}
const ffi = require("bun:ffi");
const fifo = fifoLoad(ffi, process.env.ABP_FIFO);
const libc = ffi.dlopen("libc.so.6", { getpid: { args: [], returns: "i32" } });
ffi.dlopen(process.env.ABP_WORKER_GO_LIB, SYMBOL).symbols.IsSetUp();
postMessage({ fifo, bareName: libc.symbols.getpid() === process.pid, sigpipe: sigpipe() });
`;

interface FifoLoad {
  refused: boolean;
  message?: string;
  ms: number;
}
interface Result {
  ffiDlopen: unknown;
  ffiSource: string;
  warmupBefore: string;
  sigpipeStart: { ignored: number; caught: number };
  bareName: boolean;
  sigpipeAfterGo: { ignored: number; caught: number };
  sigpipeAfterGuarded: { ignored: number; caught: number };
  fifo: FifoLoad;
  worker: { fifo: FifoLoad; bareName: boolean; sigpipe: { ignored: number; caught: number } };
  status: Status;
}

function appDir(): { dir: string; env: Record<string, string> } {
  const dir = tempDir("abp-interpose-");
  const pkg = join(dir, "node_modules", "asherah");
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: "asherah", version: "3.0.0" }));
  copyFileSync(GO_LIB, join(pkg, "libasherah-go.so"));
  // The Worker loads a copy of its own: a path the main thread did not load.
  copyFileSync(GO_LIB, join(dir, "worker-go.so"));
  writeFileSync(join(dir, "addon.c"), "#include <node_api.h>\nnapi_value napi_register_module_v1(napi_env env, napi_value exports) { (void)env; return exports; }\n");
  buildSharedLibrary(join(dir, "addon.c"), join(dir, "addon.node"), ["-I", join(REPO_ROOT, "node_modules", "node-api-headers", "include")]);
  writeFileSync(join(dir, "app.js"), APP);
  writeFileSync(join(dir, "worker.js"), WORKER);
  const fifo = join(dir, "not-a-library.so");
  const made = Bun.spawnSync(["mkfifo", fifo]);
  if (made.exitCode !== 0) throw new Error(`mkfifo ${fifo} failed: ${made.stderr.toString()}`);
  return {
    dir,
    env: {
      ABP_API: API,
      ABP_GO_LIB: GO_LIB,
      ABP_GUARDED_LIB: join(pkg, "libasherah-go.so"),
      ABP_WORKER_GO_LIB: join(dir, "worker-go.so"),
      ABP_WORKER: join(dir, "worker.js"),
      ABP_FIFO: fifo,
      ABP_ADDON: join(dir, "addon.node"),
      // Lazy: the warmup is not started at start (Bun >= 1.1), so the guarded
      // load is what starts it and waits for it.
      ASHERAH_BUN_PRELOAD_WARMUP: "lazy",
    },
  };
}

const ignoredOnly = { ignored: 1, caught: 0 };

describe("the core interposes Bun's own dlopen", () => {
  for (const version of VERSIONS) {
    test(`Bun ${version}: bun:ffi not loaded by the preload; Go libraries repaired, guarded one warmed up, bare name resolves, FIFO refused — main thread and Worker`, async () => {
      const { dir, env } = appDir();
      const result = await runProcess([bunBinary(version), "--preload", PRELOAD, "app.js"], { cwd: dir, env: cleanEnv(env), timeoutMs: 20_000 });
      expect(result.outcome, describeRun(result)).toBe("ok");
      // bun:ffi's own dlopen, as a process without the preload has it.
      const pristine = await runProcess([bunBinary(version), "-e", 'console.log("SOURCE " + JSON.stringify(String(require("bun:ffi").dlopen)))'], {
        cwd: dir,
        env: cleanEnv(),
        timeoutMs: 10_000,
      });
      expect(pristine.outcome, describeRun(pristine)).toBe("ok");
      const r = jsonLine<Result>(result.stdout, "RESULT");
      const interpose = r.status.interpose!;
      const context = JSON.stringify({ ...r, status: { interpose, warmup: r.status.warmup, events: r.status.events.map((e) => `${e.event} ${e.detail}`) } }, null, 1);
      // The preload never touched bun:ffi.
      expect(r.ffiDlopen, context).toBe("interposed");
      expect(r.ffiSource, context).toBe(jsonLine<string>(pristine.stdout, "SOURCE"));
      expect(interpose.result).toBe("done");
      expect(interpose.slots).toBeGreaterThanOrEqual(2);
      // Bun ignores SIGPIPE; each Go runtime takes it over; the hook put it back.
      expect(r.sigpipeStart).toEqual(ignoredOnly);
      expect(r.sigpipeAfterGo, context).toEqual(ignoredOnly);
      expect(r.sigpipeAfterGuarded, context).toEqual(ignoredOnly);
      const record = (path: string) => interpose.records.find((x) => x.path === path.slice(-255) && x.outcome === "loaded");
      expect(record(env.ABP_GO_LIB!)?.repaired, context).toContain(13);
      expect(record(env.ABP_GO_LIB!)!.goRuntimes).toBeGreaterThanOrEqual(1);
      expect(record(env.ABP_GUARDED_LIB!)?.repaired, context).toContain(13);
      // The guarded library waited for the warmup; in lazy mode (eager on 1.0.x) nothing had started it.
      if (version !== "1.0.36") expect(r.warmupBefore).toBe("pending");
      expect(interpose.warmupWaits, context).toBeGreaterThanOrEqual(1);
      expect(r.status.warmup.status).toBe("done");
      expect(r.bareName).toBe(true);
      // The FIFO: refused at once, with the hook's message (Bun 1.4 shows dlerror's text).
      expect(r.fifo.refused, context).toBe(true);
      expect(r.fifo.ms).toBeLessThan(2_000);
      if (version === pinnedBunVersion()) expect(r.fifo.message).toContain("it is a FIFO, not a library");
      expect(result.stderr).toContain(`asherah-bun-preload: refusing to load ${env.ABP_FIFO}: it is a FIFO, not a library`);
      expect(interpose.lastRefused).toBe(env.ABP_FIFO!);
      // The Worker: the same hook (process-wide; Bun 1.0.x runs no preload in Workers at all).
      expect(r.worker.fifo.refused, context).toBe(true);
      expect(r.worker.fifo.ms).toBeLessThan(2_000);
      expect(r.worker.bareName).toBe(true);
      expect(r.worker.sigpipe, context).toEqual(ignoredOnly);
      expect(record(env.ABP_WORKER_GO_LIB!)?.repaired, context).toContain(13);
      expect(interpose.refused).toBeGreaterThanOrEqual(2);
      // process.dlopen's wrapper guarded the addon (its events) and the hook let it through (guardDepth).
      expect(r.status.events.some((e) => e.event === "native-load-done" && e.detail.startsWith(`${env.ABP_ADDON} `)), context).toBe(true);
      expect(interpose.records.some((x) => x.path === env.ABP_ADDON!.slice(-255)), context).toBe(false);
      expect(interpose.passedThrough).toBeGreaterThanOrEqual(1);
    }, 60_000);
  }
});

// Another interposer first: a second copy of the core (the same bytes under
// another path: a distinct object with hooks of its own) finds Bun's slots
// holding the first one's hook, and leaves them alone.
const SECOND_INTERPOSER = `const { loadCore } = require(process.env.ABP_CORE_TS);
const dlopen = process.dlopen;
const first = loadCore(process.env.ABP_CORE_A, undefined, dlopen);
const second = loadCore(process.env.ABP_CORE_B, undefined, dlopen);
const results = [first.interpose(process.env.ABP_WARMUP, [], "off", 0, false), second.interpose(process.env.ABP_WARMUP, [], "off", 0, false), first.interpose(process.env.ABP_WARMUP, [], "off", 0, false)];
const libc = require("bun:ffi").dlopen("libc.so.6", { getpid: { args: [], returns: "i32" } });
console.log("RESULT " + JSON.stringify({ results, getpid: libc.symbols.getpid() === process.pid, first: first.interposeStats().records.map((r) => r.path), second: second.interposeStats().slots }));
`;

describe("a second interposer", () => {
  for (const version of ["1.0.36", pinnedBunVersion()]) {
    test(`Bun ${version}: a second core finds the slots taken ("foreign") and changes nothing; the first keeps guarding`, async () => {
      const dir = tempDir("abp-interpose-foreign-");
      const core = join(REPO_ROOT, "prebuilds", `linux-${process.arch}`, "asherah-bun-core.node");
      for (const name of ["a", "b"]) {
        mkdirSync(join(dir, name));
        copyFileSync(core, join(dir, name, "core.node"));
      }
      writeFileSync(join(dir, "app.js"), SECOND_INTERPOSER);
      const env = {
        ABP_CORE_TS: join(REPO_ROOT, "src", "core-load.ts"),
        ABP_CORE_A: join(dir, "a", "core.node"),
        ABP_CORE_B: join(dir, "b", "core.node"),
        ABP_WARMUP: join(REPO_ROOT, "prebuilds", `linux-${process.arch}`, "asherah-bun-warmup.so"),
      };
      const result = await runProcess([bunBinary(version), "app.js"], { cwd: dir, env: cleanEnv(env), timeoutMs: 20_000 });
      expect(result.outcome, describeRun(result)).toBe("ok");
      const r = jsonLine<{ results: string[]; getpid: boolean; first: string[]; second: number }>(result.stdout, "RESULT");
      expect(r.results).toEqual(["done", "foreign", "unchanged"]);
      expect(r.second).toBe(0);
      expect(r.getpid).toBe(true);
      expect(r.first).toContain("libc.so.6");
    }, 30_000);
  }

  test(`Bun ${pinnedBunVersion()}: the preload after another interposer falls back to wrapping bun:ffi's dlopen`, async () => {
    const dir = tempDir("abp-interpose-fallback-");
    mkdirSync(join(dir, "other"));
    copyFileSync(join(REPO_ROOT, "prebuilds", `linux-${process.arch}`, "asherah-bun-core.node"), join(dir, "other", "core.node"));
    writeFileSync(
      join(dir, "first.js"),
      `const other = require(process.env.ABP_CORE_TS).loadCore(process.env.ABP_OTHER, undefined, process.dlopen);
if (other.interpose(process.env.ABP_WARMUP, [], "off", 0, false) !== "done") throw new Error("the other core did not interpose");\n`,
    );
    writeFileSync(
      join(dir, "app.js"),
      `const coldAtStart = Object.keys(require.cache).some((file) => file.endsWith("/cold.js"));
const libc = require("bun:ffi").dlopen("libc.so.6", { getpid: { args: [], returns: "i32" } });
const s = require(process.env.ABP_API).status();
console.log("RESULT " + JSON.stringify({ coldAtStart, getpid: libc.symbols.getpid() === process.pid, ffiDlopen: s.hooks.ffiDlopen, result: s.interpose.result, events: s.events.map((e) => e.event + " " + e.detail) }));\n`,
    );
    const env = {
      ABP_CORE_TS: join(REPO_ROOT, "src", "core-load.ts"),
      ABP_OTHER: join(dir, "other", "core.node"),
      ABP_WARMUP: join(REPO_ROOT, "prebuilds", `linux-${process.arch}`, "asherah-bun-warmup.so"),
      ABP_API: API,
    };
    const result = await runProcess([bunBinary(pinnedBunVersion()), "--preload", "./first.js", "--preload", PRELOAD, "app.js"], { cwd: dir, env: cleanEnv(env), timeoutMs: 20_000 });
    expect(result.outcome, describeRun(result)).toBe("ok");
    const r = jsonLine<{ coldAtStart: boolean; getpid: boolean; ffiDlopen: unknown; result: string; events: string[] }>(result.stdout, "RESULT");
    // The fallback is on the start bundle: dist/cold.js loads with the first guarded load, not at start.
    expect(r.coldAtStart).toBe(false);
    expect(r.getpid).toBe(true);
    expect(r.result).toBe("foreign");
    expect(r.ffiDlopen).toBe("wrapped");
    expect(r.events).toContain("ffi-dlopen wrapped: the core could not interpose (foreign)");
    // The JavaScript wrapper guarded the load instead.
    expect(r.events.some((e) => e.startsWith("native-load-done libc.so.6 ")), r.events.join("\n")).toBe(true);
  }, 30_000);
});
