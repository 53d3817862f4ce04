import { describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import * as node from "node:path";
import { tmpdir } from "node:os";
import * as paths from "../../src/paths.ts";
import { existsNonEmpty, readFileText } from "../../src/files.ts";
import { digestFile } from "../../src/integrity.ts";
import { processState } from "../../src/state.ts";

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
});

const sha256 = (bytes: Uint8Array) => new Bun.CryptoHasher("sha256").update(bytes).digest("hex");

describe("files and digests", () => {
  const dir = mkdtempSync(node.join(tmpdir(), "abp-files-"));
  test("digestFile hashes in pieces: the same digest, size and first 4 KiB as hashing the whole file", () => {
    const file = node.join(dir, "big.so");
    const bytes = new Uint8Array(200_003).map((_, i) => (i * 31 + (i >> 8)) & 0xff);
    writeFileSync(file, bytes);
    const digest = digestFile(file);
    expect(digest.sha256).toBe(sha256(bytes));
    expect(digest.size).toBe(bytes.length);
    expect([...digest.head]).toEqual([...bytes.subarray(0, 4096)]);
    writeFileSync(file, "tiny");
    expect(digestFile(file)).toMatchObject({ size: 4, head: Buffer.from("tiny") });
  });
  test("with the C library's read() unavailable, node:fs reads the file to the same digest", () => {
    const file = node.join(dir, "fallback.so");
    const bytes = new Uint8Array(300_000).map((_, i) => (i * 7) & 0xff);
    writeFileSync(file, bytes);
    const state = processState();
    const saved = state.libcReader;
    let asked = 0;
    state.libcReader = () => (asked++, false);
    try {
      expect(digestFile(file)).toMatchObject({ sha256: sha256(bytes), size: bytes.length });
      expect(asked).toBe(1);
    } finally {
      state.libcReader = saved;
    }
  });
  test("read errors carry node:fs's code", () => {
    expect(() => digestFile(node.join(dir, "missing.so"))).toThrow(expect.objectContaining({ code: "ENOENT" }));
    mkdirSync(node.join(dir, "folder"));
    expect(() => digestFile(node.join(dir, "folder"))).toThrow(expect.objectContaining({ code: "EISDIR" }));
  });
  test("a read-only file can be hashed (Bun.mmap would open it read-write; the e2e test runs this as another user)", () => {
    const file = node.join(dir, "readonly.so");
    writeFileSync(file, "bytes");
    chmodSync(file, 0o444);
    expect(digestFile(file).sha256).toBe(new Bun.CryptoHasher("sha256").update("bytes").digest("hex"));
    expect(readFileText(file)).toBe("bytes");
  });
  test("existsNonEmpty", () => {
    writeFileSync(node.join(dir, "lib.so"), "x");
    writeFileSync(node.join(dir, "empty"), "");
    expect(existsNonEmpty(node.join(dir, "lib.so"))).toBe(true);
    expect(existsNonEmpty(node.join(dir, "empty"))).toBe(false);
    expect(existsNonEmpty(node.join(dir, "missing.so"))).toBe(false);
  });
});
