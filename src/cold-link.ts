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
// How it is required differs by where the code runs, so the build defines it
// (package.json "build": --footer): the bundles of the published package end
// with `function __abpRequireCold()`. In the published files it takes
// `import.meta.require("./cold.js")`, relative to the bundle itself — never a
// bare `require`, which in a `bun -e` process is the eval's own, relative to
// the current directory (test/e2e/errors.test.ts, linux-ppc64). Inside a
// `bun build --compile` binary it takes its literal `require("./cold.js")`,
// which the application's bundler saw and embedded (Bun's bundler turns a
// `require` in our source into `import.meta.require`, which it does not
// follow: test/e2e/loading.test.ts, "bun build --compile"). A footer adds no
// mapped code, so the source maps stay exact. Under src/ (tests) there is no
// footer, and Bun resolves "./cold.js" to cold.ts.
export type Cold = typeof import("./cold.ts");

declare const __abpRequireCold: (() => Cold) | undefined;

export function cold(): Cold {
  return typeof __abpRequireCold === "function" ? __abpRequireCold() : (require("./cold.js") as Cold);
}
