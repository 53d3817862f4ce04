// Where the preload's eager start-up goes, step by step, without editing src/:
// the general path's functions (src/install.ts; the start path, src/start.ts,
// runs the same steps inline, with the core's self hash on the warmup thread).
// Run WITHOUT the preload. It loads the builtins the start path needs (first
// use in the process), imports src/ (transpiled here; users run the dist/
// bundle, whose load the layers section measures), then calls the functions
// install() calls in eager mode one at a time, each timed with
// Bun.nanoseconds(). The warmup runs on the core's own thread as in the
// preload; its wait is measured last, apart from the steps. Prints one JSON line.
//   ABP_SRC  absolute path of the src/ folder to measure
// No node: import here: the builtins are part of what is measured.
export {};
const entryMicros = Bun.nanoseconds() / 1e3;
const src = process.env.ABP_SRC;
if (src === undefined || !src.startsWith("/")) throw new Error("set ABP_SRC to the absolute path of src/");
const marks: [string, number][] = [];
let last = Bun.nanoseconds();
const mark = (name: string) => {
  const now = Bun.nanoseconds();
  marks.push([name, (now - last) / 1e3]);
  last = now;
};
const since = (t: number) => (Bun.nanoseconds() - t) / 1e3;

// Builtins first, so that the src/ imports and the hooks below do not hide their first use.
require("bun:ffi");
mark("builtin bun:ffi (first use; for the wrapper of its dlopen)");
require("node:module");
mark("builtin node:module (first use; plugin.ts, when a guarded package is installed)");

type Fn = (...args: any[]) => any;
const names = ["state", "config", "lifecycle", "core-load", "entries", "shipped", "platform", "hooks", "workers"] as const;
const mods = {} as Record<(typeof names)[number], Record<string, unknown>>;
for (const name of names) mods[name] = (await import(`${src}/${name}.ts`)) as Record<string, unknown>;
mark("(import src/*.ts: transpiled; not on the users' path)");
const need = (mod: (typeof names)[number], fn: string): Fn => {
  const f = mods[mod][fn];
  if (typeof f !== "function") throw new Error(`src/${mod}.ts no longer exports ${fn}(); update test/bench/probes/steps.ts`);
  return f as Fn;
};

const state = need("state", "processState")();
const config = need("config", "readConfig")(process.env);
state.config = config;
need("state", "recordEvent")(state, "install-start");
state.originalDlopen = process.dlopen;
mark("processState + readConfig + recordEvent");

const prebuildsDir = mods.lifecycle.PREBUILDS_DIR as string;
const location = need("platform", "locatePrebuilds")(need("platform", "currentPlatform")(), prebuildsDir, undefined);
if (location.status !== "native") throw new Error(`no native core on this platform: ${location.reason}`);
const folderSize = Bun.file(location.dir).size;
state.location = location;
mark("locatePrebuilds + stat of the prebuilds folder");

// loadCore with the original process.dlopen, its dlopen timed apart.
const shipped = (mods.shipped.SHIPPED as Record<string, unknown>)[`${location.id}/asherah-bun-core.node`];
let dlopenMicros = 0;
const original = process.dlopen as unknown as Fn;
const t = Bun.nanoseconds();
const core = need("core-load", "loadCore")(location.core, shipped, (module: unknown, filename: string) => {
  const d = Bun.nanoseconds();
  original.call(process, module, filename);
  dlopenMicros = since(d);
});
const loadMicros = since(t);
state.core = core;
state.corePath = location.core;
marks.push(["core: process.dlopen (map + Node-API module init)", dlopenMicros]);
marks.push(["core: checks (size stat, ABI, self sha256, path safety)", loadMicros - dlopenMicros]);
last = Bun.nanoseconds();

need("lifecycle", "protectSignals")(state, core);
mark("protectSignals (snapshot; wrapper on affected Bun; repair plan)");
// With the preload's grace period: the thread waits it out unless asked (warmupInfo(true) below asks).
const grace = typeof mods.lifecycle.WARMUP_GRACE_MS === "number" ? mods.lifecycle.WARMUP_GRACE_MS : 0;
need("lifecycle", "startWarmup")(state, "steps probe", grace);
mark("startWarmup (JS side: starts the core's warmup thread)");
for (const [mod, fn] of [
  ["hooks", "hookProcessDlopen"],
  ["hooks", "hookFfiDlopen"],
  ["hooks", "pluginWhereInstalled"],
  ["workers", "hookWorkers"],
] as const) {
  need(mod, fn)(state);
  mark(`${fn}`);
}

// Apart from the steps: the warmup asked for now (ending its grace period)
// and waited for, and what the core's thread measured for itself.
const w = Bun.nanoseconds();
const report = core.warmupInfo(true) as { state: string; message: string; verifyMicros: number; dlopenMicros: number; callMicros: number };
const warmupWaitMicros = since(w);
if (report.state !== "done") throw new Error(`the warmup ended in state ${report.state}: ${report.message}`);

// Side experiments, after the warmup: the core's checks once more, one at a time.
const extra: Record<string, number> = {};
let s = Bun.nanoseconds();
const size = Bun.file(location.core).size;
extra["Bun.file(core).size again"] = since(s);
s = Bun.nanoseconds();
core.selfSha256();
extra["core.selfSha256() again"] = since(s);
s = Bun.nanoseconds();
core.checkPathSafe(location.core);
extra["core.checkPathSafe() again"] = since(s);
s = Bun.nanoseconds();
need("entries", "guardedEntries")(config.packages, process.cwd());
extra["guardedEntries() again (the plugin's resolve of asherah: manifests through the core)"] = since(s);
if (!(size > 0 && folderSize > 0)) throw new Error("the core or its folder reads as empty");

console.log(
  JSON.stringify({
    bun: Bun.version,
    entryMicros,
    marks,
    warmup: { graceMs: grace, waitAfterStepsMicros: warmupWaitMicros, verifyMicros: report.verifyMicros, dlopenMicros: report.dlopenMicros, callMicros: report.callMicros },
    extra,
  }),
);
process.exit(0);
