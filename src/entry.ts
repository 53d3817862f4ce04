// The preload entry that package.json "exports" point at: dist/index.js.
//
// The start path itself (src/index.ts) is dist/preload.cjs, a CommonJS bundle
// with Bun's bytecode cache beside it (scripts/build.ts): on the Bun release
// the package was built with, the process runs the cached bytecode instead of
// parsing and compiling the start path (docs/how-it-works.md, "The start
// bundle's bytecode"). Bytecode exists only for CommonJS, and this package
// stays an ES module package, hence this entry of a few lines in front of it.
//
// Bun 1.0.x does not read the `// @bun @bun-cjs` form: there the import
// evaluates one function expression and nothing else, and so does an
// application bundle (`bun build`) that embedded it as plain JavaScript.
// `started`, set first thing inside the wrapper, is missing then, and this
// entry does what src/start.ts would have: nothing more where a copy of this
// version protects the process already (a bundled copy next to the real
// preload), the general path otherwise (src/cold.ts startGeneral), where
// start.ts sends Bun 1.0.x and compiled binaries anyway
// (test/e2e/loading.test.ts, "a plain bun build bundle"; the matrix's 1.0.36 cells).
import { coldAtStart } from "./cold-link.ts";
import * as preload from "./preload.cjs";
import { installedAlready, processState } from "./state.ts";

if (preload.started !== true && !installedAlready(processState())) coldAtStart().startGeneral();
