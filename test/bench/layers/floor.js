// Layer: the floor of this design. Every native step and hook of the default
// start path (src/start.ts), written out flat, with none of the package's
// JavaScript around it: the core loaded and checked, the snapshot, the repair
// plan, the warmup thread started (20 ms grace), Bun's dlopen interposed,
// process.dlopen and the global Worker wrapped, and the stat walk for a
// guarded package (src/installed.ts). No plugin and no state: what any
// preload built on this core pays before its own code. Its wrappers pass
// everything through; nothing loads through them here.
const arch = process.arch === "arm64" ? "arm64" : "x64";
const dir = `${import.meta.dir}/../../../prebuilds/linux-${arch}`;
const path = `${dir}/asherah-bun-core.node`;
const warmup = `${dir}/asherah-bun-warmup.so`;
if (!(Bun.file(path).size > 0)) throw new Error(`no core in ${dir}`);
const module = { exports: {} };
process.dlopen(module, path);
const core = module.exports;
if (core.checkPathSafe(path) !== "") throw new Error(`unsafe core path ${path}`);
core.snapshot();
core.setRepairPlan([], [13]);
if (core.warmupStart(warmup, 20, "") !== "done") throw new Error("warmupStart");
const interposed = core.interpose(warmup, ["asherah"], "eager", 0, false);
if (interposed !== "done" && interposed !== "unchanged") throw new Error(`interpose: ${interposed}`);
const dlopen = process.dlopen;
process.dlopen = function (m, file, flags) {
  return flags === undefined ? dlopen.call(this, m, file) : dlopen.call(this, m, file, flags);
};
const Base = globalThis.Worker;
globalThis.Worker = class extends Base {
  constructor(url, options) {
    super(url, { ...options, preload: [import.meta.path, ...(options?.preload ?? [])] });
  }
};
const main = Bun.main;
for (let d = main.slice(0, main.lastIndexOf("/")) || "/"; ; d = d.slice(0, d.lastIndexOf("/")) || "/") {
  if (Bun.file(`${d === "/" ? "" : d}/node_modules/asherah/package.json`).size !== 0 || d === "/") break;
}
