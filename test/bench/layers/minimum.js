// Layer: the least any preload of this design pays, whoever writes it — the
// smallest Node-API addon (minimal-addon.c, built by the bench, path in
// ABP_LAYER_ADDON) loaded with process.dlopen and called once, and, with
// ABP_LAYER_PLUGIN=1, one Bun.plugin with one build.module (plugin.js). No
// code of this package: the distance from here to bare Bun is Bun's, and the
// issue-11 targets (≤ 1.30× bare `bun -e 0`, ≤ 1.5 MiB RSS) are measured
// against it in the same run.
const module = { exports: {} };
process.dlopen(module, process.env.ABP_LAYER_ADDON);
module.exports.nothing();
if (process.env.ABP_LAYER_PLUGIN === "1") {
  Bun.plugin({
    name: "bench-layer",
    setup(build) {
      build.module("abp-bench-layer-virtual", () => ({ loader: "object", exports: { default: 1 } }));
    },
  });
}
