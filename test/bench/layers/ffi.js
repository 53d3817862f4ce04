// Layer: bun:ffi loaded and its dlopen replaced by a pass-through wrapper, as
// src/hooks.ts hookFfiDlopen does (wrapping it means loading it).
const ffi = require("bun:ffi");
const original = ffi.dlopen;
ffi.dlopen = function (path, symbols) {
  return original.call(this, path, symbols);
};
