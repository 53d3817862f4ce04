// The preload entry: `preload = ["asherah-bun-preload"]` in bunfig.toml or
// `bun --preload asherah-bun-preload`. It runs synchronously, so everything is
// in place before the entry module's imports are evaluated. (No top-level
// await here: with one, Bun 1.0.36 skipped or hung the entry in some runs.)
//
// A failure stops the process with the error block and a documented exit
// status (errors.ts ERROR_CODES), not as an uncaught error: Bun would print
// that with a source frame and the stack of the bundle
// (test/e2e/error-output.test.ts).
import { start } from "./start.ts";

start();
