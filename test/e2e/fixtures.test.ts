// The Go-based fixtures are faithful stand-ins for asherah 3.x: checked under
// plain Node.js, where no preload is involved. And their build is cached.
import { beforeAll, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "../support/bun-versions.ts";
import { prepareApps } from "../support/scenarios.ts";
import { describeRun, runProcess } from "../support/spawn.ts";

let appsDir = "";
beforeAll(() => {
  appsDir = prepareApps();
});

test("under Node.js the asherah fixture encrypts, decrypts, refuses another partition, and survives a Worker exit", async () => {
  const node = execFileSync("sh", ["-c", "command -v node"], { encoding: "utf8" }).trim();
  const result = await runProcess([node, "./node-roundtrip.cjs"], { cwd: appsDir, timeoutMs: 30_000 });
  expect(result.outcome, describeRun(result)).toBe("ok");
  expect(result.stdout).toContain("OK node-roundtrip");
}, 60_000);

test("a second fixture build is a cache hit", async () => {
  const result = await runProcess(["node", join(REPO_ROOT, "test", "fixtures", "build.mjs")], { cwd: REPO_ROOT, timeoutMs: 30_000 });
  expect(result.outcome, describeRun(result)).toBe("ok");
  expect(result.stdout).toMatch(/fixtures: up to date \(hash [0-9a-f]+\)/);
}, 60_000);
