// resolve.ts readManifest: package.json files are read as text from regular
// files only; nothing else is opened, nothing is run (issue 13).
import { describe, expect, test } from "bun:test";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { MANIFEST_MAX_BYTES, readManifest, resolvePackageEntry } from "../../src/resolve.ts";
import { tempDirs } from "../support/temp.ts";

const tempDir = tempDirs();

describe("readManifest", () => {
  test("a regular file: its text; missing or empty: missing", () => {
    const dir = tempDir("abp-manifest-");
    writeFileSync(join(dir, "package.json"), '{"main":"x.js"}');
    writeFileSync(join(dir, "empty.json"), "");
    expect(readManifest(join(dir, "package.json"))).toEqual({ kind: "text", text: '{"main":"x.js"}' });
    expect(readManifest(join(dir, "empty.json"))).toEqual({ kind: "missing" });
    expect(readManifest(join(dir, "nope.json"))).toEqual({ kind: "missing" });
  });

  test("a folder, a FIFO, a device and an oversized file are refused", () => {
    const dir = tempDir("abp-manifest-");
    mkdirSync(join(dir, "folder.json"));
    writeFileSync(join(dir, "folder.json", "index.js"), "throw new Error('ran')");
    expect(spawnSync("mkfifo", [join(dir, "fifo.json")]).status).toBe(0);
    writeFileSync(join(dir, "big.json"), Buffer.alloc(MANIFEST_MAX_BYTES + 1, 0x20));
    expect(readManifest(join(dir, "folder.json"))).toEqual({ kind: "refused", reason: "it is a folder, not a regular file" });
    expect(readManifest(join(dir, "fifo.json")).kind).toBe("refused");
    expect(readManifest("/dev/zero").kind).toBe("refused");
    expect(readManifest(join(dir, "big.json"))).toEqual({ kind: "refused", reason: `it is ${MANIFEST_MAX_BYTES + 1} bytes, more than the ${MANIFEST_MAX_BYTES} allowed` });
  });

  test("resolvePackageEntry: a symlink to code is read as (invalid) JSON, a refused manifest is reported and unresolved", () => {
    const dir = tempDir("abp-manifest-");
    mkdirSync(join(dir, "node_modules", "linked"), { recursive: true });
    writeFileSync(join(dir, "evil.js"), "globalThis.__abpRan = true;");
    symlinkSync(join(dir, "evil.js"), join(dir, "node_modules", "linked", "package.json"));
    mkdirSync(join(dir, "node_modules", "folder", "package.json"), { recursive: true });
    writeFileSync(join(dir, "node_modules", "folder", "package.json", "index.js"), "globalThis.__abpRan = true;");
    const refused: string[] = [];
    expect(resolvePackageEntry("linked", dir, (path) => refused.push(path))).toBeUndefined();
    expect(resolvePackageEntry("folder", dir, (path) => refused.push(path))).toBeUndefined();
    expect(refused).toEqual([join(dir, "node_modules", "folder", "package.json")]);
    expect((globalThis as { __abpRan?: boolean }).__abpRan).toBeUndefined();
  });
});
