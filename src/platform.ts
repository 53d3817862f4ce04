// Where the native libraries for this machine live, and an honest answer when
// there are none. One table, one pure function: adding a platform is one row,
// and tests can exercise every row without that platform.
import { PreloadError } from "./errors.ts";
import { existsNonEmpty, nodeFs } from "./files.ts";
import { join } from "./paths.ts";

export type Libc = "glibc" | "musl" | "none";

export interface PlatformKey {
  readonly platform: string; // process.platform
  readonly arch: string; // process.arch
  readonly libc: Libc;
}

type Support =
  | { readonly status: "supported"; readonly dir: string; readonly ext: string; readonly signals: boolean }
  | { readonly status: "release"; readonly dir: string; readonly ext: string; readonly signals: boolean }
  | { readonly status: "unsupported"; readonly reason: string };

// "supported": built and tested in this repository's CI.
// "release": built and tested by the release workflow on its own runners;
//   the files exist only in published packages.
// `signals`: whether the signal helper library exists there. JavaScriptCore
//   only suspends threads with signals on Linux; macOS uses Mach thread_suspend,
//   which a Go runtime cannot disturb.
const TABLE: Readonly<Record<string, Support>> = {
  "linux x64 glibc": { status: "supported", dir: "linux-x64", ext: "so", signals: true },
  "linux arm64 glibc": { status: "supported", dir: "linux-arm64", ext: "so", signals: true },
  "darwin x64 none": { status: "release", dir: "darwin-x64", ext: "dylib", signals: false },
  "darwin arm64 none": { status: "release", dir: "darwin-arm64", ext: "dylib", signals: false },
  "linux x64 musl": {
    status: "unsupported",
    reason:
      "musl libc (Alpine) is not supported: Go's c-shared runtime relies on glibc passing argc/argv to library constructors (golang/go#13492), and asherah 3.x itself does not support musl.",
  },
  "linux arm64 musl": {
    status: "unsupported",
    reason:
      "musl libc (Alpine) is not supported: Go's c-shared runtime relies on glibc passing argc/argv to library constructors (golang/go#13492), and asherah 3.x itself does not support musl.",
  },
  "win32 x64 none": {
    status: "unsupported",
    reason: "Windows is not supported: asherah 3.x ships no Windows build and Bun on Windows does not use POSIX signals.",
  },
};

export const SUPPORTED_KEYS: readonly string[] = Object.keys(TABLE);

export function platformKey({ platform, arch, libc }: PlatformKey): string {
  return `${platform} ${arch} ${libc}`;
}

export interface PrebuildLocation {
  readonly dir: string;
  readonly warmup: string;
  readonly signals: string | undefined;
  /** The `<platform>-<arch>` folder name, as used in SHA256SUMS. */
  readonly id: string;
}

/** Pure: maps a platform to the files to load, or throws the message for that platform. */
export function locatePrebuilds(key: PlatformKey, prebuildsDir: string, overrideDir?: string): PrebuildLocation {
  const row = TABLE[platformKey(key)];
  if (row === undefined) {
    throw new PreloadError(
      "UNSUPPORTED_PLATFORM",
      `no warmup library for ${key.platform}-${key.arch}${key.libc === "none" ? "" : ` (${key.libc})`}.`,
      `Supported: ${Object.entries(TABLE)
        .filter(([, support]) => support.status !== "unsupported")
        .map(([name]) => name)
        .join("; ")}.\nIf you build the libraries yourself (go/build.sh), point ASHERAH_BUN_PRELOAD_LIBRARY_DIR at the folder.`,
    );
  }
  if (row.status === "unsupported") {
    throw new PreloadError(
      "UNSUPPORTED_PLATFORM",
      `${key.platform}-${key.arch} (${key.libc}) is not supported. ${row.reason}`,
      "Use a glibc-based image (e.g. debian/ubuntu based oven/bun images) or set ASHERAH_BUN_PRELOAD_DISABLE=1 to run without the preload.",
    );
  }
  const dir = overrideDir ?? join(prebuildsDir, row.dir);
  return {
    dir,
    id: row.dir,
    warmup: join(dir, `asherah-bun-warmup.${row.ext}`),
    signals: row.signals ? join(dir, `asherah-bun-signals.${row.ext}`) : undefined,
  };
}

/**
 * Which libc the running process uses. The process report names the glibc
 * the process runs on (the check detect-libc makes first; ~0.3 ms, no
 * node:fs). Without it the process's own mappings decide, so a glibc Bun on
 * Alpine with gcompat still counts as glibc — the truth for whatever this
 * process will dlopen.
 */
export function detectLibc(platform: string = process.platform): Libc {
  if (platform !== "linux") return "none";
  const report = process.report?.getReport?.() as { header?: { glibcVersionRuntime?: unknown } } | undefined;
  if (typeof report?.header?.glibcVersionRuntime === "string") return "glibc";
  try {
    const maps = nodeFs().readFileSync("/proc/self/maps", "latin1");
    if (/\/ld-musl-[^/\s]*\.so/.test(maps)) return "musl";
    if (/\/libc\.so\.6\b/.test(maps)) return "glibc";
  } catch {
    // /proc not mounted (some sandboxes): fall back to what the filesystem says.
  }
  return existsNonEmpty("/etc/alpine-release") ? "musl" : "glibc";
}

export function currentPlatform(): PlatformKey {
  return { platform: process.platform, arch: process.arch, libc: detectLibc() };
}
