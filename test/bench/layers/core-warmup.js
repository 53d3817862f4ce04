// Layer: the core (as in core.js), its signal snapshot, and the Go warmup
// started on the core's own thread, not waited for: the eager warmup's
// native part without the package's JavaScript.
const arch = process.arch === "arm64" ? "arm64" : "x64";
const dir = `${import.meta.dir}/../../../prebuilds/linux-${arch}`;
const module = { exports: {} };
if (!(Bun.file(`${dir}/asherah-bun-core.node`).size > 0)) throw new Error(`no core in ${dir}`);
process.dlopen(module, `${dir}/asherah-bun-core.node`);
const core = module.exports;
core.selfSha256();
core.snapshot();
const started = core.warmupStart(`${dir}/asherah-bun-warmup.so`);
if (started !== "done") throw new Error(`warmupStart: ${started}`);
if (process.env.ABP_LAYER_WAIT === "1") {
  // core-warmup-wait: the Go runtime's start on the JS thread's critical path.
  const report = core.warmupInfo(true);
  if (report.state !== "done") throw new Error(`warmup: ${report.state} ${report.message}`);
}
