// The harness must see a hang as a hang and leave nothing running behind it.
import { expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { pinnedBun } from "../support/bun-versions.ts";
import { runProcess } from "../support/spawn.ts";

function alive(pid: number): boolean {
  if (!existsSync(`/proc/${pid}/stat`)) return false;
  // A killed child can linger as a zombie until reaped by its parent; that is not running.
  return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
}

test("a process that sleeps past its timeout is reported as a hang, with its child killed", async () => {
  // The script starts a grandchild (sleep) and then never finishes.
  const script = `
    const { spawn } = require("node:child_process");
    const child = spawn("sleep", ["60"], { stdio: "ignore" });
    console.log("child " + child.pid);
    setInterval(() => {}, 1000);
  `;
  const result = await runProcess([pinnedBun(), "-e", script], { timeoutMs: 1500 });
  expect(result.outcome).toBe("hang");
  expect(result.exitCode).toBeNull();
  expect(result.diagnosis?.summary).toMatch(/threads/);
  const childPid = Number(/child (\d+)/.exec(result.stdout)?.[1]);
  expect(childPid).toBeGreaterThan(0);
  await Bun.sleep(100);
  expect(alive(childPid)).toBe(false);
}, 20_000);

test("a busy loop past its timeout is diagnosed as busy", async () => {
  const result = await runProcess([pinnedBun(), "-e", "for(;;){}"], { timeoutMs: 800 });
  expect(result.outcome).toBe("hang");
  // Some CPU, not a full core: the machine may be shared. An idle hang shows ~0.
  expect(result.diagnosis!.cpu).toBeGreaterThan(0.1);
}, 20_000);

test("exit codes and signals are classified", async () => {
  expect((await runProcess([pinnedBun(), "-e", "console.log('hi')"], { timeoutMs: 10_000 })).outcome).toBe("ok");
  const fail = await runProcess([pinnedBun(), "-e", "process.exit(3)"], { timeoutMs: 10_000 });
  expect([fail.outcome, fail.exitCode]).toEqual(["fail", 3]);
  const crash = await runProcess([pinnedBun(), "-e", "process.kill(process.pid, 'SIGSEGV')"], { timeoutMs: 10_000 });
  expect(crash.outcome).toBe("crash");
  expect(crash.signal).toBe("SIGSEGV");
}, 40_000);
