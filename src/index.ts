// The preload entry: `preload = ["asherah-bun-preload"]` in bunfig.toml or
// `bun --preload asherah-bun-preload`. It runs synchronously, so everything is
// in place before the entry module's imports are evaluated.
import { install } from "./install.ts";

install({ by: "preload" });
