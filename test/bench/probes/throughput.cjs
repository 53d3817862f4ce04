// Encrypt and decrypt operations per second of the asherah fixture, on any
// runtime (node or bun). ABP_PHASE_MS: length of each timed phase.
// Prints one JSON line.
"use strict";
const { performance } = require("node:perf_hooks");
let asherah;
try {
  asherah = require("asherah");
} catch (error) {
  if (!/Cannot find (package|module)/.test(String(error && error.message))) throw error;
  asherah = require(require("node:path").join(process.cwd(), "node_modules", "asherah", "dist", "asherah.node"));
}
const phaseMs = Number(process.env.ABP_PHASE_MS || 1000);
asherah.setup({ ServiceName: "svc", ProductID: "prod", Metastore: "memory", KMS: "static", EnableSessionCaching: true });
const payload = "The quick brown fox jumps over the lazy dog. 0123456789abcdef".slice(0, 64);
const records = [];
for (let i = 0; i < 256; i++) records.push(asherah.encrypt_string(`p${i % 4}`, `${payload}${i}`));
for (let i = 0; i < 256; i++) asherah.decrypt_string(`p${i % 4}`, records[i]);

function phase(fn) {
  let ops = 0;
  const start = performance.now();
  let now = start;
  while (now - start < phaseMs) {
    for (let i = 0; i < 64; i++) fn(ops++);
    now = performance.now();
  }
  return ops / ((now - start) / 1000);
}
let sink = 0;
const encryptPerSecond = phase((i) => (sink += asherah.encrypt_string(`p${i & 3}`, payload).length));
const decryptPerSecond = phase((i) => (sink += asherah.decrypt_string(`p${i & 3}`, records[i & 255]).length));
asherah.shutdown();
const runtime = typeof Bun !== "undefined" ? `bun ${Bun.version}` : `node ${process.version}`;
console.log(JSON.stringify({ runtime, encryptPerSecond, decryptPerSecond, sink }));
