// Layer: one Bun.plugin with one build.module, as src/plugin.ts registers
// for an installed asherah (the callback never runs here).
Bun.plugin({
  name: "bench-layer",
  setup(build) {
    build.module("abp-bench-layer-virtual", () => ({ loader: "object", exports: { default: 1 } }));
  },
});
