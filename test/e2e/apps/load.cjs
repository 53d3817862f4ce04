// Loads the Go-based module the way an application would, by loading path:
//   ABP_PATH=napi  require("asherah")        N-API addon linking a Go c-archive
//   ABP_PATH=ffi   require("libasherah-ffi") Go c-shared library through bun:ffi
// and returns one small API so every scenario runs unchanged on both.
const CONFIG = { ServiceName: "svc", ProductID: "prod", Metastore: "memory", KMS: "static", EnableSessionCaching: true, Verbose: false };

function requireAsherah() {
  try {
    return require("asherah");
  } catch (error) {
    // Bun < 1.2 does not know the "node-addons" export condition, the only one
    // asherah 3.x declares, so without the preload an app there must require
    // the file itself. (With the preload, `require("asherah")` works.)
    if (!/Cannot find (package|module)/.test(String(error && error.message))) throw error;
    return require(require("node:path").join(__dirname, "..", "node_modules", "asherah", "dist", "asherah.node"));
  }
}

function load() {
  const path = process.env.ABP_PATH || "napi";
  if (path === "napi") {
    const asherah = requireAsherah();
    return {
      path,
      setup: () => asherah.setup(CONFIG),
      setupAsync: () => asherah.setup_async(CONFIG),
      encrypt: (partition, text) => asherah.encrypt(partition, Buffer.from(text)),
      decrypt: (partition, drr) => asherah.decrypt(partition, drr).toString(),
      encryptAsync: (partition, text) => asherah.encrypt_async(partition, Buffer.from(text)),
      decryptAsync: async (partition, drr) => (await asherah.decrypt_async(partition, drr)).toString(),
      shutdown: () => asherah.shutdown(),
    };
  }
  if (path === "ffi") {
    const ffi = require("libasherah-ffi");
    return {
      path,
      setup: () => ffi.setup(CONFIG),
      setupAsync: async () => ffi.setup(CONFIG),
      encrypt: (partition, text) => ffi.encrypt(partition, Buffer.from(text)),
      decrypt: (partition, drr) => Buffer.from(ffi.decrypt(partition, drr)).toString(),
      encryptAsync: async (partition, text) => ffi.encrypt(partition, Buffer.from(text)),
      decryptAsync: async (partition, drr) => Buffer.from(ffi.decrypt(partition, drr)).toString(),
      shutdown: () => ffi.shutdown(),
    };
  }
  throw new Error(`ABP_PATH must be napi or ffi, got ${JSON.stringify(path)}`);
}

function roundTrip(api, partition, text) {
  const drr = api.encrypt(partition, text);
  const parsed = JSON.parse(drr);
  if (!parsed.Key || !parsed.Data) throw new Error(`not a DataRowRecord: ${drr.slice(0, 200)}`);
  const back = api.decrypt(partition, drr);
  if (back !== text) throw new Error(`round trip mismatch: ${JSON.stringify(back)} !== ${JSON.stringify(text)}`);
  return drr;
}

// One WebAssembly function with a hot loop: enough to make JSC tier it up and
// then stop the world, which is what suspends the JS thread (oven-sh/bun#31158).
const WASM_LOOP = new Uint8Array([0,97,115,109,1,0,0,0,1,5,1,96,0,1,127,3,2,1,0,7,5,1,1,102,0,0,10,34,1,32,1,1,127,65,0,33,0,2,64,3,64,32,0,65,1,106,33,0,32,0,65,144,206,0,72,13,0,11,11,32,0,11]);

function wasmCall() {
  return new WebAssembly.Instance(new WebAssembly.Module(WASM_LOOP)).exports.f();
}

module.exports = { load, roundTrip, wasmCall, CONFIG };
