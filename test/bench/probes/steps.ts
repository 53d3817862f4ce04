// Where the preload's eager start-up goes, step by step, without editing src/.
// Run WITHOUT the preload. It
//   1. loads the builtins src/ uses (found by reading its import graph), one at a time;
//   2. imports every module of src/install.ts's graph, leaves first, one at a time;
//   3. calls the functions install() calls in eager mode, one at a time.
// Each is timed with Bun.nanoseconds(). Steps whose function no longer
// exists in src/ are reported as missing rather than failing. Prints one JSON line.
//   ABP_SRC  folder of the src/ to measure (default: this repository's src/)
// No node: import here: the builtins are part of what is measured.
const entryMicros = Bun.nanoseconds() / 1e3;
const join = (...parts: string[]) => parts.join("/").replace(/\/+/g, "/");
const src = process.env.ABP_SRC ?? `${import.meta.dir}/../../../src`;
const marks: [string, number][] = [];
const missing: string[] = [];
let last = Bun.nanoseconds();
const mark = (name: string) => {
  const now = Bun.nanoseconds();
  marks.push([name, (now - last) / 1e3]);
  last = now;
};
const req = require;

// The module graph of install.ts, leaves first, and the builtins it names.
const order: string[] = [];
const builtins: string[] = [];
const texts: Record<string, string> = {};
const visit = async (name: string, seen = new Set<string>()) => {
  if (order.includes(name) || seen.has(name)) return;
  seen.add(name);
  const text = (texts[name] ??= await Bun.file(join(src, name)).text());
  // Comments and type-only imports (`typeof import("node:fs")`) load nothing.
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "").replace(/typeof import\([^)]*\)/g, "");
  for (const m of code.matchAll(/(?:from|import|require\w*\()\s*["']([^"']+)["']/g)) {
    const spec = m[1] as string;
    if (/^(node|bun):/.test(spec)) {
      if (!builtins.includes(spec)) builtins.push(spec);
    } else if (spec.startsWith("./")) {
      // Type-only imports vanish when transpiled, but loading them anyway costs little and keeps this simple.
      await visit(spec.slice(2), seen);
    }
  }
  order.push(name);
};
await visit("install.ts");
mark("(read src/ import graph)");

for (const name of builtins) {
  req(name);
  mark(`builtin ${name}`);
}
const mods: Record<string, Record<string, any>> = {};
for (const name of order) {
  mods[name] = await import(join(src, name));
  mark(`module ${name}`);
}
const find = (fn: string): ((...args: any[]) => any) | undefined => {
  for (const m of Object.values(mods)) if (typeof m[fn] === "function") return m[fn];
  return undefined;
};
const need = (fn: string) => {
  const f = find(fn);
  if (f === undefined) throw new Error(`src/ no longer exports ${fn}; update test/bench/probes/steps.ts`);
  return f;
};
const PREBUILDS_DIR = Object.values(mods).find((m) => typeof m.PREBUILDS_DIR === "string")?.PREBUILDS_DIR as string;
const originalDlopen = req("bun:ffi").dlopen;
mark("(between)");

const state = need("processState")();
const config = need("readConfig")(process.env);
state.config = config;
need("recordEvent")(state, "install-start");
mark("readConfig + recordEvent");
const platform = need("currentPlatform")();
mark("currentPlatform (detectLibc: process.report)");
const location = need("locatePrebuilds")(platform, PREBUILDS_DIR, undefined);
mark("locatePrebuilds");
need("verifyShipped")(location.signals, PREBUILDS_DIR, "signal helper library");
mark("verify signals .so (SHA256SUMS + sha256)");
const lib = need("openSignalLibrary")(location.signals);
mark("dlopen signals .so (1 symbol) + abi + flag values");
lib.snapshot();
mark("snapshot (sigaction for every signal)");
lib.goRuntimeCount();
mark("goRuntimeCount (dl_iterate_phdr)");
need("verifyShipped")(location.warmup, PREBUILDS_DIR, "Go warmup library");
mark("verify warmup .so (SHA256SUMS + sha256 1.3 MB)");
const warm = need("openWarmupLibrary")(location.warmup);
mark("dlopen warmup .so (1 symbol)");
warm.call();
mark("WarmupGoRuntime() (Go runtime init)");
need("repairSignals")(lib, need("planRepairs")(config.signals, Bun.version, process.platform), "warmup");
mark("repair (plan + query/restore)");
state.signalLibrary = lib;
state.warmup = { status: "done" };
const hookNames = ["hookProcessDlopen", "hookFfiDlopen", "registerPlugin", "hookWorkers"];
for (const m of Object.values(mods)) for (const [k, v] of Object.entries(m)) if (/^(hook|register)[A-Z]/.test(k) && typeof v === "function" && !hookNames.includes(k)) hookNames.push(k);
for (const name of hookNames) {
  const fn = find(name);
  if (fn === undefined) {
    missing.push(name);
    continue;
  }
  fn(state);
  mark(name);
}

// Side experiments, after the steps so they do not disturb them; the original
// (unhooked) dlopen so the preload's own hook does not run.
const extra: Record<string, number> = {};
const t = () => Bun.nanoseconds() / 1e3;
let a = t();
originalDlopen(location.signals, { abp_abi_version: { args: [], returns: "i32" } });
extra["dlopen again, 1 symbol"] = t() - a;
const ten: Record<string, unknown> = {};
for (const name of ["abp_abi_version", "abp_snapshot", "abp_snapshot_taken", "abp_go_runtime_count"]) ten[name] = { args: [], returns: "i32" };
for (const name of ["abp_restore_flags", "abp_restore_disposition"]) ten[name] = { args: ["i32"], returns: "i32" };
ten.abp_flag_value = { args: ["i32"], returns: "u64" };
ten.abp_query = { args: ["i32", "i32", "ptr"], returns: "i32" };
ten.abp_wait_go_runtime = { args: ["ptr"], returns: "i32" };
ten.abp_handler_owner = { args: ["i32", "i32", "ptr", "i32"], returns: "i32" };
a = t();
originalDlopen(location.signals, ten);
extra["dlopen again, 10 symbols"] = t() - a;
a = t();
need("sha256File")(location.warmup);
extra["sha256 of warmup .so again (sha256File: read in pieces)"] = t() - a;
a = t();
new Bun.CryptoHasher("sha256").update(Bun.mmap(location.warmup)).digest("hex");
extra["sha256 of warmup .so (Bun.mmap, needs write access: not used)"] = t() - a;
a = t();
req("node:fs").readFileSync(location.warmup);
extra["readFileSync of warmup .so"] = t() - a;

console.log(JSON.stringify({ bun: Bun.version, entryMicros, builtins, modules: order, missing, marks, extra }));
