import { describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import * as node from "node:path";
import { tmpdir } from "node:os";
import * as paths from "../../src/paths.ts";
import { existsNonEmpty, readTextFile } from "../../src/files.ts";

describe("paths (POSIX helpers instead of node:path on the start-up path)", () => {
  const cases = ["/a/b/../c", "/a/./b/", "/", "a/b", "../x", "/a/b/c/../../..", "/a/../../b", "a/../..", "/x//y", "/work/pkg/src/../prebuilds", "."];
  test("join normalises like node:path (trailing slash aside)", () => {
    for (const c of cases) expect(paths.join(c)).toBe(node.join(c).replace(/(.)\/$/, "$1"));
    expect(paths.join("/pkg/dist", "..", "prebuilds")).toBe("/pkg/prebuilds");
    expect(paths.join("/app", "node_modules", "asherah", "package.json")).toBe("/app/node_modules/asherah/package.json");
  });
  test("dirname and basename of normalised paths match node:path", () => {
    for (const c of cases) {
      const normal = node.normalize(c).replace(/(.)\/$/, "$1");
      expect(paths.dirname(c)).toBe(node.dirname(normal));
      expect(paths.basename(c)).toBe(node.basename(normal));
    }
  });
  test("resolve: the rightmost absolute part wins, else the current directory", () => {
    expect(paths.resolve("/a", "./b/c.node")).toBe("/a/b/c.node");
    expect(paths.resolve("/a", "/x/y")).toBe("/x/y");
    expect(paths.resolve("rel/x")).toBe(node.resolve("rel/x"));
    expect(paths.isAbsolute("/x")).toBe(true);
    expect(paths.isAbsolute("x/y")).toBe(false);
  });
  test("isNormalAbsolute is true exactly where join() would change nothing; parentDir of those matches dirname", () => {
    const more = [...cases, "/app/node_modules/.bun/x@1/node_modules/x/a.node", "/a/.", "/a/..", "/a/b/", "/a/.hidden/b", "/a"];
    for (const c of more) {
      expect(paths.isNormalAbsolute(c), c).toBe(c.startsWith("/") && paths.join(c) === c);
      if (paths.isNormalAbsolute(c)) expect(paths.parentDir(c), c).toBe(paths.dirname(c));
    }
  });
});


describe("files", () => {
  const dir = mkdtempSync(node.join(tmpdir(), "abp-files-"));
  test("readTextFile reads a regular file, a read-only one too (Bun.mmap would open it read-write)", () => {
    const file = node.join(dir, "readonly.json");
    writeFileSync(file, '{"a":1}');
    chmodSync(file, 0o444);
    expect(readTextFile(file)).toBe('{"a":1}');
  });
  test("readTextFile refuses a folder, a FIFO and a device without blocking, and a file over the cap", () => {
    mkdirSync(node.join(dir, "folder"));
    expect(() => readTextFile(node.join(dir, "folder"))).toThrow("is a folder");
    const fifo = node.join(dir, "fifo");
    Bun.spawnSync(["mkfifo", fifo]);
    const started = performance.now();
    expect(() => readTextFile(fifo)).toThrow("not a regular file");
    expect(() => readTextFile("/dev/zero")).toThrow("not a regular file");
    expect(performance.now() - started).toBeLessThan(1000);
    writeFileSync(node.join(dir, "big"), "x".repeat(2000));
    expect(() => readTextFile(node.join(dir, "big"), 1000)).toThrow("more than the 1000 allowed");
    expect(() => readTextFile(node.join(dir, "missing"))).toThrow(expect.objectContaining({ code: "ENOENT" }));
  });
  test("existsNonEmpty", () => {
    writeFileSync(node.join(dir, "lib.so"), "x");
    writeFileSync(node.join(dir, "empty"), "");
    expect(existsNonEmpty(node.join(dir, "lib.so"))).toBe(true);
    expect(existsNonEmpty(node.join(dir, "empty"))).toBe(false);
    expect(existsNonEmpty(node.join(dir, "missing.so"))).toBe(false);
  });
});
