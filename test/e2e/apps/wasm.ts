export {};
// One WebAssembly call after the Go module has run (oven-sh/bun#31158).
const { load, roundTrip, wasmCall } = require("./load.cjs");
const api = load();
api.setup();
roundTrip(api, "p", "before wasm");
const r = wasmCall();
await new Promise((resolve) => setTimeout(resolve, 50));
roundTrip(api, "p", "after wasm");
api.shutdown();
console.log(`OK wasm ${api.path} ${r}`);
