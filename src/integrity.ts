// Nothing is handed to dlopen unless its bytes are the bytes this package
// shipped: a swapped library in node_modules would otherwise run with the
// application's privileges before any application code.
import { checkElf, describeElfProblem } from "./elf.ts";
import { PreloadError } from "./errors.ts";
import { readChunks, readFileText } from "./files.ts";
import { basename, dirname, join } from "./paths.ts";

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

export interface FileDigest {
  readonly sha256: string;
  readonly size: number;
  /** The first 4 KiB, enough for the ELF headers of any library we load. */
  readonly head: Buffer;
}

const HEAD_BYTES = 4096;

/**
 * Hashes a file read in pieces (files.ts). Never one buffer for the whole
 * 1.3 MB library: on Bun 1.0.36 that allocation alone made a Go + WebAssembly
 * app hang in 22 of 150 runs under load (a fault loop at a freed JIT
 * address); hashing in pieces, 0 of 90. Throws an error with node:fs's
 * `code` when the file cannot be read.
 */
export function digestFile(path: string): FileDigest {
  // Bun's native hasher: node:crypto's createHash costs ~10 ms on first use.
  const hasher = new Bun.CryptoHasher("sha256");
  const head = Buffer.alloc(HEAD_BYTES);
  let size = 0;
  readChunks(path, (chunk) => {
    if (size < HEAD_BYTES) head.set(chunk.subarray(0, HEAD_BYTES - size), size);
    hasher.update(chunk);
    size += chunk.length;
  });
  return { sha256: hasher.digest("hex"), size, head: head.subarray(0, Math.min(size, HEAD_BYTES)) };
}

export function sha256File(path: string): string {
  return digestFile(path).sha256;
}

/** The digest of a library about to be loaded; names the file and the problem when it cannot be read or is empty. */
function digestLibrary(file: string, what: string): FileDigest {
  let digest: FileDigest;
  try {
    digest = digestFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EISDIR") {
      throw new PreloadError("LIBRARY_INVALID", `the ${what} ${file} is not a regular file.`, "Reinstall asherah-bun-preload, or check ASHERAH_BUN_PRELOAD_LIBRARY_DIR.");
    }
    throw new PreloadError(
      "LIBRARY_MISSING",
      `the ${what} ${file} ${code === "ENOENT" ? "does not exist" : `cannot be read (${code ?? String(error)})`}.`,
      code === "ENOENT"
        ? "Reinstall asherah-bun-preload (npm/bun install) so its prebuilds/ folder is complete, or check ASHERAH_BUN_PRELOAD_LIBRARY_DIR."
        : "Check that the user running Bun may read the file (read access is all it needs), or reinstall asherah-bun-preload.",
      { cause: error },
    );
  }
  if (digest.size === 0) {
    throw new PreloadError("LIBRARY_INVALID", `the ${what} ${file} is empty.`, "Reinstall asherah-bun-preload, or check ASHERAH_BUN_PRELOAD_LIBRARY_DIR.");
  }
  return digest;
}

/**
 * For a library from ASHERAH_BUN_PRELOAD_LIBRARY_DIR, which has no shipped
 * checksum: a regular file whose ELF headers fit this process and the file.
 */
export function assertLoadableFile(file: string, what: string): void {
  const { head, size } = digestLibrary(file, what);
  if (process.platform === "linux") {
    const problem = checkElf(head, size, process.arch);
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
  const digest = digestLibrary(file, what);
  const manifest = join(prebuildsDir, "SHA256SUMS");
  let text: string;
  try {
    text = readFileText(manifest);
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
  const actual = digest.sha256;
  if (actual !== expected) {
    throw new PreloadError(
      "CHECKSUM_MISMATCH",
      `refusing to load ${file}: its sha256 is ${actual}, the package shipped ${expected}.`,
      "The file was modified or damaged after installation. Reinstall asherah-bun-preload (rm -rf node_modules && install).",
    );
  }
  return actual;
}
