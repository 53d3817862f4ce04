// Layer: the core (as in core.js), its signal snapshot, and the Go warmup
// thread started as the preload starts it (with its 20 ms grace period,
// src/lifecycle.ts WARMUP_GRACE_MS), not waited for: the eager warmup's
// native part without the package's JavaScript. ABP_LAYER_WAIT=1: no grace,
// and wait for the warmup (the Go runtime's start on the JS thread).
const arch = process.arch === "arm64" ? "arm64" : "x64";
const dir = `${import.meta.dir}/../../../prebuilds/linux-${arch}`;
const module = { exports: {} };
if (!(Bun.file(`${dir}/asherah-bun-core.node`).size > 0)) throw new Error(`no core in ${dir}`);
process.dlopen(module, `${dir}/asherah-bun-core.node`);
const core = module.exports;
core.selfSha256();
core.snapshot();
const wait = process.env.ABP_LAYER_WAIT === "1";
const started = core.warmupStart(`${dir}/asherah-bun-warmup.so`, wait ? 0 : 20, "");
if (started !== "done") throw new Error(`warmupStart: ${started}`);
if (wait) {
  const report = core.warmupInfo(true);
  if (report.state !== "done") throw new Error(`warmup: ${report.state} ${report.message}`);
}
