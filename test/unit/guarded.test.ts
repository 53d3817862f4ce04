import { describe, expect, test } from "bun:test";
import { guardedPackageOf, isEmbeddedPath } from "../../src/guarded.ts";

describe("guardedPackageOf", () => {
  const packages = ["asherah", "@acme/go-thing", "go-js-entry"];
  test("installed packages: the node_modules/<name>/ segment", () => {
    expect(guardedPackageOf("/app/node_modules/asherah/dist/asherah.node", packages)).toBe("asherah");
    expect(guardedPackageOf("/app/node_modules/dep/node_modules/asherah/dist/asherah.node", packages)).toBe("asherah");
    expect(guardedPackageOf("/app/node_modules/asherah-consumer/x.node", packages)).toBeUndefined();
  });
  test("other spellings of the same file are guarded too; a way out of the folder is not", () => {
    expect(guardedPackageOf("/app/node_modules/./asherah/dist/asherah.node", packages)).toBe("asherah");
    expect(guardedPackageOf("/app/node_modules//asherah/dist/asherah.node", packages)).toBe("asherah");
    expect(guardedPackageOf("/app/node_modules/other/../asherah/dist/asherah.node", packages)).toBe("asherah");
    expect(guardedPackageOf(`node_modules/asherah/dist/asherah.node`, packages)).toBe("asherah"); // relative to the working folder
    expect(guardedPackageOf("./node_modules/asherah/dist/asherah.node", packages)).toBe("asherah");
    expect(guardedPackageOf("/app/node_modules/asherah/../evil/x.node", packages)).toBeUndefined();
    // No "/": dlopen searches the library path, not the working folder.
    expect(guardedPackageOf("asherah.node", packages)).toBeUndefined();
  });
  test("compiled binaries: the embedded name <file>-<hash>.node (Bun 1.0.x and later forms)", () => {
    expect(guardedPackageOf("/$bunfs/root/asherah-zw3m7jtj.node", packages)).toBe("asherah");
    expect(guardedPackageOf("/$bunfs/root/asherah-123a520754e37c1f.node", packages)).toBe("asherah");
    expect(guardedPackageOf("B:\\~BUN\\root\\asherah-zw3m7jtj.node", packages)).toBe("asherah");
    expect(guardedPackageOf("/$bunfs/root/go-thing-ab12cd34.node", packages)).toBe("@acme/go-thing");
    expect(guardedPackageOf("/$bunfs/root/go-js-entry-ab12cd34.node", packages)).toBe("go-js-entry");
  });
  test("compiled binaries: other names, and the same names outside Bun's embedded file system, are not guarded", () => {
    expect(guardedPackageOf("/$bunfs/root/gojs-zw3m7jtj.node", packages)).toBeUndefined();
    expect(guardedPackageOf("/$bunfs/root/asherah.node", packages)).toBeUndefined();
    expect(guardedPackageOf("/$bunfs/root/not-asherah-zw3m7jtj.node", packages)).toBeUndefined();
    expect(guardedPackageOf("/tmp/asherah-zw3m7jtj.node", packages)).toBeUndefined();
  });
});

test("isEmbeddedPath: Bun's embedded file system only", () => {
  expect(isEmbeddedPath("/$bunfs/root")).toBe(true);
  expect(isEmbeddedPath("B:\\~BUN\\root")).toBe(true);
  expect(isEmbeddedPath("/app/$bunfs/root")).toBe(false);
  expect(isEmbeddedPath("/app")).toBe(false);
});
