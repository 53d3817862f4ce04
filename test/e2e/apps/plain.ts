export {};
const { load, roundTrip } = require("./load.cjs");
const api = load();
api.setup();
for (let i = 0; i < 50; i++) roundTrip(api, `partition-${i % 5}`, `secret ${i}`);
api.shutdown();
await new Promise((r) => setTimeout(r, 20));
console.log(`OK plain ${api.path}`);
