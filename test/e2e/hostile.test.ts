// Hostile conditions, each in a real Bun process with a timeout: the preload
// twice and in two copies, no asherah at all, a Worker that loads asherah
// first, child processes, SIGTERM/SIGINT during and after the warmup, SIGPWR
// from outside, and a guarded load that never returns (the watchdog).
// (Bad libraries, bad environment values and unsupported platforms are in
// errors.test.ts.)
import { beforeAll, describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, cpSync, existsSync, linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";
import { bunBinary, pinnedBunVersion, REPO_ROOT } from "../support/bun-versions.ts";
import { FIXTURE_BUILD } from "../support/scenarios.ts";
import { describeRun, runProcess, type RunResult } from "../support/spawn.ts";
import { tempDirs } from "../support/temp.ts";

/** A fresh temporary directory, removed after this file's tests. */
const tempDir = tempDirs();


const PINNED = pinnedBunVersion();
const PRELOAD = join(REPO_ROOT, "src", "index.ts");
/** What the bare name resolves to (package.json "exports" "."). */
const DIST_PRELOAD = join(REPO_ROOT, "dist", "index.js");
const API = join(REPO_ROOT, "src", "api.ts");
const LOAD_CJS = join(REPO_ROOT, "test", "e2e", "apps", "load.cjs");
const ADDON = join(FIXTURE_BUILD, "node_modules", "asherah", "dist", "asherah.node");
const TIMEOUT_MS = 20_000;

beforeAll(() => {
  if (!existsSync(ADDON)) throw new Error(`fixtures are not built (${FIXTURE_BUILD}): run \`node test/fixtures/build.mjs\``);
});

function cleanEnv(extra: Record<string, string> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env, ABP_PATH: "napi" };
  for (const key of Object.keys(env)) if (key.startsWith("ASHERAH_BUN_PRELOAD_")) delete env[key];
  env.BUN_RUNTIME_TRANSPILER_CACHE_PATH = "0";
  return { ...env, ...extra };
}

/** An app directory with the fixture asherah and this package installed (symlinks), load.cjs and the given files. */
function appDir(files: Record<string, string>, options: { asherah?: boolean; self?: boolean; bunfig?: string } = {}): string {
  const dir = tempDir("abp-hostile-");
  if (options.asherah !== false || options.self !== false) mkdirSync(join(dir, "node_modules"));
  if (options.asherah !== false) symlinkSync(join(FIXTURE_BUILD, "node_modules", "asherah"), join(dir, "node_modules", "asherah"), "dir");
  if (options.self !== false) symlinkSync(REPO_ROOT, join(dir, "node_modules", "asherah-bun-preload"), "dir");
  if (options.asherah !== false) copyFileSync(LOAD_CJS, join(dir, "load.cjs"));
  writeFileSync(join(dir, "package.json"), '{"type":"commonjs"}\n');
  if (options.bunfig !== undefined) writeFileSync(join(dir, "bunfig.toml"), options.bunfig);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function jsonLine<T>(stdout: string, prefix: string): T {
  const line = stdout.split("\n").find((l) => l.startsWith(prefix + " "));
  if (line === undefined) throw new Error(`no "${prefix}" line in:\n${stdout}`);
  return JSON.parse(line.slice(prefix.length + 1)) as T;
}

async function waitForFile(path: string, timeoutMs: number): Promise<string> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    try {
      const text = readFileSync(path, "utf8");
      if (text !== "") return text;
    } catch {
      // not yet
    }
    await Bun.sleep(1);
  }
  throw new Error(`${path} did not appear within ${timeoutMs} ms`);
}

/** Sends a signal by number: Bun's process.kill does not know every name (it throws ERR_UNKNOWN_SIGNAL for "SIGPWR"). */
function kill(pid: number, signal: NodeJS.Signals): void {
  const number = (constants.signals as Record<string, number | undefined>)[signal];
  if (number === undefined) throw new Error(`no signal number for ${signal}`);
  try {
    process.kill(pid, number);
  } catch (error) {
    // Already gone is an outcome the assertions on the run report; anything else is a broken test.
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

function wchan(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/wchan`, "utf8");
  } catch {
    return "(gone)";
  }
}

describe("the preload listed twice and present as two physical copies", () => {
  for (const version of ["1.2.19", PINNED]) {
    test(`Bun ${version}: installs once (installedBy has 2 entries, one warmup, one guard)`, async () => {
      const copy = tempDir("abp-copy-");
      for (const part of ["src", "prebuilds", "package.json"]) cpSync(join(REPO_ROOT, part), join(copy, part), { recursive: true });
      const dir = appDir(
        {
          "app.js": `const { load, roundTrip, wasmCall } = require("./load.cjs");
const api = load(); api.setup(); roundTrip(api, "p", "x"); wasmCall(); roundTrip(api, "p", "y"); api.shutdown();
const s = require("asherah-bun-preload/api").status();
console.log("STATUS " + JSON.stringify({ installedBy: s.installedBy, events: s.events.map((e) => e.event), guarded: s.guarded }));
`,
        },
        // The same file three ways (bare name through a symlink, absolute path, --preload) plus the copy.
        { bunfig: `preload = ["asherah-bun-preload", ${JSON.stringify(DIST_PRELOAD)}]\n` },
      );
      const result = await runProcess([bunBinary(version), "--preload", DIST_PRELOAD, "--preload", join(copy, "src", "index.ts"), "app.js"], {
        cwd: dir,
        env: cleanEnv(),
        timeoutMs: TIMEOUT_MS,
      });
      expect(result.outcome, describeRun(result)).toBe("ok");
      const status = jsonLine<{ installedBy: string[]; events: string[]; guarded: { packageName: string; goRuntime: boolean }[] }>(result.stdout, "STATUS");
      expect(status.installedBy).toEqual(["preload", "preload"]);
      expect(status.events.filter((e) => e === "install-start")).toHaveLength(1);
      expect(status.events.filter((e) => e === "warmup-done")).toHaveLength(1);
      expect(status.guarded).toEqual([expect.objectContaining({ packageName: "asherah", goRuntime: true })]);
      expect(result.stderr).toBe("");
    }, 40_000);
  }
});

// An older copy of the package (state version 1, its key not configurable)
// installed itself first: redefining the key used to throw at start.
test(`Bun ${PINNED}: another version installed first: this copy warns once, stands aside, the app runs`, async () => {
  const dir = appDir({
    "old.js": 'Object.defineProperty(globalThis, Symbol.for("asherah-bun-preload.state"), { value: { stateVersion: 1, phase: "installed" }, enumerable: false, configurable: false, writable: false });\n',
    "app.js": `console.log("PHASE " + require(${JSON.stringify(API)}).status().phase);\n`,
  });
  const result = await runProcess([bunBinary(PINNED), "--preload", "./old.js", "--preload", PRELOAD, "app.js"], { cwd: dir, env: cleanEnv(), timeoutMs: TIMEOUT_MS });
  expect(result.outcome, describeRun(result)).toBe("ok");
  expect(result.stdout).toContain("PHASE disabled");
  expect(result.stderr.split("\n").filter((l) => l.startsWith("asherah-bun-preload: warning: another version"))).toHaveLength(1);
}, 30_000);

describe("the preload without asherah installed", () => {
  for (const version of ["1.2.19", PINNED]) {
    test(`Bun ${version}: the app runs; require/import of asherah fail with Bun's own error; nothing guarded`, async () => {
      const dir = appDir(
        {
          "app.js": `const { warmup } = require(${JSON.stringify(API)});
let required, imported;
try { require("asherah"); required = "loaded"; } catch (e) { required = e.code + ": " + e.message.split("\\n")[0]; }
import("asherah").then(() => { imported = "loaded"; }, (e) => { imported = e.code + ": " + String(e.message).split("\\n")[0]; }).then(() => {
  const s = warmup(); // waits for the warmup, which runs on the core's own thread
  console.log("RESULT " + JSON.stringify({ required, imported, phase: s.phase, warmup: s.warmup.status, guarded: s.guarded.length }));
});
`,
        },
        { asherah: false, self: false },
      );
      const result = await runProcess([bunBinary(version), "--preload", PRELOAD, "app.js"], { cwd: dir, env: cleanEnv(), timeoutMs: TIMEOUT_MS });
      expect(result.outcome, describeRun(result)).toBe("ok");
      const r = jsonLine<{ required: string; imported: string; phase: string; warmup: string; guarded: number }>(result.stdout, "RESULT");
      expect(r.required).toMatch(/^MODULE_NOT_FOUND: Cannot find (module|package) 'asherah'/);
      expect(r.imported).toMatch(/^ERR_MODULE_NOT_FOUND: Cannot find package 'asherah'/);
      expect(r).toMatchObject({ phase: "installed", warmup: "done", guarded: 0 });
      expect(result.stderr).toBe("");
    }, 40_000);
  }
});

describe("an install the running user can only read (root-owned node_modules, app run as nobody)", () => {
  // Bun.mmap opens files read-write: hashing the libraries with it failed
  // with EACCES here, so the preload refused to start (found in this setup).
  const canSwitchUser = process.getuid?.() === 0 && existsSync("/usr/bin/setpriv");
  const NOBODY = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"];

  /** A world-readable, root-owned copy of the package and of the Bun binary, in folders nobody can enter. */
  function readOnlyInstall(version: string): { bun: string; pkg: string; app: string } {
    const root = tempDir("abp-readonly-");
    const pkg = join(root, "pkg");
    for (const part of ["src", "prebuilds", "package.json"]) cpSync(join(REPO_ROOT, part), join(pkg, part), { recursive: true });
    const bun = join(root, "bun");
    try {
      linkSync(bunBinary(version), bun);
    } catch {
      copyFileSync(bunBinary(version), bun);
    }
    const app = join(root, "app");
    mkdirSync(join(app, "home"), { recursive: true });
    execFileSync("chmod", ["-R", "u=rwX,go=rX", root]);
    chmodSync(bun, 0o755);
    chmodSync(join(app, "home"), 0o777); // Bun's own cache, if it wants one
    return { bun, pkg, app };
  }

  const cases = [
    ["1.2.19", "preload", "the preload"],
    [PINNED, "preload", "the preload"],
    [PINNED, "api", "install() from the api"],
  ] as const;
  for (const [version, entry, label] of cases) {
    test.skipIf(!canSwitchUser)(`Bun ${version}, ${label}: verifies and loads both libraries with read access alone`, async () => {
      const { bun, pkg, app } = readOnlyInstall(version);
      const api = join(pkg, "src", "api.ts");
      const script = `${entry === "api" ? `require(${JSON.stringify(api)}).install();\n` : ""}const s = require(${JSON.stringify(api)}).warmup();
console.log("STATUS " + JSON.stringify({ phase: s.phase, warmup: s.warmup.status, sha256: s.warmup.sha256, core: s.core }));
`;
      writeFileSync(join(app, "app.js"), script);
      chmodSync(join(app, "app.js"), 0o644);
      const args = entry === "preload" ? ["--preload", join(pkg, "src", "index.ts"), "app.js"] : ["app.js"];
      const result = await runProcess([...NOBODY, bun, ...args], { cwd: app, env: cleanEnv({ HOME: join(app, "home") }), timeoutMs: TIMEOUT_MS });
      expect(result.outcome, describeRun(result)).toBe("ok");
      const status = jsonLine<{ phase: string; warmup: string; sha256?: string; core?: string }>(result.stdout, "STATUS");
      expect(status).toEqual({
        phase: "installed",
        warmup: "done",
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        core: join(pkg, "prebuilds", `linux-${process.arch}`, "asherah-bun-core.node"),
      });
      expect(result.stderr).toBe("");
    }, 40_000);
  }
});

describe("a Worker that loads asherah before the main thread does", () => {
  // Without protection for the Worker's own load this hung 4/4 on 1.2.19 (the
  // addon's Go runtime put SA_ONSTACK back on SIGPWR, then the main thread's
  // WebAssembly call suspended threads).
  const files = {
    "child.js": `const { load, roundTrip } = require("./load.cjs");
const api = load(); api.setup();
for (let i = 0; i < 10; i++) roundTrip(api, "w" + (i % 2), "from worker " + i);
api.shutdown(); // asherah's state is process-wide: the main thread sets it up again
postMessage("ok");
`,
    "app.js": `const { wasmCall, load, roundTrip } = require("./load.cjs");
const worker = new Worker(require("path").join(__dirname, "child.js"));
worker.onmessage = (event) => {
  if (event.data !== "ok") throw new Error("worker: " + event.data);
  const r = wasmCall();
  Bun.gc(true);
  const api = load(); api.setup(); roundTrip(api, "main", "after the worker"); wasmCall(); api.shutdown();
  worker.terminate();
  setTimeout(() => { Bun.gc(true); console.log("OK worker-first " + r); }, 50);
};
worker.onerror = (event) => { console.error("worker error", event.message); process.exit(1); };
`,
  };
  for (const [version, runs] of [["1.2.19", 3], [PINNED, 1]] as const) {
    test(`Bun ${version}: completes ${runs}×`, async () => {
      const dir = appDir(files);
      for (let i = 0; i < runs; i++) {
        const result = await runProcess([bunBinary(version), "--preload", PRELOAD, "app.js"], { cwd: dir, env: cleanEnv(), timeoutMs: 15_000 });
        expect(result.outcome, `run ${i + 1}: ${describeRun(result)}`).toBe("ok");
        expect(result.stdout).toContain("OK worker-first 10000");
        expect(result.stderr).toBe(""); // no warnings from the Worker's own preload either
      }
    }, runs * 15_000 + 20_000);
  }
});

describe("child processes", () => {
  test("Bun 1.2.19: Bun.spawn and child_process.fork children run their own preload from ./bunfig.toml; the environment passes through", async () => {
    const dir = appDir(
      {
        "child.js": `const { status } = require("asherah-bun-preload/api");
const { load, roundTrip, wasmCall } = require("./load.cjs");
const api = load(); api.setup(); roundTrip(api, "c", "x"); wasmCall(); roundTrip(api, "c", "y"); api.shutdown();
const s = status();
const out = { how: process.argv[2], mark: process.env.ABP_MARK, phase: s.phase, installedBy: s.installedBy, warmup: s.config && s.config.warmup,
  guarded: s.guarded.map((g) => [g.packageName, g.goRuntime]), pid: process.pid };
if (process.send) { process.send(out); process.disconnect(); } else console.log(JSON.stringify(out));
`,
        "parent.js": `const { status } = require("asherah-bun-preload/api");
const { load, roundTrip } = require("./load.cjs");
const api = load(); api.setup(); roundTrip(api, "p", "parent"); api.shutdown();
console.log("PARENT " + JSON.stringify({ phase: status().phase, pid: process.pid }));
(async () => {
  // One child at a time: at most two Bun processes of this test run at once.
  const spawned = Bun.spawn([process.execPath, "child.js", "spawn"], { env: { ...process.env, ABP_MARK: "via-spawn" }, stdout: "pipe", stderr: "inherit" });
  const timer = setTimeout(() => spawned.kill(9), 10000);
  const text = await new Response(spawned.stdout).text();
  await spawned.exited;
  clearTimeout(timer);
  console.log("CHILD_SPAWN " + text.trim() + " " + spawned.exitCode);
  const forked = require("child_process").fork("child.js", ["fork"], { env: { ...process.env, ABP_MARK: "via-fork" } });
  const killer = setTimeout(() => forked.kill("SIGKILL"), 10000);
  forked.on("message", (m) => console.log("CHILD_FORK " + JSON.stringify(m)));
  forked.on("exit", (code) => { clearTimeout(killer); console.log("FORK_EXIT " + code); });
})();
`,
      },
      { bunfig: 'preload = ["asherah-bun-preload"]\n' },
    );
    // A non-default setting in the parent's environment must reach the children's preload.
    const result = await runProcess([bunBinary("1.2.19"), "parent.js"], { cwd: dir, env: cleanEnv({ ASHERAH_BUN_PRELOAD_WARMUP: "lazy" }), timeoutMs: 30_000 });
    expect(result.outcome, describeRun(result)).toBe("ok");
    const parent = jsonLine<{ phase: string; pid: number }>(result.stdout, "PARENT");
    expect(parent.phase).toBe("installed");
    const spawnLine = result.stdout.split("\n").find((l) => l.startsWith("CHILD_SPAWN "))!;
    expect(spawnLine, result.stdout).toEndWith(" 0");
    const spawned = JSON.parse(spawnLine.slice("CHILD_SPAWN ".length, spawnLine.lastIndexOf(" "))) as Record<string, unknown>;
    const forked = jsonLine<Record<string, unknown>>(result.stdout, "CHILD_FORK");
    for (const [child, how] of [[spawned, "spawn"], [forked, "fork"]] as const) {
      expect(child).toMatchObject({ how, mark: `via-${how}`, phase: "installed", installedBy: ["preload"], warmup: "lazy", guarded: [["asherah", true]] });
      expect(child.pid).not.toBe(parent.pid);
    }
    expect(result.stdout).toContain("FORK_EXIT 0");
  }, 45_000);
});

describe("SIGTERM and SIGINT", () => {
  // The app's handler does a Go round trip, so Go must still work inside it.
  const app = `const fs = require("fs");
const sig = process.env.ABP_SIGNAL;
let api;
const handler = () => { roundTrip(api, "h", "in the handler"); console.log("GOT " + sig); process.exit(42); };
if (process.env.ABP_ORDER === "before") process.on(sig, handler);
const { load, roundTrip, wasmCall } = require("./load.cjs");
api = load(); api.setup(); roundTrip(api, "p", "x"); wasmCall();
if (process.env.ABP_ORDER === "after") process.on(sig, handler);
fs.writeFileSync(process.env.ABP_PIDFILE, String(process.pid));
setTimeout(() => { console.log("no signal arrived"); process.exit(0); }, 8000);
`;
  const cases: [string, NodeJS.Signals, "before" | "after"][] = [
    ["1.2.19", "SIGTERM", "before"],
    ["1.2.19", "SIGTERM", "after"],
    ["1.2.19", "SIGINT", "before"],
    ["1.2.19", "SIGINT", "after"],
    [PINNED, "SIGTERM", "before"],
    [PINNED, "SIGINT", "after"],
  ];
  for (const [version, signal, order] of cases) {
    test(`Bun ${version}: ${signal} after the warmup, handler installed ${order} asherah loads: the handler runs and exits cleanly`, async () => {
      const dir = appDir({ "app.js": app });
      const pidfile = join(dir, "pid");
      const run = runProcess([bunBinary(version), "--preload", PRELOAD, "app.js"], {
        cwd: dir,
        env: cleanEnv({ ABP_SIGNAL: signal, ABP_ORDER: order, ABP_PIDFILE: pidfile }),
        timeoutMs: 15_000,
      });
      kill(Number(await waitForFile(pidfile, 10_000)), signal);
      const result = await run;
      expect(result.exitCode, describeRun(result)).toBe(42);
      expect(result.stdout).toContain(`GOT ${signal}`);
    }, 30_000);
  }

  // The signal arrives during the warmup: the test watches the process's
  // memory map and sends it the moment the Go warmup library is mapped, i.e.
  // inside its dlopen, Go's runtime start or the first call. (A fixed delay
  // does not work: Bun takes ~30 ms to load the preload's modules, and runs a
  // JS signal handler between two preloads.) The first preload only writes the pid.
  const pidPreload = 'require("fs").writeFileSync(process.env.ABP_PIDFILE, String(process.pid));\n';
  const handlerPreload = `process.on(process.env.ABP_SIGNAL, () => { console.log("GOT " + process.env.ABP_SIGNAL); process.exit(42); });
${pidPreload}`;
  const waitingApp = `const { load, roundTrip } = require("./load.cjs");
const api = load(); api.setup(); roundTrip(api, "p", "x");
console.log("APP READY");
setTimeout(() => { console.log("no signal arrived"); process.exit(0); }, 5000);
`;
  // The core maps the verified copy from a memory file: /memfd:asherah-bun-warmup in the map.
  const warmupFile = "asherah-bun-warmup";

  /** Starts the app, sends `signal` as soon as the warmup library is mapped, returns the run. */
  async function signalDuringWarmup(dir: string, firstPreload: string, signal: NodeJS.Signals, env: Record<string, string> = {}): Promise<RunResult> {
    const pidfile = join(dir, `pid-${signal}-${Math.random().toString(36).slice(2)}`);
    const run = runProcess([bunBinary("1.2.19"), "--preload", firstPreload, "--preload", PRELOAD, "app.js"], {
      cwd: dir,
      env: cleanEnv({ ...env, ABP_PIDFILE: pidfile, ABP_SIGNAL: signal, ASHERAH_BUN_PRELOAD_DEBUG: "1" }),
      timeoutMs: 10_000,
    });
    const pid = Number(await waitForFile(pidfile, 8_000));
    const end = performance.now() + 5_000;
    // A tight loop on purpose: the warmup's window is a few milliseconds.
    for (;;) {
      let maps: string;
      try {
        maps = readFileSync(`/proc/${pid}/maps`, "latin1");
      } catch {
        break; // gone: the run's result says why
      }
      if (maps.includes(warmupFile) || performance.now() > end) break;
    }
    kill(pid, signal);
    return run;
  }

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    test(`Bun 1.2.19: ${signal} during the warmup ends the process by that signal (no hang, no crash)`, async () => {
      const dir = appDir({ "pid.js": pidPreload, "app.js": waitingApp });
      const landed: string[] = [];
      // Whenever it lands, the process must end by that signal. Where it landed
      // depends on how fast this runner sees the map change (it was inside the
      // warmup in 14 of 18 deliveries on an idle 2-core machine); one hit is required.
      for (let i = 0; i < 5; i++) {
        const result = await signalDuringWarmup(dir, "./pid.js", signal);
        expect(result.signal, describeRun(result)).toBe(signal);
        // The debug lines are written synchronously: they show how far the preload got.
        expect(result.stderr).toContain("] signals protected ");
        landed.push(result.stdout.includes("APP READY") ? "in the app" : result.stderr.includes("] warmup loaded ") ? "after the warmup" : "during the warmup");
      }
      console.log(`${signal}: ${landed.join(", ")}`);
      expect(landed).toContain("during the warmup");
    }, 60_000);
  }

  // The warmup runs on the core's thread, off the JavaScript thread: the
  // application's handler runs whenever Bun next runs JavaScript handlers,
  // the warmup thread carries on or ends with the process.
  test("Bun 1.2.19: SIGTERM during the warmup with a handler installed by an earlier preload: the preload completes, then the handler runs", async () => {
    const dir = appDir({ "handler.js": handlerPreload, "app.js": waitingApp });
    const result = await signalDuringWarmup(dir, "./handler.js", "SIGTERM");
    expect(result.exitCode, describeRun(result)).toBe(42);
    expect(result.stdout).toContain("GOT SIGTERM");
    expect(result.stdout).not.toContain("no signal arrived");
    expect(result.stderr).toContain("] installed ");
  }, 30_000);
});

describe("SIGPWR sent from outside the process", () => {
  // JavaScriptCore on Bun < 1.4 suspends threads with SIGPWR. Its handler
  // cannot tell a stray SIGPWR from its own suspend request: it marks the
  // thread suspended and waits in sigsuspend() for a resume signal that never
  // comes. On 1.4 the handler ignores a SIGPWR nobody asked for; on older
  // releases the preload's wrapper drops suspend signals sent by other processes.
  const app = (withGo: boolean) => `const fs = require("fs");
${withGo ? 'const { load, roundTrip, wasmCall } = require("./load.cjs");\nconst api = load(); api.setup(); roundTrip(api, "p", "x");' : ""}
fs.writeFileSync(process.env.ABP_PIDFILE, String(process.pid));
let n = 0;
const t = setInterval(() => {
  n++;
  // kill(2) by the process itself (process.kill), not JSC's tgkill.
  if (process.env.ABP_SELF === "1" && n % 5 === 0 && n <= 15) process.kill(process.pid, 30);
  ${withGo ? 'wasmCall(); roundTrip(api, "p", "tick " + n);' : "Bun.gc(false);"}
  if (n >= 40) { clearInterval(t); ${withGo ? "api.shutdown();" : ""} console.log("DONE " + n); }
}, 25);
`;
  async function sigpwr(
    version: string,
    preload: boolean,
    withGo: boolean,
    timeoutMs: number,
    env: Record<string, string> = {},
  ): Promise<{ result: RunResult; wchan: string }> {
    const dir = appDir({ "app.js": app(withGo) });
    const pidfile = join(dir, "pid");
    const run = runProcess([bunBinary(version), ...(preload ? ["--preload", PRELOAD] : []), "app.js"], {
      cwd: dir,
      env: cleanEnv({ ABP_PIDFILE: pidfile, ...env }),
      timeoutMs,
    });
    const pid = Number(await waitForFile(pidfile, 10_000));
    for (let i = 0; i < 3 && env.ABP_SELF !== "1"; i++) {
      await Bun.sleep(100);
      kill(pid, "SIGPWR");
    }
    await Bun.sleep(700);
    const where = wchan(pid);
    return { result: await run, wchan: where };
  }

  test(`Bun ${PINNED} with the preload and asherah: three SIGPWRs are ignored, the app finishes`, async () => {
    const { result } = await sigpwr(PINNED, true, true, 15_000);
    expect(result.outcome, describeRun(result)).toBe("ok");
    expect(result.stdout).toContain("DONE 40");
  }, 30_000);

  test("Bun 1.2.19 with the preload and asherah: the suspend-handler wrapper drops SIGPWRs from other processes, the app finishes", async () => {
    const { result } = await sigpwr("1.2.19", true, true, 15_000);
    expect(result.outcome, describeRun(result)).toBe("ok");
    expect(result.stdout).toContain("DONE 40");
  }, 30_000);

  test("Bun 1.2.19 with the preload and asherah: a SIGPWR the process sends itself (process.kill) is dropped too, the app finishes", async () => {
    const { result } = await sigpwr("1.2.19", true, true, 15_000, { ABP_SELF: "1" });
    expect(result.outcome, describeRun(result)).toBe("ok");
    expect(result.stdout).toContain("DONE 40");
  }, 30_000);

  test("control: Bun 1.2.19 without the preload, a self-sent SIGPWR parks the thread", async () => {
    const { result, wchan: where } = await sigpwr("1.2.19", false, false, 4_000, { ABP_SELF: "1" });
    expect(result.outcome, describeRun(result)).toBe("hang");
    expect(where).toMatch(/sigsuspend/);
  }, 30_000);

  test("Bun 1.2.19 with the flag-restore mechanism: JavaScriptCore parks the thread in sigsuspend for good (what the wrapper prevents)", async () => {
    const { result, wchan: where } = await sigpwr("1.2.19", true, true, 4_000, { ASHERAH_BUN_PRELOAD_SIGNAL_MECHANISM: "restore" });
    expect(result.outcome, describeRun(result)).toBe("hang");
    expect(where).toMatch(/sigsuspend/);
    expect(result.stdout).not.toContain("DONE");
    expect(result.diagnosis!.cpu).toBeLessThan(0.2); // parked, not a signal storm
  }, 30_000);

  test("control: Bun 1.2.19 without the preload and without any Go code parks the same way", async () => {
    const { result, wchan: where } = await sigpwr("1.2.19", false, false, 4_000);
    expect(result.outcome, describeRun(result)).toBe("hang");
    expect(where).toMatch(/sigsuspend/);
  }, 30_000);

  // A SIGPWR that lands while JSC has the thread suspended (in its sigsuspend,
  // waiting for the resume) must not end that wait: the wrapper holds it until
  // the resume came (hold_for_resume in go/core/abp_signals.c). Dropping it
  // instead let the thread run while suspended and, a moment later, parked it
  // for good: 1 CI run in ~20 hung this way in the test above. The window is a
  // few microseconds per suspension, so the real-Bun flood below hits it only
  // now and then; the model of JSC's protocol (test/native/suspend-protocol.c)
  // hits it thousands of times per run and fails on the dropping wrapper with
  // thousands of rounds in which the suspended thread ran.
  function buildModel(): string {
    const exe = join(tempDir("abp-suspend-protocol-"), "suspend-protocol");
    execFileSync(process.env.CC ?? "gcc", ["-O2", "-o", exe, join(REPO_ROOT, "test", "native", "suspend-protocol.c"), join(REPO_ROOT, "go", "core", "abp_signals.c"), "-ldl", "-lpthread"], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    return exe;
  }
  const countsOf = (stdout: string): Record<string, number> =>
    Object.fromEntries(stdout.trim().split(" ").map((kv) => [kv.split("=")[0]!, Number(kv.split("=")[1])]));
  for (const mode of ["direct", "switched"] as const) {
    test(`JSC's suspend protocol (model), ${mode}, flooded with kill(2): the suspended thread never runs and none is parked`, async () => {
      const result = await runProcess([buildModel(), mode, "10000"], { timeoutMs: 20_000 });
      expect(result.outcome, describeRun(result)).toBe("ok");
      const counts = countsOf(result.stdout);
      expect(counts.rounds).toBe(10000);
      expect(counts.ran).toBe(0);
      expect(counts.held).toBeGreaterThan(0); // the race was there to be lost
      expect(counts[mode]).toBe(mode === "direct" ? 20000 : 10000); // JSC ran for each suspend and resume, where the mode says
      expect(counts.heldTimedOut).toBe(0); // every hold ended at its resume
    }, 40_000);
  }

  // A foreign SIGPWR aimed at the thread itself (tgkill from another
  // process) that is still pending when JSC's resume comes takes the resume's
  // place: standard signals do not queue. The hold gives up after 1 s, as
  // JSC's own wait would have ended at the foreign signal, and resume()
  // returns. (The same merge with JSC's *suspend* request loses that request;
  // that older case is not covered: docs/how-it-works.md.)
  test("JSC's suspend protocol (model), lost-resume: a hold whose resume never comes is released after 1 s", async () => {
    const result = await runProcess([buildModel(), "lost-resume", "2"], { timeoutMs: 15_000 });
    expect(result.outcome, describeRun(result)).toBe("ok");
    const counts = countsOf(result.stdout);
    expect(counts.rounds).toBe(2);
    expect(counts.heldTimedOut).toBe(2);
    expect(result.wallMs).toBeGreaterThan(1_900); // held for the whole second each time
  }, 30_000);

  test("Bun 1.2.19 with the preload and asherah: a flood of SIGPWRs during WebAssembly tier-ups, the app finishes", async () => {
    const flooded = app(true)
      .replace("n >= 40", "n >= 150")
      .replace("}, 25);", "}, 5);")
      .replace('console.log("DONE " + n);', 'console.log("DONE " + n); console.log("STATS " + JSON.stringify(require("asherah-bun-preload/api").status().signals.wrapStats));');
    const dir = appDir({ "app.js": flooded });
    const pidfile = join(dir, "pid");
    const run = runProcess([bunBinary("1.2.19"), "--preload", PRELOAD, "app.js"], { cwd: dir, env: cleanEnv({ ABP_PIDFILE: pidfile }), timeoutMs: 15_000 });
    let ended = false;
    void run.then(() => (ended = true));
    const pid = Number(await waitForFile(pidfile, 10_000));
    for (let i = 0; i < 300 && !ended; i++) {
      kill(pid, "SIGPWR");
      await Bun.sleep(1);
    }
    const result = await run;
    expect(result.outcome, describeRun(result)).toBe("ok");
    expect(result.stdout).toContain("DONE 150");
    const stats = jsonLine<Record<string, number>>(result.stdout, "STATS");
    console.log(`SIGPWR flood: ${stats.foreign} foreign, ${stats.held} held inside a suspension`);
    expect(stats.foreign).toBeGreaterThan(0);
    // Every suspension JSC made on the native stack got its one resume, inside it.
    expect(stats.nested).toBe(stats.switched);
  }, 30_000);
});

describe("hang watchdog (ASHERAH_BUN_PRELOAD_WATCHDOG_MS)", () => {
  // Stand-ins for a guarded module whose load never returns: the work happens
  // in an ELF constructor, i.e. inside dlopen, inside the guarded load.
  const SOURCES: Record<string, string> = {
    sleep: `#include <unistd.h>
__attribute__((constructor)) static void hang(void) { sleep(10); }
`,
    spin: `#include <time.h>
__attribute__((constructor)) static void hang(void) {
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  do clock_gettime(CLOCK_MONOTONIC, &now); while (now.tv_sec - start.tv_sec < 10);
}
`,
    // What JavaScriptCore's endless suspend retry looks like from outside:
    // a thread signals the loading thread and waits for its handler to back off, forever.
    storm: `#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
static sem_t backed_off;
static pid_t target;
static void handler(int sig) { (void)sig; sem_post(&backed_off); }
static void *suspender(void *arg) {
  (void)arg;
  for (;;) { syscall(SYS_tgkill, getpid(), target, SIGUSR2); sem_wait(&backed_off); }
  return 0;
}
__attribute__((constructor)) static void hang(void) {
  sem_init(&backed_off, 0, 0);
  target = (pid_t)syscall(SYS_gettid);
  struct sigaction sa = {0};
  sa.sa_handler = handler;
  sigaction(SIGUSR2, &sa, 0);
  pthread_t thread;
  pthread_create(&thread, 0, suspender, 0);
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  do { pause(); clock_gettime(CLOCK_MONOTONIC, &now); } while (now.tv_sec - start.tv_sec < 10);
}
`,
  };

  /** An app whose node_modules/asherah entry is a C shared object with the given constructor. */
  function hangingApp(kind: string, via: "process.dlopen" | "bun:ffi" = "process.dlopen"): { dir: string; module: string } {
    const packageName = via === "bun:ffi" ? "hang-ffi" : "asherah";
    const dir = appDir(
      {
        "app.js":
          via === "bun:ffi"
            ? `console.log("before"); require("bun:ffi").dlopen(require("path").join(__dirname, "node_modules/hang-ffi/hang.so"), { abp_test_symbol: { args: [], returns: "void" } }); console.log("after");\n`
            : 'console.log("before"); require("asherah"); console.log("after");\n',
        "hang.c": `${SOURCES[kind]!}\nvoid abp_test_symbol(void) {}\n`,
      },
      { asherah: false, self: false },
    );
    const pkg = join(dir, "node_modules", packageName);
    mkdirSync(pkg, { recursive: true });
    const module = join(pkg, via === "bun:ffi" ? "hang.so" : "asherah.node");
    writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: packageName, version: "3.0.0", main: "./asherah.node" }));
    execFileSync(process.env.CC ?? "gcc", ["-shared", "-fPIC", "-O2", "-o", module, join(dir, "hang.c"), "-lpthread"]);
    return { dir, module };
  }

  async function hang(version: string, kind: string, env: Record<string, string>, timeoutMs = 10_000, via: "process.dlopen" | "bun:ffi" = "process.dlopen") {
    const { dir, module } = hangingApp(kind, via);
    const result = await runProcess([bunBinary(version), "--preload", PRELOAD, "app.js"], { cwd: dir, env: cleanEnv(env), timeoutMs });
    return { result, module };
  }

  function expectWatchdogExit(result: RunResult, header: string, diagnosis: string): void {
    expect(result.exitCode, describeRun(result)).toBe(70);
    expect(result.stdout).toBe("before\n"); // the load never returned
    expect(result.stderr).toContain(header);
    expect(result.stderr).toContain(`  diagnosis: ${diagnosis}`);
    expect(result.stderr).toContain("  what to do: ");
    expect(result.stderr).toContain("exiting with status 70 instead of hanging (ASHERAH_BUN_PRELOAD_WATCHDOG_MS=500).");
    // Deadline 500 ms + 200 ms of sampling + Bun's start; the module would have slept 10 s.
    expect(result.wallMs).toBeLessThan(3_000);
  }

  for (const version of ["1.2.19", PINNED]) {
    test(`Bun ${version}: a load blocked in sleep: exit 70 within ~1 s, diagnosed as blocked`, async () => {
      const { result, module } = await hang(version, "sleep", { ASHERAH_BUN_PRELOAD_WATCHDOG_MS: "500" });
      expectWatchdogExit(
        result,
        `asherah-bun-preload: watchdog: loading asherah (${module}) via process.dlopen on Bun ${version} did not return within its limit of 500 ms`,
        "no signal storm; the loading thread is blocked",
      );
      expect(result.stderr).toMatch(/loading thread \d+: sleeping in \w+/);
      console.log(`watchdog exit on Bun ${version} after ${Math.round(result.wallMs)} ms (process start to exit)`);
    }, 30_000);
  }

  test(`Bun ${PINNED}: a load spinning on the CPU: diagnosed as busy`, async () => {
    const { result } = await hang(PINNED, "spin", { ASHERAH_BUN_PRELOAD_WATCHDOG_MS: "500" });
    expectWatchdogExit(result, "did not return within its limit of 500 ms", "no signal storm; the loading thread is busy on a CPU");
  }, 30_000);

  test(`Bun ${PINNED}: a load stuck in a signal/back-off loop: diagnosed as a signal storm`, async () => {
    const { result } = await hang(PINNED, "storm", { ASHERAH_BUN_PRELOAD_WATCHDOG_MS: "500" });
    expectWatchdogExit(result, "did not return within its limit of 500 ms", "a signal storm is visible");
    const rate = Number(/is woken about (\d+) times a second/.exec(result.stderr)?.[1]);
    expect(rate).toBeGreaterThanOrEqual(1000);
  }, 30_000);

  test(`Bun ${PINNED}: a guarded bun:ffi load is watched too`, async () => {
    const { result, module } = await hang(PINNED, "sleep", { ASHERAH_BUN_PRELOAD_WATCHDOG_MS: "500", ASHERAH_BUN_PRELOAD_PACKAGES: "hang-ffi" }, 10_000, "bun:ffi");
    // Armed by the core's hook on Bun's own dlopen (go/core/abp_interpose.c), which bun:ffi's load reaches.
    expectWatchdogExit(result, `watchdog: loading hang-ffi (${module}) via Bun's own dlopen (bun:ffi or an import) did not return within its limit of 500 ms`, "no signal storm");
  }, 30_000);

  test("control: the same load without the watchdog is still hanging after 2.5 s", async () => {
    const { result } = await hang(PINNED, "sleep", {}, 2_500);
    expect(result.outcome, describeRun(result)).toBe("hang");
    expect(result.stderr).not.toContain("watchdog");
  }, 30_000);

  test("Bun 1.2.19: armed around the real asherah load, disarmed when it returns: the app outlives the deadline", async () => {
    const dir = appDir({
      "app.js": `const { load, roundTrip, wasmCall } = require("./load.cjs");
const api = load(); api.setup(); roundTrip(api, "p", "x"); wasmCall();
setTimeout(() => { roundTrip(api, "p", "later"); api.shutdown(); console.log("OK outlived the watchdog"); }, 1500);
`,
    });
    const result = await runProcess([bunBinary("1.2.19"), "--preload", PRELOAD, "app.js"], {
      cwd: dir,
      env: cleanEnv({ ASHERAH_BUN_PRELOAD_WATCHDOG_MS: "500", ASHERAH_BUN_PRELOAD_DEBUG: "1" }),
      timeoutMs: TIMEOUT_MS,
    });
    expect(result.outcome, describeRun(result)).toBe("ok");
    expect(result.stdout).toContain("OK outlived the watchdog");
    expect(result.stderr).toMatch(/\[asherah-bun-preload\] watchdog armed package=asherah ms=500 id=\d+/);
    expect(result.stderr).not.toContain("did not return within");
  }, 30_000);

  // Two guarded loads in two Workers, 600 ms apart, each 700 ms long: the
  // loader serialises them, so the second returns ~1.4 s after the first
  // began. With one process-wide deadline (before issue 13) the second load
  // inherited the first one's and a healthy process was killed (8 of 8 runs);
  // each load now has its own.
  test(`Bun ${PINNED}: overlapping guarded loads in two Workers each get their own deadline`, async () => {
    const slow = `#include <unistd.h>\n__attribute__((constructor)) static void slow(void) { usleep(700000); }\n`;
    const dir = appDir(
      {
        "slow.c": slow,
        // Not Node-API modules: require() throws after the 700 ms constructor ran.
        "w1.js": 'try { require("asherah"); } catch {} postMessage("w1");\n',
        "w2.js": 'try { require("slow-two"); } catch {} postMessage("w2");\n',
        "app.js": `const path = require("path");
const done = [];
const start = (file) => { const w = new Worker(path.join(__dirname, file)); w.onmessage = (e) => { done.push(e.data); w.terminate(); if (done.length === 2) console.log("DONE " + done.sort().join(",")); }; };
start("w1.js");
setTimeout(() => start("w2.js"), 600);
`,
      },
      { asherah: false },
    );
    for (const name of ["asherah", "slow-two"]) {
      const pkg = join(dir, "node_modules", name);
      mkdirSync(pkg, { recursive: true });
      writeFileSync(join(pkg, "package.json"), JSON.stringify({ name, version: "1.0.0", main: "./slow.node" }));
      execFileSync(process.env.CC ?? "gcc", ["-shared", "-fPIC", "-O2", "-o", join(pkg, "slow.node"), join(dir, "slow.c")]);
    }
    const result = await runProcess([bunBinary(PINNED), "--preload", PRELOAD, "app.js"], {
      cwd: dir,
      env: cleanEnv({ ASHERAH_BUN_PRELOAD_WATCHDOG_MS: "1000", ASHERAH_BUN_PRELOAD_PACKAGES: "slow-two" }),
      timeoutMs: TIMEOUT_MS,
    });
    expect(result.outcome, describeRun(result)).toBe("ok");
    expect(result.stdout).toContain("DONE w1,w2");
    expect(result.stderr).not.toContain("did not return within");
  }, 30_000);
});
