// The preload entry: `preload = ["asherah-bun-preload"]` in bunfig.toml or
// `bun --preload asherah-bun-preload`. It runs synchronously, so everything is
// in place before the entry module's imports are evaluated. (No top-level
// await here: with one, Bun 1.0.36 skipped or hung the entry in some runs.)
import { install } from "./install.ts";

install({ by: "preload" });
