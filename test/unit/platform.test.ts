import { describe, expect, test } from "bun:test";
import { detectLibc, locatePrebuilds, MUSL_REASON, oldGlibcReason, SUPPORTED_KEYS } from "../../src/platform.ts";

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

test("oldGlibcReason: the loader's missing GLIBC_ version is an older glibc, named with the one that works", () => {
  const message = "/x/asherah-bun-core.node: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.33' not found (required by /x/asherah-bun-core.node)";
  expect(oldGlibcReason(message, "2.31")).toBe(
    "this system's glibc 2.31 is older than the prebuilt libraries need (glibc 2.34 or later: Debian 12, Ubuntu 22.04, RHEL 9, Amazon Linux 2023; the loader found no GLIBC_2.33).",
  );
  expect(oldGlibcReason(message, undefined)).toStartWith("this system's glibc is older than");
  expect(oldGlibcReason("/x/asherah-bun-core.node: invalid ELF header", "2.31")).toBeUndefined();
  expect(oldGlibcReason("/x/a.node: undefined symbol: napi_create_function", "2.36")).toBeUndefined();
});
