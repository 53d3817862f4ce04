// Running Linux arm64 Bun on this machine: natively on an arm64 host, or under
// qemu-user on x64. binfmt_misc may not be registered (containers, CI), so
// the emulator is always named explicitly with the arm64 glibc sysroot that
// Debian's cross packages install:
//
//   qemu-aarch64 -L /usr/aarch64-linux-gnu <bun-arm64> ...
//
// Bun's arm64 build comes from npm (@oven/bun-linux-aarch64@X), installed into
// .cache/bun-arm64/<version>/ with --force: npm refuses a package whose "cpu"
// field does not match the host, and --cpu/--os only apply to optional
// dependencies of what is installed, not to the package named on the command line.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { bunBinary, REPO_ROOT } from "./bun-versions.ts";

const CACHE = join(REPO_ROOT, ".cache", "bun-arm64");
export const ARM64_PACKAGE = "@oven/bun-linux-aarch64";

/** Where Debian's libc6-arm64-cross puts the arm64 glibc (ld-linux-aarch64.so.1 and friends). */
export const ARM64_SYSROOT = process.env.ABP_ARM64_SYSROOT ?? "/usr/aarch64-linux-gnu";

export interface Arm64Runner {
  /** "native" on an arm64 host, "qemu" under emulation. */
  readonly how: "native" | "qemu";
  /** Put in front of an arm64 binary's command line. */
  readonly prefix: readonly string[];
  /** One line for logs: which emulator and sysroot. */
  readonly description: string;
}

export type Arm64Support = { readonly runner: Arm64Runner; readonly reason?: undefined } | { readonly runner?: undefined; readonly reason: string };

/** How to run a Linux arm64 program here, or why it cannot be done. */
export function arm64Support(): Arm64Support {
  if (process.platform !== "linux") return { reason: `Linux arm64 programs cannot run on ${process.platform}` };
  if (process.arch === "arm64") return { runner: { how: "native", prefix: [], description: "native arm64 host" } };
  const qemu = Bun.which("qemu-aarch64") ?? Bun.which("qemu-aarch64-static");
  if (qemu === null) {
    return { reason: "qemu-aarch64 is not installed (Debian/Ubuntu: apt-get install qemu-user; .ci/run installs it)" };
  }
  const loader = join(ARM64_SYSROOT, "lib", "ld-linux-aarch64.so.1");
  if (!existsSync(loader)) {
    return {
      reason: `the arm64 glibc sysroot is missing (${loader} does not exist; Debian/Ubuntu: apt-get install libc6-arm64-cross, or set ABP_ARM64_SYSROOT)`,
    };
  }
  return { runner: { how: "qemu", prefix: [qemu, "-L", ARM64_SYSROOT], description: `${qemu} -L ${ARM64_SYSROOT}` } };
}

/**
 * The Linux arm64 Bun binary of exactly `version`, installed from npm into
 * .cache/bun-arm64/<version>/ on first use. On an arm64 host this is the
 * ordinary cache of bun-versions.ts.
 */
export function bunArm64Binary(version: string): string {
  if (process.platform === "linux" && process.arch === "arm64") return bunBinary(version);
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`not a Bun release version: ${JSON.stringify(version)}`);
  const dir = join(CACHE, version);
  const binary = join(dir, "node_modules", ARM64_PACKAGE, "bin", "bun");
  if (existsSync(binary)) return binary;
  // Install beside the final folder and rename, so an interrupted install never
  // leaves a half-written binary that a later run would take for complete.
  const staging = `${dir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    execFileSync(
      "npm",
      ["install", "--prefix", staging, "--force", "--no-save", "--no-package-lock", "--no-audit", "--no-fund", "--loglevel=error", `${ARM64_PACKAGE}@${version}`],
      { stdio: ["ignore", "ignore", "inherit"], timeout: 300_000, killSignal: "SIGKILL" },
    );
    if (!existsSync(join(staging, "node_modules", ARM64_PACKAGE, "bin", "bun"))) {
      throw new Error(`installing ${ARM64_PACKAGE}@${version} did not produce bin/bun`);
    }
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return binary;
}
