// Layer: the native core loaded as the preload loads it (src/core.ts
// loadCore): a size stat, process.dlopen, and the core's checks of its own
// file (sha256, path safety). Nothing else.
const arch = process.arch === "arm64" ? "arm64" : "x64";
const path = `${import.meta.dir}/../../../prebuilds/linux-${arch}/asherah-bun-core.node`;
if (!(Bun.file(path).size > 0)) throw new Error(`no core at ${path}`);
const module = { exports: {} };
process.dlopen(module, path);
module.exports.selfSha256();
if (module.exports.checkPathSafe(path) !== "") throw new Error(`unsafe core path ${path}`);
