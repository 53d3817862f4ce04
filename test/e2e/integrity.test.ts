// Only verified bytes are mapped, and nothing the preload opens can make it
// wait (issues 11 and 13). Each case is a real Bun process with a timeout:
// - the warmup library swapped between check and load, in a tight loop: every
//   start either maps the shipped bytes or refuses with CHECKSUM_MISMATCH;
//   the other library's constructor never runs (go/core/abp_warmup.c maps
//   the sealed copy it hashed, from /proc/self/fd/N);
// - a FIFO, /dev/zero and a 5 GB sparse file as the warmup library, and as a
//   guarded package's `.node` entry: refused within a second, never a hang;
// - a world-writable library folder, and libraries reached through a symlink
//   into one: refused (LIBRARY_UNSAFE); a root-owned read-only install, with
//   symlinks into it, still works.
import { beforeAll, describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, cpSync, existsSync, linkSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildSharedLibrary, cleanEnv, jsonLine } from "../support/app-run.ts";
import { bunBinary, pinnedBun, pinnedBunVersion, REPO_ROOT } from "../support/bun-versions.ts";
import { FIXTURE_BUILD } from "../support/scenarios.ts";
import { describeRun, runProcess, type RunResult } from "../support/spawn.ts";
import { tempDirs } from "../support/temp.ts";
import { mappedEnd } from "../../src/elf.ts";
import { SHIPPED } from "../../src/shipped.ts";

const tempDir = tempDirs();
const PRELOAD = join(REPO_ROOT, "dist", "index.js");
const API = join(REPO_ROOT, "dist", "api.js");
const X64 = join(REPO_ROOT, "prebuilds", "linux-x64");
const CORE = "asherah-bun-core.node";
const WARMUP = "asherah-bun-warmup.so";
const WARMUP_SHA256 = SHIPPED[`linux-x64/${WARMUP}`]!.sha256;
const FIXTURE_ASHERAH = join(FIXTURE_BUILD, "node_modules", "asherah");

beforeAll(() => {
  if (process.platform !== "linux" || process.arch !== "x64") throw new Error("integrity.test.ts runs on linux-x64 (the prebuilt libraries it swaps are x64)");
  if (!existsSync(PRELOAD)) throw new Error(`${PRELOAD} is missing: run \`npm run build\``);
  if (!existsSync(FIXTURE_ASHERAH)) throw new Error(`fixtures are not built (${FIXTURE_BUILD}): run \`node test/fixtures/build.mjs\``);
});

/** A private copy of the package (src/, prebuilds/, package.json), so the real prebuilds stay intact. */
function packageCopy(): string {
  const pkg = tempDir("abp-integrity-pkg-");
  for (const part of ["src", "prebuilds", "package.json"]) cpSync(join(REPO_ROOT, part), join(pkg, part), { recursive: true });
  return pkg;
}

/** An app folder with package.json and the given files; `asherah` links the fixture in as node_modules/asherah. */
function appDir(files: Record<string, string>, asherah = false): string {
  const dir = tempDir("abp-integrity-app-");
  writeFileSync(join(dir, "package.json"), '{"type":"commonjs"}\n');
  if (asherah) {
    mkdirSync(join(dir, "node_modules"));
    symlinkSync(FIXTURE_ASHERAH, join(dir, "node_modules", "asherah"), "dir");
  }
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** A library folder with a copy of the core and, unless `warmup` is false, of the warmup library. */
function libraryDir(warmup = true): string {
  const dir = tempDir("abp-integrity-lib-");
  copyFileSync(join(X64, CORE), join(dir, CORE));
  if (warmup) copyFileSync(join(X64, WARMUP), join(dir, WARMUP));
  return dir;
}

/** warmup() (which waits for the warmup thread), timed, then optionally a guarded require: one RESULT line. */
const WARMUP_APP = (api: string, requireAsherah: boolean) => `const { warmup } = require(${JSON.stringify(api)});
const fs = require("fs");
const started = performance.now();
let result;
try {
  const s = warmup();
  result = { status: s.warmup.status, sha256: s.warmup.sha256 };
} catch (error) {
  result = { code: error.code, message: String(error.message) };
}
result.ms = performance.now() - started;
const maps = fs.readFileSync("/proc/self/maps", "utf8");
result.mappedByPath = maps.includes(${JSON.stringify(WARMUP)});
result.mappedFromMemfd = maps.includes("/memfd:asherah-bun-warmup");
${
  requireAsherah
    ? `try { require("asherah"); result.guarded = "loaded"; } catch (error) { result.guarded = { code: error.code, message: String(error.message) }; }`
    : ""
}
console.log("RESULT " + JSON.stringify(result));
`;

interface WarmupResult {
  status?: string;
  sha256?: string;
  code?: string;
  message?: string;
  ms: number;
  mappedByPath: boolean;
  mappedFromMemfd: boolean;
  guarded?: "loaded" | { code?: string; message: string };
}

describe("the warmup library swapped between check and load", () => {
  const STARTS = 20;
  // Renames the other library over the warmup and the real one back, as fast
  // as it can, until a stop file appears (or 60 s pass).
  const SWAPPER = `#include <stdio.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv) {
  if (argc != 3 || chdir(argv[1]) != 0) return 2;
  time_t end = time(0) + 60;
  unsigned long swaps = 0;
  while (access(argv[2], F_OK) != 0 && time(0) < end) {
    if (link("other.so", "tmp-other") != 0 || rename("tmp-other", "${WARMUP}") != 0) return 3;
    if (link("real.so", "tmp-real") != 0 || rename("tmp-real", "${WARMUP}") != 0) return 4;
    swaps += 2;
  }
  printf("SWAPS %lu\\n", swaps);
  return 0;
}
`;
  // Exports what a warmup library exports; its constructor leaves a mark.
  const OTHER = (marker: string) => `#include <fcntl.h>
#include <unistd.h>
__attribute__((constructor)) static void mark(void) { int fd = open(${JSON.stringify(marker)}, O_WRONLY | O_CREAT, 0644); if (fd >= 0) close(fd); }
int WarmupGoRuntime(void) { return 1; }
`;

  test(`${STARTS} starts while another ELF library is renamed over ${WARMUP} and back in a loop: only the shipped bytes are ever mapped`, async () => {
    const pkg = packageCopy();
    const prebuilds = join(pkg, "prebuilds", "linux-x64");
    const work = tempDir("abp-integrity-swap-");
    const marker = join(work, "OTHER-LIBRARY-RAN");
    writeFileSync(join(work, "other.c"), OTHER(marker));
    buildSharedLibrary(join(work, "other.c"), join(prebuilds, "other.so"));
    writeFileSync(join(work, "swap.c"), SWAPPER);
    execFileSync(process.env.CC ?? "gcc", ["-O2", "-o", join(work, "swap"), join(work, "swap.c")]);
    linkSync(join(prebuilds, WARMUP), join(prebuilds, "real.so"));
    const app = appDir({ "app.js": WARMUP_APP(join(pkg, "src", "api.ts"), false) });
    const stop = join(work, "stop");
    const swapper = runProcess([join(work, "swap"), prebuilds, stop], { timeoutMs: 90_000, diagnose: false });
    const results: WarmupResult[] = [];
    const failures: string[] = [];
    try {
      await Bun.sleep(50);
      for (let i = 0; i < STARTS; i++) {
        const result = await runProcess([pinnedBun(), "--preload", join(pkg, "src", "index.ts"), "app.js"], { cwd: app, env: cleanEnv(), timeoutMs: 15_000 });
        if (result.outcome !== "ok") failures.push(`start ${i + 1}: ${describeRun(result)}`);
        else results.push(jsonLine<WarmupResult>(result.stdout, "RESULT"));
      }
    } finally {
      writeFileSync(stop, "");
    }
    const swapped = await swapper;
    expect(swapped.outcome, describeRun(swapped)).toBe("ok");
    expect(failures).toEqual([]);
    const done = results.filter((r) => r.status === "done");
    const refused = results.filter((r) => r.code === "CHECKSUM_MISMATCH");
    console.log(`swap loop (${swapped.stdout.trim()}): ${done.length} starts mapped the shipped bytes, ${refused.length} refused the other library`);
    // Every start is one of the two outcomes, and "done" always means the shipped bytes, mapped from the sealed copy.
    expect(done.length + refused.length).toBe(STARTS);
    for (const r of done) expect(r).toMatchObject({ sha256: WARMUP_SHA256, mappedByPath: false, mappedFromMemfd: true });
    for (const r of refused) {
      expect(r.message).toContain(`${join(prebuilds, WARMUP)} has sha256 `);
      expect(r.mappedByPath || r.mappedFromMemfd).toBe(false);
    }
    expect(existsSync(marker)).toBe(false);
    // The loop really swapped under the starts (one start sees either file about half the time).
    expect(refused.length).toBeGreaterThan(0);
  }, 120_000);
});

/** A FIFO, a symlink to /dev/zero, or a 5 GB sparse file at `path`. */
function makeSpecial(kind: "FIFO" | "/dev/zero" | "sparse", path: string): void {
  if (kind === "FIFO") execFileSync("mkfifo", [path]);
  else if (kind === "/dev/zero") symlinkSync("/dev/zero", path);
  else execFileSync("truncate", ["-s", "5G", path]);
}
const SPECIALS = ["FIFO", "/dev/zero", "sparse"] as const;

describe("a FIFO, /dev/zero or a 5 GB sparse file as the warmup library (ASHERAH_BUN_PRELOAD_LIBRARY_DIR)", () => {
  const expected: Record<(typeof SPECIALS)[number], RegExp> = {
    FIFO: /asherah-bun-warmup\.so is a FIFO, not a regular file/,
    "/dev/zero": /asherah-bun-warmup\.so is a character device, not a regular file/,
    sparse: /asherah-bun-warmup\.so is 5368709120 bytes, more than the \d+ a warmup library may have/,
  };
  for (const kind of SPECIALS) {
    test(`${kind}: warmup() throws and the guarded load is refused, each within a second`, async () => {
      const lib = libraryDir(false);
      makeSpecial(kind, join(lib, WARMUP));
      const app = appDir({ "app.js": WARMUP_APP(API, true) }, true);
      const result = await runProcess([pinnedBun(), "--preload", PRELOAD, "app.js"], { cwd: app, env: cleanEnv({ ASHERAH_BUN_PRELOAD_LIBRARY_DIR: lib }), timeoutMs: 8_000 });
      expect(result.outcome, describeRun(result)).toBe("ok");
      const r = jsonLine<WarmupResult>(result.stdout, "RESULT");
      expect(r.code).toBe("LIBRARY_INVALID");
      expect(r.message).toMatch(expected[kind]);
      expect(r.ms).toBeLessThan(1_000);
      const guarded = r.guarded as { code?: string; message: string };
      expect(guarded.code).toBe("LIBRARY_INVALID");
      expect(guarded.message).toStartWith("refusing to load asherah because the Go warmup did not complete: ");
      expect(guarded.message).toMatch(expected[kind]);
      expect(r.mappedByPath || r.mappedFromMemfd).toBe(false);
      expect(result.wallMs).toBeLessThan(3_000);
    }, 20_000);
  }
});

describe("a FIFO, /dev/zero or a 5 GB sparse file as a guarded package's .node entry", () => {
  // node_modules/asherah/package.json's main names the file. Measured without
  // the preload (Bun 1.4.5): a FIFO or a device node at that path is "Cannot
  // find module"; a sparse file fails in the loader ("invalid ELF header");
  // but a symlink is followed before Bun looks at the name: one to /dev/zero
  // loads as an empty JavaScript module ({}), one to a FIFO blocks in its
  // read forever. The preload resolves the entry itself (src/resolve.ts) and
  // must refuse what is not a regular file before anything opens it.
  // Each makes the entry and returns the file it really is (a symlink's target).
  const entries: [string, (path: string, dir: string) => string][] = [
    ["a FIFO", (path) => (makeSpecial("FIFO", path), path)],
    ["a symlink to /dev/zero", (path) => (makeSpecial("/dev/zero", path), "/dev/zero")],
    ["a 5 GB sparse file", (path) => (makeSpecial("sparse", path), path)],
    ["a symlink to a FIFO", (path, dir) => {
      makeSpecial("FIFO", join(dir, "pipe"));
      symlinkSync(join(dir, "pipe"), path);
      return join(dir, "pipe");
    }],
    ["a symlink to a FIFO named *.node", (path, dir) => {
      makeSpecial("FIFO", join(dir, "pipe.node"));
      symlinkSync(join(dir, "pipe.node"), path);
      return join(dir, "pipe.node");
    }],
  ];
  for (const [label, make] of entries) {
    test(`${label}: require("asherah") throws within a second, naming the entry or the file it points to`, async () => {
      const app = appDir({
        "app.js": `const started = performance.now();
let outcome;
try { require("asherah"); outcome = "loaded"; } catch (error) { outcome = { code: error.code, message: String(error.message) }; }
console.log("RESULT " + JSON.stringify({ outcome, ms: performance.now() - started }));
`,
      });
      const pkg = join(app, "node_modules", "asherah");
      mkdirSync(pkg, { recursive: true });
      writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: "asherah", version: "3.0.0", main: "./asherah.node" }));
      const target = make(join(pkg, "asherah.node"), tempDir("abp-integrity-special-"));
      const result = await runProcess([pinnedBun(), "--preload", PRELOAD, "app.js"], { cwd: app, env: cleanEnv(), timeoutMs: 8_000 });
      expect(result.outcome, describeRun(result)).toBe("ok");
      const r = jsonLine<{ outcome: "loaded" | { code?: string; message: string }; ms: number }>(result.stdout, "RESULT");
      expect(r.outcome).not.toBe("loaded");
      const message = (r.outcome as { message: string }).message;
      expect(message.includes(join(pkg, "asherah.node")) || message.includes(target), message).toBe(true);
      expect(r.ms).toBeLessThan(1_000);
    }, 20_000);
  }
});

for (const version of ["1.2.19", pinnedBunVersion()]) {
  test(`Bun ${version}: a FIFO as the entry, imported with a named import: the refusal, not "Export named 'setup' not found" (plugin-serve.ts unservable)`, async () => {
    const app = appDir({ "app.mjs": 'import { setup } from "asherah";\nconsole.log(typeof setup);\n' });
    const pkg = join(app, "node_modules", "asherah");
    mkdirSync(pkg, { recursive: true });
    writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: "asherah", version: "3.0.0", main: "./asherah.node" }));
    makeSpecial("FIFO", join(pkg, "asherah.node"));
    const result = await runProcess([bunBinary(version), "--preload", PRELOAD, "app.mjs"], { cwd: app, env: cleanEnv(), timeoutMs: 8_000 });
    expect(result.outcome, describeRun(result)).toBe("fail");
    expect(result.stderr).toContain("refusing to load asherah: its entry is a FIFO or a device");
    expect(result.stderr).toContain("(code LIBRARY_INVALID;");
    expect(result.stderr).not.toContain("Export named");
  }, 20_000);
}

describe("a guarded addon cut short with its ELF headers intact (fast-load.ts truncatedNative)", () => {
  // What a full disk or an interrupted install leaves. dlopen maps the file
  // and Bun dies of SIGBUS at the first missing page, with or without the
  // preload before; the core now measures what the headers map (abp_elf_span).
  /** An app with a copy of the asherah stand-in whose addon is cut: inside what the loader maps, or only after it. */
  function cutApp(where: "mapped" | "unmapped"): string {
    const app = appDir({
      "app.cjs": 'const a = require("asherah");\nconsole.log("RESULT " + JSON.stringify({ setup: typeof a.setup }));\n',
      "app.mjs": 'import { setup } from "asherah";\nconsole.log("RESULT " + JSON.stringify({ setup: typeof setup }));\n',
    });
    const pkg = join(app, "node_modules", "asherah");
    cpSync(FIXTURE_ASHERAH, pkg, { recursive: true, dereference: true });
    const addon = join(pkg, "dist", "asherah.node");
    const bytes = readFileSync(addon);
    const end = mappedEnd(bytes)!;
    expect(end).toBeLessThan(bytes.length); // the stand-in carries symbols after its segments, as a Go c-archive addon does
    writeFileSync(addon, bytes.subarray(0, where === "mapped" ? Math.floor(end * 0.75) : end + Math.floor((bytes.length - end) / 2)));
    return app;
  }
  const control = `Bun ${pinnedBunVersion()} without the preload: the control dies of a signal`;
  test(control, async () => {
    const app = cutApp("mapped");
    const result = await runProcess([pinnedBun(), "app.cjs"], { cwd: app, env: cleanEnv(), timeoutMs: 10_000 });
    expect(result.outcome, describeRun(result)).toBe("crash");
    expect(result.stdout).not.toContain("RESULT");
  }, 20_000);
  for (const version of ["1.2.19", pinnedBunVersion()]) {
    for (const entry of ["app.cjs", "app.mjs"]) {
      test(`Bun ${version}, ${entry}: refused with LIBRARY_INVALID, naming the file and its size, no crash`, async () => {
        const app = cutApp("mapped");
        const result = await runProcess([bunBinary(version), "--preload", PRELOAD, entry], { cwd: app, env: cleanEnv(), timeoutMs: 10_000 });
        expect(result.outcome, describeRun(result)).toBe("fail");
        expect(result.signal).toBeNull();
        expect(result.stderr).toContain(`refusing to load asherah: ${join(app, "node_modules", "asherah", "dist", "asherah.node")} is cut short`);
        expect(result.stderr).toContain("(code LIBRARY_INVALID;");
        expect(result.stderr).toContain("Reinstall asherah");
      }, 20_000);
    }
  }
  test(`Bun ${pinnedBunVersion()}: cut only in what is not mapped (section tables, symbols), it still loads`, async () => {
    const app = cutApp("unmapped");
    const result = await runProcess([pinnedBun(), "--preload", PRELOAD, "app.cjs"], { cwd: app, env: cleanEnv(), timeoutMs: 10_000 });
    expect(result.outcome, describeRun(result)).toBe("ok");
    expect(jsonLine<{ setup: string }>(result.stdout, "RESULT").setup).toBe("function");
  }, 20_000);
});

describe("a guarded package whose entry is missing (plugin-serve.ts missingEntryError)", () => {
  // Bun's own error for a missing native entry named the preload's bundle as
  // the importer ("Cannot find module '…/asherah.node' from
  // '…/dist/preload.cjs'"), with MODULE_NOT_FOUND where the same import
  // without the preload gives ERR_MODULE_NOT_FOUND; a missing JavaScript
  // entry failed with the preload's read error and no code at all.
  // Applications that treat asherah as optional test those codes.
  type Layout = "native" | "native-folder" | "js";
  const ENTRY: Record<Layout, string> = { native: "dist/asherah.node", "native-folder": "dist/asherah.node", js: "index.js" };
  function missingEntryApp(layout: Layout): string {
    const app = appDir({
      "named.mjs": 'import { setup } from "asherah";\nconsole.log(typeof setup);\n',
      "dynamic.mjs": 'try { await import("asherah"); console.log("RESULT " + JSON.stringify({ outcome: "loaded" })); }\ncatch (e) { console.log("RESULT " + JSON.stringify({ outcome: "threw", code: e.code, message: String(e.message) })); }\n',
      "required.cjs": 'try { require("asherah"); console.log("RESULT " + JSON.stringify({ outcome: "loaded" })); }\ncatch (e) { console.log("RESULT " + JSON.stringify({ outcome: "threw", code: e.code, message: String(e.message) })); }\n',
    });
    const pkg = join(app, "node_modules", "asherah");
    mkdirSync(pkg, { recursive: true });
    writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: "asherah", version: "3.0.0", main: `./${ENTRY[layout]}` }));
    if (layout === "native-folder") mkdirSync(join(pkg, ENTRY[layout]), { recursive: true });
    return app;
  }
  const why = (layout: Layout) => (layout === "native-folder" ? "it is a folder, not a file" : "the file is not there");
  for (const layout of ["native", "native-folder", "js"] as const) {
    for (const version of ["1.2.19", pinnedBunVersion()]) {
      test(`${layout}, Bun ${version}: a static import names the entry, whose it is and why, not the preload's bundle, without frames`, async () => {
        const app = missingEntryApp(layout);
        const result = await runProcess([bunBinary(version), "--preload", PRELOAD, "named.mjs"], { cwd: app, env: cleanEnv(), timeoutMs: 8_000 });
        expect(result.outcome, describeRun(result)).toBe("fail");
        expect(result.stderr).toContain(`Cannot find module '${join(app, "node_modules", "asherah", ENTRY[layout])}', the entry asherah's package.json names: ${why(layout)}. Reinstall asherah.`);
        expect(result.stderr).not.toContain("preload.cjs");
        expect(result.stderr).not.toMatch(/^\s+at /m);
      }, 20_000);
    }
    for (const [script, versions] of [["dynamic.mjs", ["1.1.45", "1.2.19", pinnedBunVersion()]], ["required.cjs", ["1.2.19", pinnedBunVersion()]]] as const) {
      for (const version of versions) {
        test(`${layout}, Bun ${version}, ${script}: the code it has without the preload`, async () => {
          const app = missingEntryApp(layout);
          const run = async (preload: boolean) => {
            const result = await runProcess([bunBinary(version), ...(preload ? ["--preload", PRELOAD] : []), script], { cwd: app, env: cleanEnv(), timeoutMs: 8_000 });
            expect(result.outcome, describeRun(result)).toBe("ok");
            return jsonLine<{ outcome: string; code?: string; message?: string }>(result.stdout, "RESULT");
          };
          const [withPreload, without] = [await run(true), await run(false)];
          expect(without.outcome).toBe("threw");
          expect(withPreload.outcome).toBe("threw");
          expect(withPreload.code).toBe(without.code!);
          // A native entry under require() is Bun's own error, which names the application's file.
          if (script === "dynamic.mjs" || layout === "js") expect(withPreload.message).toContain(`the entry asherah's package.json names: ${why(layout)}`);
        }, 20_000);
      }
    }
  }
  test(`Bun ${pinnedBunVersion()}: with ASHERAH_BUN_PRELOAD_DEBUG=1 the frames come back`, async () => {
    const app = missingEntryApp("native");
    const result = await runProcess([pinnedBun(), "--preload", PRELOAD, "named.mjs"], { cwd: app, env: cleanEnv({ ASHERAH_BUN_PRELOAD_DEBUG: "1" }), timeoutMs: 8_000 });
    expect(result.outcome, describeRun(result)).toBe("fail");
    expect(result.stderr).toContain("the entry asherah's package.json names");
    expect(result.stderr).toMatch(/^\s+at /m);
  }, 20_000);
});

test("Bun 1.1.45: a FIFO as the entry under a namespace import: the refusal, not \"Expected module mock to return an object\" (a callback that throws is reported so only from 1.2.19: bun-version.ts MODULE_CALLBACK_THROWS)", async () => {
  const app = appDir({ "app.mjs": 'import * as asherah from "asherah";\nconsole.log(typeof asherah.setup);\n' });
  const pkg = join(app, "node_modules", "asherah");
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: "asherah", version: "3.0.0", main: "./asherah.node" }));
  makeSpecial("FIFO", join(pkg, "asherah.node"));
  const result = await runProcess([bunBinary("1.1.45"), "--preload", PRELOAD, "app.mjs"], { cwd: app, env: cleanEnv(), timeoutMs: 8_000 });
  expect(result.outcome, describeRun(result)).toBe("fail");
  expect(result.stderr).toContain("refusing to load asherah: its entry is a FIFO or a device");
  expect(result.stderr).not.toContain("Expected module mock");
}, 20_000);

describe("a FIFO the loader would find by a bare name on LD_LIBRARY_PATH", () => {
  // dlopen("libx.so") searches LD_LIBRARY_PATH, not the working folder: the
  // FIFO check follows the same search (fast-load.ts blockingFile). Before,
  // it looked in the working folder and the load hung (killed by the timeout).
  test(`Bun ${pinnedBunVersion()}: process.dlopen of a bare name is refused with LIBRARY_INVALID, without blocking`, async () => {
    const dir = tempDir("abp-integrity-ldpath-");
    makeSpecial("FIFO", join(dir, "libabpfifo.so"));
    const app = appDir({
      "app.js": `const m = { exports: {} };
try { process.dlopen(m, "libabpfifo.so"); console.log("RESULT " + JSON.stringify({ outcome: "loaded" })); }
catch (e) { console.log("RESULT " + JSON.stringify({ outcome: e.code ?? "threw", message: String(e.message) })); }
`,
    });
    const result = await runProcess([pinnedBun(), "--preload", PRELOAD, "app.js"], { cwd: app, env: cleanEnv({ LD_LIBRARY_PATH: `/nonexistent-abp:${dir}` }), timeoutMs: 8_000 });
    expect(result.outcome, describeRun(result)).toBe("ok");
    const r = jsonLine<{ outcome: string; message: string }>(result.stdout, "RESULT");
    expect(r.outcome).toBe("LIBRARY_INVALID");
    expect(r.message).toContain(join(dir, "libabpfifo.so"));
  }, 20_000);
});

describe("guarded by name: another spelling of asherah's path still waits for (and is refused after) a failed warmup", () => {
  // asherah's own folder is a link to a copy outside any node_modules (bun
  // link, a link: dependency): Bun hands dlopen the real path, so the guard
  // goes by the name the require() intercept resolved (state.expectGuarded);
  // "/./", "//" and a path relative to the working folder are normalised
  // first (guarded.ts). The warmup fails its checksum, so every one of them
  // must be refused; before this change all three loaded.
  test(`Bun ${pinnedBunVersion()}: require() of a linked asherah, and process.dlopen through /./ and a relative path`, async () => {
    const lib = libraryDir();
    writeFileSync(join(lib, WARMUP), Buffer.concat([readFileSync(join(lib, WARMUP)), Buffer.from("x")]));
    chmodSync(lib, 0o755);
    const source = tempDir("abp-integrity-linked-");
    cpSync(FIXTURE_ASHERAH, join(source, "asherah"), { recursive: true, dereference: true });
    const app = appDir({
      "app.js": `const out = {};
const code = (e) => e?.code ?? String(e?.message ?? e).slice(0, 120);
try { require("asherah"); out.linked = "loaded"; } catch (e) { out.linked = code(e); }
for (const [key, path] of [["dot", __dirname + "/node_modules/./asherah/dist/asherah.node"], ["relative", "node_modules/asherah/dist/asherah.node"]]) {
  const m = { exports: {} };
  try { process.dlopen(m, path); out[key] = "loaded"; } catch (e) { out[key] = code(e); }
}
console.log("RESULT " + JSON.stringify(out));
`,
    });
    mkdirSync(join(app, "node_modules"));
    symlinkSync(join(source, "asherah"), join(app, "node_modules", "asherah"), "dir");
    const result = await runProcess([pinnedBun(), "--preload", PRELOAD, "app.js"], { cwd: app, env: cleanEnv({ ASHERAH_BUN_PRELOAD_LIBRARY_DIR: lib }), timeoutMs: 10_000 });
    expect(result.outcome, describeRun(result)).toBe("ok");
    expect(jsonLine<Record<string, string>>(result.stdout, "RESULT")).toEqual({ linked: "CHECKSUM_MISMATCH", dot: "CHECKSUM_MISMATCH", relative: "CHECKSUM_MISMATCH" });
  }, 20_000);
});

describe("permissions of what the preload maps", () => {
  async function start(libraryDirPath: string): Promise<RunResult> {
    const app = appDir({ "app.js": WARMUP_APP(API, true) }, true);
    return runProcess([pinnedBun(), "--preload", PRELOAD, "app.js"], { cwd: app, env: cleanEnv({ ASHERAH_BUN_PRELOAD_LIBRARY_DIR: libraryDirPath }), timeoutMs: 10_000 });
  }

  /** A folder every user may write to (sticky like /tmp when `sticky`). */
  function worldWritable(sticky: boolean): string {
    const dir = tempDir("abp-integrity-ww-");
    chmodSync(dir, sticky ? 0o1777 : 0o777);
    return dir;
  }

  test("a world-writable ASHERAH_BUN_PRELOAD_LIBRARY_DIR is refused at start (LIBRARY_UNSAFE)", async () => {
    const lib = libraryDir();
    chmodSync(lib, 0o777);
    const result = await start(lib);
    expect(result.outcome, describeRun(result)).toBe("fail");
    expect(result.stdout).not.toContain("RESULT"); // the application never ran
    expect(result.stderr).toContain(`its folder ${lib} is writable by every user (mode 777)`);
    expect(result.stderr).toContain("(code LIBRARY_UNSAFE");
  }, 20_000);

  for (const sticky of [false, true]) {
    test(`the core reached through a symlink into a world-writable${sticky ? " sticky" : ""} folder is refused at start (LIBRARY_UNSAFE)`, async () => {
      const lib = libraryDir();
      const ww = worldWritable(sticky);
      copyFileSync(join(X64, CORE), join(ww, CORE));
      execFileSync("rm", [join(lib, CORE)]);
      symlinkSync(join(ww, CORE), join(lib, CORE));
      const result = await start(lib);
      expect(result.outcome, describeRun(result)).toBe("fail");
      expect(result.stdout).not.toContain("RESULT");
      expect(result.stderr).toContain(`its folder ${ww} is writable by every user (mode ${sticky ? "1777" : "777"})`);
      expect(result.stderr).toContain("(code LIBRARY_UNSAFE");
    }, 20_000);
  }

  // Refusing a core after it was mapped is too late: dlopen has run its ELF
  // constructors. A file planted where other users can write must never be
  // mapped (issue 13: "never run or map what the package did not ship").
  for (const how of ["in a world-writable LIBRARY_DIR", "reached through a symlink into a world-writable folder"] as const) {
    test(`a planted core ${how} is refused before it is mapped: its constructor never runs`, async () => {
      const lib = libraryDir(false);
      copyFileSync(join(X64, WARMUP), join(lib, WARMUP));
      const work = tempDir("abp-integrity-plant-");
      const marker = join(work, "PLANTED-CORE-RAN");
      writeFileSync(
        join(work, "core.c"),
        `#include <fcntl.h>\n#include <unistd.h>\n__attribute__((constructor)) static void mark(void) { int fd = open(${JSON.stringify(marker)}, O_WRONLY | O_CREAT, 0644); if (fd >= 0) close(fd); }\n`,
      );
      if (how === "in a world-writable LIBRARY_DIR") {
        buildSharedLibrary(join(work, "core.c"), join(lib, CORE));
        chmodSync(lib, 0o777);
      } else {
        const ww = worldWritable(true);
        buildSharedLibrary(join(work, "core.c"), join(ww, CORE));
        rmSync(join(lib, CORE));
        symlinkSync(join(ww, CORE), join(lib, CORE));
      }
      const result = await start(lib);
      expect(result.outcome, describeRun(result)).toBe("fail");
      expect(result.stdout).not.toContain("RESULT");
      expect(existsSync(marker)).toBe(false);
      expect(result.stderr).toContain("(code LIBRARY_UNSAFE");
    }, 20_000);
  }

  test("the warmup library reached through a symlink into a world-writable folder is refused: warmup() and the guarded load throw LIBRARY_UNSAFE", async () => {
    const lib = libraryDir(false);
    const ww = worldWritable(true);
    copyFileSync(join(X64, WARMUP), join(ww, WARMUP));
    symlinkSync(join(ww, WARMUP), join(lib, WARMUP));
    const result = await start(lib);
    expect(result.outcome, describeRun(result)).toBe("ok");
    const r = jsonLine<WarmupResult>(result.stdout, "RESULT");
    expect(r.code).toBe("LIBRARY_UNSAFE");
    expect(r.message).toContain(`its folder ${ww} is writable by every user`);
    const guarded = r.guarded as { code?: string; message: string };
    expect(guarded.code).toBe("LIBRARY_UNSAFE");
    expect(guarded.message).toStartWith("refusing to load asherah because the Go warmup did not complete: ");
    expect(r.mappedByPath || r.mappedFromMemfd).toBe(false);
  }, 20_000);

  // The control for the three above: a symlink itself is fine (pnpm-style
  // installs), a world-writable folder at its end is not; and an install the
  // running user can only read works (root-owned, run as nobody).
  const canSwitchUser = process.getuid?.() === 0 && existsSync("/usr/bin/setpriv");
  const NOBODY = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"];
  const PINNED = pinnedBunVersion();
  test.skipIf(!canSwitchUser)(
    `Bun ${PINNED}, run as nobody: a root-owned read-only package and a LIBRARY_DIR of symlinks into it load and warm up`,
    async () => {
      const root = tempDir("abp-integrity-ro-");
      const pkg = join(root, "pkg");
      for (const part of ["src", "prebuilds", "package.json"]) cpSync(join(REPO_ROOT, part), join(pkg, part), { recursive: true });
      const links = join(root, "links");
      mkdirSync(links);
      for (const file of [CORE, WARMUP]) symlinkSync(join(pkg, "prebuilds", "linux-x64", file), join(links, file));
      const bun = join(root, "bun");
      try {
        linkSync(bunBinary(PINNED), bun);
      } catch {
        copyFileSync(bunBinary(PINNED), bun);
      }
      const app = join(root, "app");
      mkdirSync(join(app, "home"), { recursive: true });
      writeFileSync(join(app, "app.js"), WARMUP_APP(join(pkg, "src", "api.ts"), false));
      execFileSync("chmod", ["-R", "u=rwX,go=rX", root]);
      chmodSync(bun, 0o755);
      chmodSync(join(app, "home"), 0o777); // Bun's own cache, if it wants one
      const preload = join(pkg, "src", "index.ts");
      const envs: Record<string, string>[] = [{}, { ASHERAH_BUN_PRELOAD_LIBRARY_DIR: links }];
      for (const env of envs) {
        const result = await runProcess([...NOBODY, bun, "--preload", preload, "app.js"], { cwd: app, env: cleanEnv({ ...env, HOME: join(app, "home") }), timeoutMs: 15_000 });
        expect(result.outcome, describeRun(result)).toBe("ok");
        const r = jsonLine<WarmupResult>(result.stdout, "RESULT");
        expect(r).toMatchObject({ status: "done", sha256: WARMUP_SHA256, mappedFromMemfd: true, mappedByPath: false });
        expect(result.stderr).toBe("");
      }
    },
    40_000,
  );
});

// The shipped warmup library must be what src/shipped.ts says, or every case above tests the wrong bytes.
test("the checked-in warmup library is the one src/shipped.ts names", () => {
  const hash = new Bun.CryptoHasher("sha256").update(readFileSync(join(X64, WARMUP))).digest("hex");
  expect(hash).toBe(WARMUP_SHA256);
});
