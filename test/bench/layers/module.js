// Layer: node:module loaded and Module.prototype.require wrapped by a
// pass-through, as src/workers.ts and src/plugin.ts do.
const Module = require("node:module");
const original = Module.prototype.require;
Module.prototype.require = function (id) {
  return original.call(this, id);
};
