// A Bun application that uses Asherah (Go-based, asherah 3.x API) with the
// in-memory metastore and static KMS. It contains nothing about Bun, Go or
// signals: the preload in bunfig.toml does that work.
export {};
const asherah = require("asherah");

asherah.setup({
  ServiceName: "demo-service",
  ProductID: "demo-product",
  Metastore: "memory",
  KMS: "static",
  EnableSessionCaching: true,
  ExpireAfter: null,
  CheckInterval: null,
  Verbose: false,
});

const secret = "card 4111 1111 1111 1111, exp 12/29";
const drr: string = asherah.encrypt("customer-42", Buffer.from(secret));
const record = JSON.parse(drr);
console.log(`encrypted ${secret.length} bytes for partition customer-42 -> DataRowRecord with key ${record.Key.ParentKeyMeta.KeyId}`);
console.log(`decrypted: ${asherah.decrypt("customer-42", drr).toString()}`);

try {
  asherah.decrypt("customer-7", drr);
  console.log("ERROR: another partition decrypted the record");
  process.exitCode = 1;
} catch (error) {
  console.log(`another partition cannot decrypt it: ${(error as Error).message}`);
}

// The things that froze Bun < 1.4 once a Go runtime was loaded: a garbage
// collection and a WebAssembly function hot enough to be compiled.
const wasm = new Uint8Array([0,97,115,109,1,0,0,0,1,5,1,96,0,1,127,3,2,1,0,7,5,1,1,102,0,0,10,34,1,32,1,1,127,65,0,33,0,2,64,3,64,32,0,65,1,106,33,0,32,0,65,144,206,0,72,13,0,11,11,32,0,11]);
const loops = (new WebAssembly.Instance(new WebAssembly.Module(wasm)).exports.f as () => number)();
Bun.gc(true);
await new Promise((resolve) => setTimeout(resolve, 50));
const encrypted = await asherah.encrypt_string_async("customer-42", "still alive after GC and WebAssembly");
console.log(`after a GC and a WebAssembly call (${loops} iterations): ${await asherah.decrypt_string_async("customer-42", encrypted)}`);

asherah.shutdown();
const { status } = require("asherah-bun-preload/api");
const s = status();
console.log(
  `preload: ${s.phase}, warmup ${s.warmup.status}, guarded ${s.guarded.map((g: { packageName: string }) => g.packageName).join(", ") || "nothing"}, ` +
    `signals repaired: ${[...new Set(s.repairs.map((r: { signal: string }) => r.signal))].join(", ") || "none"}`,
);
