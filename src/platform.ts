// Where the native files for this machine live, and an honest answer when
// there are none. One table, one pure function: adding a platform is one row,
// and tests can exercise every row without that platform.
//
// A platform without prebuilds never stops a process at start (issue 14): the
// preload then runs without native code, installs what needs none (the
// `import` support, the load guards) and refuses a guarded package at its
// load with the reason below.
import { CORE_FILE, WARMUP_FILE } from "./core.ts";
import { join } from "./paths.ts";

export type Libc = "glibc" | "musl" | "none";

export interface PlatformKey {
  readonly platform: string; // process.platform
  readonly arch: string; // process.arch
}

type Support =
  // Prebuilt in this package, built and tested in this repository's CI.
  | { readonly status: "native"; readonly dir: string }
  // Nothing to protect: the preload runs without native code.
  | { readonly status: "not-needed"; readonly reason: string }
  | { readonly status: "unsupported"; readonly reason: string };

const MACOS =
  "macOS needs no native code: JavaScriptCore suspends threads with Mach calls there, which a Go runtime cannot disturb (docs/platforms.md).";

const TABLE: Readonly<Record<string, Support>> = {
  "linux x64": { status: "native", dir: "linux-x64" },
  "linux arm64": { status: "native", dir: "linux-arm64" },
  "darwin x64": { status: "not-needed", reason: MACOS },
  "darwin arm64": { status: "not-needed", reason: MACOS },
  "win32 x64": {
    status: "unsupported",
    reason: "Windows is not supported: asherah 3.x ships no Windows build (asherah 4.x does, and needs no preload).",
  },
};

/** Why the glibc prebuilds do not load on musl; the Go-free asherah 4.x does. */
export const MUSL_REASON =
  "musl libc (Alpine) is not supported: the prebuilt libraries need glibc 2.34+, Go's c-shared runtime relies on glibc behaviour (golang/go#13492), and asherah 3.x does not support musl (asherah 4.x does, and needs no preload).";

/** The oldest glibc the prebuilt libraries load on (their newest symbol version; go/build.sh builds on Debian 12). */
export const GLIBC_NEEDED = "2.34";

/**
 * Why the shipped libraries do not load here, when that is an older glibc:
 * the loader found no `GLIBC_x` version the shipped core needs (at most
 * GLIBC_NEEDED), and the glibc the process runs on is older than
 * GLIBC_NEEDED. Like musl, that is the platform: the preload runs without
 * its core and refuses guarded packages. Anything else (a damaged or
 * replaced core asking for a newer version, a glibc that is new enough, an
 * unknown one) is not: undefined, and the load failure stops the process.
 */
export function oldGlibcReason(loaderMessage: string, running: string | undefined): string | undefined {
  const missing = missingGlibc(loaderMessage);
  if (missing === undefined || running === undefined || compareGlibc(missing, GLIBC_NEEDED) > 0 || !olderThanNeeded(running)) return undefined;
  return `this system's glibc ${running} is older than the ${GLIBC_NEEDED} the prebuilt libraries need (Debian 12, Ubuntu 22.04, RHEL 9, Amazon Linux 2023 or later; the loader found no GLIBC_${missing}).`;
}

/** The glibc version a loader's message says is missing ("version `GLIBC_2.34' not found"), if it says so. */
export function missingGlibc(loaderMessage: string): string | undefined {
  return /version `GLIBC_([0-9.]+)' not found/.exec(loaderMessage)?.[1];
}

/** Whether a glibc is older than the prebuilt libraries need. */
export function olderThanNeeded(glibc: string): boolean {
  return compareGlibc(glibc, GLIBC_NEEDED) < 0;
}

/** Orders two glibc versions ("2.31", "2.34"); a part that is not a number counts as 0. */
export function compareGlibc(a: string, b: string): number {
  const x = a.split("."), y = b.split(".");
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (Number(x[i]) || 0) - (Number(y[i]) || 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The glibc this process runs on, from the process report (~0.3 ms; not the start path). */
export function runningGlibc(): string | undefined {
  const report = process.report?.getReport?.() as { header?: { glibcVersionRuntime?: unknown } } | undefined;
  const version = report?.header?.glibcVersionRuntime;
  return typeof version === "string" ? version : undefined;
}

export const SUPPORTED_KEYS: readonly string[] = Object.keys(TABLE);

export function platformKey({ platform, arch }: PlatformKey): string {
  return `${platform} ${arch}`;
}

export type PrebuildLocation =
  | {
      readonly status: "native";
      readonly dir: string;
      /** The `<platform>-<arch>` folder name, as used in src/shipped.ts. */
      readonly id: string;
      readonly core: string;
      readonly warmup: string;
      /** Files from ASHERAH_BUN_PRELOAD_LIBRARY_DIR: no shipped sizes or hashes apply. */
      readonly override: boolean;
    }
  | { readonly status: "not-needed" | "unsupported"; readonly reason: string };

/** Pure: the files to load on a platform, or why there are none. */
export function locatePrebuilds(key: PlatformKey, prebuildsDir: string, overrideDir?: string): PrebuildLocation {
  const row = TABLE[platformKey(key)];
  const id = `${key.platform}-${key.arch}`;
  if (overrideDir !== undefined && key.platform === "linux") {
    return { status: "native", dir: overrideDir, id, core: join(overrideDir, CORE_FILE), warmup: join(overrideDir, WARMUP_FILE), override: true };
  }
  if (row === undefined) {
    const supported = Object.entries(TABLE)
      .filter(([, support]) => support.status === "native")
      .map(([name]) => name.replace(" ", "-"))
      .join(", ");
    return {
      status: "unsupported",
      // go/build.sh builds only the prebuilt targets: nothing to build here.
      reason: `there are no prebuilt libraries for ${id} (prebuilt: ${supported}).`,
    };
  }
  if (row.status !== "native") return row;
  const dir = join(prebuildsDir, row.dir);
  return { status: "native", dir, id: row.dir, core: join(dir, CORE_FILE), warmup: join(dir, WARMUP_FILE), override: false };
}

/**
 * Which libc the running process uses; asked only when the core failed to
 * load, to tell musl from a damaged install. The process report names the
 * glibc the process runs on (~0.3 ms); without it, the process's own
 * mappings decide (node:fs: this is not the start path).
 */
export function detectLibc(platform: string = process.platform): Libc {
  if (platform !== "linux") return "none";
  if (runningGlibc() !== undefined) return "glibc";
  try {
    const fs = import.meta.require("node:fs") as typeof import("node:fs");
    const maps = fs.readFileSync("/proc/self/maps", "latin1");
    if (/\/ld-musl-[^/\s]*\.so/.test(maps)) return "musl";
  } catch {
    // /proc not mounted (some sandboxes): assume glibc.
  }
  return "glibc";
}

export function currentPlatform(): PlatformKey {
  return { platform: process.platform, arch: process.arch };
}
