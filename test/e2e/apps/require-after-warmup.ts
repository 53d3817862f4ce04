// require('asherah') after warmup(): the common case of a guarded load runs
// on the preload's start bundle (src/fast-load.ts) without loading its cold
// half, and still records the load and gets SIGPIPE put back to ignored.
export {};
const { status, warmup } = require("asherah-bun-preload/api");
await warmup();
const asherah = require("asherah");
// Before anything else can load it: which of the preload's files are loaded now.
const loaded = Object.keys(require.cache).filter((file) => file.includes("asherah-bun-preload") || file.includes("/dist/"));
asherah.setup({ ServiceName: "svc", ProductID: "prod", Metastore: "memory", KMS: "static" });
const drr = asherah.encrypt_string("p", "hello");
if (asherah.decrypt_string("p", drr) !== "hello") throw new Error("round trip failed");
asherah.shutdown();
const s = status();
console.log("STATUS " + JSON.stringify({ loaded, events: s.events, guarded: s.guarded, repairs: s.repairs }));
console.log("OK require-after-warmup");
