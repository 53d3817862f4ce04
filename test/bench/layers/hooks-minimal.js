// Layer: the least a lazy preload must do at start: wrap process.dlopen and
// bun:ffi's dlopen, and register a Bun.plugin serving "asherah" when it is
// installed; no node:fs/node:path (the package is found with Bun.file().size).
// The wrappers only pass through: this measures the floor, not a design.
const original = process.dlopen;
process.dlopen = function (module, filename, flags) {
  return original.apply(this, arguments);
};
const ffi = require("bun:ffi");
const originalFfi = ffi.dlopen;
ffi.dlopen = function (path, symbols) {
  return originalFfi.call(this, path, symbols);
};
let dir = process.cwd();
let entry;
for (;;) {
  if (Bun.file(`${dir}/node_modules/asherah/package.json`).size > 0) {
    entry = `${dir}/node_modules/asherah/dist/asherah.node`;
    break;
  }
  const up = dir.slice(0, dir.lastIndexOf("/")) || "/";
  if (up === dir) break;
  dir = up;
}
Bun.plugin({
  name: "hooks-minimal",
  setup(build) {
    if (entry !== undefined) build.module("asherah", () => ({ loader: "object", exports: require(entry) }));
  },
});
