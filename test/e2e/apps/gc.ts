export {};
// Allocation pressure and forced collections between calls into Go: the
// collector suspends the JS thread, which is where a broken suspend handler hangs.
const { load, roundTrip } = require("./load.cjs");
const api = load();
api.setup();
let keep: unknown[] = [];
for (let round = 0; round < 30; round++) {
  for (let i = 0; i < 20000; i++) keep.push({ round, i, s: `x${i}` });
  if (keep.length > 200000) keep = [];
  roundTrip(api, `p${round % 3}`, `value ${round}`);
  Bun.gc(round % 5 === 0);
  await new Promise((r) => setTimeout(r, 1));
}
api.shutdown();
console.log(`OK gc ${api.path}`);
