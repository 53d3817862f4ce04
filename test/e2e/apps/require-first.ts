// require('asherah') as the application's first line, with the eager warmup
// still running (its grace period): the load waits for the warmup on the
// preload's start bundle (src/fast-load.ts) and never loads its cold half;
// the warmup, its repairs and the load are still recorded.
export {};
const asherah = require("asherah");
// Before anything else can load it: which of the preload's files are loaded now.
const loaded = Object.keys(require.cache).filter((file) => file.includes("asherah-bun-preload") || file.includes("/dist/"));
asherah.setup({ ServiceName: "svc", ProductID: "prod", Metastore: "memory", KMS: "static" });
const drr = asherah.encrypt_string("p", "hello");
if (asherah.decrypt_string("p", drr) !== "hello") throw new Error("round trip failed");
asherah.shutdown();
const s = require("asherah-bun-preload/api").status();
console.log("STATUS " + JSON.stringify({ loaded, warmup: s.warmup.status, events: s.events, guarded: s.guarded, repairs: s.repairs }));
console.log("OK require-first");
