// What `npm publish` would ship, and the release workflow that ships it.
//
// - The file list (`npm pack --dry-run --json`): exactly src/, dist/,
//   prebuilds/ (the files src/shipped.ts lists), the go/ sources,
//   bunfig.example.toml, docs/, README.md, LICENSE, package.json; no tests,
//   fixtures, caches, examples.
// - The real tarball: every file src/shipped.ts lists is in it with those
//   bytes, and the preload works when installed from it.
// - .github/workflows/release.yml: actionlint when it is installed, and the
//   structure the release relies on, always.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { locatePrebuilds, SUPPORTED_KEYS } from "../../src/platform.ts";
import { SHIPPED } from "../../src/shipped.ts";
import { pinnedBun, pinnedBunVersion, REPO_ROOT } from "../support/bun-versions.ts";
import { arm64Support, bunArm64Binary } from "../support/qemu.ts";
import { describeRun, runProcess } from "../support/spawn.ts";

const NPM_MS = 120_000;

/** Files below `dir` (relative to the repository), recursively. */
function filesUnder(dir: string): string[] {
  const root = join(REPO_ROOT, dir);
  if (!existsSync(root)) return [];
  const out: string[] = [];
  const walk = (path: string) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) out.push(relative(REPO_ROOT, full));
    }
  };
  walk(root);
  return out.sort();
}

function sha256(path: string): string {
  return new Bun.CryptoHasher("sha256").update(readFileSync(path)).digest("hex");
}

/** npm's environment, without the developer's preload settings or npm lifecycle surprises. */
function npmEnv(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env, npm_config_loglevel: "error", npm_config_fund: "false", npm_config_audit: "false" };
  for (const key of Object.keys(env)) if (key.startsWith("ASHERAH_BUN_PRELOAD_")) delete env[key];
  return env;
}

interface PackEntry {
  readonly path: string;
  readonly size: number;
}

async function npmPack(args: string[]): Promise<{ filename: string; files: PackEntry[] }> {
  const result = await runProcess(["npm", "pack", "--json", "--ignore-scripts", ...args], { cwd: REPO_ROOT, env: npmEnv(), timeoutMs: NPM_MS, diagnose: false });
  expect(result.outcome, describeRun(result)).toBe("ok");
  const parsed = JSON.parse(result.stdout) as { filename: string; files: PackEntry[] }[];
  expect(parsed.length).toBe(1);
  return parsed[0]!;
}

let dryRun: string[] = [];
beforeAll(async () => {
  dryRun = (await npmPack(["--dry-run"])).files.map((f) => f.path).sort();
}, NPM_MS);

describe("npm pack --dry-run: the file list", () => {
  // Everything the package may contain, as [description, test].
  const ALLOWED: [string, (path: string) => boolean][] = [
    ["package.json, README.md, LICENSE, bunfig.example.toml", (p) => ["package.json", "README.md", "LICENSE", "bunfig.example.toml"].includes(p)],
    ["src/*.ts, src/doctor/*.ts", (p) => /^src\/(doctor\/)?[^/]+\.ts$/.test(p)],
    [
      "dist/index.js, dist/api.js (the bundles the exports point at), dist/cold.js and the chunk it shares with api.js (src/cold-link.ts), and their source maps",
      (p) => /^dist\/(index|api|cold|api-[a-z0-9]+)\.js(\.map)?$/.test(p),
    ],
    ["dist/preload.cjs, the start path's bundle behind dist/index.js, its bytecode cache and source map (scripts/build.ts)", (p) => /^dist\/preload\.cjs(\.jsc|\.map)?$/.test(p)],
    ["prebuilds/<platform>-<arch>/*.so|*.node", (p) => /^prebuilds\/[a-z]+-[a-z0-9]+\/[^/]+\.(so|node)$/.test(p)],
    ["go/go.mod, go/go.sum, go/build.sh", (p) => ["go/go.mod", "go/go.sum", "go/build.sh"].includes(p)],
    ["go/warmup/*.go", (p) => /^go\/warmup\/[^/]+\.go$/.test(p)],
    ["go/core/*.c|*.h", (p) => /^go\/core\/[^/]+\.[ch]$/.test(p)],
    ["docs/*.md", (p) => /^docs\/[^/]+\.md$/.test(p)],
  ];

  test("contains nothing but the allowed files", () => {
    const stray = dryRun.filter((path) => !ALLOWED.some(([, ok]) => ok(path)));
    expect(stray, `files outside ${ALLOWED.map(([d]) => d).join("; ")}`).toEqual([]);
  });

  test("ships no tests, fixtures, caches, examples, CI files or tarballs", () => {
    const forbidden = dryRun.filter((p) => /^(test|examples|node_modules|\.cache|\.ci|\.github|tmp)\//.test(p) || /(^|\/)fixtures\//.test(p) || p.endsWith(".tgz") || p === "tsconfig.json" || p === "package-lock.json");
    expect(forbidden).toEqual([]);
  });

  test("top-level files", () => {
    for (const file of ["package.json", "README.md", "LICENSE", "bunfig.example.toml"]) expect(dryRun).toContain(file);
  });

  test("every source file of the preload", () => {
    const missing = filesUnder("src").filter((p) => p.endsWith(".ts") && !dryRun.includes(p));
    expect(missing).toEqual([]);
    expect(dryRun).toContain("src/index.ts");
  });

  // The published package must let anyone rebuild and verify the libraries
  // it ships (docs/platforms.md): the Go module, both library sources, build.sh.
  test("the go/ sources that go/build.sh builds from", () => {
    const expected = [
      "go/go.mod",
      "go/build.sh",
      ...(existsSync(join(REPO_ROOT, "go", "go.sum")) ? ["go/go.sum"] : []),
      ...filesUnder("go/warmup").filter((p) => p.endsWith(".go")),
      ...filesUnder("go/core").filter((p) => /\.[ch]$/.test(p)),
    ].sort();
    expect(expected.some((p) => p.startsWith("go/warmup/"))).toBe(true);
    expect(expected).toContain("go/core/abp.h");
    const shipped = dryRun.filter((p) => p.startsWith("go/"));
    expect(shipped, 'package.json "files" must list "go/go.mod", "go/build.sh", "go/warmup/*.go", "go/core/*.c", "go/core/*.h"').toEqual(expected);
  });

  test("every docs page, and every file the README links to", () => {
    const missingDocs = filesUnder("docs").filter((p) => p.endsWith(".md") && !dryRun.includes(p));
    expect(missingDocs).toEqual([]);
    const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
    const links = [...readme.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!).filter((href) => !/^[a-z]+:/i.test(href));
    expect(links.length).toBeGreaterThan(0);
    const broken = links.filter((href) => !dryRun.includes(href.replace(/^\.\//, "")));
    expect(broken, "README links to files the package does not ship").toEqual([]);
  });

  test("prebuilds/: exactly the files src/shipped.ts lists (no hash file beside them)", () => {
    const listed = Object.keys(SHIPPED).map((p) => `prebuilds/${p}`).sort();
    expect(listed.length).toBeGreaterThan(0);
    const shipped = dryRun.filter((p) => p.startsWith("prebuilds/"));
    expect(shipped).toEqual(listed);
  });

  test("the files package.json points at (main, exports, bin) are shipped", () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
      main?: string;
      exports?: Record<string, ExportTarget>;
      bin?: Record<string, string> | string;
    };
    type ExportTarget = string | { [condition: string]: ExportTarget };
    const leaves = (target: ExportTarget): string[] => (typeof target === "string" ? [target] : Object.values(target).flatMap(leaves));
    const targets = [pkg.main, ...Object.values(pkg.exports ?? {}).flatMap(leaves), ...(typeof pkg.bin === "string" ? [pkg.bin] : Object.values(pkg.bin ?? {}))]
      .filter((t): t is string => t !== undefined)
      .map((t) => t.replace(/^\.\//, ""));
    expect(targets.length).toBeGreaterThan(0);
    for (const target of targets) expect(dryRun).toContain(target);
  });

  // `npm publish --provenance` refuses a package whose repository.url does not
  // name the GitHub repository the workflow runs in.
  test("package.json has a GitHub repository URL (npm publish --provenance needs it)", () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { repository?: string | { url?: string } };
    const url = typeof pkg.repository === "string" ? pkg.repository : pkg.repository?.url;
    expect(url, 'add "repository": { "type": "git", "url": "git+https://github.com/<owner>/<repo>.git" } to package.json').toMatch(
      /^(git\+)?https:\/\/github\.com\/[^/]+\/[^/]+?(\.git)?$/,
    );
  });
});

describe("the packed tarball", () => {
  let work = "";
  let pkgDir = "";
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "abp-pack-"));
    const { filename } = await npmPack(["--pack-destination", work]);
    const extract = await runProcess(["tar", "-xzf", join(work, filename), "-C", work], { timeoutMs: 60_000, diagnose: false });
    expect(extract.outcome, describeRun(extract)).toBe("ok");
    // Installed the way a user gets it: <app>/node_modules/asherah-bun-preload.
    mkdirSync(join(work, "app", "node_modules"), { recursive: true });
    pkgDir = join(work, "app", "node_modules", "asherah-bun-preload");
    renameSync(join(work, "package"), pkgDir);
  }, NPM_MS);
  afterAll(() => {
    if (work !== "") rmSync(work, { recursive: true, force: true });
  });

  test("every file src/shipped.ts lists is in it, with those bytes", () => {
    const entries = Object.entries(SHIPPED);
    expect(entries.length).toBeGreaterThan(0);
    for (const [path, { sha256: digest, size }] of entries) {
      const file = join(pkgDir, "prebuilds", path);
      expect(existsSync(file), `${path} is listed in src/shipped.ts but not in the tarball`).toBe(true);
      expect(statSync(file).size).toBe(size);
      expect(sha256(file), `${path} in the tarball`).toBe(digest);
    }
  });

  test("every platform with native files in src/platform.ts has them in the tarball", () => {
    let native = 0;
    for (const key of SUPPORTED_KEYS) {
      const [platform = "", arch = ""] = key.split(" ");
      const location = locatePrebuilds({ platform, arch }, join(pkgDir, "prebuilds"));
      if (location.status !== "native") continue;
      native++;
      for (const file of [location.core, location.warmup]) {
        const rel = relative(join(pkgDir, "prebuilds"), file);
        expect(SHIPPED[rel], `${key}: ${rel} not in src/shipped.ts`).toBeDefined();
        expect(existsSync(file), `${key}: ${rel} not in the tarball`).toBe(true);
      }
    }
    expect(native).toBe(2);
  });

  // warmup() waits for the warmup, which runs on the core's own thread.
  const probe = `
const { warmup } = require("asherah-bun-preload/api");
const s = warmup();
console.log("ABP-PACKED " + JSON.stringify({ arch: process.arch, phase: s.phase, warmup: s.warmup, core: s.core }));
`;
  type Packed = { arch: string; phase: string; warmup: { status: string; path?: string; sha256?: string }; core?: string };
  const parse = (stdout: string): Packed => JSON.parse(stdout.split("\n").find((l) => l.startsWith("ABP-PACKED "))!.slice("ABP-PACKED ".length)) as Packed;

  test.skipIf(process.platform !== "linux" || process.arch !== "x64")(
    "installed from the tarball, `bun --preload asherah-bun-preload` verifies and runs its own linux-x64 warmup",
    async () => {
      const result = await runProcess([pinnedBun(), "--preload", "asherah-bun-preload", "-e", probe], { cwd: join(work, "app"), env: npmEnv(), timeoutMs: 60_000 });
      expect(result.outcome, describeRun(result)).toBe("ok");
      const p = parse(result.stdout);
      expect(p.phase).toBe("installed");
      expect(p.warmup.status).toBe("done");
      expect(p.warmup.path).toBe(join(pkgDir, "prebuilds", "linux-x64", "asherah-bun-warmup.so"));
      expect(p.warmup.sha256).toBe(SHIPPED["linux-x64/asherah-bun-warmup.so"]!.sha256);
      expect(p.core).toBe(join(pkgDir, "prebuilds", "linux-x64", "asherah-bun-core.node"));
    },
    90_000,
  );

  const arm64 = arm64Support();
  if (arm64.runner === undefined) console.warn(`[package.test.ts] SKIPPED the linux-arm64 run of the packed package: ${arm64.reason}`);
  test.skipIf(arm64.runner === undefined)(
    "installed from the tarball, Bun's arm64 build verifies and runs the linux-arm64 warmup",
    async () => {
      const bun = bunArm64Binary(pinnedBunVersion());
      const result = await runProcess([...(arm64.runner?.prefix ?? []), bun, "--preload", "asherah-bun-preload", "-e", probe], {
        cwd: join(work, "app"),
        env: npmEnv(),
        timeoutMs: 120_000,
      });
      expect(result.outcome, describeRun(result)).toBe("ok");
      const p = parse(result.stdout);
      expect(p.arch).toBe("arm64");
      expect(p.warmup.status).toBe("done");
      expect(p.warmup.path).toBe(join(pkgDir, "prebuilds", "linux-arm64", "asherah-bun-warmup.so"));
    },
    300_000,
  );
});

// ---------------------------------------------------------------------------
// The release workflow.

const WORKFLOWS = join(REPO_ROOT, ".github", "workflows");
const RELEASE = join(WORKFLOWS, "release.yml");

/** actionlint from PATH, GOBIN/GOPATH (go install) or .cache/bin; undefined when absent. */
function findActionlint(): string | undefined {
  const onPath = Bun.which("actionlint");
  if (onPath !== null) return onPath;
  const candidates = [join(REPO_ROOT, ".cache", "bin", "actionlint")];
  if (process.env.GOBIN) candidates.push(join(process.env.GOBIN, "actionlint"));
  for (const gopath of (process.env.GOPATH ?? join(process.env.HOME ?? "/root", "go")).split(":")) candidates.push(join(gopath, "bin", "actionlint"));
  return candidates.find((c) => existsSync(c));
}

describe("release workflow", () => {
  const actionlint = findActionlint();
  if (actionlint === undefined) {
    console.warn(
      "[package.test.ts] SKIPPED actionlint: not installed (go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12); the workflow structure is still checked below",
    );
  }
  test.skipIf(actionlint === undefined)(
    "actionlint finds no problem in .github/workflows",
    async () => {
      const files = readdirSync(WORKFLOWS)
        .filter((f) => /\.ya?ml$/.test(f))
        .map((f) => join(WORKFLOWS, f));
      if (Bun.which("shellcheck") === null) console.warn("[package.test.ts] shellcheck is not installed: actionlint does not check the run: scripts");
      const result = await runProcess([actionlint!, "-no-color", ...files], { cwd: REPO_ROOT, timeoutMs: 60_000, diagnose: false });
      expect(result.outcome, describeRun(result)).toBe("ok");
    },
    90_000,
  );

  type Step = { id?: string; name?: string; uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string> };
  type Job = {
    "runs-on": string;
    "timeout-minutes"?: number;
    needs?: string[];
    permissions?: Record<string, string>;
    strategy?: { matrix?: { include?: Record<string, string>[] } };
    steps: Step[];
  };
  type Workflow = { on: Record<string, unknown>; permissions?: Record<string, string>; jobs: Record<string, Job> };
  const workflow = Bun.YAML.parse(readFileSync(RELEASE, "utf8")) as Workflow;
  const jobs = Object.entries(workflow.jobs);

  test("runs on v* tags and by hand", () => {
    expect((workflow.on.push as { tags?: string[] }).tags).toContain("v*");
    expect(Object.keys(workflow.on)).toContain("workflow_dispatch");
    expect(workflow.permissions).toEqual({ contents: "read" });
  });

  test("every job has a time limit", () => {
    for (const [name, job] of jobs) expect(job["timeout-minutes"], `job ${name}`).toBeGreaterThan(0);
  });

  test("builds every platform that src/platform.ts supports, each on a runner of its own OS", () => {
    const built = new Map<string, string>(); // target → runner
    for (const [, job] of jobs) {
      for (const step of job.steps) {
        if (step.run === undefined || !/go\/build\.sh(?!\s+--check)/.test(step.run)) continue;
        const targets = step.run.includes("${{ matrix.target }}")
          ? (job.strategy?.matrix?.include ?? []).map((row) => [row.target!, row.runner!] as const)
          : [...step.run.matchAll(/\b(linux|darwin)-(x64|arm64)\b/g)].map((m) => [m[0], job["runs-on"]] as const);
        for (const [target, runner] of targets) built.set(target, runner);
      }
    }
    const wanted = SUPPORTED_KEYS.flatMap((key) => {
      const [platform = "", arch = ""] = key.split(" ");
      const location = locatePrebuilds({ platform, arch }, "/p");
      return location.status === "native" ? [location.id] : [];
    });
    expect(wanted).toEqual(["linux-x64", "linux-arm64"]);
    for (const target of wanted) {
      const runner = built.get(target);
      expect(runner, `${target} is not built by release.yml`).toBeDefined();
      expect(runner).toStartWith("ubuntu-");
    }
    // macOS has no native files, but the preload is run there on both CPUs.
    const macos = (workflow.jobs.macos?.strategy?.matrix?.include ?? []).map((row) => row.runner);
    expect(macos).toEqual(["macos-15-intel", "macos-14"]);
  });

  // gcc writes its version into every library's .comment section, so the
  // committed Linux bytes only reproduce with the compiler that made them.
  test("the Linux jobs build with the same Debian release as the committed prebuilds", () => {
    const comment = /GCC: \(Debian ([0-9.]+)-[^)]*\)/.exec(readFileSync(join(REPO_ROOT, "prebuilds", "linux-x64", "asherah-bun-core.node"), "latin1"));
    const release: Record<string, string> = { "12": "debian:bookworm", "14": "debian:trixie" };
    const image = comment?.[1] === undefined ? undefined : release[comment[1].split(".")[0]!];
    if (image === undefined) {
      console.warn(`[package.test.ts] the committed linux-x64 library names no known Debian gcc (${comment?.[0] ?? "no .comment"}); container image not checked`);
      return;
    }
    for (const name of ["linux", "assemble"]) {
      const job = workflow.jobs[name] as Job & { container?: { image?: string } | string };
      const used = typeof job.container === "string" ? job.container : job.container?.image;
      expect(used, `job ${name}: the committed libraries were built by ${comment![0]}`).toBe(image);
    }
  });

  test("Go is the release go/go.mod pins, read from go/go.mod", () => {
    for (const [name, job] of jobs) {
      const setupGo = job.steps.find((s) => s.uses?.startsWith("actions/setup-go@"));
      if (setupGo === undefined) continue;
      expect(setupGo.with?.["go-version"], `job ${name}`).toBe("${{ steps.go.outputs.version }}");
      const reader = job.steps.find((s) => s.id === "go");
      expect(reader?.run, `job ${name}`).toContain("sed -n 's/^toolchain go//p' go/go.mod");
    }
    expect(readFileSync(RELEASE, "utf8")).toMatch(/GOTOOLCHAIN: local/);
  });

  test("the assembling job checks the Linux bytes against the committed ones, then packs", () => {
    const assemble = workflow.jobs.assemble!;
    expect(assemble.needs).toEqual(expect.arrayContaining(["linux", "macos"]));
    const runs = assemble.steps.map((s) => s.run ?? "").join("\n");
    expect(runs).toContain("bash go/build.sh --check");
    expect(runs).toContain("git diff --exit-code");
    expect(runs).toContain("test/e2e/package.test.ts");
    expect(runs).toContain("npm pack");
  });

  test("publishing: npm publish --provenance with NPM_TOKEN, OIDC token only in that job", () => {
    const publish = workflow.jobs.publish!;
    expect(publish.needs).toEqual(["assemble"]);
    expect(publish.permissions?.["id-token"]).toBe("write");
    const step = publish.steps.find((s) => s.run?.includes("npm publish"));
    expect(step?.run).toContain("--provenance");
    expect(step?.env?.NODE_AUTH_TOKEN).toBe("${{ secrets.NPM_TOKEN }}");
    for (const [name, job] of jobs) if (name !== "publish") expect(job.permissions?.["id-token"], `job ${name}`).toBeUndefined();
  });
});
