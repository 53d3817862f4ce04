// Layer: bun:ffi plus the Go warmup library (dlopen + WarmupGoRuntime()), no checksum, no signal work.
const { dlopen } = require("bun:ffi");
const arch = process.arch === "arm64" ? "arm64" : "x64";
const lib = dlopen(`${import.meta.dir}/../../../prebuilds/linux-${arch}/asherah-bun-warmup.so`, { WarmupGoRuntime: { args: [], returns: "i32" } });
if (lib.symbols.WarmupGoRuntime() !== 1) throw new Error("WarmupGoRuntime did not return 1");
