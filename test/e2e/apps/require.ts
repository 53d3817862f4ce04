// require('asherah') with the preload, then prove from the preload's own
// ordered event log that the warmup finished before the addon was loaded.
export {};
const asherah = require("asherah");
const { status } = require("asherah-bun-preload/api");
asherah.setup({ ServiceName: "svc", ProductID: "prod", Metastore: "memory", KMS: "static" });
const drr = asherah.encrypt_string("p", "hello");
if (asherah.decrypt_string("p", drr) !== "hello") throw new Error("round trip failed");
asherah.shutdown();
const s = status();
console.log("STATUS " + JSON.stringify({ phase: s.phase, warmup: s.warmup.status, events: s.events, guarded: s.guarded, repairs: s.repairs }));
console.log("OK require");
