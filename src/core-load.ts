// Loading and checking the native core (core.ts has its typed surface): the
// general path's loadCore, and the checks and errors the start path
// (start.ts) shares with it.
import { CORE_ABI, type Core, type ShippedFile } from "./core.ts";
import { checkElf, describeElfProblem } from "./elf.ts";
import { PreloadError } from "./errors.ts";
import { missingGlibc } from "./platform.ts";

type Dlopen = (module: { exports: unknown }, filename: string, flags?: number) => void;

/** The largest core accepted from a library folder of one's own. */
const MAX_CORE_BYTES = 4 << 20;

/**
 * Loads the core from `path` (absolute, inside this package or
 * ASHERAH_BUN_PRELOAD_LIBRARY_DIR) with the original process.dlopen.
 *
 * The core is the bootstrap: nothing native is loaded yet that could check
 * it, and reading it from JavaScript needs node:fs (+4.5 ms at every start).
 * So: before the load a stat through Bun.file (~40 µs): the size must be the
 * shipped size, or for a library folder of one's own 1 byte to 4 MiB; a FIFO
 * or device reports Infinity and is refused, so the load never blocks. After
 * the load, before any of its functions is used, the core hashes its own
 * file (~0.1 ms) and checks that neither the file nor its folder is
 * world-writable. The core is trusted as much as the JavaScript that loads
 * it, which sits in the same package with the same owner
 * (docs/how-it-works.md, "Trust").
 */
export function loadCore(path: string, shipped: ShippedFile | undefined, dlopen: Dlopen): Core {
  const expectedSize = shipped?.size;
  const size = Bun.file(path).size;
  const sizeOk = expectedSize === undefined ? size > 0 && size <= MAX_CORE_BYTES : size === expectedSize;
  if (!sizeOk) {
    const found = size === 0 ? "missing or empty" : Number.isFinite(size) ? `${size} bytes` : "not a regular file (a FIFO or device)";
    throw new PreloadError(
      size === 0 ? "LIBRARY_MISSING" : "LIBRARY_INVALID",
      `the native core ${path} is ${found}${expectedSize === undefined ? "" : `; the package shipped ${expectedSize} bytes`}.`,
      size === 0
        ? "Reinstall asherah-bun-preload (npm/bun install) so its prebuilds/ folder is complete, or check ASHERAH_BUN_PRELOAD_LIBRARY_DIR."
        : "Reinstall asherah-bun-preload (rm -rf node_modules && install), or rebuild the folder with go/build.sh --out DIR.",
    );
  }
  // A core of one's own (ASHERAH_BUN_PRELOAD_LIBRARY_DIR) has no shipped size
  // to compare: its ELF headers are checked against its size before the
  // loader sees it. The loader accepts a truncated file whose headers are
  // intact and the process then dies of SIGBUS (test/e2e/error-output.test.ts,
  // "a corrupt (truncated) library"). node:fs is loaded for this only.
  if (shipped === undefined) {
    // A folder of one's own is checked for other users' write access before
    // the load too (its constructors would run before the core could refuse
    // itself): node:fs is loaded for the ELF check anyway.
    const unsafe = unsafePathOf(path);
    if (unsafe !== undefined) throw unsafeError(unsafe);
    const problem = elfProblemOf(path);
    if (problem !== undefined) {
      throw new PreloadError("LIBRARY_INVALID", `the native core ${path} could not be loaded: ${problem}`, dlopenAdvice(problem), { where: { path } });
    }
  }
  const module = { exports: {} as Core };
  try {
    dlopen(module, path);
  } catch (error) {
    const reason = elfProblemOf(path) ?? (error instanceof Error ? error.message : String(error));
    throw new PreloadError("LIBRARY_INVALID", `the native core ${path} could not be loaded: ${reason}`, dlopenAdvice(reason), { cause: error });
  }
  const core = module.exports;
  const problem = loadedCoreProblem(core, path, shipped);
  if (problem !== undefined) throw problem;
  return core;
}

/**
 * The checks of a core just loaded, before any other of its functions is
 * used: its ABI, the sha256 of its own file (a shipped core), and that
 * neither the file nor its folder is world-writable. Shared with the start
 * path (start.ts), which runs the same three checks inline and comes here
 * for the error.
 */
export function loadedCoreProblem(core: Core, path: string, shipped: ShippedFile | undefined): PreloadError | undefined {
  if (core.abi !== CORE_ABI) {
    return new PreloadError(
      "LIBRARY_INVALID",
      `the native core ${path} has ABI version ${String(core.abi)}; this asherah-bun-preload understands ${CORE_ABI}.`,
      "Its prebuilds/ folder and its JavaScript come from different versions: reinstall asherah-bun-preload.",
    );
  }
  if (shipped !== undefined) {
    const actual = core.selfSha256();
    if (actual !== shipped.sha256) {
      return new PreloadError(
        "CHECKSUM_MISMATCH",
        `refusing the native core ${path}: its sha256 is ${actual}, the package shipped ${shipped.sha256}.`,
        "The file was modified or damaged after installation. Reinstall asherah-bun-preload (rm -rf node_modules && install).",
      );
    }
  }
  const unsafe = core.checkPathSafe(path);
  return unsafe === "" ? undefined : unsafeError(unsafe);
}

function unsafeError(why: string): PreloadError {
  return new PreloadError(
    "LIBRARY_UNSAFE",
    `refusing the native core because ${why}.`,
    "Anyone could replace what runs in every Bun process: remove write access for other users (chmod o-w) or move the library folder.",
  );
}

/**
 * The core's own check (go/core/abp_files.c abp_check_path_safe) before it
 * is loaded: the real path's file and folder must not be writable by every
 * user. Only for a library folder of one's own (node:fs).
 */
function unsafePathOf(path: string): string | undefined {
  const fs = import.meta.require("node:fs") as typeof import("node:fs");
  let real: string;
  try {
    real = fs.realpathSync(path);
  } catch {
    return undefined; // missing: the load reports it
  }
  const worldWritable = (target: string) => (fs.statSync(target).mode & 0o002) !== 0;
  const mode = (target: string) => (fs.statSync(target).mode & 0o7777).toString(8).padStart(3, "0");
  if (worldWritable(real)) return `${real} is writable by every user (mode ${mode(real)})`;
  const folder = real.slice(0, real.lastIndexOf("/")) || "/";
  if (worldWritable(folder)) return `its folder ${folder} is writable by every user (mode ${mode(folder)})`;
  return undefined;
}

/**
 * What is wrong with a library's ELF headers for this process, if anything:
 * the loader's own message for a library of another CPU does not say which
 * one, and a truncated one crashes it. Never on the default start path
 * (node:fs).
 */
function elfProblemOf(path: string): string | undefined {
  try {
    const fs = import.meta.require("node:fs") as typeof import("node:fs");
    const fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    try {
      const stat = fs.fstatSync(fd);
      if (!stat.isFile()) return undefined;
      const head = Buffer.alloc(4096);
      const read = fs.readSync(fd, head, 0, head.length, 0);
      const problem = checkElf(head.subarray(0, read), stat.size, process.arch);
      return problem === undefined ? undefined : describeElfProblem(problem, process.arch);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/**
 * Pure: what to do about a load failure, from the loader's message. (The
 * shipped core on a glibc older than it needs is the platform, not the file:
 * lifecycle.ts ensureCore runs without the core then, platform.ts
 * oldGlibcReason; what reaches here is a folder of one's own or a core that
 * is not the shipped one.)
 */
export function dlopenAdvice(reason: string, platform: string = process.platform, arch: string = process.arch): string {
  const glibc = missingGlibc(reason);
  if (glibc !== undefined) {
    return `The library needs glibc ${glibc}, which this system does not have. Build the libraries on this system (bash go/build.sh --out DIR, from a clone of asherah-bun-preload) for ASHERAH_BUN_PRELOAD_LIBRARY_DIR, or reinstall asherah-bun-preload.`;
  }
  if (/file too short|truncated/i.test(reason)) {
    return "The file is shorter than its own headers say (an interrupted copy or install?). Reinstall asherah-bun-preload, or rebuild the folder ASHERAH_BUN_PRELOAD_LIBRARY_DIR names.";
  }
  if (/wrong ELF class|ELF file's|invalid ELF header|not a dynamic|Exec format|built for|not an ELF/i.test(reason)) {
    return `The file is not a library for ${platform}-${arch}. Reinstall asherah-bun-preload on this machine (node_modules copied from another OS or CPU?), or fix ASHERAH_BUN_PRELOAD_LIBRARY_DIR.`;
  }
  return "Reinstall asherah-bun-preload, or set ASHERAH_BUN_PRELOAD_DEBUG=1 and report the output.";
}

