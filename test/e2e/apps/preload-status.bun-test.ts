// Run by `bun test` from a folder whose bunfig.toml has `[test] preload` (named *.bun-test.ts so the
// repository's own `bun test` does not pick it up).
import { expect, test } from "bun:test";
import { status } from "asherah-bun-preload/api";

test("the preload ran before this test file and guards asherah", () => {
  const asherah = require("asherah");
  asherah.setup({ ServiceName: "svc", ProductID: "prod", Metastore: "memory", KMS: "static" });
  expect(asherah.decrypt_string("p", asherah.encrypt_string("p", "t"))).toBe("t");
  asherah.shutdown();
  const s = status();
  expect(s.phase).toBe("installed");
  expect(s.installedBy).toContain("preload");
  expect(s.warmup.status).toBe("done");
  expect(s.guarded.map((g) => g.packageName)).toContain("asherah");
});
