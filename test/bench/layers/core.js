// Layer: the native core loaded as the start path loads it (src/start.ts
// defaultCore): a size stat, process.dlopen, the ABI and the path-safety
// check (the core's hash of its own file runs on the warmup thread). Nothing else.
const arch = process.arch === "arm64" ? "arm64" : "x64";
const path = `${import.meta.dir}/../../../prebuilds/linux-${arch}/asherah-bun-core.node`;
if (!(Bun.file(path).size > 0)) throw new Error(`no core at ${path}`);
const module = { exports: {} };
process.dlopen(module, path);
if (module.exports.checkPathSafe(path) !== "") throw new Error(`unsafe core path ${path}`);
