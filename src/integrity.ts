// Nothing is handed to dlopen unless its bytes are the bytes this package
// shipped: a swapped library in node_modules would otherwise run with the
// application's privileges before any application code.
import { readFileSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { describeElfProblem, inspectElf } from "./elf.ts";
import { PreloadError } from "./errors.ts";

/** Parses `sha256sum` output: "<64 hex>  <relative path>" per line. */
export function parseChecksums(text: string, source: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const [index, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "") continue;
    const match = /^([0-9a-f]{64}) [ *]?(\S.*)$/.exec(line);
    if (match === null || match[1] === undefined || match[2] === undefined) {
      throw new PreloadError(
        "LIBRARY_INVALID",
        `${source}:${index + 1} is not a sha256sum line: ${JSON.stringify(line.slice(0, 80))}.`,
        "Reinstall asherah-bun-preload; the manifest is damaged.",
      );
    }
    sums.set(match[2], match[1]);
  }
  return sums;
}

export function sha256File(path: string): string {
  // Bun's native hasher over a mapping of the file: node:crypto's createHash
  // costs ~10 ms on first use, and reading 1.3 MB into a buffer ~0.5 ms more.
  const bytes = typeof Bun.mmap === "function" ? Bun.mmap(path) : readFileSync(path);
  return new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
}

/** Throws unless `file` is a regular, non-empty file; names the file and the problem. */
function assertRegularFile(file: string, what: string): void {
  let stats;
  try {
    stats = statSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new PreloadError(
      "LIBRARY_MISSING",
      `the ${what} ${file} ${code === "ENOENT" ? "does not exist" : `cannot be read (${code ?? String(error)})`}.`,
      code === "ENOENT"
        ? "Reinstall asherah-bun-preload (npm/bun install) so its prebuilds/ folder is complete, or check ASHERAH_BUN_PRELOAD_LIBRARY_DIR."
        : "Check the file's permissions, or reinstall asherah-bun-preload.",
      { cause: error },
    );
  }
  if (!stats.isFile() || stats.size === 0) {
    throw new PreloadError(
      "LIBRARY_INVALID",
      `the ${what} ${file} is ${stats.isFile() ? "empty" : "not a regular file"}.`,
      "Reinstall asherah-bun-preload, or check ASHERAH_BUN_PRELOAD_LIBRARY_DIR.",
    );
  }
}

/**
 * For a library from ASHERAH_BUN_PRELOAD_LIBRARY_DIR, which has no shipped
 * checksum: a regular file whose ELF headers fit this process and the file.
 */
export function assertLoadableFile(file: string, what: string): void {
  assertRegularFile(file, what);
  if (process.platform === "linux") {
    const problem = inspectElf(file);
    if (problem !== undefined) {
      throw new PreloadError(
        "LIBRARY_INVALID",
        `the ${what} ${file} cannot be loaded: ${describeElfProblem(problem, process.arch)}.`,
        problem.kind === "wrong-machine"
          ? `It is not a shared library for ${process.platform}-${process.arch}. Reinstall asherah-bun-preload on this machine (node_modules copied from another CPU?), or fix ASHERAH_BUN_PRELOAD_LIBRARY_DIR.`
          : "Reinstall asherah-bun-preload, or rebuild the library with go/build.sh if you set ASHERAH_BUN_PRELOAD_LIBRARY_DIR.",
      );
    }
  }
}

/**
 * Checks `file` against the SHA256SUMS manifest in `prebuildsDir`, where it
 * is listed as "<id>/<basename>". Returns the digest.
 */
export function verifyShipped(file: string, prebuildsDir: string, what: string): string {
  assertRegularFile(file, what);
  const manifest = join(prebuildsDir, "SHA256SUMS");
  let text: string;
  try {
    text = readFileSync(manifest, "utf8");
  } catch (error) {
    throw new PreloadError(
      "LIBRARY_MISSING",
      `the checksum manifest ${manifest} cannot be read, so ${file} cannot be verified.`,
      "Reinstall asherah-bun-preload; the published package always contains prebuilds/SHA256SUMS.",
      { cause: error },
    );
  }
  const key = `${basename(dirname(file))}/${basename(file)}`;
  const expected = parseChecksums(text, manifest).get(key);
  if (expected === undefined) {
    throw new PreloadError(
      "CHECKSUM_MISMATCH",
      `${file} is not listed in ${manifest} (looked for "${key}").`,
      "Reinstall asherah-bun-preload. If you built the library yourself, load it with ASHERAH_BUN_PRELOAD_LIBRARY_DIR instead.",
    );
  }
  const actual = sha256File(file);
  if (actual !== expected) {
    throw new PreloadError(
      "CHECKSUM_MISMATCH",
      `refusing to load ${file}: its sha256 is ${actual}, the package shipped ${expected}.`,
      "The file was modified or damaged after installation. Reinstall asherah-bun-preload (rm -rf node_modules && install).",
    );
  }
  return actual;
}
