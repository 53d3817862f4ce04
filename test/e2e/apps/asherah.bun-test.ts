// Run by `bun test` (named *.bun-test.ts so the repository's own `bun test` does not pick it up).
import { expect, test } from "bun:test";
const { load, roundTrip, wasmCall } = require("./load.cjs");

test("asherah round trip under bun test", async () => {
  const api = load();
  api.setup();
  const drr = roundTrip(api, "test-partition", "hello from bun test");
  expect(JSON.parse(drr)).toHaveProperty("Data");
  wasmCall();
  await new Promise((r) => setTimeout(r, 20));
  Bun.gc(true);
  api.shutdown();
});
