// @bun
// src/bun-version.ts
function parseVersion(text) {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(text);
  if (match === null)
    return;
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]) };
}
function compareVersions(a, b) {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}
var FIRST_FIXED = { major: 1, minor: 4, patch: 4 };
var BUN_1_1 = { major: 1, minor: 1, patch: 0 };
function atLeast(bunVersion, min) {
  const version = parseVersion(bunVersion);
  return version !== undefined && compareVersions(version, min) >= 0;
}
function isAffected(bunVersion, platform) {
  if (platform !== "linux")
    return false;
  return !atLeast(bunVersion, FIRST_FIXED);
}
function supportsJsEntryGuard(bunVersion) {
  return atLeast(bunVersion, BUN_1_1);
}
function supportsLazyWarmup(bunVersion) {
  return atLeast(bunVersion, BUN_1_1);
}
function needsCollectAfterInstall(bunVersion) {
  return !atLeast(bunVersion, BUN_1_1);
}
function ffiForFileReads(bunVersion) {
  return atLeast(bunVersion, BUN_1_1);
}

// src/errors.ts
class PreloadError extends Error {
  code;
  constructor(code, what, next, options) {
    super(`asherah-bun-preload: ${what}
  ${next.split(`
`).join(`
  `)}`, options);
    this.name = "PreloadError";
    this.code = code;
  }
}
function describeError(error) {
  if (error instanceof Error)
    return error.message;
  return String(error);
}

// src/paths.ts
function join(...parts) {
  const joined = parts.filter((part) => part !== "").join("/");
  const absolute = joined.startsWith("/");
  const out = [];
  for (const segment of joined.split("/")) {
    if (segment === "" || segment === ".")
      continue;
    if (segment === ".." && out.length > 0 && out[out.length - 1] !== "..")
      out.pop();
    else if (segment !== ".." || !absolute)
      out.push(segment);
  }
  const body = out.join("/");
  return absolute ? `/${body}` : body === "" ? "." : body;
}
function isAbsolute(path) {
  return path.startsWith("/");
}
function resolve(...parts) {
  let from = parts.length - 1;
  while (from >= 0 && !isAbsolute(parts[from] ?? ""))
    from--;
  return from < 0 ? join(process.cwd(), ...parts) : join(...parts.slice(from));
}
function dirname(path) {
  const normalised = join(path);
  const slash = normalised.lastIndexOf("/");
  if (slash < 0)
    return ".";
  return slash === 0 ? "/" : normalised.slice(0, slash);
}
function basename(path) {
  const normalised = join(path);
  return normalised.slice(normalised.lastIndexOf("/") + 1);
}

// src/config.ts
var ENV_PREFIX = "ASHERAH_BUN_PRELOAD_";
var DEFAULT_PACKAGES = ["asherah"];
var KNOWN = ["DISABLE", "WARMUP", "SIGNALS", "SIGNAL_MECHANISM", "PACKAGES", "DEBUG", "LIBRARY_DIR", "WATCHDOG_MS"];
var PACKAGE_NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;
function bad(variable, value, expected) {
  return new PreloadError("CONFIG", `environment variable ${variable} has the invalid value ${JSON.stringify(value)}.`, `Expected ${expected}. Fix or unset ${variable}.`);
}
function parseBoolean(variable, value) {
  switch (value.trim().toLowerCase()) {
    case "1":
    case "true":
    case "yes":
    case "on":
      return true;
    case "":
    case "0":
    case "false":
    case "no":
    case "off":
      return false;
    default:
      throw bad(variable, value, "one of 1, 0, true, false, yes, no, on, off");
  }
}
function parseChoice(variable, value, choices) {
  const normalised = value.trim().toLowerCase();
  const found = choices.find((choice) => choice === normalised);
  if (found === undefined)
    throw bad(variable, value, `one of ${choices.join(", ")}`);
  return found;
}
function parsePackages(variable, value) {
  const names = value.split(",").map((name) => name.trim()).filter((name) => name.length > 0);
  for (const name of names) {
    if (!PACKAGE_NAME.test(name)) {
      throw bad(variable, value, `a comma-separated list of npm package names (${JSON.stringify(name)} is not one)`);
    }
  }
  return names;
}
function parseMilliseconds(variable, value) {
  const trimmed = value.trim();
  if (!/^\d{1,9}$/.test(trimmed))
    throw bad(variable, value, "a whole number of milliseconds (0 turns it off)");
  return Number(trimmed);
}
function parseDirectory(variable, value) {
  if (!isAbsolute(value))
    throw bad(variable, value, "an absolute path to a folder holding asherah-bun-warmup and asherah-bun-signals");
  return value;
}
function readConfig(env) {
  for (const key of Object.keys(env)) {
    if (!key.startsWith(ENV_PREFIX))
      continue;
    const name = key.slice(ENV_PREFIX.length);
    if (!KNOWN.includes(name)) {
      throw new PreloadError("CONFIG", `unknown environment variable ${key}.`, `Known variables: ${KNOWN.map((k) => ENV_PREFIX + k).join(", ")}. Remove or rename it.`);
    }
  }
  const get = (name) => env[ENV_PREFIX + name];
  const variable = (name) => ENV_PREFIX + name;
  const disable = get("DISABLE");
  const warmup = get("WARMUP");
  const signals = get("SIGNALS");
  const mechanism = get("SIGNAL_MECHANISM");
  const packages = get("PACKAGES");
  const debug = get("DEBUG");
  const libraryDir = get("LIBRARY_DIR");
  const watchdog = get("WATCHDOG_MS");
  const extra = packages === undefined ? [] : parsePackages(variable("PACKAGES"), packages);
  return {
    disabled: disable === undefined ? false : parseBoolean(variable("DISABLE"), disable),
    warmup: warmup === undefined ? "eager" : parseChoice(variable("WARMUP"), warmup, ["eager", "lazy", "off"]),
    signals: signals === undefined ? "auto" : parseChoice(variable("SIGNALS"), signals, ["auto", "force", "off"]),
    mechanism: mechanism === undefined ? "wrap" : parseChoice(variable("SIGNAL_MECHANISM"), mechanism, ["wrap", "restore"]),
    packages: [...new Set([...DEFAULT_PACKAGES, ...extra])],
    debug: debug === undefined ? false : parseBoolean(variable("DEBUG"), debug),
    libraryDir: libraryDir === undefined || libraryDir === "" ? undefined : parseDirectory(variable("LIBRARY_DIR"), libraryDir),
    watchdogMs: watchdog === undefined ? 0 : parseMilliseconds(variable("WATCHDOG_MS"), watchdog)
  };
}

// src/debug.ts
var DEBUG_PREFIX = "[asherah-bun-preload]";
function formatDebugLine(event, fields = {}) {
  const parts = [DEBUG_PREFIX, event];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined)
      continue;
    const text = String(value);
    parts.push(`${key}=${/[\s"]/.test(text) ? JSON.stringify(text) : text}`);
  }
  return parts.join(" ");
}
function createDebugLog(enabled) {
  if (!enabled)
    return () => {};
  return (event, fields) => {
    process.stderr.write(formatDebugLine(event, fields) + `
`);
  };
}

// src/elf.ts
var MACHINES = { 3: "x86 (32-bit)", 40: "arm (32-bit)", 62: "x64", 183: "arm64", 243: "riscv64", 21: "ppc64" };
var EXPECTED_MACHINE = { x64: 62, arm64: 183 };
function describeElfProblem(problem, arch) {
  switch (problem.kind) {
    case "not-elf":
      return "it is not an ELF file";
    case "not-shared":
      return `it is an ELF file of type ${problem.type}, not a shared library`;
    case "wrong-class":
      return "it is a 32-bit or big-endian ELF file";
    case "wrong-machine":
      return `it is built for ${problem.machine}, but this process is ${arch}`;
    case "truncated":
      return `it is truncated: its headers need ${problem.needed} bytes, the file has ${problem.size}`;
  }
}
function readElfHeader(head) {
  return {
    phoff: Number(head.readBigUInt64LE(32)),
    shoff: Number(head.readBigUInt64LE(40)),
    phentsize: head.readUInt16LE(54),
    phnum: head.readUInt16LE(56),
    shentsize: head.readUInt16LE(58),
    shnum: head.readUInt16LE(60)
  };
}
function checkElf(head, fileSize, arch) {
  if (head.length < 64 || head.readUInt32BE(0) !== 2135247942)
    return { kind: "not-elf" };
  if (head[4] !== 2 || head[5] !== 1)
    return { kind: "wrong-class" };
  const type = head.readUInt16LE(16);
  if (type !== 3)
    return { kind: "not-shared", type };
  const machine = head.readUInt16LE(18);
  const expected = EXPECTED_MACHINE[arch];
  if (expected !== undefined && machine !== expected)
    return { kind: "wrong-machine", machine: MACHINES[machine] ?? `machine ${machine}` };
  const { phoff, shoff, phentsize, phnum, shentsize, shnum } = readElfHeader(head);
  let needed = Math.max(phoff + phentsize * phnum, shnum === 0 ? 0 : shoff + shentsize * shnum);
  if (phoff + phentsize * phnum > head.length)
    return needed > fileSize ? { kind: "truncated", needed, size: fileSize } : undefined;
  for (let i = 0;i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (head.readUInt32LE(at) !== 1)
      continue;
    const offset = Number(head.readBigUInt64LE(at + 8));
    const filesz = Number(head.readBigUInt64LE(at + 32));
    needed = Math.max(needed, offset + filesz);
  }
  return needed > fileSize ? { kind: "truncated", needed, size: fileSize } : undefined;
}

// src/native.ts
var ffi = import.meta.require("bun:ffi");
var { FFIType, ptr } = ffi;
var dlopen = ffi.dlopen;
var SIGNALS_ABI = 3;
var OP = {
  abiVersion: 0,
  snapshot: 1,
  snapshotTaken: 2,
  query: 3,
  restoreFlags: 4,
  restoreDisposition: 5,
  waitGoRuntime: 6,
  goRuntimeCount: 7,
  handlerOwner: 8,
  flagValue: 9,
  wrapSupported: 10,
  registerThread: 11,
  wrapSuspendHandler: 12,
  wrapQuery: 13,
  wrapStats: 14,
  watchdogArm: 15,
  watchdogDisarm: 16
};
var dispatcher = {
  abp_op: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.i32], returns: FFIType.i32 }
};
var WRAP_STAT_NAMES = [
  "calls",
  "switched",
  "offNative",
  "offEpisodes",
  "onAltstack",
  "unregistered",
  "direct",
  "nested",
  "lowHeadroom",
  "altstackErrors",
  "registeredThreads",
  "foreign"
];
var FLAG_NAMES = ["SA_ONSTACK", "SA_SIGINFO", "SA_RESTART", "SA_NODEFER", "SA_RESETHAND", "SA_RESTORER"];
function cString(text) {
  return new TextEncoder().encode(`${text}\x00`);
}
function dlopenAdvice(reason, platform = process.platform, arch = process.arch) {
  if (/GLIBC_\d/.test(reason)) {
    return "This system's glibc is older than the prebuilt libraries need (glibc 2.34 or later: Debian 12, Ubuntu 22.04, RHEL 9). Build them here with `bash go/build.sh` from the package's go/ folder and set ASHERAH_BUN_PRELOAD_LIBRARY_DIR to the output folder.";
  }
  if (/wrong ELF class|ELF file's|invalid ELF header|cannot open shared object|file too short|not a dynamic/i.test(reason)) {
    return `The file is not a shared library for ${platform}-${arch}. Reinstall asherah-bun-preload on this machine (node_modules copied from another OS or CPU?), or fix ASHERAH_BUN_PRELOAD_LIBRARY_DIR.`;
  }
  return "Reinstall asherah-bun-preload, or set ASHERAH_BUN_PRELOAD_DEBUG=1 and report the output.";
}
function openLibrary(path, symbols, what) {
  try {
    return dlopen(path, symbols);
  } catch (error) {
    const reason = describeError(error);
    throw new PreloadError("LIBRARY_INVALID", `could not load the ${what} ${path}: ${reason}`, dlopenAdvice(reason), { cause: error });
  }
}
function openDispatcher(path, what) {
  const lib = openLibrary(path, dispatcher, what);
  const op = (code, a = 0, b = 0, buf = null, len = 0) => lib.symbols.abp_op(code, a, b, buf === null ? null : ptr(buf), len);
  return { op, close: () => lib.close() };
}
function openSignalLibrary(path) {
  const { op, close } = openDispatcher(path, "signal helper library");
  const abi = op(OP.abiVersion);
  if (abi !== SIGNALS_ABI) {
    close();
    throw new PreloadError("LIBRARY_INVALID", `the signal helper library ${path} has ABI version ${abi}; this asherah-bun-preload understands ${SIGNALS_ABI}.`, "The prebuilds/ folder and src/ come from different versions. Reinstall asherah-bun-preload.");
  }
  const pair = new BigUint64Array(2);
  const owner = new Uint8Array(4096);
  const which = (w) => w === "live" ? 0 : 1;
  const restored = (signal, code, name) => {
    if (code === 1)
      return "repaired";
    if (code === 0)
      return "unchanged";
    throw new PreloadError("SIGNALS_FAILED", `${name}(${signal}) failed with code ${code} (${code === -2 ? "no snapshot was taken" : "sigaction failed"}).`, "Set ASHERAH_BUN_PRELOAD_DEBUG=1 and report the output; ASHERAH_BUN_PRELOAD_SIGNALS=off skips the repair.");
  };
  const flagValues = Object.fromEntries(FLAG_NAMES.map((name, index) => [name, BigInt(op(OP.flagValue, index) >>> 0)]));
  return {
    path,
    abi,
    snapshot: () => op(OP.snapshot) === 1,
    snapshotTaken: () => op(OP.snapshotTaken) === 1,
    query(signal, w) {
      if (op(OP.query, signal, which(w), pair) !== 0)
        return;
      return { handler: pair[0] ?? 0n, flags: pair[1] ?? 0n };
    },
    restoreFlags: (signal) => restored(signal, op(OP.restoreFlags, signal), "abp_restore_flags"),
    restoreDisposition: (signal) => restored(signal, op(OP.restoreDisposition, signal), "abp_restore_disposition"),
    waitGoRuntime(file) {
      const code = op(OP.waitGoRuntime, 0, 0, cString(file));
      return code === 1 ? "go" : code === 0 ? "none" : "not-loaded";
    },
    goRuntimeCount: () => op(OP.goRuntimeCount),
    handlerOwner(signal, w) {
      if (op(OP.handlerOwner, signal, which(w), owner, owner.length) !== 0)
        return "";
      const end = owner.indexOf(0);
      return Buffer.from(owner.buffer, 0, end < 0 ? owner.length : end).toString("utf8");
    },
    flagValues,
    wrapSupported: op(OP.wrapSupported) === 1,
    registerThread() {
      const code = op(OP.registerThread);
      if (code === 1)
        return "registered";
      if (code === 0)
        return "refreshed";
      throw new PreloadError("SIGNALS_FAILED", `abp_register_thread failed with code ${code} (${code === -2 ? "more than 256 threads registered" : "the thread's stack bounds are unknown"}).`, "Set ASHERAH_BUN_PRELOAD_SIGNAL_MECHANISM=restore to use the flag-restore repair instead, and report this with ASHERAH_BUN_PRELOAD_DEBUG=1 output.");
    },
    wrapSuspendHandler(signal) {
      const code = op(OP.wrapSuspendHandler, signal);
      if (code === 1)
        return "wrapped";
      if (code === 0)
        return "already-wrapped";
      if (code === -3)
        return "no-handler";
      throw new PreloadError("SIGNALS_FAILED", `abp_wrap_suspend_handler(${signal}) failed with code ${code}.`, "Set ASHERAH_BUN_PRELOAD_SIGNAL_MECHANISM=restore to use the flag-restore repair instead.");
    },
    isWrapped: (signal) => op(OP.wrapQuery, signal) === 1,
    wrapStats() {
      const out = new BigUint64Array(WRAP_STAT_NAMES.length);
      op(OP.wrapStats, 0, 0, out, out.length);
      return Object.fromEntries(WRAP_STAT_NAMES.map((name, i) => [name, Number(out[i] ?? 0n)]));
    }
  };
}
function openWarmupLibrary(path) {
  const lib = openLibrary(path, { WarmupGoRuntime: { args: [], returns: FFIType.i32 } }, "Go warmup library");
  return { path, call: () => lib.symbols.WarmupGoRuntime() };
}
function describeFlags(flags, values) {
  const names = FLAG_NAMES.filter((name) => name !== "SA_RESTORER" && (flags & values[name]) !== 0n);
  return names.length === 0 ? "0" : names.join("|");
}
function openWatchdogLibrary(path) {
  const { op } = openDispatcher(path, "signal helper library (watchdog)");
  return {
    path,
    arm: (ms, what) => op(OP.watchdogArm, ms, 0, cString(what)),
    disarm: () => op(OP.watchdogDisarm)
  };
}
var O_RDONLY_CLOEXEC = 524288;
var READ_CHUNK = 256 * 1024;
function openLibcReader() {
  const lib = openLibrary("libc.so.6", {
    open: { args: [FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
    read: { args: [FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i64 },
    close: { args: [FFIType.i32], returns: FFIType.i32 }
  }, "C library");
  const buffer = new Uint8Array(READ_CHUNK);
  return (path, visit) => {
    const name = cString(path);
    const fd = lib.symbols.open(ptr(name), O_RDONLY_CLOEXEC);
    if (fd < 0)
      return false;
    try {
      for (let visited = false;; visited = true) {
        const count = Number(lib.symbols.read(fd, ptr(buffer), READ_CHUNK));
        if (count < 0 && !visited)
          return false;
        if (count < 0)
          throw Object.assign(new Error(`EIO: i/o error, read '${path}'`), { code: "EIO", syscall: "read", path });
        if (count === 0)
          return true;
        visit(buffer.subarray(0, count));
      }
    } finally {
      lib.symbols.close(fd);
    }
  };
}

// src/state.ts
var KEY = Symbol.for("asherah-bun-preload.state");
function fresh() {
  return {
    stateVersion: 1,
    phase: "not-installed",
    installedBy: [],
    warmup: { status: "pending" },
    snapshotTainted: false,
    wrapped: [],
    repairs: [],
    guarded: [],
    events: [],
    hooks: { processDlopen: false, ffiDlopen: false, plugin: false, workers: false, virtualModules: [] },
    timings: {},
    watchdog: {}
  };
}
function processState() {
  const holder = globalThis;
  let state = holder[KEY];
  if (state === undefined || state.stateVersion !== 1) {
    state = fresh();
    Object.defineProperty(globalThis, KEY, { value: state, enumerable: false, configurable: false, writable: false });
  }
  return state;
}
function nowMicros() {
  return Math.round(Bun.nanoseconds() / 1000);
}
function recordEvent(state, event, detail = "") {
  state.events.push({ seq: state.events.length + 1, event, detail, atMicros: nowMicros() });
}

// src/files.ts
function nodeFs() {
  return import.meta.require("node:fs");
}
var NODE_CHUNK = 64 * 1024;
function readChunks(path, visit) {
  if (process.platform === "linux" && ffiForFileReads(Bun.version)) {
    const state = processState();
    if (state.libcReader === undefined) {
      try {
        state.libcReader = openLibcReader();
      } catch {
        state.libcReader = () => false;
      }
    }
    if (state.libcReader(path, visit))
      return;
  }
  const fs = nodeFs();
  const fd = fs.openSync(path, "r");
  try {
    const chunk = Buffer.alloc(NODE_CHUNK);
    for (;; ) {
      const read = fs.readSync(fd, chunk, 0, NODE_CHUNK, null);
      if (read === 0)
        return;
      visit(chunk.subarray(0, read));
    }
  } finally {
    fs.closeSync(fd);
  }
}
function readFileText(path) {
  const parts = [];
  readChunks(path, (chunk) => parts.push(chunk.slice()));
  return Buffer.concat(parts).toString("utf8");
}
function existsNonEmpty(path) {
  return Bun.file(path).size > 0;
}

// src/integrity.ts
function parseChecksums(text, source) {
  const sums = new Map;
  for (const [index, raw] of text.split(`
`).entries()) {
    const line = raw.trim();
    if (line === "")
      continue;
    const match = /^([0-9a-f]{64}) [ *]?(\S.*)$/.exec(line);
    if (match === null || match[1] === undefined || match[2] === undefined) {
      throw new PreloadError("LIBRARY_INVALID", `${source}:${index + 1} is not a sha256sum line: ${JSON.stringify(line.slice(0, 80))}.`, "Reinstall asherah-bun-preload; the manifest is damaged.");
    }
    sums.set(match[2], match[1]);
  }
  return sums;
}
var HEAD_BYTES = 4096;
function digestFile(path) {
  const hasher = new Bun.CryptoHasher("sha256");
  const head = Buffer.alloc(HEAD_BYTES);
  let size = 0;
  readChunks(path, (chunk) => {
    if (size < HEAD_BYTES)
      head.set(chunk.subarray(0, HEAD_BYTES - size), size);
    hasher.update(chunk);
    size += chunk.length;
  });
  return { sha256: hasher.digest("hex"), size, head: head.subarray(0, Math.min(size, HEAD_BYTES)) };
}
function digestLibrary(file, what) {
  let digest;
  try {
    digest = digestFile(file);
  } catch (error) {
    const code = error.code;
    if (code === "EISDIR") {
      throw new PreloadError("LIBRARY_INVALID", `the ${what} ${file} is not a regular file.`, "Reinstall asherah-bun-preload, or check ASHERAH_BUN_PRELOAD_LIBRARY_DIR.");
    }
    throw new PreloadError("LIBRARY_MISSING", `the ${what} ${file} ${code === "ENOENT" ? "does not exist" : `cannot be read (${code ?? String(error)})`}.`, code === "ENOENT" ? "Reinstall asherah-bun-preload (npm/bun install) so its prebuilds/ folder is complete, or check ASHERAH_BUN_PRELOAD_LIBRARY_DIR." : "Check that the user running Bun may read the file (read access is all it needs), or reinstall asherah-bun-preload.", { cause: error });
  }
  if (digest.size === 0) {
    throw new PreloadError("LIBRARY_INVALID", `the ${what} ${file} is empty.`, "Reinstall asherah-bun-preload, or check ASHERAH_BUN_PRELOAD_LIBRARY_DIR.");
  }
  return digest;
}
function assertLoadableFile(file, what) {
  const { head, size } = digestLibrary(file, what);
  if (process.platform === "linux") {
    const problem = checkElf(head, size, process.arch);
    if (problem !== undefined) {
      throw new PreloadError("LIBRARY_INVALID", `the ${what} ${file} cannot be loaded: ${describeElfProblem(problem, process.arch)}.`, problem.kind === "wrong-machine" ? `It is not a shared library for ${process.platform}-${process.arch}. Reinstall asherah-bun-preload on this machine (node_modules copied from another CPU?), or fix ASHERAH_BUN_PRELOAD_LIBRARY_DIR.` : "Reinstall asherah-bun-preload, or rebuild the library with go/build.sh if you set ASHERAH_BUN_PRELOAD_LIBRARY_DIR.");
    }
  }
}
function verifyShipped(file, prebuildsDir, what) {
  const digest = digestLibrary(file, what);
  const manifest = join(prebuildsDir, "SHA256SUMS");
  let text;
  try {
    text = readFileText(manifest);
  } catch (error) {
    throw new PreloadError("LIBRARY_MISSING", `the checksum manifest ${manifest} cannot be read, so ${file} cannot be verified.`, "Reinstall asherah-bun-preload; the published package always contains prebuilds/SHA256SUMS.", { cause: error });
  }
  const key = `${basename(dirname(file))}/${basename(file)}`;
  const expected = parseChecksums(text, manifest).get(key);
  if (expected === undefined) {
    throw new PreloadError("CHECKSUM_MISMATCH", `${file} is not listed in ${manifest} (looked for "${key}").`, "Reinstall asherah-bun-preload. If you built the library yourself, load it with ASHERAH_BUN_PRELOAD_LIBRARY_DIR instead.");
  }
  const actual = digest.sha256;
  if (actual !== expected) {
    throw new PreloadError("CHECKSUM_MISMATCH", `refusing to load ${file}: its sha256 is ${actual}, the package shipped ${expected}.`, "The file was modified or damaged after installation. Reinstall asherah-bun-preload (rm -rf node_modules && install).");
  }
  return actual;
}

// src/platform.ts
var TABLE = {
  "linux x64 glibc": { status: "supported", dir: "linux-x64", ext: "so", signals: true },
  "linux arm64 glibc": { status: "supported", dir: "linux-arm64", ext: "so", signals: true },
  "darwin x64 none": { status: "release", dir: "darwin-x64", ext: "dylib", signals: false },
  "darwin arm64 none": { status: "release", dir: "darwin-arm64", ext: "dylib", signals: false },
  "linux x64 musl": {
    status: "unsupported",
    reason: "musl libc (Alpine) is not supported: Go's c-shared runtime relies on glibc passing argc/argv to library constructors (golang/go#13492), and asherah 3.x itself does not support musl."
  },
  "linux arm64 musl": {
    status: "unsupported",
    reason: "musl libc (Alpine) is not supported: Go's c-shared runtime relies on glibc passing argc/argv to library constructors (golang/go#13492), and asherah 3.x itself does not support musl."
  },
  "win32 x64 none": {
    status: "unsupported",
    reason: "Windows is not supported: asherah 3.x ships no Windows build and Bun on Windows does not use POSIX signals."
  }
};
var SUPPORTED_KEYS = Object.keys(TABLE);
function platformKey({ platform, arch, libc }) {
  return `${platform} ${arch} ${libc}`;
}
function locatePrebuilds(key, prebuildsDir, overrideDir) {
  const row = TABLE[platformKey(key)];
  if (row === undefined) {
    throw new PreloadError("UNSUPPORTED_PLATFORM", `no warmup library for ${key.platform}-${key.arch}${key.libc === "none" ? "" : ` (${key.libc})`}.`, `Supported: ${Object.entries(TABLE).filter(([, support]) => support.status !== "unsupported").map(([name]) => name).join("; ")}.
If you build the libraries yourself (go/build.sh), point ASHERAH_BUN_PRELOAD_LIBRARY_DIR at the folder.`);
  }
  if (row.status === "unsupported") {
    throw new PreloadError("UNSUPPORTED_PLATFORM", `${key.platform}-${key.arch} (${key.libc}) is not supported. ${row.reason}`, "Use a glibc-based image (e.g. debian/ubuntu based oven/bun images) or set ASHERAH_BUN_PRELOAD_DISABLE=1 to run without the preload.");
  }
  const dir = overrideDir ?? join(prebuildsDir, row.dir);
  return {
    dir,
    id: row.dir,
    warmup: join(dir, `asherah-bun-warmup.${row.ext}`),
    signals: row.signals ? join(dir, `asherah-bun-signals.${row.ext}`) : undefined
  };
}
function detectLibc(platform = process.platform) {
  if (platform !== "linux")
    return "none";
  const report = process.report?.getReport?.();
  if (typeof report?.header?.glibcVersionRuntime === "string")
    return "glibc";
  try {
    const maps = nodeFs().readFileSync("/proc/self/maps", "latin1");
    if (/\/ld-musl-[^/\s]*\.so/.test(maps))
      return "musl";
    if (/\/libc\.so\.6\b/.test(maps))
      return "glibc";
  } catch {}
  return existsNonEmpty("/etc/alpine-release") ? "musl" : "glibc";
}
function currentPlatform() {
  return { platform: process.platform, arch: process.arch, libc: detectLibc() };
}

// src/signals.ts
var EMPTY_PLAN = { suspend: [], dispositions: [] };
var LINUX_SIGNALS = { SIGUSR1: 10, SIGPIPE: 13, SIGPWR: 30 };
function signalNumber(name) {
  return LINUX_SIGNALS[name];
}
function planRepairs(mode, bunVersion, platform) {
  if (mode === "off" || platform !== "linux")
    return EMPTY_PLAN;
  const suspend = mode === "force" || isAffected(bunVersion, platform) ? ["SIGPWR", "SIGUSR1"] : [];
  return { suspend: suspend.map(signalNumber), dispositions: [signalNumber("SIGPIPE")] };
}
function signalName(signal) {
  for (const [name, value] of Object.entries(LINUX_SIGNALS))
    if (value === signal)
      return name;
  return `signal ${signal}`;
}
function describeDisposition(lib, disposition) {
  if (disposition === undefined)
    return "unknown";
  const handler = disposition.handler === 0n ? "SIG_DFL" : disposition.handler === 1n ? "SIG_IGN" : `0x${disposition.handler.toString(16)}`;
  return `${handler} flags=${describeFlags(disposition.flags, lib.flagValues)}`;
}
function protectSuspendHandlers(lib, plan, mechanism) {
  if (mechanism !== "wrap" || !lib.wrapSupported || plan.suspend.length === 0)
    return [];
  lib.registerThread();
  return plan.suspend.filter((signal) => lib.wrapSuspendHandler(signal) !== "no-handler").map(signalName);
}
function repairSignals(lib, plan, trigger) {
  const records = [];
  const apply = (signal, restore) => {
    const before = lib.query(signal, "live");
    if (restore(signal) === "repaired") {
      records.push({
        signal: signalName(signal),
        before: describeDisposition(lib, before),
        after: describeDisposition(lib, lib.query(signal, "live")),
        trigger
      });
    }
  };
  for (const signal of plan.suspend)
    if (!lib.isWrapped(signal))
      apply(signal, lib.restoreFlags);
  for (const signal of plan.dispositions)
    apply(signal, lib.restoreDisposition);
  return records;
}

// src/warmup.ts
function runWarmup(path, sha256) {
  const start = nowMicros();
  const lib = openWarmupLibrary(path);
  const loaded = nowMicros();
  const result = lib.call();
  const called = nowMicros();
  if (result !== 1) {
    throw new PreloadError("WARMUP_FAILED", `the Go warmup library ${path} returned ${result} from WarmupGoRuntime (expected 1).`, "The file is not the library this package ships. Reinstall asherah-bun-preload or fix ASHERAH_BUN_PRELOAD_LIBRARY_DIR.");
  }
  return { status: "done", path, sha256, dlopenMicros: loaded - start, callMicros: called - loaded };
}

// src/lifecycle.ts
var PREBUILDS_DIR = join(import.meta.dir, "..", "prebuilds");
function debugLog(state) {
  return createDebugLog(state.config?.debug ?? false);
}
function insideCompiledBinary(dir = PREBUILDS_DIR) {
  return dir.startsWith("/$bunfs/") || /^[A-Z]:[\\/]~BUN[\\/]/.test(dir);
}
function prebuildLocation(state) {
  const override = state.config?.libraryDir;
  if (override === undefined && insideCompiledBinary()) {
    throw new PreloadError("LIBRARY_MISSING", "running inside a `bun build --compile` binary, which does not embed the prebuilt native libraries.", `Ship node_modules/asherah-bun-preload/prebuilds/${process.platform}-${process.arch}/ next to the binary and set ASHERAH_BUN_PRELOAD_LIBRARY_DIR to its absolute path.`);
  }
  state.location ??= locatePrebuilds(currentPlatform(), PREBUILDS_DIR, override);
  return state.location;
}
function signalsAtStart(config) {
  return warmsUpAtStart(config) || planRepairs(config.signals, Bun.version, process.platform).suspend.length > 0;
}
function warmsUpAtStart(config) {
  return config.warmup === "eager" || config.warmup === "lazy" && !supportsLazyWarmup(Bun.version);
}
function verifyLibrary(state, file, what) {
  if (state.config?.libraryDir !== undefined) {
    assertLoadableFile(file, what);
    return;
  }
  return verifyShipped(file, PREBUILDS_DIR, what);
}
function ensureSignalLibrary(state) {
  if (state.signalLibrary !== undefined)
    return state.signalLibrary;
  const config = state.config;
  if (config === undefined || config.signals === "off")
    return;
  const location = prebuildLocation(state);
  if (location.signals === undefined)
    return;
  const start = nowMicros();
  verifyLibrary(state, location.signals, "signal helper library");
  const lib = openSignalLibrary(location.signals);
  const tookSnapshot = lib.snapshot();
  const goAlready = tookSnapshot ? lib.goRuntimeCount() : 0;
  state.snapshotTainted = goAlready > 0;
  state.signalLibrary = lib;
  state.signalLibraryPath = location.signals;
  const wrapped = protectSuspendHandlers(lib, planRepairs(config.signals, Bun.version, process.platform), config.mechanism);
  state.wrapped = wrapped;
  if (wrapped.length > 0)
    debugLog(state)("suspend handler wrapped", { signals: wrapped.join(","), mechanism: "wrap" });
  state.timings.signalsMicros = nowMicros() - start;
  recordEvent(state, "signals-snapshot", location.signals);
  debugLog(state)("signals snapshot", { library: location.signals, us: state.timings.signalsMicros, goRuntimesAlreadyLoaded: goAlready });
  if (state.snapshotTainted) {
    process.stderr.write(`asherah-bun-preload: warning: ${goAlready} Go runtime(s) were loaded before the preload ran, so their signal changes cannot be undone.
` + "  Load asherah-bun-preload first: bunfig.toml preload, `bun --preload asherah-bun-preload`, or import it first in the entry file.\n");
  }
  return lib;
}
function repairAfter(state, trigger) {
  const lib = state.signalLibrary;
  const config = state.config;
  if (lib === undefined || config === undefined)
    return;
  const plan = planRepairs(config.signals, Bun.version, process.platform);
  const records = repairSignals(lib, plan, trigger);
  state.repairs.push(...records);
  const log = debugLog(state);
  for (const record of records)
    log("signal repaired", { signal: record.signal, before: record.before, after: record.after, after_load: trigger });
  recordEvent(state, "signals-repaired", `${trigger}: ${records.map((r) => r.signal).join(",") || "nothing changed"}`);
}
function ensureWarmup(state, reason) {
  const config = state.config;
  if (config === undefined || config.warmup === "off")
    return;
  if (state.warmup.status === "done")
    return;
  if (state.warmup.status === "failed") {
    throw new PreloadError("WARMUP_FAILED", `the Go warmup failed earlier in this process: ${state.warmup.error}`, "Fix the cause above; the process must be restarted.");
  }
  try {
    ensureSignalLibrary(state);
    const location = prebuildLocation(state);
    const sha256 = verifyLibrary(state, location.warmup, "Go warmup library");
    recordEvent(state, "warmup-start", reason);
    state.warmup = runWarmup(location.warmup, sha256);
    recordEvent(state, "warmup-done", location.warmup);
    debugLog(state)("warmup loaded", {
      path: location.warmup,
      reason,
      dlopen_us: state.warmup.dlopenMicros,
      call_us: state.warmup.callMicros
    });
    repairAfter(state, "warmup");
  } catch (error) {
    state.warmup = { status: "failed", error: describeError(error) };
    recordEvent(state, "warmup-failed", describeError(error));
    throw error;
  }
}
function guardedPackageOf(file, packages) {
  const normalised = file.replaceAll("\\", "/");
  for (const name of packages) {
    if (normalised.includes(`/node_modules/${name}/`))
      return name;
  }
  return;
}
function beforeNativeLoad(state, file, via) {
  const config = state.config;
  if (config === undefined)
    return;
  const guarded = guardedPackageOf(file, config.packages);
  if (guarded !== undefined) {
    try {
      ensureWarmup(state, `${via} ${file}`);
    } catch (error) {
      throw new PreloadError("WARMUP_FAILED", `refusing to load ${guarded} (${file}) because the Go warmup did not complete:
${describeError(error)}`, "Fix the error above, or set ASHERAH_BUN_PRELOAD_WARMUP=off to load it without the warmup (signals are still repaired).", { cause: error });
    }
  }
  ensureSignalLibrary(state);
  recordEvent(state, "native-load-start", file);
  return guarded;
}
function afterNativeLoad(state, file, via, guarded, startedMicros) {
  const lib = state.signalLibrary;
  const go = lib === undefined ? "none" : lib.waitGoRuntime(file);
  recordEvent(state, "native-load-done", `${file} go=${go}`);
  if (go === "go")
    repairAfter(state, file);
  if (guarded !== undefined) {
    const loadMicros = nowMicros() - startedMicros;
    state.guarded.push({ packageName: guarded, path: file, via, goRuntime: go === "go", loadMicros });
    debugLog(state)("module guarded", { package: guarded, path: file, via, go_runtime: go === "go", us: loadMicros });
  }
}

// src/watchdog.ts
function verifiedLibraryPath(state) {
  if (state.signalLibraryPath !== undefined)
    return state.signalLibraryPath;
  const location = prebuildLocation(state);
  if (location.signals === undefined)
    throw new Error(`there is no signal helper library for ${process.platform}-${process.arch}`);
  verifyLibrary(state, location.signals, "signal helper library");
  return location.signals;
}
function warnUnavailable(state, reason) {
  if (state.watchdog.unavailable !== undefined)
    return;
  state.watchdog.unavailable = reason;
  process.stderr.write(`asherah-bun-preload: warning: ASHERAH_BUN_PRELOAD_WATCHDOG_MS is set, but the watchdog is unavailable: ${reason}
` + `  Guarded modules load without it. Reinstall asherah-bun-preload, or unset ASHERAH_BUN_PRELOAD_WATCHDOG_MS.
`);
}
function open(state) {
  const watchdog = state.watchdog;
  if (watchdog.library !== undefined || watchdog.unavailable !== undefined)
    return watchdog.library;
  try {
    watchdog.library = openWatchdogLibrary(verifiedLibraryPath(state));
  } catch (error) {
    warnUnavailable(state, describeError(error));
  }
  return watchdog.library;
}
function armWatchdog(state, packageName, file, via) {
  const ms = state.config?.watchdogMs ?? 0;
  if (ms <= 0)
    return false;
  const lib = open(state);
  if (lib === undefined)
    return false;
  const code = lib.arm(ms, `loading ${packageName} (${file}) via ${via} on Bun ${Bun.version}`);
  if (code < 0) {
    warnUnavailable(state, code === -4 ? `not supported on ${process.platform}` : `abp_watchdog_arm returned ${code}`);
    return false;
  }
  debugLog(state)("watchdog armed", { package: packageName, ms });
  return true;
}
function disarmWatchdog(state) {
  state.watchdog.library?.disarm();
}

// src/hooks.ts
function pathOf(target) {
  if (target instanceof URL)
    return decodeURIComponent(target.pathname);
  return String(target);
}
function guardedLoad(state, target, via, load) {
  const file = pathOf(target);
  const started = nowMicros();
  const guarded = beforeNativeLoad(state, file, via);
  const watched = guarded !== undefined && state.config.watchdogMs > 0 && armWatchdog(state, guarded, file, via);
  let result;
  try {
    result = load();
  } finally {
    if (watched)
      disarmWatchdog(state);
  }
  afterNativeLoad(state, file, via, guarded, started);
  return result;
}
function hookProcessDlopen(state) {
  if (state.hooks.processDlopen)
    return;
  const original = process.dlopen;
  const wrapped = function(module, filename, flags) {
    return guardedLoad(state, filename, "process.dlopen", () => flags === undefined ? original.call(this, module, filename) : original.call(this, module, filename, flags));
  };
  process.dlopen = wrapped;
  state.hooks.processDlopen = true;
}
function hookFfiDlopen(state) {
  if (state.hooks.ffiDlopen)
    return;
  const ffi = import.meta.require("bun:ffi");
  const original = ffi.dlopen;
  ffi.dlopen = function(path, symbols) {
    return guardedLoad(state, path, "bun:ffi", () => original.call(this, path, symbols));
  };
  state.hooks.ffiDlopen = true;
}

// src/resolve.ts
var CONDITIONS = ["bun", "node-addons", "node", "require", "import", "default"];
function exportTarget(exportsField, conditions = CONDITIONS) {
  if (exportsField === null || exportsField === undefined)
    return;
  if (typeof exportsField === "string")
    return exportsField;
  const dot = "." in exportsField ? exportsField["."] : Object.keys(exportsField).some((k) => k.startsWith(".")) ? undefined : exportsField;
  if (dot === undefined || dot === null)
    return;
  if (typeof dot === "string")
    return dot;
  for (const condition of conditions) {
    if (condition in dot) {
      const target = exportTarget(dot[condition], conditions);
      if (target !== undefined)
        return target;
    }
  }
  return;
}
function findPackageManifest(name, fromDir) {
  for (let dir = resolve(fromDir);; dir = dirname(dir)) {
    const manifest = join(dir, "node_modules", name, "package.json");
    if (existsNonEmpty(manifest))
      return manifest;
    if (dirname(dir) === dir)
      return;
  }
}
function resolvePackageEntry(name, fromDir) {
  const manifest = findPackageManifest(name, fromDir);
  if (manifest === undefined)
    return;
  const root = dirname(manifest);
  let pkg;
  try {
    pkg = import.meta.require(manifest);
  } catch {
    return;
  }
  const target = exportTarget(pkg.exports) ?? (typeof pkg.main === "string" ? pkg.main : "index.js");
  return { root, entry: resolve(root, target) };
}

// src/plugin.ts
var Module = import.meta.require("node:module");
var requireHere = Module.createRequire(import.meta.url);
function isEsm(file) {
  if (file.endsWith(".mjs"))
    return true;
  if (file.endsWith(".cjs"))
    return false;
  for (let dir = dirname(file);; dir = dirname(dir)) {
    try {
      return JSON.parse(readFileText(join(dir, "package.json"))).type === "module";
    } catch {
      if (dirname(dir) === dir)
        return false;
    }
  }
}
function guardedEntries(packages, fromDir) {
  return packages.flatMap((name) => {
    const found = resolvePackageEntry(name, fromDir);
    if (found === undefined)
      return [];
    const kind = found.entry.endsWith(".node") ? "native" : isEsm(found.entry) ? "esm" : "commonjs";
    return [{ name, entry: found.entry, kind }];
  });
}
function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
function guardedJsFilter(packages) {
  return new RegExp(`[\\\\/]node_modules[\\\\/](?:${packages.map(escapeRegExp).join("|")})[\\\\/][^?#]*\\.[cm]?js$`);
}
function asObjectModule(exports) {
  const record = exports ?? {};
  const esModule = record.__esModule === true && "default" in record;
  return { loader: "object", exports: { ...record, default: esModule ? record.default : exports } };
}
function registerPlugin(state) {
  if (state.hooks.plugin)
    return;
  const config = state.config;
  if (config === undefined)
    return;
  const fromDir = Bun.main ? dirname(Bun.main) : process.cwd();
  const jsGuard = supportsJsEntryGuard(Bun.version);
  const entries = guardedEntries(config.packages, fromDir).filter((e) => e.kind === "native" || jsGuard);
  const log = debugLog(state);
  const compiled = new Map;
  const loadCommonJs = (file, parent) => {
    const cached = compiled.get(file);
    if (cached !== undefined)
      return cached.exports;
    ensureWarmup(state, `plugin ${file}`);
    const module = new Module(file, parent);
    module.filename = file;
    module.paths = Module._nodeModulePaths(dirname(file));
    compiled.set(file, module);
    try {
      module._compile(readFileText(file), file);
    } catch (error) {
      compiled.delete(file);
      throw error;
    }
    module.loaded = true;
    recordEvent(state, "js-entry-loaded", file);
    return module.exports;
  };
  const failingModule = (error) => ({
    contents: `throw new Error(${JSON.stringify(error instanceof Error ? error.message : String(error))});`,
    loader: "js"
  });
  const jsPackages = entries.filter((e) => e.kind !== "native").map((e) => e.name);
  Bun.plugin({
    name: "asherah-bun-preload",
    setup(build) {
      for (const { name, entry, kind } of entries) {
        if (kind === "esm")
          continue;
        build.module(name, () => {
          if (kind === "commonjs") {
            try {
              return asObjectModule(loadCommonJs(entry, null));
            } catch (error) {
              return failingModule(error);
            }
          }
          const exports = requireHere(entry);
          recordEvent(state, "virtual-module", `${name} -> ${entry}`);
          return asObjectModule(exports);
        });
        state.hooks.virtualModules.push(name);
        log("virtual module", { package: name, entry });
      }
      if (jsPackages.length > 0) {
        build.onLoad({ filter: guardedJsFilter(jsPackages) }, ({ path }) => {
          try {
            if (isEsm(path)) {
              ensureWarmup(state, `plugin ${path}`);
              recordEvent(state, "js-entry-loaded", path);
              return { contents: readFileText(path), loader: "js" };
            }
            return asObjectModule(loadCommonJs(path, null));
          } catch (error) {
            return failingModule(error);
          }
        });
        log("javascript entries guarded", { packages: jsPackages.join(",") });
      }
    }
  });
  const bareNames = new Map(entries.filter((e) => e.kind !== "esm").map((e) => [e.name, e]));
  if (bareNames.size > 0) {
    const original = Module.prototype.require;
    Module.prototype.require = function(id) {
      const guarded = typeof id === "string" ? bareNames.get(id) : undefined;
      if (guarded === undefined)
        return original.call(this, id);
      return guarded.kind === "native" ? original.call(this, guarded.entry) : loadCommonJs(guarded.entry, this);
    };
  }
  state.hooks.plugin = true;
}

// src/workers.ts
var PRELOAD_ENTRY = join(import.meta.dir, import.meta.path.endsWith(".ts") ? "index.ts" : "index.js");
function withPreload(options, entry) {
  const given = options?.preload;
  const list = given === undefined ? [] : Array.isArray(given) ? given.map(String) : [String(given)];
  return { ...options, preload: list.includes(entry) ? list : [entry, ...list] };
}
function subclass(Base) {
  return class GuardedWorker extends Base {
    constructor(url, options) {
      super(url, withPreload(options, PRELOAD_ENTRY));
    }
  };
}
function workersSupportPreload(bunVersion) {
  return atLeast(bunVersion, BUN_1_1);
}
function hookWorkers(state) {
  if (state.hooks.workers || !workersSupportPreload(Bun.version))
    return;
  const holder = globalThis;
  if (typeof holder.Worker === "function")
    holder.Worker = subclass(holder.Worker);
  const Module = import.meta.require("node:module");
  const original = Module.prototype.require;
  let patched = false;
  Module.prototype.require = function(id) {
    const exports = original.call(this, id);
    if (!patched && (id === "worker_threads" || id === "node:worker_threads")) {
      patched = true;
      const threads = exports;
      threads.Worker = subclass(threads.Worker);
    }
    return exports;
  };
  state.hooks.workers = true;
}

// src/install.ts
function install(options = {}) {
  const state = processState();
  state.installedBy.push(options.by ?? "api");
  if (state.phase !== "not-installed")
    return state;
  const start = nowMicros();
  try {
    const config = readConfig(options.env ?? process.env);
    state.config = config;
    state.prebuildsDir = PREBUILDS_DIR;
    if (config.disabled) {
      state.phase = "disabled";
      state.warmup.status = "skipped";
      recordEvent(state, "disabled");
      debugLog(state)("disabled", { by: "ASHERAH_BUN_PRELOAD_DISABLE" });
      return state;
    }
    recordEvent(state, "install-start", `bun ${Bun.version} warmup=${config.warmup} signals=${config.signals}`);
    if (signalsAtStart(config))
      ensureSignalLibrary(state);
    if (warmsUpAtStart(config))
      ensureWarmup(state, config.warmup === "lazy" ? `preload (lazy is eager on Bun ${Bun.version})` : "preload (eager)");
    else if (config.warmup === "off")
      state.warmup.status = "skipped";
    hookProcessDlopen(state);
    hookFfiDlopen(state);
    registerPlugin(state);
    hookWorkers(state);
    if (needsCollectAfterInstall(Bun.version))
      Bun.gc(true);
    state.phase = "installed";
    state.timings.installMicros = nowMicros() - start;
    recordEvent(state, "install-done");
    debugLog(state)("installed", { bun: Bun.version, warmup: config.warmup, signals: config.signals, us: state.timings.installMicros });
    return state;
  } catch (error) {
    state.phase = "failed";
    state.error = describeError(error);
    recordEvent(state, "install-failed", state.error);
    throw error;
  }
}

// src/api.ts
function signalMechanism(state) {
  const config = state.config;
  if (config === undefined || config.disabled || config.signals === "off")
    return "off";
  if (planRepairs(config.signals, Bun.version, process.platform).suspend.length === 0)
    return "not needed";
  return state.wrapped.length > 0 ? "wrap" : "restore";
}
function install2(options = {}) {
  install({ ...options, by: options.by ?? "api" });
  return status();
}
function status() {
  const state = processState();
  return structuredClone({
    phase: state.phase,
    bunVersion: Bun.version,
    config: state.config,
    error: state.error,
    installedBy: state.installedBy,
    warmup: state.warmup,
    signalLibrary: state.signalLibraryPath,
    snapshotTainted: state.snapshotTainted,
    signals: {
      mechanism: signalMechanism(state),
      wrapped: state.wrapped,
      wrapStats: state.wrapped.length > 0 ? state.signalLibrary?.wrapStats() : undefined
    },
    repairs: state.repairs,
    guarded: state.guarded,
    events: state.events,
    hooks: state.hooks,
    timings: state.timings
  });
}
export {
  PreloadError,
  install2 as install,
  status
};
