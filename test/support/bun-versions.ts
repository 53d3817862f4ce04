// Bun binaries for tests and the matrix: the pinned devDependency, or any
// release installed from the npm registry into .cache/bun/<version>/.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, realpathSync } from "node:fs";
import { join, resolve } from "node:path";

export const REPO_ROOT = resolve(import.meta.dir, "..", "..");
const CACHE = join(REPO_ROOT, ".cache", "bun");

function npmPackage(): string {
  const arch = process.arch === "arm64" ? "aarch64" : process.arch;
  return `@oven/bun-${process.platform}-${arch}`;
}

export function pinnedBunVersion(): string {
  const pkg = require(join(REPO_ROOT, "package.json")) as { devDependencies: Record<string, string> };
  const version = pkg.devDependencies.bun;
  if (version === undefined) throw new Error("package.json has no pinned `bun` devDependency");
  return version;
}

/** The pinned Bun shipped by `npm ci`, resolved to the real binary. */
export function pinnedBun(): string {
  const candidate = join(REPO_ROOT, "node_modules", npmPackage(), "bin", "bun");
  if (existsSync(candidate)) return realpathSync(candidate);
  return realpathSync(join(REPO_ROOT, "node_modules", ".bin", "bun"));
}

/** A Bun binary of exactly `version`, installing it into the cache on first use. */
export function bunBinary(version: string): string {
  if (version === "pinned" || version === pinnedBunVersion()) {
    const pinned = pinnedBun();
    if (existsSync(pinned)) return pinned;
  }
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`not a Bun release version: ${JSON.stringify(version)}`);
  const dir = join(CACHE, version);
  const binary = join(dir, "node_modules", npmPackage(), "bin", "bun");
  if (!existsSync(binary)) {
    mkdirSync(dir, { recursive: true });
    execFileSync("npm", ["install", "--prefix", dir, "--no-save", "--no-package-lock", "--no-audit", "--no-fund", "--loglevel=error", `${npmPackage()}@${version}`], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    if (!existsSync(binary)) throw new Error(`installing ${npmPackage()}@${version} did not produce ${binary}`);
  }
  return binary;
}
