import { describe, expect, test } from "bun:test";
import { compareGlibc, detectLibc, locatePrebuilds, MUSL_REASON, oldGlibcReason, SUPPORTED_KEYS } from "../../src/platform.ts";

const PREBUILDS = "/pkg/prebuilds";

describe("locatePrebuilds", () => {
  test("linux x64: the core and the warmup in prebuilds/linux-x64", () => {
    expect(locatePrebuilds({ platform: "linux", arch: "x64" }, PREBUILDS)).toEqual({
      status: "native",
      dir: "/pkg/prebuilds/linux-x64",
      id: "linux-x64",
      core: "/pkg/prebuilds/linux-x64/asherah-bun-core.node",
      warmup: "/pkg/prebuilds/linux-x64/asherah-bun-warmup.so",
      override: false,
    });
  });
  test("linux arm64", () => {
    expect(locatePrebuilds({ platform: "linux", arch: "arm64" }, PREBUILDS)).toMatchObject({ status: "native", id: "linux-arm64" });
  });
  test("macOS needs no native code (JSC suspends threads with Mach calls there)", () => {
    const location = locatePrebuilds({ platform: "darwin", arch: "arm64" }, PREBUILDS);
    expect(location.status).toBe("not-needed");
    expect(location.status !== "native" && location.reason).toContain("Mach");
  });
  test("an override folder replaces the prebuilds folder, on any Linux architecture", () => {
    expect(locatePrebuilds({ platform: "linux", arch: "x64" }, PREBUILDS, "/opt/abp")).toMatchObject({
      status: "native",
      core: "/opt/abp/asherah-bun-core.node",
      warmup: "/opt/abp/asherah-bun-warmup.so",
      override: true,
    });
    expect(locatePrebuilds({ platform: "linux", arch: "riscv64" }, PREBUILDS, "/opt/abp")).toMatchObject({ status: "native", override: true });
  });
  test("Windows is unsupported, with the reason and the Go-free alternative", () => {
    const location = locatePrebuilds({ platform: "win32", arch: "x64" }, PREBUILDS);
    expect(location.status).toBe("unsupported");
    expect(location.status !== "native" && location.reason).toContain("asherah 4.x");
  });
  test("an unknown platform lists what is prebuilt, and no build go/build.sh cannot make", () => {
    const location = locatePrebuilds({ platform: "freebsd", arch: "x64" }, PREBUILDS);
    expect(location.status).toBe("unsupported");
    const reason = location.status !== "native" ? location.reason : "";
    expect(reason).toContain("freebsd-x64");
    expect(reason).toContain("linux-x64, linux-arm64");
    // ASHERAH_BUN_PRELOAD_LIBRARY_DIR is read on Linux only, and build.sh has no freebsd target.
    expect(reason).not.toContain("LIBRARY_DIR");
    expect(reason).not.toContain("build.sh");
  });
  test("every table row resolves or explains itself", () => {
    for (const key of SUPPORTED_KEYS) {
      const [platform, arch] = key.split(" ") as [string, string];
      const location = locatePrebuilds({ platform, arch }, PREBUILDS);
      if (location.status === "native") expect(location.core.startsWith(PREBUILDS)).toBe(true);
      else expect(location.reason.length).toBeGreaterThan(20);
    }
  });
  test("the musl reason names the Go-free alternative", () => {
    expect(MUSL_REASON).toContain("asherah 4.x");
  });
});

test("detectLibc reads this process (glibc here)", () => {
  expect(detectLibc("linux")).toBe("glibc");
  expect(detectLibc("darwin")).toBe("none");
});

test("oldGlibcReason: only a glibc older than the shipped libraries need, asked for by them, is the platform", () => {
  const needs = (v: string) => `/x/asherah-bun-core.node: /lib/x86_64-linux-gnu/libc.so.6: version \`GLIBC_${v}' not found (required by /x/asherah-bun-core.node)`;
  expect(oldGlibcReason(needs("2.33"), "2.31")).toBe(
    "this system's glibc 2.31 is older than the 2.34 the prebuilt libraries need (Debian 12, Ubuntu 22.04, RHEL 9, Amazon Linux 2023 or later; the loader found no GLIBC_2.33).",
  );
  expect(oldGlibcReason(needs("2.34"), "2.17")).toContain("glibc 2.17 is older");
  // A core asking for more than the shipped one does (damaged, replaced, built elsewhere): not the platform.
  expect(oldGlibcReason(needs("2.99"), "2.31")).toBeUndefined();
  // A glibc new enough, or one the process report does not name: not the platform either.
  expect(oldGlibcReason(needs("2.34"), "2.36")).toBeUndefined();
  expect(oldGlibcReason(needs("2.34"), undefined)).toBeUndefined();
  expect(oldGlibcReason("/x/asherah-bun-core.node: invalid ELF header", "2.31")).toBeUndefined();
});

test("compareGlibc orders versions by number, not text", () => {
  expect(compareGlibc("2.9", "2.34")).toBeLessThan(0);
  expect(compareGlibc("2.34", "2.34")).toBe(0);
  expect(compareGlibc("2.36", "2.34")).toBeGreaterThan(0);
  expect(compareGlibc("2.34.1", "2.34")).toBeGreaterThan(0);
});
