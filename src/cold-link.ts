// The start path's door to the rest of the package.
//
// Every function that runs while a Bun process starts costs its parse and
// first compilation, and the preload runs in every process of a project:
// src/start.ts carries only the default path, and everything else — the
// general install() for other settings, errors, the load guards, the plugin
// — lives in dist/cold.js, required here on first use (a failure, the first
// native load, an installed guarded package). docs/performance.md has the
// measurements.
//
// `require("./cold.js")` is a plain, static require on purpose: the package's
// own build keeps it external (package.json "build": --external '*/cold.js'),
// so dist/index.js stays small, while an application bundled with
// `bun build --compile` that imports this package gets cold.js embedded
// (test/e2e/real-world.test.ts "bun build --compile"). Under src/, Bun
// resolves "./cold.js" to cold.ts.
export type Cold = typeof import("./cold.ts");

export function cold(): Cold {
  return require("./cold.js") as Cold;
}
