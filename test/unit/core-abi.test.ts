// The contract between go/core/abp.h and src/core.ts is written once, in the
// header's X-macro lists: this test parses them and fails when the
// TypeScript surface disagrees, and checks the shipped core hands over the
// same lists at run time.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CORE_ABI, INTERPOSE_STAT_NAMES, LOAD_OUTCOME_NAMES, RESULT_NAMES, STAT_NAMES, WARMUP_ERROR_NAMES, WARMUP_STATE_NAMES, type Core } from "../../src/core.ts";
import { loadCore } from "../../src/core-load.ts";
import { SHIPPED } from "../../src/shipped.ts";

const ROOT = join(import.meta.dir, "..", "..");
const HEADER = readFileSync(join(ROOT, "go", "core", "abp.h"), "utf8");

/** The text of one X-macro list. */
function blockOf(macro: string): string {
  const start = HEADER.indexOf(`#define ${macro}(X)`);
  if (start < 0) throw new Error(`${macro} not found in abp.h`);
  return HEADER.slice(start, HEADER.indexOf("\n\n", start));
}

/** The quoted names of one X-macro list, in order. */
function listOf(macro: string): string[] {
  return [...blockOf(macro).matchAll(/X\(\s*ABP_\w+\s*,\s*(?:-?\d+\s*,\s*)?"([^"]+)"\s*\)/g)].map((m) => m[1]!);
}

describe("go/core/abp.h ↔ src/core.ts", () => {
  test("ABI version", () => {
    expect(HEADER).toContain(`#define ABP_ABI_VERSION ${CORE_ABI}\n`);
  });
  test("result names", () => expect(listOf("ABP_RESULTS")).toEqual([...RESULT_NAMES]));
  test("statistics names", () => expect(listOf("ABP_STATS")).toEqual([...STAT_NAMES]));
  test("warmup error names", () => expect(listOf("ABP_WARMUP_ERRORS")).toEqual([...WARMUP_ERROR_NAMES]));
  test("warmup state names", () => expect(listOf("ABP_WARMUP_STATES")).toEqual([...WARMUP_STATE_NAMES]));
  test("interposer counter and load outcome names", () => {
    expect(listOf("ABP_INTERPOSE_STATS")).toEqual([...INTERPOSE_STAT_NAMES]);
    expect(listOf("ABP_LOAD_OUTCOMES")).toEqual([...LOAD_OUTCOME_NAMES]);
  });
  test("every negative result has one meaning", () => {
    const values = [...blockOf("ABP_RESULTS").matchAll(/X\((ABP_\w+), (-?\d+),/g)].map((m) => Number(m[2]));
    expect(values.length).toBe(RESULT_NAMES.length);
    expect(new Set(values).size).toBe(values.length);
  });
});

describe("the shipped core (linux-x64)", () => {
  const path = join(ROOT, "prebuilds", "linux-x64", "asherah-bun-core.node");
  const dlopen = process.dlopen as unknown as Parameters<typeof loadCore>[2];
  let core: Core;
  test("loads, with the shipped size, and hands over the header's lists", () => {
    core = loadCore(path, SHIPPED["linux-x64/asherah-bun-core.node"]!, dlopen);
    expect(core.abi).toBe(CORE_ABI);
    expect([...core.resultNames]).toEqual([...RESULT_NAMES]);
    expect([...core.statNames]).toEqual([...STAT_NAMES]);
    expect([...core.warmupErrorNames]).toEqual([...WARMUP_ERROR_NAMES]);
    expect(Object.keys(core.wrapStats())).toEqual([...STAT_NAMES]);
    // Before interpose(): its counters, in the header's order, and the result of no attempt yet.
    const stats = core.interposeStats();
    expect(Object.keys(stats)).toEqual(["result", ...INTERPOSE_STAT_NAMES, "repaired", "lastRefused", "records"]);
  });
  test("was built with the shipped warmup library's hash", () => {
    expect(core.warmupExpectedSha256).toBe(SHIPPED["linux-x64/asherah-bun-warmup.so"]!.sha256);
  });
  test("a core of another size than the shipped one is refused before it is loaded", () => {
    expect(() => loadCore(path, { sha256: "0".repeat(64), size: 12345 }, dlopen)).toThrow("the package shipped 12345 bytes");
    expect(() => loadCore("/dev/zero", undefined, dlopen)).toThrow("not a regular file");
  });
  test("hashes its own file: a core whose bytes are not the shipped ones is refused", () => {
    expect(core.selfSha256()).toBe(SHIPPED["linux-x64/asherah-bun-core.node"]!.sha256);
    const shipped = SHIPPED["linux-x64/asherah-bun-core.node"]!;
    expect(() => loadCore(path, { ...shipped, sha256: "f".repeat(64) }, dlopen)).toThrow(`its sha256 is ${shipped.sha256}, the package shipped ${"f".repeat(64)}`);
  });
  test("readText: regular files only, capped, never blocking", () => {
    const dir = mkdtempSync(join(tmpdir(), "abp-core-"));
    writeFileSync(join(dir, "a.json"), "{}");
    expect(core.readText(join(dir, "a.json"), 10)).toBe("{}");
    expect(() => core.readText(join(dir, "a.json"), 1)).toThrow("more than the 1 allowed");
    Bun.spawnSync(["mkfifo", join(dir, "fifo")]);
    const started = performance.now();
    expect(() => core.readText(join(dir, "fifo"), 1000)).toThrow("is a FIFO, not a regular file");
    expect(() => core.readText("/dev/zero", 1000)).toThrow("is a character device");
    expect(performance.now() - started).toBeLessThan(1000);
    expect(() => core.readText(join(dir, "missing"), 1000)).toThrow("No such file");
  });
  test("elfSpan: what an ELF file's headers map against its size; anything else unmeasured; never blocking", () => {
    const dir = mkdtempSync(join(tmpdir(), "abp-elf-"));
    const whole = core.elfSpan(path);
    if (typeof whole === "string") throw new Error(whole);
    expect(whole.size).toBe(SHIPPED["linux-x64/asherah-bun-core.node"]!.size);
    expect(whole.needed).toBeGreaterThan(0);
    expect(whole.needed).toBeLessThanOrEqual(whole.size);
    const bytes = readFileSync(path);
    writeFileSync(join(dir, "cut.node"), bytes.subarray(0, Math.floor(whole.needed / 2)));
    expect(core.elfSpan(join(dir, "cut.node"))).toEqual({ size: Math.floor(whole.needed / 2), needed: whole.needed });
    writeFileSync(join(dir, "head.node"), bytes.subarray(0, 40)); // not even a whole ELF header
    expect(core.elfSpan(join(dir, "head.node"))).toEqual({ size: 40, needed: 0 });
    writeFileSync(join(dir, "text.node"), "not a library");
    expect(core.elfSpan(join(dir, "text.node"))).toEqual({ size: 13, needed: 0 });
    Bun.spawnSync(["mkfifo", join(dir, "fifo.node")]);
    const started = performance.now();
    expect(core.elfSpan(join(dir, "fifo.node"))).toContain("is a FIFO, not a regular file");
    expect(core.elfSpan("/dev/zero")).toContain("is a character device");
    expect(performance.now() - started).toBeLessThan(1000);
    expect(core.elfSpan(join(dir, "missing.node"))).toContain("No such file");
  });
  test("checkPathSafe refuses a world-writable file or folder, also behind a symlink", () => {
    const dir = mkdtempSync(join(tmpdir(), "abp-safe-"));
    writeFileSync(join(dir, "lib.so"), "x");
    chmodSync(dir, 0o755);
    expect(core.checkPathSafe(join(dir, "lib.so"))).toBe("");
    chmodSync(join(dir, "lib.so"), 0o666);
    expect(core.checkPathSafe(join(dir, "lib.so"))).toContain("is writable by every user (mode 666)");
    chmodSync(join(dir, "lib.so"), 0o644);
    const open = join(dir, "open");
    mkdirSync(open);
    chmodSync(open, 0o777);
    writeFileSync(join(open, "lib.so"), "x");
    const { symlinkSync } = require("node:fs") as typeof import("node:fs");
    symlinkSync(join(open, "lib.so"), join(dir, "link.so"));
    expect(core.checkPathSafe(join(dir, "link.so"))).toContain(`its folder ${open} is writable by every user`);
  });
});
