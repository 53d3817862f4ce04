// Layer, for comparison: the Go warmup through bun:ffi on the JS thread (the
// design before the native core; no verification, no signal work): dlopen
// of the warmup library with one bound symbol, and the call.
const { dlopen } = require("bun:ffi");
const arch = process.arch === "arm64" ? "arm64" : "x64";
const lib = dlopen(`${import.meta.dir}/../../../prebuilds/linux-${arch}/asherah-bun-warmup.so`, { WarmupGoRuntime: { args: [], returns: "i32" } });
if (lib.symbols.WarmupGoRuntime() !== 1) throw new Error("WarmupGoRuntime did not return 1");
