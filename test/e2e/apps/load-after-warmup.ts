// require('asherah'), or with --import import('asherah'), after warmup():
// the common case of a guarded load runs on the preload's start bundle
// (src/fast-load.ts; the import through the plugin's build.module,
// serveNative) without loading its cold half, and still records the load and
// gets SIGPIPE put back to ignored.
export {};
const viaImport = process.argv.includes("--import");
const { status, warmup } = require("asherah-bun-preload/api");
await warmup();
const asherah = viaImport ? await import("asherah") : require("asherah");
// Before anything else can load it: which of the preload's files are loaded now.
const loaded = Object.keys(require.cache).filter((file) => file.includes("asherah-bun-preload") || file.includes("/dist/"));
asherah.setup({ ServiceName: "svc", ProductID: "prod", Metastore: "memory", KMS: "static" });
const drr = asherah.encrypt_string("p", "hello");
if (asherah.decrypt_string("p", drr) !== "hello") throw new Error("round trip failed");
asherah.shutdown();
const s = status();
console.log("STATUS " + JSON.stringify({ loaded, warmup: s.warmup.status, events: s.events, guarded: s.guarded, repairs: s.repairs }));
console.log("OK load-after-warmup");
