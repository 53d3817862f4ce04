// The doctor inspects and never executes, and nothing it reads can hang it,
// exhaust its memory or its stack (issue 13). Pure pieces here; the same
// cases through the real command (FIFOs, planted files, .env) are in
// test/e2e/doctor-hostile.test.ts.
import { describe, expect, test } from "bun:test";
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { inspectBunfig, inspectPackage } from "../../src/doctor/index.ts";
import { checkLibraries, shippedFiles } from "../../src/doctor/libraries.ts";
import { inspectNativeFile, nativeFilesOf } from "../../src/doctor/native-files.ts";
import { readElfDynamic, keptLoaded, MAX_HEADERS } from "../../src/doctor/elf-dynamic.ts";
import { checkPermissions, judgeMode } from "../../src/doctor/permissions.ts";
import { readCapped, readManifest, readText, ReadRefused, TEXT_CAP } from "../../src/doctor/read.ts";
import { parseSignalMasks } from "../../src/doctor/signals.ts";
import { parseBunfigPreloads } from "../../src/doctor/toml.ts";
import { SHIPPED } from "../../src/shipped.ts";
import { buildShared, craftedElf, GO_MARKS, PLAIN_C, UNIQUE_CXX } from "../support/doctor-fixtures.ts";
import { tempDirs } from "../support/temp.ts";

const tempDir = tempDirs();
const REPO = join(import.meta.dir, "..", "..");
const ID = `linux-${process.arch}`;

/** Runs `fn`, returning its result and how long it took. */
function timed<T>(fn: () => T): { value: T; ms: number } {
  const start = performance.now();
  const value = fn();
  return { value, ms: performance.now() - start };
}

function refusal(fn: () => unknown): ReadRefused {
  try {
    fn();
  } catch (error) {
    if (error instanceof ReadRefused) return error;
    throw error;
  }
  throw new Error("expected a ReadRefused");
}

describe("bunfig.toml reader: depth limit, never throws", () => {
  test("an array nested 50,000 levels deep is a warning, quickly, and the other lines still count", () => {
    const text = `preload = ${"[".repeat(50_000)}${"]".repeat(50_000)}\n[test]\npreload = ["./t.ts"]\n`;
    const { value, ms } = timed(() => parseBunfigPreloads(text));
    expect(value.test).toEqual(["./t.ts"]);
    expect(value.run).toBeUndefined();
    expect(value.warnings).toEqual([expect.stringMatching(/^line 1: arrays or tables nested deeper than 64 levels$/)]);
    expect(ms).toBeLessThan(1000);
  });
  test("inline tables nested 50,000 levels deep, and a mix spread over many lines", () => {
    const tables = parseBunfigPreloads(`x = ${"{a = ".repeat(50_000)}1${"}".repeat(50_000)}\npreload = "./p.ts"\n`);
    expect(tables.run).toEqual(["./p.ts"]);
    expect(tables.warnings[0]).toContain("nested deeper than 64 levels");
    const lines = parseBunfigPreloads(`preload = ${"[\n".repeat(50_000)}`);
    expect(lines.run).toBeUndefined();
    expect(lines.warnings.length).toBeGreaterThan(0);
  });
  test("64 levels are still read", () => {
    expect(parseBunfigPreloads(`x = ${"[".repeat(63)}"a"${"]".repeat(63)}\npreload = "./p.ts"\n`)).toEqual({ run: ["./p.ts"], test: undefined, warnings: [] });
  });
});

describe("capped reader", () => {
  test("a directory, /dev/zero and a 4 GiB sparse file are refused at once", () => {
    const dir = tempDir("abp-read-");
    mkdirSync(join(dir, "package.json"));
    const sparse = join(dir, "huge.node");
    writeFileSync(sparse, "");
    truncateSync(sparse, 4 * 1024 ** 3);
    for (const [path, reason, text] of [
      [join(dir, "package.json"), "not-regular", "is a directory"],
      ["/dev/zero", "not-regular", "is a character device"],
      [sparse, "too-large", "4294967296 bytes, more than"],
      [join(dir, "nope"), "missing", "does not exist"],
    ] as const) {
      const { value, ms } = timed(() => refusal(() => readCapped(path, 256 * 1024 * 1024)));
      expect(value.reason).toBe(reason);
      expect(value.message).toContain(text);
      expect(ms).toBeLessThan(1000);
    }
  });
  test("text is capped at 1 MiB; a manifest must be a JSON object", () => {
    const dir = tempDir("abp-read-");
    writeFileSync(join(dir, "big.json"), `{"a":"${"x".repeat(TEXT_CAP)}"}`);
    expect(refusal(() => readText(join(dir, "big.json"))).reason).toBe("too-large");
    writeFileSync(join(dir, "list.json"), "[1]");
    expect(refusal(() => readManifest(join(dir, "list.json"))).message).toContain("is not a JSON object");
    writeFileSync(join(dir, "code.json"), 'require("child_process").execSync("touch pwned")');
    expect(refusal(() => readManifest(join(dir, "code.json"))).message).toContain("is not valid JSON");
    writeFileSync(join(dir, "ok.json"), '{"name":"x","main":"./a.node"}');
    expect(readManifest(join(dir, "ok.json"))).toEqual({ name: "x", main: "./a.node" });
  });
  test("files that claim size 0 (/proc) are read to their end", () => {
    expect(readText("/proc/self/status")).toMatch(/^SigCgt:\s+[0-9a-f]+$/m);
  });
});

describe("ELF reader: linear, capped", () => {
  test("a crafted 2.6 MB ELF (4,000 PT_DYNAMIC over one 1 MiB table, 64 .dynsym sections, unterminated names) reads in well under a second", () => {
    const elf = craftedElf();
    expect(elf.length).toBeGreaterThan(2_000_000);
    const { value, ms } = timed(() => readElfDynamic(elf));
    expect(value).toEqual({ nodelete: false, uniqueSymbols: 0, cgoSymbol: false });
    expect(ms).toBeLessThan(300);
  });
  test("more program headers than MAX_HEADERS are not read, and say so", () => {
    const { value, ms } = timed(() => readElfDynamic(craftedElf({ dynamics: MAX_HEADERS + 1, dynsyms: 1 })));
    expect(value?.nodelete).toBeUndefined();
    expect(value?.problem).toContain(`${MAX_HEADERS + 1} program headers`);
    expect(ms).toBeLessThan(300);
  });
  test("the whole file through inspectNativeFile: also fast, and a file over the cap is refused without reading it", () => {
    const dir = tempDir("abp-elf-");
    writeFileSync(join(dir, "crafted.node"), craftedElf());
    const { value, ms } = timed(() => inspectNativeFile(join(dir, "crafted.node")));
    expect(value).toMatchObject({ elf: true, goRuntime: false, keptLoaded: false });
    expect(ms).toBeLessThan(500);
    expect(inspectNativeFile(join(dir, "crafted.node"), 1024).error).toContain("bytes, more than the 1024 the doctor reads");
  });
});

describe("NODELETE as glibc judges it: DF_1_NODELETE or any STB_GNU_UNIQUE symbol", () => {
  const dir = tempDir("abp-nodelete-");
  test("C++ with an inline static member (STB_GNU_UNIQUE), no -z nodelete: kept loaded", () => {
    const info = readElfDynamic(readFileSync(buildShared(dir, join(dir, "unique.so"), UNIQUE_CXX, { cxx: true })))!;
    expect(info.nodelete).toBe(false);
    expect(info.uniqueSymbols).toBeGreaterThan(0);
    expect(keptLoaded(info)).toBe(true);
  });
  test("C linked -z nodelete: kept loaded; plain C: neither", () => {
    const nodelete = readElfDynamic(readFileSync(buildShared(dir, join(dir, "nodelete.so"), PLAIN_C, { flags: ["-Wl,-z,nodelete"] })))!;
    expect(nodelete).toMatchObject({ nodelete: true, uniqueSymbols: 0 });
    expect(keptLoaded(nodelete)).toBe(true);
    const plain = readElfDynamic(readFileSync(buildShared(dir, join(dir, "plain.so"), PLAIN_C)))!;
    expect(plain).toMatchObject({ nodelete: false, uniqueSymbols: 0 });
    expect(keptLoaded(plain)).toBe(false);
  });
  test("a Go-marked C++ addon with unique symbols is a Go runtime that stays loaded", () => {
    const report = inspectNativeFile(buildShared(dir, join(dir, "go-unique.node"), GO_MARKS + UNIQUE_CXX, { cxx: true }));
    expect(report).toMatchObject({ goRuntime: true, cgoSymbol: true, goVersion: "go1.99.0", nodelete: false, keptLoaded: true });
    expect(report.uniqueSymbols).toBeGreaterThan(0);
  });
});

describe("native file walk: bounded, symlink loops followed once", () => {
  test("12 symlinks to '.' in the package root and below: each real folder read once, fast", () => {
    const root = tempDir("abp-walk-");
    mkdirSync(join(root, "dist", "deep"), { recursive: true });
    writeFileSync(join(root, "dist", "addon.node"), "x");
    for (let i = 0; i < 12; i++) {
      symlinkSync(".", join(root, `loop${i}`));
      symlinkSync(".", join(root, "dist", `loop${i}`));
      symlinkSync("..", join(root, "dist", "deep", `up${i}`));
    }
    const { value, ms } = timed(() => nativeFilesOf(root, undefined));
    expect(value).toEqual([join(root, "dist", "addon.node")]);
    expect(ms).toBeLessThan(1000);
  });
  test("the entry budget stops a folder with many names", () => {
    const root = tempDir("abp-walk-");
    for (let i = 0; i < 300; i++) writeFileSync(join(root, `f${String(i).padStart(3, "0")}.node`), "");
    expect(nativeFilesOf(root, undefined, { depth: 5, files: 1000, entries: 100 })).toHaveLength(100);
    expect(nativeFilesOf(root, undefined, { depth: 5, files: 10, entries: 20_000 })).toHaveLength(10);
  });
});

test("one package's native files are read up to a total budget", () => {
  const app = tempDir("abp-budget-");
  const pkg = join(app, "node_modules", "asherah");
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, "package.json"), '{"name":"asherah","main":"a.node"}');
  for (const name of ["a.node", "b.node", "c.node"]) writeFileSync(join(pkg, name), Buffer.alloc(600));
  const files = inspectPackage("asherah", app, { file: 1000, total: 1000 }).nativeFiles;
  expect(files.map((f) => [f.path.split("/").pop(), f.size, f.error ?? ""])).toEqual([
    ["a.node", 600, ""],
    ["b.node", 0, expect.stringContaining("more than the 400 the doctor reads")],
    ["c.node", 0, expect.stringContaining("more than the 400 the doctor reads")],
  ]);
  writeFileSync(join(pkg, "a.node"), Buffer.alloc(1000));
  expect(inspectPackage("asherah", app, { file: 1000, total: 1000 }).nativeFiles.map((f) => f.error ?? "")).toEqual(["", "not inspected: the doctor reads at most 1000 bytes of one package's native files", expect.stringContaining("not inspected")]);
});

describe("permissions", () => {
  test("judgeMode: world-writable is an error, group-writable and a foreign owner are warnings", () => {
    expect(judgeMode("/l", "the library", 0o100644, 0, 1000)).toEqual([]);
    expect(judgeMode("/l", "the library", 0o100644, 1000, 1000)).toEqual([]);
    expect(judgeMode("/l", "the library", 0o100666, 0, 1000).map((i) => i.level)).toEqual(["error"]);
    expect(judgeMode("/l", "the folder", 0o41777, 0, 1000)[0]!.problem).toContain("world-writable (mode 1777)");
    expect(judgeMode("/l", "the library", 0o100664, 0, 1000).map((i) => i.level)).toEqual(["warn"]);
    expect(judgeMode("/l", "the library", 0o100644, 4242, 1000)).toEqual([{ level: "warn", path: "/l", kind: "owner", problem: "the library /l is owned by uid 4242, neither root nor this user (uid 1000)" }]);
  });
  test("on real files: a world-writable folder, a symlink into one (realpath first), a group-writable file", () => {
    const dir = tempDir("abp-perm-");
    const open = join(dir, "open");
    mkdirSync(open);
    chmodSync(open, 0o777);
    writeFileSync(join(open, "lib.so"), "x");
    chmodSync(join(open, "lib.so"), 0o644);
    const safe = join(dir, "safe");
    mkdirSync(safe, { mode: 0o755 });
    symlinkSync(join(open, "lib.so"), join(safe, "lib.so"));
    expect(checkPermissions(open, "folder").issues.map((i) => i.level)).toEqual(["error"]);
    const through = checkPermissions(join(safe, "lib.so"), "file");
    expect(through.real).toBe(join(open, "lib.so"));
    expect(through.issues).toEqual([expect.objectContaining({ level: "error", path: open, problem: expect.stringContaining(`(reached through ${join(safe, "lib.so")})`) })]);
    writeFileSync(join(safe, "group.so"), "x");
    chmodSync(join(safe, "group.so"), 0o664);
    expect(checkPermissions(join(safe, "group.so"), "file").issues.map((i) => [i.level, i.path])).toEqual([["warn", join(safe, "group.so")]]);
    expect(checkPermissions(join(safe, "missing.so"), "file")).toEqual({ path: join(safe, "missing.so"), issues: [] });
  });
  test.skipIf(process.getuid?.() !== 0)("a file owned by another user (as root: chown to nobody)", () => {
    const dir = tempDir("abp-perm-");
    writeFileSync(join(dir, "lib.so"), "x");
    chownSync(join(dir, "lib.so"), 65534, 65534);
    expect(checkPermissions(join(dir, "lib.so"), "file").issues).toEqual([expect.objectContaining({ level: "warn", problem: expect.stringContaining("owned by uid 65534") })]);
  });
});

describe("the preload's libraries against src/shipped.ts", () => {
  test("every file SHIPPED lists for the platform is checked, whatever its name", () => {
    const dir = tempDir("abp-shipped-");
    mkdirSync(join(dir, ID));
    const files = [...shippedFiles(ID).keys()];
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) copyFileSync(join(REPO, "prebuilds", ID, file), join(dir, ID, file));
    const location = { status: "native", dir: join(dir, ID), id: ID, warmup: join(dir, ID, "asherah-bun-warmup.so"), core: join(dir, ID, "asherah-bun-core.node"), override: false } as const;
    const reports = checkLibraries(location, false);
    expect(reports.map((r) => r.path.split("/").pop()).sort()).toEqual(files.sort());
    expect(reports.every((r) => r.integrity === "match")).toBe(true);
    writeFileSync(join(dir, ID, "asherah-bun-core.node"), "not the shipped bytes");
    const fake = { [`${ID}/asherah-bun-warmup.so`]: SHIPPED[`${ID}/asherah-bun-warmup.so`]!, [`${ID}/asherah-bun-core.node`]: { sha256: "0".repeat(64), size: 21 }, "linux-other/x.so": { sha256: "1".repeat(64), size: 1 } };
    expect(checkLibraries(location, false, fake).map((r) => [r.role, r.integrity])).toEqual([
      ["warmup", "match"],
      ["core", "mismatch"],
    ]);
    expect(checkLibraries({ ...location, override: true }, true, fake).map((r) => r.integrity)).toEqual(["override", "override"]);
  });
});

test("parseSignalMasks: SigCgt and SigIgn bits (signal n is bit n-1)", () => {
  const status = "Name:\tbun\nSigBlk:\t0000000000000000\nSigIgn:\t0000000000001000\nSigCgt:\t0000000020000000\n";
  expect(parseSignalMasks(status)?.map((s) => `${s.signal}=${s.disposition}`)).toEqual(["SIGPWR=caught", "SIGUSR1=default", "SIGPIPE=ignored", "SIGURG=default"]);
  expect(parseSignalMasks("Name:\tx\n")).toBeUndefined();
});

test("the preload bundle carries no doctor code", async () => {
  const out = tempDir("abp-bundle-");
  const build = await Bun.build({ entrypoints: [join(REPO, "src", "index.ts"), join(REPO, "src", "api.ts")], target: "bun", outdir: out });
  expect(build.success).toBe(true);
  const bundles = build.outputs.map((o) => o.path);
  // What `npm run build` left in dist/, when it is there, must be clean too.
  for (const file of ["index.js", "preload.cjs", "api.js"]) if (existsSync(join(REPO, "dist", file))) bundles.push(join(REPO, "dist", file));
  expect(bundles.length).toBeGreaterThanOrEqual(2);
  for (const bundle of bundles) {
    const text = readFileSync(bundle, "utf8");
    expect(text.length).toBeGreaterThan(1000);
    for (const marker of ["parseBunfigPreloads", "runDoctor", "NO_NODELETE", "PACKAGE_UNREADABLE", "STB_GNU_UNIQUE", "Go buildinf", "SigCgt", "doctor"]) {
      expect(text.includes(marker), `${bundle} contains ${marker}`).toBe(false);
    }
  }
});

test("a bunfig.toml listing 60,000 preload entries: only the first 64 are resolved, and it says so", () => {
  const dir = tempDir("abp-many-");
  writeFileSync(join(dir, "bunfig.toml"), `preload = [${Array.from({ length: 60_000 }, (_, i) => `"p${i}"`).join(",")}]\n`);
  const { value, ms } = timed(() => inspectBunfig(dir));
  expect(value.run).toHaveLength(64);
  expect(value.warnings).toEqual(["preload has 60000 entries; only the first 64 were checked"]);
  expect(ms).toBeLessThan(2000);
});
