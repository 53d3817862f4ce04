import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { atLeast, BUN_1_1, compareVersions, isAffected, parseVersion, versionCode } from "../../src/bun-version.ts";
import { formatDebugLine } from "../../src/debug.ts";
import { guardedPackageOf } from "../../src/guarded.ts";
import { planRepairs } from "../../src/signals.ts";
import { exportTarget, resolvePackageEntry } from "../../src/resolve.ts";

describe("bun-version", () => {
  test("affected: Linux before 1.4.4 only (1.4.0–1.4.3 still hang terminating a Worker)", () => {
    expect(isAffected("1.0.36", "linux")).toBe(true);
    expect(isAffected("1.3.14", "linux")).toBe(true);
    expect(isAffected("1.4.0", "linux")).toBe(true);
    expect(isAffected("1.4.3", "linux")).toBe(true);
    expect(isAffected("1.4.4", "linux")).toBe(false);
    expect(isAffected("1.4.5", "linux")).toBe(false);
    expect(isAffected("1.3.14", "darwin")).toBe(false);
    expect(isAffected("garbage", "linux")).toBe(true);
  });
  test("parse and compare", () => {
    expect(parseVersion("1.2.19-canary.1")).toEqual({ major: 1, minor: 2, patch: 19 });
    expect(compareVersions(parseVersion("1.10.0")!, parseVersion("1.9.9")!)).toBeGreaterThan(0);
  });
  test("one number per version; anything else is not a version", () => {
    expect(versionCode("1.10.0")).toBeGreaterThan(versionCode("1.9.9"));
    expect(versionCode("1.2.19")).toBe(versionCode("1.2.19-canary.1"));
    for (const bad of ["", "1", "1.2", "1.2.", "1.x.3", "v1.2.3", "1..3", "12345.0.0", " 1.2.3"]) expect(versionCode(bad)).toBe(-1);
    expect(atLeast("1.1.0", BUN_1_1)).toBe(true);
    expect(atLeast("1.0.36", BUN_1_1)).toBe(false);
    expect(atLeast("garbage", BUN_1_1)).toBe(false);
    expect(parseVersion("1.2")).toBeUndefined();
  });
});

describe("planRepairs", () => {
  test("affected Bun: suspend signals and SIGPIPE", () => {
    expect(planRepairs("auto", "1.2.19", "linux")).toEqual({ suspend: [30, 10], dispositions: [13] });
  });
  test("fixed Bun: SIGPIPE only, unless forced", () => {
    expect(planRepairs("auto", "1.4.5", "linux")).toEqual({ suspend: [], dispositions: [13] });
    expect(planRepairs("force", "1.4.5", "linux").suspend).toEqual([30, 10]);
  });
  test("off and non-Linux: nothing", () => {
    expect(planRepairs("off", "1.2.19", "linux")).toEqual({ suspend: [], dispositions: [] });
    expect(planRepairs("force", "1.2.19", "darwin")).toEqual({ suspend: [], dispositions: [] });
  });
});

test("guardedPackageOf matches the package folder, not a prefix", () => {
  const packages = ["asherah", "@acme/go-thing"];
  expect(guardedPackageOf("/app/node_modules/asherah/dist/asherah.node", packages)).toBe("asherah");
  expect(guardedPackageOf("/app/node_modules/.bun/asherah@3/node_modules/asherah/dist/asherah.node", packages)).toBe("asherah");
  expect(guardedPackageOf("/app/node_modules/@acme/go-thing/x.node", packages)).toBe("@acme/go-thing");
  expect(guardedPackageOf("/app/node_modules/asherah-consumer/x.node", packages)).toBeUndefined();
  expect(guardedPackageOf("/app/asherah/x.node", packages)).toBeUndefined();
});

test("formatDebugLine has a stable prefix and quotes values with spaces", () => {
  expect(formatDebugLine("warmup loaded", { path: "/a b/c.so", us: 12, skip: undefined })).toBe(
    '[asherah-bun-preload] warmup loaded path="/a b/c.so" us=12',
  );
});

describe("resolve", () => {
  test("exportTarget picks the '.' export under Bun's conditions", () => {
    expect(exportTarget("./dist/asherah.node")).toBe("./dist/asherah.node");
    expect(exportTarget({ ".": { types: "./a.d.ts", require: "./a.node" } })).toBe("./a.node");
    expect(exportTarget({ import: "./m.mjs", default: "./c.js" })).toBe("./m.mjs");
    expect(exportTarget({ "./sub": "./s.js" })).toBeUndefined();
    expect(exportTarget(undefined)).toBeUndefined();
    // A planted manifest nested far deeper than any real one ends the walk, not the stack.
    let deep: Record<string, unknown> | string = "./x.node";
    for (let i = 0; i < 80_000; i++) deep = { default: deep };
    expect(exportTarget(deep as Parameters<typeof exportTarget>[0])).toBeUndefined();
    let shallow: Record<string, unknown> | string = "./y.node";
    for (let i = 0; i < 5; i++) shallow = { default: shallow };
    expect(exportTarget(shallow as Parameters<typeof exportTarget>[0])).toBe("./y.node");
  });
  test("resolvePackageEntry walks up node_modules folders", () => {
    const root = mkdtempSync(join(tmpdir(), "abp-resolve-"));
    mkdirSync(join(root, "node_modules", "asherah", "dist"), { recursive: true });
    writeFileSync(join(root, "node_modules", "asherah", "package.json"), JSON.stringify({ main: "./dist/asherah.node" }));
    mkdirSync(join(root, "src", "deep"), { recursive: true });
    expect(resolvePackageEntry("asherah", join(root, "src", "deep"))).toEqual({
      root: join(root, "node_modules", "asherah"),
      entry: join(root, "node_modules", "asherah", "dist", "asherah.node"),
    });
    // asherah 3.x's real manifest: only the "node-addons" condition.
    writeFileSync(join(root, "node_modules", "asherah", "package.json"), JSON.stringify({ exports: { "node-addons": "./dist/asherah.node" } }));
    expect(resolvePackageEntry("asherah", root)?.entry).toBe(join(root, "node_modules", "asherah", "dist", "asherah.node"));
    expect(resolvePackageEntry("not-installed-anywhere-xyz", join(root, "src"))).toBeUndefined();
  });
});

describe("checkElf", () => {
  const { readFileSync } = require("node:fs") as typeof import("node:fs");
  const { checkElf } = require("../../src/elf.ts") as typeof import("../../src/elf.ts");
  const lib = (arch: string) => readFileSync(join(import.meta.dir, "..", "..", "prebuilds", `linux-${arch}`, "asherah-bun-warmup.so"));
  test("accepts the shipped library for its architecture", () => {
    const x64 = lib("x64");
    expect(checkElf(x64.subarray(0, 4096), x64.length, "x64")).toBeUndefined();
    const arm = lib("arm64");
    expect(checkElf(arm.subarray(0, 4096), arm.length, "arm64")).toBeUndefined();
  });
  test("names the architecture of a foreign library", () => {
    const arm = lib("arm64");
    expect(checkElf(arm.subarray(0, 4096), arm.length, "x64")).toEqual({ kind: "wrong-machine", machine: "arm64" });
  });
  test("sees a truncated file", () => {
    const x64 = lib("x64");
    expect(checkElf(x64.subarray(0, 4096), 4096, "x64")).toMatchObject({ kind: "truncated", size: 4096 });
  });
  test("not ELF, not shared", () => {
    expect(checkElf(Buffer.from("#!/bin/sh\n".padEnd(64)), 64, "x64")).toEqual({ kind: "not-elf" });
    const exe = Buffer.from(lib("x64").subarray(0, 4096));
    exe.writeUInt16LE(2, 16); // ET_EXEC
    expect(checkElf(exe, 1 << 30, "x64")).toEqual({ kind: "not-shared", type: 2 });
  });
});

describe("dlopenAdvice", () => {
  const { dlopenAdvice } = require("../../src/core-load.ts") as typeof import("../../src/core-load.ts");
  test("a file cut short says so, not that it is foreign", () => {
    const advice = dlopenAdvice("/x/asherah-bun-core.node: file too short", "linux", "x64");
    expect(advice).toContain("shorter than its own headers say");
    expect(advice).not.toContain("not a library for");
  });
  test("a foreign file names this platform", () => {
    expect(dlopenAdvice("/x/lib.so: wrong ELF class: ELFCLASS32", "linux", "x64")).toContain("not a library for linux-x64");
  });
  test("anything else asks for a reinstall or a report", () => {
    expect(dlopenAdvice("something odd", "linux", "x64")).toContain("Reinstall asherah-bun-preload");
  });
});
