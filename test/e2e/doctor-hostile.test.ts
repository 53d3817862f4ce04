// The doctor run as users run it (bun src/cli.ts doctor) against projects
// built to make it execute something, hang, or run out of memory or stack
// (issue 13). It inspects and never executes: markers written by planted code
// must never appear; hostile files are refused within a second.
import { describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DoctorReport } from "../../src/doctor/index.ts";
import { SHIPPED } from "../../src/shipped.ts";
import { bunBinary, pinnedBunVersion, REPO_ROOT } from "../support/bun-versions.ts";
import { buildShared, craftedElf, markerSource } from "../support/doctor-fixtures.ts";
import { codes, report } from "../support/doctor-report.ts";
import { FIXTURE_BUILD } from "../support/scenarios.ts";
import { describeRun, runProcess, type RunResult } from "../support/spawn.ts";
import { tempDirs } from "../support/temp.ts";

const tempDir = tempDirs();
const PINNED = pinnedBunVersion();
const CLI = join(REPO_ROOT, "src", "cli.ts");
const ID = `linux-${process.arch}`;
/** The original doctor hung, or read gigabytes, on these: a short leash. */
const HAZARD_MS = 4_000;
/** "Refused within a second", plus Bun's own start-up on a loaded 2-core machine. */
const QUICK_MS = 1_500;

function cleanEnv(extra: Record<string, string> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith("ASHERAH_BUN_PRELOAD_")) delete env[key];
  env.BUN_RUNTIME_TRANSPILER_CACHE_PATH = "0";
  return { ...env, ...extra };
}

async function doctor(options: { version?: string; cwd: string; args?: string[]; env?: Record<string, string>; timeoutMs?: number }): Promise<RunResult> {
  return runProcess([bunBinary(options.version ?? PINNED), CLI, "doctor", ...(options.args ?? ["--json"])], {
    cwd: options.cwd,
    env: cleanEnv(options.env),
    timeoutMs: options.timeoutMs ?? 20_000,
    diagnose: false,
  });
}


/** An app folder whose node_modules/asherah has `package.json` and, optionally, a main file made by `make`. */
function appWithPackage(main: string, make: (path: string) => void): string {
  const dir = tempDir("abp-hostile-");
  const pkg = join(dir, "node_modules", "asherah");
  mkdirSync(join(pkg, "dist"), { recursive: true });
  writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: "asherah", version: "3.0.0-hostile", main }));
  make(join(pkg, main));
  return dir;
}

describe("planted code is never run", () => {
  for (const version of ["1.2.19", PINNED]) {
    test(`Bun ${version}: node_modules/asherah/package.json/ (a directory with index.js) in a parent folder, --cwd and inside`, async () => {
      const parent = tempDir("abp-planted-");
      const marker = join(parent, "MARKER");
      const planted = join(parent, "node_modules", "asherah", "package.json");
      mkdirSync(planted, { recursive: true });
      writeFileSync(join(planted, "index.js"), `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "ran");\nmodule.exports = { main: "x.node" };\n`);
      // A symlinked manifest that is really a script: read as text, it is not JSON.
      const other = join(parent, "node_modules", "evil");
      mkdirSync(other, { recursive: true });
      writeFileSync(join(parent, "evil.js"), `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "ran");\nmodule.exports = {};\n`);
      symlinkSync(join(parent, "evil.js"), join(other, "package.json"));
      const app = join(parent, "app");
      mkdirSync(app);
      const elsewhere = tempDir("abp-elsewhere-");
      const env = { ASHERAH_BUN_PRELOAD_PACKAGES: "evil" };
      for (const run of [() => doctor({ version, cwd: elsewhere, args: ["--json", "--cwd", app], env }), () => doctor({ version, cwd: app, env })]) {
        const r = report(await run());
        expect(existsSync(marker)).toBe(false);
        expect(r.packages).toEqual([
          expect.objectContaining({ name: "asherah", resolved: false, problem: `${planted} is a directory, not a regular file` }),
          expect.objectContaining({ name: "evil", resolved: false, problem: expect.stringContaining(`${join(other, "package.json")} is not valid JSON`) }),
        ]);
        expect(codes(r, "warn")).toEqual(["PACKAGE_UNREADABLE", "PACKAGE_UNREADABLE"]);
        expect(r.verdict.status).toBe("warn");
      }
    }, 60_000);
  }

  for (const version of ["1.2.19", PINNED]) {
    test(`Bun ${version}: a project .env naming a library folder inside the project: reported, checked, never loaded`, async () => {
      const app = tempDir("abp-dotenv-");
      const marker = join(app, "MARKER");
      const lib = join(app, "vendor", "lib");
      mkdirSync(lib, { recursive: true });
      const built = buildShared(app, join(app, "marker.so"), markerSource(marker));
      // Every name the doctor might look at: what SHIPPED lists, and the two libraries the original doctor loaded.
      const names = new Set([...Object.keys(SHIPPED).filter((k) => k.startsWith(`${ID}/`)).map((k) => k.split("/")[1]!), "asherah-bun-warmup.so", "asherah-bun-signals.so"]);
      for (const name of names) copyFileSync(built, join(lib, name));
      writeFileSync(join(app, ".env"), `# the app's settings\nexport ASHERAH_BUN_PRELOAD_LIBRARY_DIR="${lib}" # vendored\n`);
      // Inside the project Bun loads the .env into the doctor's process; from elsewhere the doctor reads it.
      const elsewhere = tempDir("abp-elsewhere-");
      for (const [cwd, args, loadedByBun] of [[app, ["--json"], true], [elsewhere, ["--json", "--cwd", app], false]] as const) {
        const result = await doctor({ version, cwd, args: [...args] });
        const r = report(result);
        expect(existsSync(marker), describeRun(result)).toBe(false);
        expect(r.config.values?.libraryDir).toBe(lib);
        expect(r.projectEnv).toEqual({ files: [join(app, ".env")], values: { ASHERAH_BUN_PRELOAD_LIBRARY_DIR: lib }, problems: [], loadedByBun });
        expect(r.libraryDir).toEqual({ path: lib, real: lib, exists: true, insideProject: true, permissions: [] });
        expect(r.libraries.length).toBeGreaterThan(0);
        for (const library of r.libraries) {
          expect(library).toMatchObject({ integrity: "override", exists: true, permissions: [] });
          expect(library.path.startsWith(`${lib}/`)).toBe(true);
          expect(library.problem).toBeUndefined(); // a valid ELF shared object: the preload would load it
        }
        expect(codes(r, "info")).toEqual(expect.arrayContaining(["PROJECT_ENV", "LIBRARY_DIR"]));
        expect(r.findings.find((f) => f.code === "LIBRARY_DIR")?.message).toContain(`ASHERAH_BUN_PRELOAD_LIBRARY_DIR=${lib}, a folder inside ${app}`);
      }
      const text = await doctor({ version, cwd: app, args: [] });
      expect(text.stdout).toContain(`Library folder (ASHERAH_BUN_PRELOAD_LIBRARY_DIR) ${lib} (inside the checked directory)`);
      expect(existsSync(marker)).toBe(false);
    }, 60_000);
  }
});

// Issue 13, "the doctor's swap window": the original doctor dlopened the
// package's own signal library after hashing it, so a file swapped in between
// ran its constructor and was still reported as matching. The doctor now maps
// nothing: a swapped-in library is reported and never runs.
test("the package's own prebuilds swapped for a library with a constructor: reported as a mismatch, never run", async () => {
  const work = tempDir("abp-swapped-");
  const marker = join(work, "MARKER");
  const pkg = join(work, "pkg");
  for (const part of ["src", "prebuilds", "package.json"]) cpSync(join(REPO_ROOT, part), join(pkg, part), { recursive: true });
  const built = buildShared(work, join(work, "marker.so"), markerSource(marker));
  const names = Object.keys(SHIPPED).filter((k) => k.startsWith(`${ID}/`)).map((k) => k.split("/")[1]!);
  expect(names.length).toBeGreaterThan(0);
  for (const name of names) copyFileSync(built, join(pkg, "prebuilds", ID, name));
  const app = tempDir("abp-swapped-app-");
  const result = await runProcess([bunBinary(PINNED), join(pkg, "src", "cli.ts"), "doctor", "--json"], { cwd: app, env: cleanEnv(), timeoutMs: 20_000, diagnose: false });
  const r = report(result);
  expect(existsSync(marker), describeRun(result)).toBe(false);
  expect(r.libraries.map((l) => l.integrity)).toEqual(names.map(() => "mismatch"));
  expect(result.exitCode).toBe(1);
}, 60_000);

// The race itself: a library renamed over the shipped one and back in a
// tight loop while the doctor runs. The original doctor's constructor ran in
// 1 of 5 such runs here (the issue saw 5 of 5); this one maps nothing.
test("a library swapped in and out of prebuilds/ while the doctor runs (5 runs): never run", async () => {
  const work = tempDir("abp-swap-race-");
  const marker = join(work, "MARKER");
  const stop = join(work, "STOP");
  const pkg = join(work, "pkg");
  for (const part of ["src", "prebuilds", "package.json"]) cpSync(join(REPO_ROOT, part), join(pkg, part), { recursive: true });
  const dir = join(pkg, "prebuilds", ID);
  buildShared(work, join(dir, "other.so"), markerSource(marker));
  const target = Object.keys(SHIPPED).find((k) => k.startsWith(`${ID}/`))!.split("/")[1]!;
  copyFileSync(join(dir, target), join(dir, "real.so"));
  writeFileSync(
    join(work, "swap.c"),
    `#include <unistd.h>\n#include <stdio.h>\nint main(int c, char **v) { if (chdir(v[1])) return 2; for (unsigned long i = 0; access(v[3], F_OK) != 0; i++) { unlink("tmp-a"); if (link((i & 1) ? "other.so" : "real.so", "tmp-a") || rename("tmp-a", v[2])) return 3; } return 0; }\n`,
  );
  execFileSync(process.env.CC ?? "gcc", ["-O2", "-o", join(work, "swap"), join(work, "swap.c")]);
  const swapper = runProcess([join(work, "swap"), dir, target, stop], { timeoutMs: 60_000, diagnose: false });
  const app = tempDir("abp-swap-race-app-");
  try {
    for (let i = 0; i < 5; i++) {
      const result = await runProcess([bunBinary(PINNED), join(pkg, "src", "cli.ts"), "doctor", "--json"], { cwd: app, env: cleanEnv(), timeoutMs: 20_000, diagnose: false });
      report(result);
      expect(existsSync(marker), `run ${i + 1}: ${describeRun(result)}`).toBe(false);
    }
  } finally {
    writeFileSync(stop, "");
  }
  expect((await swapper).outcome).toBe("ok");
}, 90_000);

describe("hostile files as a package's .node entry are refused within a second", () => {
  const cases: [string, string, (path: string) => void, RegExp][] = [
    ["a FIFO", "dist/asherah.node", (path) => execFileSync("mkfifo", [path]), /is a FIFO, not a regular file/],
    ["a symlink to /dev/zero", "dist/x.node", (path) => symlinkSync("/dev/zero", path), /is a character device, not a regular file/],
    ["a 4 GiB sparse file", "dist/asherah.node", (path) => (writeFileSync(path, ""), truncateSync(path, 4 * 1024 ** 3)), /is 4294967296 bytes, more than the \d+ the doctor reads/],
  ];
  for (const [label, main, make, message] of cases) {
    test(label, async () => {
      const app = appWithPackage(main, make);
      const result = await doctor({ cwd: app, timeoutMs: HAZARD_MS });
      const r = report(result);
      expect(result.wallMs, describeRun(result)).toBeLessThan(QUICK_MS);
      const [asherah] = r.packages;
      expect(asherah?.nativeFiles).toEqual([expect.objectContaining({ path: join(app, "node_modules", "asherah", main), error: expect.stringMatching(message) })]);
      expect(codes(r, "warn")).toEqual(["NATIVE_UNREADABLE"]);
    }, 30_000);
  }

  test("a crafted 2.6 MB ELF (thousands of overlapping headers): read in linear time", async () => {
    const app = appWithPackage("dist/asherah.node", (path) => writeFileSync(path, craftedElf()));
    const result = await doctor({ cwd: app, timeoutMs: HAZARD_MS });
    const r = report(result);
    expect(result.wallMs, describeRun(result)).toBeLessThan(QUICK_MS);
    expect(r.packages[0]?.nativeFiles).toEqual([expect.objectContaining({ elf: true, goRuntime: false, nodelete: false })]);
  }, 30_000);

  test("12 symlinks to '.' in a package without native files: each real folder walked once", async () => {
    // Without native files the walk never reaches its file limit: the original walked 12^5 paths (22 s).
    const app = appWithPackage("index.js", (path) => writeFileSync(path, "module.exports = {};\n"));
    const pkg = join(app, "node_modules", "asherah");
    for (let i = 0; i < 12; i++) symlinkSync(".", join(pkg, `l${i}`));
    const result = await doctor({ cwd: app, timeoutMs: HAZARD_MS });
    const r = report(result);
    expect(result.wallMs, describeRun(result)).toBeLessThan(QUICK_MS);
    expect(r.packages[0]).toMatchObject({ resolved: true, nativeFiles: [] });
    expect(codes(r, "info")).toContain("NO_NATIVE");
  }, 30_000);
});

test("a bunfig.toml nested 50,000 levels deep: a warning, not a stack overflow", async () => {
  const app = tempDir("abp-deep-");
  writeFileSync(join(app, "bunfig.toml"), `preload = ${"[".repeat(50_000)}${"]".repeat(50_000)}\n[test]\npreload = ["asherah-bun-preload"]\n`);
  // Bun itself reads ./bunfig.toml at start: check from elsewhere.
  const result = await doctor({ cwd: tempDir("abp-elsewhere-"), args: ["--json", "--cwd", app], timeoutMs: HAZARD_MS });
  const r = report(result);
  expect(r.bunfig.warnings).toEqual([expect.stringContaining("nested deeper than 64 levels")]);
  expect(r.bunfig.test).toEqual([expect.objectContaining({ entry: "asherah-bun-preload" })]);
  expect(codes(r, "warn")).toContain("BUNFIG_SYNTAX");
}, 30_000);

describe("who can replace the libraries (issue 13 item 4)", () => {
  /** A LIBRARY_DIR holding the shipped libraries, with `mode`. */
  function libraryDir(mode: number): string {
    const dir = join(tempDir("abp-libdir-"), "lib");
    mkdirSync(dir);
    for (const key of Object.keys(SHIPPED).filter((k) => k.startsWith(`${ID}/`))) copyFileSync(join(REPO_ROOT, "prebuilds", key), join(dir, key.split("/")[1]!));
    chmodSync(dir, mode);
    return dir;
  }
  const app = () => tempDir("abp-perm-app-");

  test("a world-writable LIBRARY_DIR is an error naming the folder", async () => {
    const dir = libraryDir(0o777);
    const result = await doctor({ cwd: app(), env: { ASHERAH_BUN_PRELOAD_LIBRARY_DIR: dir } });
    const r = report(result);
    expect(result.exitCode, describeRun(result)).toBe(1);
    const errors = r.findings.filter((f) => f.code === "UNSAFE_PERMISSIONS");
    expect(errors).toHaveLength(1); // the folder once, not once per library
    expect(errors[0]!.message).toStartWith(`the folder ${dir} is world-writable (mode 777)`);
    expect(r.libraryDir?.permissions).toEqual([expect.objectContaining({ level: "error", path: dir })]);
  }, 30_000);

  test("a library that is a symlink into a world-writable folder is an error; a group-writable folder a warning", async () => {
    const dir = libraryDir(0o755);
    const open = join(tempDir("abp-open-"), "open");
    mkdirSync(open);
    chmodSync(open, 0o777);
    copyFileSync(join(dir, "asherah-bun-warmup.so"), join(open, "asherah-bun-warmup.so"));
    execFileSync("rm", [join(dir, "asherah-bun-warmup.so")]);
    symlinkSync(join(open, "asherah-bun-warmup.so"), join(dir, "asherah-bun-warmup.so"));
    const r = report(await doctor({ cwd: app(), env: { ASHERAH_BUN_PRELOAD_LIBRARY_DIR: dir } }));
    const unsafe = r.findings.filter((f) => f.code === "UNSAFE_PERMISSIONS");
    expect(unsafe.map((f) => f.message)).toEqual([expect.stringContaining(`the library's folder ${open} is world-writable (mode 777): any user can replace what the preload loads (reached through ${join(dir, "asherah-bun-warmup.so")})`)]);
    expect(r.exitCode).toBe(1);

    const group = libraryDir(0o775);
    const g = report(await doctor({ cwd: app(), env: { ASHERAH_BUN_PRELOAD_LIBRARY_DIR: group } }));
    expect(codes(g, "error")).toEqual([]);
    expect(g.findings.filter((f) => f.code === "PERMISSIONS").map((f) => f.message)).toEqual([expect.stringContaining(`the folder ${group} is group-writable (mode 775)`)]);
    expect(g.exitCode).toBe(3);
  }, 30_000);

  test("the installed package's own prebuilds pass", async () => {
    const r = report(await doctor({ cwd: app() }));
    expect(r.libraries.flatMap((l) => l.permissions)).toEqual([]);
    expect(codes(r).filter((c) => c.includes("PERMISSIONS"))).toEqual([]);
  }, 30_000);
});
