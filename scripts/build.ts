// `npm run build`: dist/ from src/, byte for byte the same on every run with
// the pinned Bun (.ci/run rebuilds it and compares with what is committed).
//
// - dist/preload.cjs (+ .jsc, .map): the start path, src/index.ts, as CommonJS
//   with Bun's bytecode cache. A Bun whose JavaScriptCore matches the build's
//   runs the cached bytecode and skips parsing and compiling the start path;
//   any other release finds the cache does not match, ignores it and parses
//   the source (docs/how-it-works.md, "The start bundle's bytecode").
//   Bytecode exists only for CommonJS outside `bun build --compile`.
// - dist/index.js: the entry package.json "exports" point at, an ES module of
//   a few lines (src/entry.ts) that requires preload.cjs and falls back to
//   the general path where it did not run (Bun before 1.1.30, application
//   bundles).
// - dist/api.js and dist/cold.js (ES modules sharing one chunk): the public
//   API and the cold half (src/cold-link.ts).
import { rmSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..");
const SRC = join(ROOT, "src");
const DIST = join(ROOT, "dist");

// How a bundle requires its cold half, dist/cold.js (src/cold-link.ts). An ES
// module takes import.meta.require, relative to the bundle itself, except
// inside a `bun build --compile` binary, which embedded the literal
// require("./cold.js") it saw (test/e2e/loading.test.ts "bun build --compile").
const ESM_REQUIRE_COLD = 'function __abpRequireCold(){return import.meta.dir.startsWith("/$bunfs/")?require("./cold.js"):import.meta.require("./cold.js")}';

// CommonJS has no import.meta, and the bundler would inline import.meta.dir
// and __dirname as the folder of the source file. The banner, the first line
// inside Bun's CommonJS wrapper, names the wrapper's own values instead, and
// `exports.started` tells dist/index.js that Bun ran the wrapper.
const CJS_BANNER = 'var __abpDir=__dirname,__abpFile=__filename;function __abpRequireCold(){return require("./cold.js")}exports.started=!0;';

const common = { target: "bun" as const, minify: true, sourcemap: "linked" as const, external: ["*/cold.js"] };

async function build(label: string, config: Parameters<typeof Bun.build>[0]): Promise<void> {
  const result = await Bun.build(config);
  if (!result.success) {
    for (const log of result.logs) console.error(log);
    throw new Error(`npm run build: ${label} failed`);
  }
  for (const output of result.outputs) console.log(`  ${output.path.slice(ROOT.length + 1)}  ${output.size.toLocaleString("en")} B`);
}

const pinned = (await Bun.file(join(ROOT, "package.json")).json()).devDependencies.bun as string;
if (Bun.version !== pinned) console.warn(`npm run build: Bun ${Bun.version} is not the pinned ${pinned}; dist/preload.cjs.jsc will not match what CI builds`);

rmSync(DIST, { recursive: true, force: true });
await build("dist/preload.cjs", {
  ...common,
  entrypoints: [join(SRC, "index.ts")],
  outdir: DIST,
  naming: "preload.cjs",
  format: "cjs",
  bytecode: true,
  banner: CJS_BANNER,
  define: { "import.meta.require": "require", "import.meta.dir": "__abpDir", "import.meta.path": "__abpFile" },
});
await build("dist/index.js", {
  ...common,
  entrypoints: [join(SRC, "entry.ts")],
  outdir: DIST,
  naming: "index.js",
  external: ["*/preload.cjs", "*/cold.js"],
  footer: ESM_REQUIRE_COLD,
});
await build("dist/api.js, dist/cold.js", {
  ...common,
  entrypoints: [join(SRC, "api.ts"), join(SRC, "cold.ts")],
  outdir: DIST,
  naming: { entry: "[name].[ext]", chunk: "[name]-[hash].[ext]" },
  splitting: true,
  footer: ESM_REQUIRE_COLD,
});
