// The one-test file of the `bun test` start-up workload.
import { expect, test } from "bun:test";

test("one", () => {
  expect(1 + 1).toBe(2);
});
