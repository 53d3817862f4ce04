import { describe, expect, test } from "bun:test";
import { PreloadError } from "../../src/errors.ts";
import { detectLibc, locatePrebuilds, SUPPORTED_KEYS, type Libc } from "../../src/platform.ts";

const PREBUILDS = "/pkg/prebuilds";

function refusal(platform: string, arch: string, libc: Libc): PreloadError {
  try {
    locatePrebuilds({ platform, arch, libc }, PREBUILDS);
  } catch (e) {
    if (e instanceof PreloadError) return e;
    throw e;
  }
  throw new Error(`${platform} ${arch} ${libc} was accepted`);
}

describe("locatePrebuilds", () => {
  test("linux x64 glibc", () => {
    expect(locatePrebuilds({ platform: "linux", arch: "x64", libc: "glibc" }, PREBUILDS)).toEqual({
      dir: "/pkg/prebuilds/linux-x64",
      id: "linux-x64",
      warmup: "/pkg/prebuilds/linux-x64/asherah-bun-warmup.so",
      signals: "/pkg/prebuilds/linux-x64/asherah-bun-signals.so",
    });
  });
  test("linux arm64 glibc", () => {
    expect(locatePrebuilds({ platform: "linux", arch: "arm64", libc: "glibc" }, PREBUILDS).warmup).toBe(
      "/pkg/prebuilds/linux-arm64/asherah-bun-warmup.so",
    );
  });
  test("macOS needs no signal library (JSC suspends threads with Mach calls there)", () => {
    const darwin = locatePrebuilds({ platform: "darwin", arch: "arm64", libc: "none" }, PREBUILDS);
    expect(darwin.warmup).toBe("/pkg/prebuilds/darwin-arm64/asherah-bun-warmup.dylib");
    expect(darwin.signals).toBeUndefined();
    expect(locatePrebuilds({ platform: "darwin", arch: "x64", libc: "none" }, PREBUILDS).id).toBe("darwin-x64");
  });
  test("an override folder replaces the prebuilds folder", () => {
    expect(locatePrebuilds({ platform: "linux", arch: "x64", libc: "glibc" }, PREBUILDS, "/opt/abp").signals).toBe(
      "/opt/abp/asherah-bun-signals.so",
    );
  });
  test("musl is refused with the reason and a way out", () => {
    const e = refusal("linux", "x64", "musl");
    expect(e.code).toBe("UNSUPPORTED_PLATFORM");
    expect(e.message).toContain("musl libc (Alpine) is not supported");
    expect(e.message).toContain("golang/go#13492");
    expect(e.message).toContain("ASHERAH_BUN_PRELOAD_DISABLE=1");
    expect(refusal("linux", "arm64", "musl").code).toBe("UNSUPPORTED_PLATFORM");
  });
  test("Windows is refused with the reason", () => {
    expect(refusal("win32", "x64", "none").message).toContain("Windows is not supported");
  });
  test("an unknown platform lists what is supported and the override", () => {
    const e = refusal("freebsd", "x64", "none");
    expect(e.message).toContain("no warmup library for freebsd-x64");
    expect(e.message).toContain("linux x64 glibc");
    expect(e.message).toContain("ASHERAH_BUN_PRELOAD_LIBRARY_DIR");
    expect(refusal("linux", "ppc64", "glibc").message).toContain("linux-ppc64 (glibc)");
  });
  test("every table row resolves or refuses", () => {
    for (const key of SUPPORTED_KEYS) {
      const [platform, arch, libc] = key.split(" ") as [string, string, Libc];
      try {
        expect(locatePrebuilds({ platform, arch, libc }, PREBUILDS).dir).toStartWith(PREBUILDS);
      } catch (e) {
        expect((e as PreloadError).code).toBe("UNSUPPORTED_PLATFORM");
      }
    }
  });
});

test("detectLibc reads this process (glibc here)", () => {
  expect(detectLibc("linux")).toBe("glibc");
  expect(detectLibc("darwin")).toBe("none");
});
