// Run under plain Node.js (no Bun, no preload): the fixture must behave like
// the real asherah 3.x package.
const assert = require("node:assert");
const asherah = require("asherah");
const { CONFIG } = require("./load.cjs");

(async () => {
  asherah.setup(CONFIG);
  assert.strictEqual(asherah.get_setup_status(), true);
  const drr = asherah.encrypt("partition-1", Buffer.from("hello from node"));
  const record = JSON.parse(drr);
  assert.ok(record.Key && record.Key.Key && record.Key.ParentKeyMeta && record.Data, `not a DataRowRecord: ${drr}`);
  assert.strictEqual(record.Key.ParentKeyMeta.KeyId, "_IK_partition-1_svc_prod");
  assert.strictEqual(asherah.decrypt("partition-1", drr).toString(), "hello from node");
  assert.throws(() => asherah.decrypt("partition-2", drr), (error) => error instanceof Error && /partition-2/.test(error.message));
  const asyncDrr = await asherah.encrypt_string_async("partition-1", "async");
  assert.strictEqual(await asherah.decrypt_string_async("partition-1", asyncDrr), "async");
  assert.throws(() => asherah.setup(CONFIG), /already set up/);
  asherah.shutdown();
  assert.throws(() => asherah.encrypt("partition-1", Buffer.from("x")), /not set up/);
  assert.strictEqual(require("asherah-consumer").roundTrip("p", "transitive"), "transitive");
  asherah.shutdown(); // the consumer set it up; the Worker below sets it up itself
  assert.strictEqual(require("go-js-entry").sha256hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // A Worker that loads the Go addon and exits must not take the process down
  // (the addon is linked -z nodelete; without it Node crashes here).
  const { Worker } = require("node:worker_threads");
  await new Promise((resolve, reject) => {
    const worker = new Worker(`const a = require(${JSON.stringify(require.resolve("asherah"))}); a.setup(${JSON.stringify(CONFIG)}); a.encrypt_string("w", "x"); a.shutdown();`, { eval: true });
    worker.on("error", reject);
    worker.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`worker exited with ${code}`))));
  });
  console.log("OK node-roundtrip");
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
