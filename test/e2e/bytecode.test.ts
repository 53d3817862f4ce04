// The start path's bytecode cache (scripts/build.ts, docs/how-it-works.md
// "The start bundle's bytecode"): dist/preload.cjs.jsc, made by the pinned
// Bun, is what the pinned Bun runs — in the main thread and in every Worker —
// and any other release parses dist/preload.cjs and still takes the start
// path. Whether Bun used the cache is Bun's own report, not a timing:
// BUN_JSC_reportBytecodeCacheDecodeTimes=1 prints "BytecodeCache: decoded
// <file>" for every cache it decodes (a JavaScriptCore option, which releases
// before 1.3 reject as unknown). A stale cache — `npm run build` with another
// Bun, or source changed after it — fails the first test instead of silently
// costing every process the parse again (docs/performance.md, "Round 9").
import { expect, test } from "bun:test";
import { join } from "node:path";
import { cleanEnv } from "../support/app-run.ts";
import { bunBinary, pinnedBunVersion, REPO_ROOT } from "../support/bun-versions.ts";
import { describeRun, runProcess } from "../support/spawn.ts";

const PRELOAD = join(REPO_ROOT, "dist", "index.js");
const START_BUNDLE = join(REPO_ROOT, "dist", "preload.cjs");
const REPORT = { BUN_JSC_reportBytecodeCacheDecodeTimes: "1" };
const TIMEOUT_MS = 20_000;

// The entry's state and which files of dist/ the process loaded; a Worker
// started from it reports the same from inside.
const SEEN = `() => { const s = globalThis[Symbol.for("asherah-bun-preload.state")]; return { phase: s?.phase, files: Object.keys(require.cache).filter((f) => f.includes("/dist/")).map((f) => f.slice(f.lastIndexOf("/") + 1)).sort() }; }`;
const SCRIPT = `
console.log("MAIN " + JSON.stringify((${SEEN})()));
const worker = new Worker(URL.createObjectURL(new Blob([${JSON.stringify(`postMessage((${SEEN})());`)}])));
worker.onmessage = (e) => { console.log("WORKER " + JSON.stringify(e.data)); process.exit(0); };
`;

async function start(version: string) {
  const result = await runProcess([bunBinary(version), "--preload", PRELOAD, "-e", SCRIPT], { cwd: REPO_ROOT, env: cleanEnv(REPORT), timeoutMs: TIMEOUT_MS });
  expect(result.outcome, describeRun(result)).toBe("ok");
  const line = (tag: string) => JSON.parse(result.stdout.split("\n").find((l) => l.startsWith(`${tag} `))!.slice(tag.length + 1)) as { phase: string; files: string[] };
  const decoded = result.stderr.split("\n").filter((l) => l.startsWith("BytecodeCache: decoded ") && l.includes(`${START_BUNDLE} (`));
  return { result, main: line("MAIN"), worker: line("WORKER"), decoded };
}

test(`the pinned Bun (${pinnedBunVersion()}) runs the start path from dist/preload.cjs.jsc, in the main thread and in a Worker`, async () => {
  const { result, main, worker, decoded } = await start(pinnedBunVersion());
  // The start path, not the general one: dist/cold.js is not loaded.
  expect(main).toEqual({ phase: "installed", files: ["index.js", "preload.cjs"] });
  // A Worker is given dist/preload.cjs itself as its preload (src/workers.ts).
  expect(worker).toEqual({ phase: "installed", files: ["preload.cjs"] });
  expect(decoded, describeRun(result)).toHaveLength(2);
});

test("another release (1.3.14) parses dist/preload.cjs and takes the same start path", async () => {
  const { result, main, worker, decoded } = await start("1.3.14");
  expect(main).toEqual({ phase: "installed", files: ["index.js", "preload.cjs"] });
  expect(worker).toEqual({ phase: "installed", files: ["preload.cjs"] });
  expect(decoded, describeRun(result)).toEqual([]);
});
