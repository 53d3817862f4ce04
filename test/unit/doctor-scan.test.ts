// The doctor's search for Go runtimes under node_modules (src/doctor/go-scan.ts):
// nested copies, stores, scoped names, versioned .so names; what it never
// reads or follows; where it stops and that it says so.
import { describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { packageOfPath, reachableNodeModules, scanForGo, SCAN_LIMITS } from "../../src/doctor/go-scan.ts";
import { buildShared, GO_MARKS, PLAIN_C } from "../support/doctor-fixtures.ts";
import { tempDirs } from "../support/temp.ts";

const tempDir = tempDirs();

test("packageOfPath: the folder after the last node_modules/, scopes kept whole", () => {
  expect(packageOfPath("/p/node_modules/asherah/dist/asherah.node")).toBe("asherah");
  expect(packageOfPath("/p/node_modules/dep/node_modules/asherah/dist/asherah.node")).toBe("asherah");
  expect(packageOfPath("/p/node_modules/.bun/asherah@3.0.0/node_modules/asherah/a.node")).toBe("asherah");
  expect(packageOfPath("/p/node_modules/@scope/go-lib/lib/x.so")).toBe("@scope/go-lib");
  expect(packageOfPath("/p/lib/x.so")).toBeUndefined();
});

test("reachableNodeModules: the node_modules folders a require() from a folder can reach, nearest first", () => {
  const root = tempDir("abp-scan-roots-");
  mkdirSync(join(root, "node_modules"));
  mkdirSync(join(root, "packages", "app", "node_modules"), { recursive: true });
  const roots = reachableNodeModules(join(root, "packages", "app"));
  expect(roots.slice(0, 2)).toEqual([join(root, "packages", "app", "node_modules"), join(root, "node_modules")]);
});

describe("scanForGo", () => {
  const root = tempDir("abp-scan-");
  const nm = join(root, "node_modules");
  const go = buildShared(root, join(root, "go.so"), GO_MARKS);
  const plain = buildShared(root, join(root, "plain.so"), PLAIN_C);
  const place = (from: string, to: string) => {
    mkdirSync(dirname(join(nm, to)), { recursive: true });
    copyFileSync(from, join(nm, to));
    return join(nm, to);
  };
  const nested = place(go, "dep/node_modules/asherah/dist/asherah.node");
  const stored = place(go, ".bun/asherah@3.0.0/node_modules/asherah/dist/asherah.node");
  const scoped = place(go, "@scope/go-lib/lib/libgo.so.1");
  place(plain, "not-go/build/Release/addon.node");
  place(go, ".cache/some-tool/cached.node"); // a cache, not an installed package
  place(go, "asherah-bun-preload/prebuilds/linux-x64/asherah-bun-warmup.so"); // ignored below
  symlinkSync(nm, join(nm, "not-go", "loop"), "dir"); // never followed
  symlinkSync(go, join(nm, "not-go", "linked.node")); // never followed
  execFileSync("mkfifo", [join(nm, "not-go", "fifo.node")]); // never opened: reading it would block

  test("finds every Go runtime, guarded or not, nested or in a store; reads no FIFO, follows no link, skips caches and ignored files", () => {
    const scan = scanForGo([nm], ["asherah"], (path) => path.includes("/asherah-bun-preload/"));
    expect(scan.incomplete).toBeUndefined();
    expect(scan.goModules.map((m) => [m.packageName, m.guarded, m.file.path]).sort()).toEqual(
      [
        ["@scope/go-lib", false, scoped],
        ["asherah", true, nested],
        ["asherah", true, stored],
      ].sort(),
    );
    // The three Go files and the plain addon; not the FIFO, the links, the cache or the ignored file.
    expect(scan.inspected).toBe(4);
  });

  test("stops at its limits and says where", () => {
    const files = scanForGo([nm], ["asherah"], () => false, { ...SCAN_LIMITS, files: 2 });
    expect(files.incomplete).toContain("at most 2 native files");
    const entries = scanForGo([nm], ["asherah"], () => false, { ...SCAN_LIMITS, entries: 3 });
    expect(entries.incomplete).toContain("after 3 folder entries");
    const depth = scanForGo([nm], ["asherah"], () => false, { ...SCAN_LIMITS, depth: 2 });
    expect(depth.incomplete).toContain("more than 2 levels deep");
  });

  test("a file over the cap or past the byte budget is not read, and is reported unread", () => {
    const budget = scanForGo([nm], ["asherah"], () => false, { ...SCAN_LIMITS, totalBytes: 1 });
    expect(budget.goModules).toEqual([]);
    expect(budget.inspected).toBe(5);
    expect(budget.unreadCount).toBe(5);
    const capped = scanForGo([nm], ["asherah"], () => false, { ...SCAN_LIMITS, fileBytes: 1000 });
    expect(capped.goModules).toEqual([]);
    expect(capped.unread.map((u) => u.path)).toContain(nested);
    expect(capped.unread.find((u) => u.path === nested)!.reason).toContain("more than the 1000");
  });

  test("a package that is a symlink (a workspace package, bun link, npm link) is followed; a loop is not walked twice", () => {
    const ws = tempDir("abp-scan-ws-");
    const wsNm = join(ws, "node_modules");
    mkdirSync(join(ws, "packages", "gofoo", "native"), { recursive: true });
    copyFileSync(go, join(ws, "packages", "gofoo", "native", "gojs.node"));
    mkdirSync(join(wsNm, "@team"), { recursive: true });
    symlinkSync(join(ws, "packages", "gofoo"), join(wsNm, "gofoo"), "dir");
    symlinkSync(join(ws, "packages", "gofoo"), join(wsNm, "@team", "gofoo"), "dir");
    symlinkSync(wsNm, join(wsNm, "self"), "dir");
    const scan = scanForGo([wsNm], ["asherah"], () => false);
    // One folder, reached by two links: read once, under the first name.
    expect(scan.goModules.map((m) => [m.packageName, m.file.path])).toEqual([["@team/gofoo", join(wsNm, "@team", "gofoo", "native", "gojs.node")]]);
    expect(scan.incomplete).toBeUndefined();
  });
});

test("an empty or missing root is no error", () => {
  const root = tempDir("abp-scan-empty-");
  writeFileSync(join(root, "file"), "");
  expect(scanForGo([join(root, "node_modules")], ["asherah"], () => false)).toEqual({ roots: [join(root, "node_modules")], inspected: 0, goModules: [], unread: [], unreadCount: 0 });
});
