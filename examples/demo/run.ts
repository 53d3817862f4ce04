// `npm run demo`: runs app.ts through the preload (bunfig.toml) on the pinned
// Bun and on Bun 1.2.19, an affected release, then shows what happens on
// 1.2.19 without the preload. Every run has a timeout and is killed with its
// process group, so the demo itself can never hang.
import { existsSync, mkdirSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { bunBinary, pinnedBunVersion, REPO_ROOT } from "../../test/support/bun-versions.ts";
import { runProcess } from "../../test/support/spawn.ts";

const here = import.meta.dir;
const modules = join(here, "node_modules");
const fixture = join(REPO_ROOT, "test", "fixtures", "build", "node_modules", "asherah");
if (!existsSync(fixture)) throw new Error(`the asherah fixture is missing (${fixture}); run: node test/fixtures/build.mjs`);
// Install the two packages the way an application would have them.
rmSync(modules, { recursive: true, force: true });
mkdirSync(modules);
symlinkSync(fixture, join(modules, "asherah"), "dir");
symlinkSync(REPO_ROOT, join(modules, "asherah-bun-preload"), "dir");

const AFFECTED = "1.2.19";
const runs: { title: string; version: string; args: string[]; timeoutMs: number }[] = [
  { title: `Bun ${pinnedBunVersion()} (pinned) with the preload`, version: pinnedBunVersion(), args: ["app.ts"], timeoutMs: 30_000 },
  { title: `Bun ${AFFECTED} (affected) with the preload`, version: AFFECTED, args: ["app.ts"], timeoutMs: 30_000 },
  // Started from a folder without bunfig.toml: the same app without the preload.
  { title: `Bun ${AFFECTED} WITHOUT the preload (expected to hang; killed after 5 s)`, version: AFFECTED, args: ["../app.ts"], timeoutMs: 5_000 },
];
const control = join(here, "node_modules", ".no-preload");
mkdirSync(control);

let failed = false;
for (const run of runs) {
  console.log(`\n=== ${run.title}`);
  const expectedHang = run.args[0] === "../app.ts";
  const result = await runProcess([bunBinary(run.version), ...run.args.map((a) => (expectedHang ? join(here, "app.ts") : a))], {
    cwd: expectedHang ? control : here,
    timeoutMs: run.timeoutMs,
    env: { ...process.env },
  });
  process.stdout.write(result.stdout.replace(/^/gm, "    "));
  if (result.stderr.trim()) process.stdout.write(result.stderr.replace(/^/gm, "    stderr: "));
  if (result.outcome === "hang") {
    console.log(`    -> HUNG: ${result.diagnosis?.summary ?? ""}; killed.`);
    if (!expectedHang) failed = true;
  } else {
    console.log(`    -> ${result.outcome} in ${Math.round(result.wallMs)} ms`);
    if (result.outcome !== "ok" && !expectedHang) failed = true;
  }
}
process.exit(failed ? 1 : 0);
