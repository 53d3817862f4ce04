// The preload entry that package.json "exports" point at: dist/index.js.
//
// The start path itself (src/index.ts) is dist/preload.cjs, a CommonJS bundle
// with Bun's bytecode cache beside it (scripts/build.ts): on the Bun release
// the package was built with, the process runs the cached bytecode instead of
// parsing and compiling the start path (docs/how-it-works.md, "The start
// bundle's bytecode"). Bytecode exists only for CommonJS, and this package
// stays an ES module package, hence this entry of a few lines in front of it.
//
// Where the start bundle did not run, this entry does what src/start.ts would
// have: nothing more where a copy of this version protects the process
// already (a bundled copy next to the real preload), the general path
// otherwise (src/cold.ts startGeneral), where start.ts sends these cases
// anyway. That is:
// - Bun before 1.1.30, which does not read the `// @bun @bun-cjs` form: it
//   evaluates the file as one function expression and nothing else, so
//   `started`, set first thing inside the wrapper, is missing (the matrix's
//   1.0.36 cells);
// - an application bundle (`bun build`, `--compile`) that has this entry but
//   not the start bundle: it is required with import.meta.require, which the
//   bundler does not follow — a static import of a `@bun-cjs` file makes Bun's
//   bundler before 1.4.5 emit code that does not parse (test/e2e/loading.test.ts,
//   "a plain bun build bundle", "bun build --compile", on 1.2.19 and the
//   pinned Bun).
import { coldAtStart, isNotFound } from "./cold-link.ts";
import { isEmbeddedPath } from "./guarded.ts";
import { installedAlready, processState } from "./state.ts";

/** Whether dist/preload.cjs ran the start path in this environment. */
function startBundleRan(): boolean {
  // Inside a compiled binary: not embedded, and start.ts would hand over anyway.
  if (isEmbeddedPath(import.meta.dir)) return false;
  try {
    return (import.meta.require("./preload.cjs") as { started?: unknown }).started === true;
  } catch (error) {
    // Not beside this file (an application's bundle): anything else is passed on.
    if (isNotFound(error, "preload.cjs")) return false;
    throw error;
  }
}

if (!startBundleRan() && !installedAlready(processState())) coldAtStart().startGeneral();
