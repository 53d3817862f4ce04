// resolve.ts readManifest: package.json files are read as text from regular
// files only; nothing else is opened, nothing is run (issue 13).
import { describe, expect, test } from "bun:test";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { readPackageAt } from "../../src/doctor/packages.ts";
import { manifestPath } from "../../src/installed.ts";
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

describe("manifestPath (installed.ts): the start path's stat-only walk", () => {
  // hooks.ts runs the resolver and registers the plugin only where this
  // finds a manifest, so it must stop where resolvePackageEntry would read.
  test("the nearest folder up with one; undefined when none; a FIFO or folder is found, to be refused by name", () => {
    const dir = tempDir("abp-walk-");
    const app = join(dir, "app", "src");
    mkdirSync(app, { recursive: true });
    mkdirSync(join(dir, "node_modules", "near"), { recursive: true });
    writeFileSync(join(dir, "node_modules", "near", "package.json"), "{}");
    mkdirSync(join(dir, "app", "node_modules", "near"), { recursive: true });
    writeFileSync(join(dir, "app", "node_modules", "near", "package.json"), "{}");
    mkdirSync(join(dir, "app", "node_modules", "fifo"), { recursive: true });
    expect(spawnSync("mkfifo", [join(dir, "app", "node_modules", "fifo", "package.json")]).status).toBe(0);
    mkdirSync(join(dir, "app", "node_modules", "folder", "package.json"), { recursive: true });
    mkdirSync(join(dir, "app", "node_modules", "empty"), { recursive: true });
    writeFileSync(join(dir, "app", "node_modules", "empty", "package.json"), "");
    expect(manifestPath("near", app)).toBe(join(dir, "app", "node_modules", "near", "package.json"));
    expect(manifestPath("near", dir)).toBe(join(dir, "node_modules", "near", "package.json"));
    expect(manifestPath("fifo", app)).toBe(join(dir, "app", "node_modules", "fifo", "package.json"));
    expect(manifestPath("folder", app)).toBe(join(dir, "app", "node_modules", "folder", "package.json"));
    // Empty reads as missing (readManifest): the walk goes on up, and finds none.
    expect(manifestPath("empty", app)).toBeUndefined();
    expect(manifestPath("not-installed-anywhere-abp", app)).toBeUndefined();
    // A compiled binary's folder: its modules were resolved at build time.
    expect(manifestPath("near", "/$bunfs/root")).toBeUndefined();
  });
});

describe("resolvePackageEntry: a main that names no file is completed as Node and Bun complete it", () => {
  function pkg(dir: string, name: string, manifest: string, files: Record<string, string>): void {
    const root = join(dir, "node_modules", name);
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, "package.json"), manifest);
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(join(root, file, ".."), { recursive: true });
      writeFileSync(join(root, file), text || "module.exports = 1;");
    }
  }

  test("an extension left out, a folder, an index, a BOM; an exports target stays exact", () => {
    const dir = tempDir("abp-main-");
    pkg(dir, "noext", '{"main":"lib/index"}', { "lib/index.js": "" });
    pkg(dir, "cjs", '{"main":"lib/index"}', { "lib/index.cjs": "", "lib/index.json": "{}" });
    pkg(dir, "folder", '{"main":"./dist"}', { "dist/index.js": "" });
    pkg(dir, "file-first", '{"main":"./dist"}', { "dist/index.js": "", "dist.js": "" });
    pkg(dir, "native", '{"main":"./build/addon"}', { "build/addon.node": "x" });
    pkg(dir, "exact", '{"main":"./dist/asherah.node"}', { "dist/asherah.node": "x" });
    pkg(dir, "bom", '\uFEFF{"main":"./lib/main.js"}', { "lib/main.js": "" });
    pkg(dir, "exports", '{"exports":{".":"./lib/index"},"main":"./lib/other.js"}', { "lib/index.js": "", "lib/other.js": "" });
    pkg(dir, "missing", '{"main":"lib/gone"}', {});
    const entry = (name: string) => resolvePackageEntry(name, dir, () => {})?.entry;
    const root = (name: string) => join(dir, "node_modules", name);
    expect(entry("noext")).toBe(join(root("noext"), "lib/index.js"));
    expect(entry("cjs")).toBe(join(root("cjs"), "lib/index.cjs"));
    expect(entry("folder")).toBe(join(root("folder"), "dist/index.js"));
    expect(entry("file-first")).toBe(join(root("file-first"), "dist.js"));
    expect(entry("native")).toBe(join(root("native"), "build/addon.node"));
    expect(entry("exact")).toBe(join(root("exact"), "dist/asherah.node"));
    expect(entry("bom")).toBe(join(root("bom"), "lib/main.js"));
    // "exports" targets are exact in Node and Bun: no completion.
    expect(entry("exports")).toBe(join(root("exports"), "lib/index"));
    // Nothing to complete to: the name as it is, and the load fails as without the preload.
    expect(entry("missing")).toBe(join(root("missing"), "lib/gone"));
    // The doctor reports the file the preload loads (doctor/packages.ts).
    for (const name of ["noext", "cjs", "folder", "file-first", "native", "exact", "bom", "exports", "missing"]) {
      expect(readPackageAt(root(name), name).entry, name).toBe(entry(name));
    }
  });
});
