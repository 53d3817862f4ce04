export {};
// The asynchronous API first: the first call into Go happens on a worker-pool
// thread (napi_create_async_work), not on the JS thread.
const { load } = require("./load.cjs");
const api = load();
await api.setupAsync();
for (let i = 0; i < 20; i++) {
  const drr = await api.encryptAsync(`p${i % 2}`, `async ${i}`);
  const back = await api.decryptAsync(`p${i % 2}`, drr);
  if (back !== `async ${i}`) throw new Error(`mismatch: ${back}`);
  await new Promise((r) => setTimeout(r, 1));
}
Bun.gc(true);
api.shutdown();
console.log(`OK async ${api.path}`);
