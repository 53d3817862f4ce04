// Layer, for comparison: one builtin the start path avoids (ABP_LAYER_BUILTIN,
// e.g. node:fs or node:path), loaded and nothing else. What the comments in
// src/files.ts and src/paths.ts cite.
const name = process.env.ABP_LAYER_BUILTIN;
if (name === undefined || !/^node:[a-z_]+$/.test(name)) throw new Error("set ABP_LAYER_BUILTIN to a node: builtin");
require(name);
