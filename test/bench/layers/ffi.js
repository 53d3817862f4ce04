// Layer: bun:ffi plus one dlopen of the (small, C) signal helper with one symbol, and one call.
const { dlopen } = require("bun:ffi");
const arch = process.arch === "arm64" ? "arm64" : "x64";
const lib = dlopen(`${import.meta.dir}/../../../prebuilds/linux-${arch}/asherah-bun-signals.so`, { abp_abi_version: { args: [], returns: "i32" } });
lib.symbols.abp_abi_version();
