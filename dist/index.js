// @bun
// src/errors.ts
var PREFIX = "asherah-bun-preload";
var DEBUG_VARIABLE = "ASHERAH_BUN_PRELOAD_DEBUG";
var ERROR_CODES = {
  CONFIG: { status: 78, meaning: "an ASHERAH_BUN_PRELOAD_* variable has a value the preload does not accept" },
  UNSUPPORTED_PLATFORM: { status: 69, meaning: "no prebuilt libraries for this platform, CPU or libc" },
  LIBRARY_MISSING: { status: 66, meaning: "a native library does not exist or cannot be read" },
  LIBRARY_INVALID: { status: 65, meaning: "a native library is empty, not a file, truncated, for another CPU, or refused by the loader" },
  CHECKSUM_MISMATCH: { status: 65, meaning: "a shipped library's bytes differ from what the package shipped" },
  LIBRARY_UNSAFE: { status: 77, meaning: "a library, or its folder, is writable by every user (or reached through a symlink into such a folder)" },
  WARMUP_FAILED: { status: 70, meaning: "the Go warmup did not complete, so a guarded package was refused" },
  SIGNALS_FAILED: { status: 70, meaning: "the native core could not snapshot, repair or wrap a handler" },
  INTERNAL: { status: 70, meaning: "an unexpected error inside the preload (a bug: please report it)" }
};
var PREFIX_TEXT = `${PREFIX}: `;
function debugRequested(env = process.env) {
  return /^\s*(1|true|yes|on)\s*$/i.test(env[DEBUG_VARIABLE] ?? "");
}
function stripPrefix(text) {
  return text.split(PREFIX_TEXT).join("");
}
function oneLine(text) {
  return stripPrefix(text).replace(/\s*\n\s*/g, " ").trim();
}
function renderWhere(where) {
  if (where === undefined)
    return;
  if (typeof where === "string")
    return oneLine(where) || undefined;
  const parts = [
    where.module === undefined ? undefined : `module ${where.module}`,
    where.path === undefined ? undefined : where.path,
    where.variable === undefined ? undefined : `variable ${where.variable}`
  ].filter((part) => part !== undefined);
  return parts.length > 0 ? parts.join(", ") : undefined;
}
function joinBecause(what, because) {
  if (what.includes(because))
    return what;
  const head = what.replace(/[\s.;]+$/, "");
  return head.endsWith(":") ? `${head} ${because}` : `${head} because ${because}`;
}
function codeLine(code, debug) {
  return debug ? `(code ${code})` : `(code ${code}; ${DEBUG_VARIABLE}=1 for details)`;
}
function isParts(value) {
  return typeof value === "object" && value !== null && "code" in value && "what" in value;
}
var BRAND = Symbol.for("asherah-bun-preload.PreloadError");

class PreloadError extends Error {
  static [Symbol.hasInstance](value) {
    return typeof value === "object" && value !== null && value[BRAND] === true;
  }
  #code;
  #summary;
  #where;
  #next;
  #cause;
  constructor(first, what, next, options) {
    const parts = isParts(first) ? first : { code: first, what: what ?? "", next: next ?? "", where: options?.where, cause: options?.cause };
    const debug = debugRequested();
    const inner = parts.cause instanceof PreloadError ? parts.cause : undefined;
    let summary = oneLine(parts.what);
    if (inner !== undefined)
      summary = joinBecause(summary, inner.summary);
    const where = renderWhere(parts.where) ?? inner?.where;
    const advice = stripPrefix(parts.next).trim() || (inner?.next ?? "");
    const lines = [summary];
    if (where !== undefined)
      lines.push(`  ${where}`);
    if (advice !== "")
      lines.push(...advice.split(`
`).map((line) => `  ${line.trim()}`));
    lines.push(`  ${codeLine(parts.code, debug)}`);
    const limit = Error.stackTraceLimit;
    if (!debug)
      Error.stackTraceLimit = 0;
    try {
      super(lines.join(`
`), debug && parts.cause !== undefined ? { cause: parts.cause } : undefined);
    } finally {
      Error.stackTraceLimit = limit;
    }
    this.#code = parts.code;
    this.#summary = summary;
    this.#where = where;
    this.#next = advice;
    this.#cause = parts.cause;
  }
  get code() {
    return this.#code;
  }
  get summary() {
    return this.#summary;
  }
  get where() {
    return this.#where;
  }
  get next() {
    return this.#next;
  }
  get reason() {
    return this.#cause;
  }
}
Object.defineProperty(PreloadError.prototype, "name", { value: PREFIX, writable: true, configurable: true, enumerable: false });
Object.defineProperty(PreloadError.prototype, BRAND, { value: true, enumerable: false });
function toPreloadError(error) {
  if (error instanceof PreloadError)
    return error;
  return new PreloadError({
    code: "INTERNAL",
    what: `unexpected error: ${describeError(error)}`,
    next: `This is a bug in asherah-bun-preload. Report it with the output of ${DEBUG_VARIABLE}=1.`,
    cause: error
  });
}
function describeError(error) {
  if (error instanceof PreloadError)
    return error.summary;
  if (error instanceof Error)
    return oneLine(error.message);
  return oneLine(String(error));
}
function indent(text, by) {
  return text.split(`
`).map((line) => by + line).join(`
`);
}
function formatError(error, options = {}) {
  const preload = toPreloadError(error);
  const debug = options.debug ?? debugRequested();
  if (!debug)
    return `${PREFIX_TEXT}${preload.message}`;
  const block = `${PREFIX_TEXT}${preload.message.replace(/\(code (\w+); [^)]*\)$/, "(code $1)")}`;
  const out = [block];
  const frames = (preload.stack ?? "").split(`
`).filter((line) => /^\s+at /.test(line));
  if (frames.length > 0)
    out.push(frames.join(`
`));
  const seen = new Set([preload]);
  for (let cause = preload.reason;cause !== undefined && !seen.has(cause); cause = cause instanceof PreloadError ? cause.reason : cause?.cause) {
    seen.add(cause);
    const text = cause instanceof PreloadError ? `${PREFIX_TEXT}${cause.message}
${cause.stack ?? ""}` : cause instanceof Error ? cause.stack ?? `${cause.name}: ${cause.message}` : String(cause);
    out.push(`  caused by:
${indent(text.trimEnd(), "    ")}`);
  }
  return out.join(`
`);
}
function exitStatus(error) {
  return ERROR_CODES[toPreloadError(error).code].status;
}
function exitOnStartFailure(error) {
  process.stderr.write(`${formatError(error)}
`);
  process.exit(exitStatus(error));
}
var THROWN = Symbol.for("asherah-bun-preload.thrown-errors");
var KEPT_ERRORS = 64;
function throwingSource(error) {
  const holder = globalThis;
  let table = holder[THROWN];
  if (table === undefined) {
    table = new Map;
    Object.defineProperty(globalThis, THROWN, { value: table, enumerable: false, configurable: false, writable: false });
  }
  const id = Math.max(0, ...table.keys()) + 1 | 0;
  table.set(id, error);
  for (const old of table.keys())
    if (table.size > KEPT_ERRORS)
      table.delete(old);
  const preload = toPreloadError(error);
  const fallback = `Object.assign(new Error(${JSON.stringify(preload.message)}), { name: ${JSON.stringify(PREFIX)}, code: ${JSON.stringify(preload.code)} })`;
  return `throw globalThis[Symbol.for(${JSON.stringify(THROWN.description)})]?.get(${id}) ?? ${fallback};`;
}

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
function supportsBackgroundWarmup(bunVersion) {
  return atLeast(bunVersion, BUN_1_1);
}
function needsCollectAfterInstall(bunVersion) {
  return !atLeast(bunVersion, BUN_1_1);
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

// src/config.ts
var ENV_PREFIX = "ASHERAH_BUN_PRELOAD_";
var DEFAULT_PACKAGES = ["asherah"];
var KNOWN = ["DISABLE", "WARMUP", "SIGNALS", "SIGNAL_MECHANISM", "PACKAGES", "DEBUG", "LIBRARY_DIR", "WATCHDOG_MS"];
var KNOWN_VARIABLES = KNOWN.map((name) => ENV_PREFIX + name);
var PACKAGE_NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;
function shown(text, max) {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
function bad(variable, value, expected) {
  return new PreloadError("CONFIG", `environment variable ${variable} has the invalid value ${JSON.stringify(shown(value, 100))}.`, `Expected ${expected}. Fix or unset ${variable}.`);
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
  const unknownVariables = Object.keys(env).filter((key) => key.startsWith(ENV_PREFIX) && !KNOWN.includes(key.slice(ENV_PREFIX.length))).sort();
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
    watchdogMs: watchdog === undefined ? 0 : parseMilliseconds(variable("WATCHDOG_MS"), watchdog),
    unknownVariables
  };
}
function unknownVariablesWarning(names) {
  if (names.length === 0)
    return;
  const list = names.map((name) => shown(name, 80).replace(/[^\x20-\x7e]/g, "?")).join(", ");
  const what = names.length === 1 ? "a variable" : "variables";
  return `asherah-bun-preload: warning: ignoring ${list}: not ${what} this version knows (${ENV_PREFIX}{${KNOWN.join(",")}}); check the spelling, or upgrade asherah-bun-preload for a newer setting.`;
}
var WARNED = Symbol.for("asherah-bun-preload.unknown-variables-warned");
function warnUnknownVariables(config) {
  const line = unknownVariablesWarning(config.unknownVariables);
  const holder = globalThis;
  if (line === undefined || holder[WARNED] === true || Bun.isMainThread === false)
    return;
  Object.defineProperty(globalThis, WARNED, { value: true, enumerable: false, configurable: false, writable: false });
  process.stderr.write(`${line}
`);
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

// src/core.ts
var CORE_ABI = 4;
var CORE_FILE = "asherah-bun-core.node";
var WARMUP_FILE = "asherah-bun-warmup.so";
var FLAG_NAMES = ["SA_ONSTACK", "SA_SIGINFO", "SA_RESTART", "SA_NODEFER", "SA_RESETHAND", "SA_RESTORER"];
var MAX_CORE_BYTES = 4 << 20;
function loadCore(path, shipped, dlopen) {
  const expectedSize = shipped?.size;
  const size = Bun.file(path).size;
  const sizeOk = expectedSize === undefined ? size > 0 && size <= MAX_CORE_BYTES : size === expectedSize;
  if (!sizeOk) {
    const found = size === 0 ? "missing or empty" : Number.isFinite(size) ? `${size} bytes` : "not a regular file (a FIFO or device)";
    throw new PreloadError(size === 0 ? "LIBRARY_MISSING" : "LIBRARY_INVALID", `the native core ${path} is ${found}${expectedSize === undefined ? "" : `; the package shipped ${expectedSize} bytes`}.`, size === 0 ? "Reinstall asherah-bun-preload (npm/bun install) so its prebuilds/ folder is complete, or check ASHERAH_BUN_PRELOAD_LIBRARY_DIR." : "Reinstall asherah-bun-preload (rm -rf node_modules && install), or rebuild the folder with go/build.sh --out DIR.");
  }
  if (shipped === undefined) {
    const unsafe = unsafePathOf(path);
    if (unsafe !== undefined)
      throw unsafeError(unsafe);
    const problem = elfProblemOf(path);
    if (problem !== undefined) {
      throw new PreloadError("LIBRARY_INVALID", `the native core ${path} could not be loaded: ${problem}`, dlopenAdvice(problem), { where: { path } });
    }
  }
  const module = { exports: {} };
  try {
    dlopen(module, path);
  } catch (error) {
    const reason = elfProblemOf(path) ?? (error instanceof Error ? error.message : String(error));
    throw new PreloadError("LIBRARY_INVALID", `the native core ${path} could not be loaded: ${reason}`, dlopenAdvice(reason), { cause: error });
  }
  const core = module.exports;
  if (core.abi !== CORE_ABI) {
    throw new PreloadError("LIBRARY_INVALID", `the native core ${path} has ABI version ${String(core.abi)}; this asherah-bun-preload understands ${CORE_ABI}.`, "Its prebuilds/ folder and its JavaScript come from different versions: reinstall asherah-bun-preload.");
  }
  if (shipped !== undefined) {
    const actual = core.selfSha256();
    if (actual !== shipped.sha256) {
      throw new PreloadError("CHECKSUM_MISMATCH", `refusing the native core ${path}: its sha256 is ${actual}, the package shipped ${shipped.sha256}.`, "The file was modified or damaged after installation. Reinstall asherah-bun-preload (rm -rf node_modules && install).");
    }
  }
  const unsafe = core.checkPathSafe(path);
  if (unsafe !== "")
    throw unsafeError(unsafe);
  return core;
}
function unsafeError(why) {
  return new PreloadError("LIBRARY_UNSAFE", `refusing the native core because ${why}.`, "Anyone could replace what runs in every Bun process: remove write access for other users (chmod o-w) or move the library folder.");
}
function unsafePathOf(path) {
  const fs = import.meta.require("node:fs");
  let real;
  try {
    real = fs.realpathSync(path);
  } catch {
    return;
  }
  const worldWritable = (target) => (fs.statSync(target).mode & 2) !== 0;
  const mode = (target) => (fs.statSync(target).mode & 4095).toString(8).padStart(3, "0");
  if (worldWritable(real))
    return `${real} is writable by every user (mode ${mode(real)})`;
  const folder = real.slice(0, real.lastIndexOf("/")) || "/";
  if (worldWritable(folder))
    return `its folder ${folder} is writable by every user (mode ${mode(folder)})`;
  return;
}
function elfProblemOf(path) {
  try {
    const fs = import.meta.require("node:fs");
    const fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    try {
      const stat = fs.fstatSync(fd);
      if (!stat.isFile())
        return;
      const head = Buffer.alloc(4096);
      const read = fs.readSync(fd, head, 0, head.length, 0);
      const problem = checkElf(head.subarray(0, read), stat.size, process.arch);
      return problem === undefined ? undefined : describeElfProblem(problem, process.arch);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return;
  }
}
function dlopenAdvice(reason, platform = process.platform, arch = process.arch) {
  if (/GLIBC_\d/.test(reason)) {
    return "This system's glibc is older than the prebuilt libraries need (glibc 2.34 or later: Debian 12, Ubuntu 22.04, RHEL 9). Build them here with `bash go/build.sh --out DIR linux-x64` from the package's go/ folder and set ASHERAH_BUN_PRELOAD_LIBRARY_DIR to DIR.";
  }
  if (/wrong ELF class|ELF file's|invalid ELF header|file too short|not a dynamic|Exec format|built for|not an ELF|truncated/i.test(reason)) {
    return `The file is not a library for ${platform}-${arch}. Reinstall asherah-bun-preload on this machine (node_modules copied from another OS or CPU?), or fix ASHERAH_BUN_PRELOAD_LIBRARY_DIR.`;
  }
  return "Reinstall asherah-bun-preload, or set ASHERAH_BUN_PRELOAD_DEBUG=1 and report the output.";
}
function describeFlags(flags, values) {
  const names = FLAG_NAMES.filter((name) => name !== "SA_RESTORER" && (flags & values[name]) !== 0);
  return names.length === 0 ? "0" : names.join("|");
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

// src/guarded.ts
var EMBEDDED = /^(?:\/\$bunfs\/|[A-Z]:[\\/]~BUN[\\/])/;
var EMBEDDED_NAME = /([^\\/]+)-[0-9a-z]{6,32}\.node$/;
function isEmbeddedPath(path) {
  return EMBEDDED.test(path);
}
function guardedPackageOf(file, packages) {
  const normalised = file.replaceAll("\\", "/");
  for (const name of packages) {
    if (normalised.includes(`/node_modules/${name}/`))
      return name;
  }
  if (!isEmbeddedPath(file))
    return;
  const stem = EMBEDDED_NAME.exec(normalised)?.[1];
  if (stem === undefined)
    return;
  return packages.find((name) => name === stem || name.slice(name.lastIndexOf("/") + 1) === stem);
}

// src/platform.ts
var MACOS = "macOS needs no native code: JavaScriptCore suspends threads with Mach calls there, which a Go runtime cannot disturb (docs/platforms.md).";
var TABLE = {
  "linux x64": { status: "native", dir: "linux-x64" },
  "linux arm64": { status: "native", dir: "linux-arm64" },
  "darwin x64": { status: "not-needed", reason: MACOS },
  "darwin arm64": { status: "not-needed", reason: MACOS },
  "win32 x64": {
    status: "unsupported",
    reason: "Windows is not supported: asherah 3.x ships no Windows build (asherah 4.x does, and needs no preload)."
  }
};
var MUSL_REASON = "musl libc (Alpine) is not supported: the prebuilt libraries need glibc 2.34+, Go's c-shared runtime relies on glibc behaviour (golang/go#13492), and asherah 3.x does not support musl (asherah 4.x does, and needs no preload).";
var SUPPORTED_KEYS = Object.keys(TABLE);
function platformKey({ platform, arch }) {
  return `${platform} ${arch}`;
}
function locatePrebuilds(key, prebuildsDir, overrideDir) {
  const row = TABLE[platformKey(key)];
  const id = `${key.platform}-${key.arch}`;
  if (overrideDir !== undefined && key.platform === "linux") {
    return { status: "native", dir: overrideDir, id, core: join(overrideDir, CORE_FILE), warmup: join(overrideDir, WARMUP_FILE), override: true };
  }
  if (row === undefined) {
    const supported = Object.entries(TABLE).filter(([, support]) => support.status === "native").map(([name]) => name.replace(" ", "-")).join(", ");
    return {
      status: "unsupported",
      reason: `there are no prebuilt libraries for ${id} (prebuilt: ${supported}); build them with go/build.sh --out DIR and set ASHERAH_BUN_PRELOAD_LIBRARY_DIR=DIR.`
    };
  }
  if (row.status !== "native")
    return row;
  const dir = join(prebuildsDir, row.dir);
  return { status: "native", dir, id: row.dir, core: join(dir, CORE_FILE), warmup: join(dir, WARMUP_FILE), override: false };
}
function detectLibc(platform = process.platform) {
  if (platform !== "linux")
    return "none";
  const report = process.report?.getReport?.();
  if (typeof report?.header?.glibcVersionRuntime === "string")
    return "glibc";
  try {
    const fs = import.meta.require("node:fs");
    const maps = fs.readFileSync("/proc/self/maps", "latin1");
    if (/\/ld-musl-[^/\s]*\.so/.test(maps))
      return "musl";
  } catch {}
  return "glibc";
}
function currentPlatform() {
  return { platform: process.platform, arch: process.arch };
}

// src/shipped.ts
var SHIPPED = {
  "linux-arm64/asherah-bun-core.node": { sha256: "abce56942741c2643c4cf3fd8a9a14fda22dda7cd92a845ed61ea0a13f5c5520", size: 67328 },
  "linux-arm64/asherah-bun-warmup.so": { sha256: "110bfb2b10477294e07f0a2d4bf27980303cabd146eb52633e47ec3837f89a81", size: 1345624 },
  "linux-x64/asherah-bun-core.node": { sha256: "03cb15d4a9085ee6998adf45b5fd039c806b49ffb0ee15cd8a7568f6d1742efe", size: 59224 },
  "linux-x64/asherah-bun-warmup.so": { sha256: "b6a39d9009069689a288f5ec169824e5e2e649f2ac2197484c858adff4402e99", size: 1357992 }
};

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

// src/state.ts
var KEY = Symbol.for("asherah-bun-preload.state");
var OWN_KEY = Symbol.for("asherah-bun-preload.state.v2");
var LOG_LIMIT = 256;
function fresh() {
  return {
    stateVersion: 2,
    phase: "not-installed",
    installedBy: [],
    warmup: { status: "pending" },
    snapshotTainted: false,
    wrapped: [],
    repairs: [],
    guarded: [],
    events: [],
    dropped: 0,
    hooks: { processDlopen: false, ffiDlopen: false, plugin: false, workers: false, virtualModules: [] },
    timings: {},
    watchdog: {},
    warned: []
  };
}
function processState() {
  const holder = globalThis;
  const existing = holder[KEY];
  if (existing?.stateVersion === 2)
    return existing;
  if (existing !== undefined) {
    let own = holder[OWN_KEY];
    if (own === undefined) {
      own = { ...fresh(), foreignVersion: String(existing.stateVersion) };
      Object.defineProperty(globalThis, OWN_KEY, { value: own, enumerable: false, configurable: false, writable: false });
    }
    return own;
  }
  const state = fresh();
  Object.defineProperty(globalThis, KEY, { value: state, enumerable: false, configurable: false, writable: false });
  return state;
}
function nowMicros() {
  return Math.round(Bun.nanoseconds() / 1000);
}
function appendBounded(state, log, record) {
  if (log.length >= LOG_LIMIT) {
    state.dropped++;
    return false;
  }
  log.push(record);
  return true;
}
function recordEvent(state, event, detail = "") {
  appendBounded(state, state.events, { seq: state.events.length + state.dropped + 1, event, detail, atMicros: nowMicros() });
}

// src/files.ts
function nodeFs() {
  return import.meta.require("node:fs");
}
var MAX_TEXT_BYTES = 1 << 20;

class FileReadError extends Error {
  name = "FileReadError";
}
function unreadable(path, stat, maxBytes) {
  if (stat.isDirectory())
    return `${path} is a folder, not a regular file`;
  if (!stat.isFile())
    return `${path} is not a regular file (a FIFO, socket or device)`;
  if (stat.size > maxBytes)
    return `${path} is ${stat.size} bytes, more than the ${maxBytes} allowed`;
  return;
}
function readWithNodeFs(path, maxBytes) {
  const fs = nodeFs();
  const fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    const why = unreadable(path, fs.fstatSync(fd), maxBytes);
    if (why !== undefined)
      throw new FileReadError(why);
    return fs.readFileSync(fd, "utf8");
  } finally {
    fs.closeSync(fd);
  }
}
function readTextFile(path, maxBytes = MAX_TEXT_BYTES) {
  let core;
  try {
    core = ensureCore(processState());
  } catch {
    core = undefined;
  }
  if (core === undefined)
    return readWithNodeFs(path, maxBytes);
  try {
    return core.readText(path, maxBytes);
  } catch (error) {
    throw new FileReadError(error instanceof Error ? error.message : String(error));
  }
}
function fileContains(path, needle, maxBytes = 64 << 20) {
  const fs = nodeFs();
  try {
    const fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    try {
      const stat = fs.fstatSync(fd);
      if (!stat.isFile())
        return false;
      const buffer = Buffer.alloc(Math.min(stat.size, maxBytes));
      fs.readSync(fd, buffer, 0, buffer.length, 0);
      return buffer.includes(needle);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return false;
  }
}

// src/lifecycle.ts
var PREBUILDS_DIR = join(import.meta.dir, "..", "prebuilds");
function debugLog(state) {
  return createDebugLog(state.config?.debug ?? false);
}
function insideCompiledBinary(dir = PREBUILDS_DIR) {
  return dir.startsWith("/$bunfs/") || /^[A-Z]:[\\/]~BUN[\\/]/.test(dir);
}
function coreAtStart(config) {
  return warmsUpAtStart(config) || planRepairs(config.signals, Bun.version, process.platform).suspend.length > 0;
}
function warmsUpAtStart(config) {
  return config.warmup === "eager" || config.warmup === "lazy" && !supportsLazyWarmup(Bun.version);
}
var NO_CORE_ADVICE = "Use asherah 4.x (no Go runtime, no preload needed), or run on Linux x64/arm64 with glibc; ASHERAH_BUN_PRELOAD_DISABLE=1 loads the module unprotected.";
function unavailable(state, reason, next = NO_CORE_ADVICE) {
  state.native = {
    reason,
    error: new PreloadError({
      code: "UNSUPPORTED_PLATFORM",
      what: `there is no native core here, so Go-based modules cannot be protected: ${reason}`,
      where: `${process.platform}-${process.arch}, Bun ${Bun.version}`,
      next
    })
  };
  recordEvent(state, "native-unavailable", reason);
  debugLog(state)("no native core", { reason });
  return;
}
function ensureCore(state) {
  if (state.core !== undefined || state.native !== undefined)
    return state.core;
  const config = state.config;
  if (config === undefined)
    return;
  const override = config.libraryDir;
  if (override === undefined && insideCompiledBinary()) {
    return unavailable(state, "this is a `bun build --compile` binary, which does not embed the prebuilt libraries", `Ship node_modules/asherah-bun-preload/prebuilds/${process.platform}-${process.arch}/ next to the binary and set ASHERAH_BUN_PRELOAD_LIBRARY_DIR to its absolute path.`);
  }
  const location = state.location ??= locatePrebuilds(currentPlatform(), PREBUILDS_DIR, override);
  if (location.status !== "native")
    return unavailable(state, location.reason);
  if (!location.override && Bun.file(location.dir).size === 0) {
    return unavailable(state, `this copy of asherah-bun-preload has no ${location.dir} folder.`);
  }
  const start = nowMicros();
  const dlopen = state.originalDlopen ?? process.dlopen;
  try {
    state.core = loadCore(location.core, location.override ? undefined : shippedCore(location.id), dlopen);
  } catch (error) {
    if (process.platform === "linux" && detectLibc() === "musl")
      return unavailable(state, MUSL_REASON);
    throw error;
  }
  state.corePath = location.core;
  state.timings.coreMicros = nowMicros() - start;
  recordEvent(state, "core-loaded", location.core);
  debugLog(state)("core loaded", { path: location.core, us: state.timings.coreMicros });
  return state.core;
}
function shippedCore(id) {
  const shipped = SHIPPED[`${id}/${CORE_FILE}`];
  if (shipped === undefined)
    throw new PreloadError("LIBRARY_MISSING", `src/shipped.ts lists no ${id}/${CORE_FILE}.`, "Reinstall asherah-bun-preload.");
  return shipped;
}
function plan(state) {
  return planRepairs(state.config.signals, Bun.version, process.platform);
}
function protectSignals(state, core) {
  if (state.timings.signalsMicros !== undefined)
    return;
  const config = state.config;
  const start = nowMicros();
  const signals = plan(state);
  const tookSnapshot = core.snapshot() === "done";
  const goAlready = tookSnapshot ? core.goRuntimeCount() : 0;
  state.snapshotTainted = goAlready > 0;
  const wrap = config.mechanism === "wrap" && core.wrapSupported && signals.suspend.length > 0;
  if (wrap) {
    const registered = core.registerThread();
    if (registered !== "done" && registered !== "unchanged") {
      throw new PreloadError("SIGNALS_FAILED", `the thread could not be registered for the suspend-handler wrapper (${registered}).`, "Set ASHERAH_BUN_PRELOAD_SIGNAL_MECHANISM=restore to use the flag-restore repair instead, and report this with ASHERAH_BUN_PRELOAD_DEBUG=1 output.");
    }
    state.wrapped = [];
    for (const signal of signals.suspend) {
      const result = core.wrapSuspendHandler(signal);
      if (result === "done" || result === "unchanged")
        state.wrapped.push(signalName(signal));
      else if (result !== "no-handler") {
        throw new PreloadError("SIGNALS_FAILED", `the suspend handler of ${signalName(signal)} could not be wrapped (${result}).`, "Set ASHERAH_BUN_PRELOAD_SIGNAL_MECHANISM=restore to use the flag-restore repair instead.");
      }
    }
  }
  core.setRepairPlan(signals.suspend, signals.dispositions);
  state.timings.signalsMicros = nowMicros() - start;
  recordEvent(state, "signals-protected", `${state.wrapped.join(",") || "no wrapper"}; snapshot ${tookSnapshot ? "taken" : "existed"}`);
  debugLog(state)("signals protected", { wrapped: state.wrapped.join(",") || "none", snapshot: tookSnapshot ? "taken" : "existed", us: state.timings.signalsMicros, goRuntimesAlreadyLoaded: goAlready });
  if (state.snapshotTainted) {
    warnOnce(state, "tainted", `asherah-bun-preload: warning: ${goAlready} Go runtime(s) were loaded before the preload ran, so their signal changes cannot be undone.
` + "  Load asherah-bun-preload first: bunfig.toml preload, `bun --preload asherah-bun-preload`, or import it first in the entry file.\n");
  }
}
function warnOnce(state, key, text) {
  if (state.warned.includes(key))
    return;
  state.warned.push(key);
  process.stderr.write(text);
}
function describeDisposition(core, disposition) {
  if (disposition === undefined)
    return "unknown";
  return `${disposition.handler} flags=${describeFlags(disposition.flags, core.flags)}`;
}
function recordRepairs(state, core, changed, before, trigger) {
  const log = debugLog(state);
  for (const signal of changed) {
    const record = { signal: signalName(signal), before: before.get(signal) ?? "unknown", after: describeDisposition(core, core.query(signal, 0)), trigger };
    appendBounded(state, state.repairs, record);
    log("signal repaired", { signal: record.signal, before: record.before, after: record.after, after_load: trigger });
  }
  recordEvent(state, "signals-repaired", `${trigger}: ${changed.map(signalName).join(",") || "nothing changed"}`);
}
function repairAfter(state, core, trigger) {
  const signals = plan(state);
  const watched = [...signals.suspend, ...signals.dispositions];
  const before = new Map(watched.map((signal) => [signal, describeDisposition(core, core.query(signal, 0))]));
  recordRepairs(state, core, core.repairNow(), before, trigger);
}
function syncWarmup(state, core, wait) {
  const report = core.warmupInfo(wait);
  if (report.state === "idle")
    return;
  const path = state.location?.status === "native" ? state.location.warmup : undefined;
  if (report.state === "running") {
    state.warmup = { status: "running", path };
    return;
  }
  if (state.warmup.status === "done" || state.warmup.status === "failed")
    return;
  if (report.state === "failed") {
    state.warmup = { status: "failed", path, error: report.message };
    recordEvent(state, "warmup-failed", report.message);
    return;
  }
  state.warmup = {
    status: "done",
    path,
    sha256: report.sha256,
    verifyMicros: report.verifyMicros,
    dlopenMicros: report.dlopenMicros,
    callMicros: report.callMicros
  };
  recordEvent(state, "warmup-done", path ?? "");
  debugLog(state)("warmup loaded", { path, verify_us: report.verifyMicros, dlopen_us: report.dlopenMicros, call_us: report.callMicros });
  if (report.repaired.length > 0) {
    const before = new Map(report.repairedBefore.map((d) => [d.signal, describeDisposition(core, d)]));
    recordRepairs(state, core, report.repaired, before, "warmup");
  }
}
var WARMUP_GRACE_MS = 20;
function startWarmup(state, reason, graceMs = 0) {
  const config = state.config;
  if (config === undefined || config.warmup === "off")
    return;
  const core = ensureCore(state);
  if (core === undefined || state.location?.status !== "native")
    return;
  protectSignals(state, core);
  if (core.warmupStart(state.location.warmup, graceMs) === "done") {
    recordEvent(state, "warmup-start", reason);
    if (Bun.isMainThread)
      process.once("exit", () => warnUnreportedWarmupFailure(state, core));
  }
  syncWarmup(state, core, false);
}
function warnUnreportedWarmupFailure(state, core) {
  syncWarmup(state, core, false);
  if (state.warmup.status !== "failed")
    return;
  warnOnce(state, "warmup", `asherah-bun-preload: warning: the Go warmup failed, so no Go-based module could have loaded in this process: ${state.warmup.error}
` + `  Reinstall asherah-bun-preload, or check ASHERAH_BUN_PRELOAD_LIBRARY_DIR; ASHERAH_BUN_PRELOAD_DEBUG=1 shows every step.
`);
}
var WARMUP_CODES = {
  checksum: "CHECKSUM_MISMATCH",
  unsafe: "LIBRARY_UNSAFE",
  open: "LIBRARY_MISSING",
  empty: "LIBRARY_INVALID",
  "not-regular": "LIBRARY_INVALID",
  "too-large": "LIBRARY_INVALID",
  dlopen: "LIBRARY_INVALID",
  symbol: "LIBRARY_INVALID"
};
var WARMUP_ADVICE = {
  empty: "Reinstall asherah-bun-preload (rm -rf node_modules && install), or rebuild the folder with go/build.sh --out DIR.",
  "not-regular": "Reinstall asherah-bun-preload (rm -rf node_modules && install), or rebuild the folder with go/build.sh --out DIR.",
  "too-large": "Reinstall asherah-bun-preload (rm -rf node_modules && install), or rebuild the folder with go/build.sh --out DIR.",
  checksum: "The file was modified or damaged after installation. Reinstall asherah-bun-preload (rm -rf node_modules && install).",
  unsafe: "Anyone could replace what runs in every Bun process: remove write access for other users (chmod o-w) or move the library folder.",
  open: "Reinstall asherah-bun-preload so its prebuilds/ folder is complete, or check ASHERAH_BUN_PRELOAD_LIBRARY_DIR.",
  dlopen: "The file is not a loadable library for this machine. Reinstall asherah-bun-preload on this machine, or fix ASHERAH_BUN_PRELOAD_LIBRARY_DIR."
};
function ensureWarmup(state, reason) {
  const config = state.config;
  if (config === undefined || config.warmup === "off")
    return;
  if (state.warmup.status !== "done") {
    startWarmup(state, reason);
    const core = state.core;
    if (core !== undefined)
      syncWarmup(state, core, true);
  }
  if (state.warmup.status === "failed") {
    if (!state.warned.includes("warmup"))
      state.warned.push("warmup");
    const report = state.core?.warmupInfo(false);
    const kind = report?.error ?? "";
    throw new PreloadError({
      code: WARMUP_CODES[kind] ?? "WARMUP_FAILED",
      what: `the Go warmup did not complete: ${state.warmup.error}`,
      where: state.warmup.path === undefined ? undefined : { path: state.warmup.path },
      next: WARMUP_ADVICE[kind] ?? "Set ASHERAH_BUN_PRELOAD_WARMUP=off to load Go modules without the warmup (signals are still protected), and report this with ASHERAH_BUN_PRELOAD_DEBUG=1 output."
    });
  }
}
function warnUnprotectedGo(state, file) {
  if (state.native === undefined || state.warned.includes("unprotected-go") || !isAffected(Bun.version, process.platform))
    return;
  if (!fileContains(file, "_cgo_wait_runtime_init_done"))
    return;
  warnOnce(state, "unprotected-go", `asherah-bun-preload: warning: ${file} carries a Go runtime, and Bun ${Bun.version} can hang with one loaded: it runs unprotected here because ${state.native.reason}
` + `  Upgrade Bun to 1.4.4 or later, or run on Linux x64/arm64 with glibc.
`);
}
function beforeNativeLoad(state, file, via) {
  const config = state.config;
  if (config === undefined)
    return;
  const guarded = guardedPackageOf(file, config.packages);
  if (Bun.file(file).size === Infinity) {
    throw new PreloadError({
      code: "LIBRARY_INVALID",
      what: `refusing to load ${file}: it is a FIFO or a device, not a library (loading it would block)`,
      where: guarded === undefined ? { path: file } : { module: guarded, path: file },
      next: guarded === undefined ? "Check the path the application loads." : `Reinstall ${guarded}: its package entry must be a regular file.`
    });
  }
  const core = ensureCore(state);
  if (core === undefined) {
    if (guarded !== undefined && state.native !== undefined && process.platform !== "darwin") {
      throw new PreloadError({ code: "UNSUPPORTED_PLATFORM", what: `refusing to load ${guarded}`, where: { module: guarded, path: file }, next: "", cause: state.native.error });
    }
    recordEvent(state, "native-load-start", file);
    return guarded;
  }
  protectSignals(state, core);
  if (guarded !== undefined) {
    try {
      ensureWarmup(state, `${via} ${file}`);
    } catch (error) {
      throw new PreloadError({
        code: error instanceof PreloadError ? error.code : "WARMUP_FAILED",
        what: `refusing to load ${guarded}`,
        where: { module: guarded, path: file },
        next: "",
        cause: error
      });
    }
  }
  recordEvent(state, "native-load-start", file);
  return guarded;
}
function afterNativeLoad(state, file, via, guarded, startedMicros, failed) {
  const core = state.core;
  if (core === undefined)
    warnUnprotectedGo(state, file);
  let go = core === undefined ? "none" : core.waitGoRuntime(file);
  if (core !== undefined && go !== "go" && go !== "none")
    go = core.waitAllGoRuntimes() > 0 ? "go (any)" : "none";
  recordEvent(state, "native-load-done", `${file} go=${go}${failed ? " (threw)" : ""}`);
  if (core !== undefined)
    repairAfter(state, core, file);
  if (guarded !== undefined && !failed) {
    const loadMicros = nowMicros() - startedMicros;
    const goRuntime = go.startsWith("go");
    appendBounded(state, state.guarded, { packageName: guarded, path: file, via, goRuntime, loadMicros });
    debugLog(state)("module guarded", { package: guarded, path: file, via, go_runtime: goRuntime, us: loadMicros });
  }
}

// src/watchdog.ts
function warnUnavailable(state, reason) {
  state.watchdog.unavailable ??= reason;
  warnOnce(state, "watchdog", `asherah-bun-preload: warning: ASHERAH_BUN_PRELOAD_WATCHDOG_MS is set, but the watchdog is unavailable: ${reason}
` + `  Guarded modules load without it. Reinstall asherah-bun-preload, or unset ASHERAH_BUN_PRELOAD_WATCHDOG_MS.
`);
}
function armWatchdog(state, packageName, file, via) {
  const ms = state.config?.watchdogMs ?? 0;
  if (ms <= 0)
    return;
  let id;
  try {
    const core = ensureCore(state);
    if (core === undefined) {
      warnUnavailable(state, state.native?.reason ?? `not supported on ${process.platform}`);
      return;
    }
    id = core.watchdogArm(ms, `loading ${packageName} (${file}) via ${via} on Bun ${Bun.version}`);
  } catch (error) {
    warnUnavailable(state, describeError(error));
    return;
  }
  if (typeof id !== "number") {
    warnUnavailable(state, id === "unsupported" ? `not supported on ${process.platform}` : `the core could not arm it (${id})`);
    return;
  }
  debugLog(state)("watchdog armed", { package: packageName, ms, id });
  return id;
}
function disarmWatchdog(state, id) {
  state.core?.watchdogDisarm(id);
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
  const watch = guarded !== undefined && state.config.watchdogMs > 0 ? armWatchdog(state, guarded, file, via) : undefined;
  let failed = true;
  try {
    const result = load();
    failed = false;
    return result;
  } finally {
    if (watch !== undefined)
      disarmWatchdog(state, watch);
    afterNativeLoad(state, file, via, guarded, started, failed);
  }
}
function hookProcessDlopen(state) {
  if (state.hooks.processDlopen)
    return;
  const original = process.dlopen;
  state.originalDlopen ??= original;
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
var MAX_CONDITION_DEPTH = 32;
function exportTarget(exportsField, conditions = CONDITIONS, depth = 0) {
  if (exportsField === null || exportsField === undefined || depth > MAX_CONDITION_DEPTH)
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
      const target = exportTarget(dot[condition], conditions, depth + 1);
      if (target !== undefined)
        return target;
    }
  }
  return;
}
var MANIFEST_MAX_BYTES = 1024 * 1024;
function readManifest(path) {
  const size = Bun.file(path).size;
  if (size === 0)
    return { kind: "missing" };
  if (!Number.isFinite(size))
    return { kind: "refused", reason: "it is not a regular file (a FIFO, socket or device)" };
  try {
    return { kind: "text", text: readTextFile(path, MANIFEST_MAX_BYTES) };
  } catch (error) {
    if (error.code === "ENOENT" || /No such file/.test(String(error)))
      return { kind: "missing" };
    const message = error instanceof Error ? error.message : String(error);
    return { kind: "refused", reason: message.startsWith(`${path} `) ? `it ${message.slice(path.length + 1)}` : message };
  }
}
var warned = new Set;
function warnRefusedManifest(path, reason) {
  if (warned.has(path))
    return;
  warned.add(path);
  process.stderr.write(`asherah-bun-preload: warning: ignoring ${path}: ${reason}. It was not read and nothing in it was run.
` + `  A package.json must be a regular file. If you did not put it there, remove the package folder; its package is not guarded by name.
`);
}
function findPackageManifest(name, fromDir, onRefused) {
  for (let dir = resolve(fromDir);; dir = dirname(dir)) {
    const path = join(dir, "node_modules", name, "package.json");
    const manifest = readManifest(path);
    if (manifest.kind === "text")
      return { path, text: manifest.text };
    if (manifest.kind === "refused") {
      onRefused(path, manifest.reason);
      return;
    }
    if (dirname(dir) === dir)
      return;
  }
}
function resolvePackageEntry(name, fromDir, onRefused = warnRefusedManifest) {
  if (isEmbeddedPath(fromDir))
    return;
  const manifest = findPackageManifest(name, fromDir, onRefused);
  if (manifest === undefined)
    return;
  const root = dirname(manifest.path);
  let pkg;
  try {
    pkg = JSON.parse(manifest.text);
  } catch {
    return;
  }
  if (typeof pkg !== "object" || pkg === null)
    return;
  const target = exportTarget(pkg.exports) ?? (typeof pkg.main === "string" ? pkg.main : "index.js");
  return { root, entry: resolve(root, target) };
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
  state.hooks.workers = true;
}
function hookWorkerThreads(state, Module) {
  if (!workersSupportPreload(Bun.version))
    return;
  const original = Module.prototype.require;
  let patched = false;
  Module.prototype.require = function(id) {
    const exports = original.call(this, id);
    if (!patched && (id === "worker_threads" || id === "node:worker_threads")) {
      patched = true;
      const threads = exports;
      threads.Worker = subclass(threads.Worker);
      state.hooks.workers = true;
    }
    return exports;
  };
}

// src/plugin.ts
var Module;
var requireHere;
function isEsm(file) {
  if (file.endsWith(".mjs"))
    return true;
  if (file.endsWith(".cjs"))
    return false;
  for (let dir = dirname(file);; dir = dirname(dir)) {
    const manifest = readManifest(join(dir, "package.json"));
    if (manifest.kind === "text") {
      try {
        return JSON.parse(manifest.text)?.type === "module";
      } catch {}
    }
    if (dirname(dir) === dir)
      return false;
  }
}
function guardedEntry(name, fromDir) {
  const found = resolvePackageEntry(name, fromDir);
  if (found === undefined)
    return;
  if (!Number.isFinite(Bun.file(found.entry).size)) {
    const error = new PreloadError({
      code: "LIBRARY_INVALID",
      what: `refusing to load ${name}: its entry is a FIFO or a device, not a file (reading it would block or never end)`,
      where: { module: name, path: found.entry },
      next: `Reinstall ${name}: its package entry must be a regular file.`
    });
    return { name, entry: found.entry, kind: "refused", error };
  }
  const kind = found.entry.endsWith(".node") ? "native" : isEsm(found.entry) ? "esm" : "commonjs";
  return { name, entry: found.entry, kind };
}
function guardedEntries(packages, fromDir) {
  return packages.flatMap((name) => guardedEntry(name, fromDir) ?? []);
}
function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
function guardedJsFilter(packages) {
  return new RegExp(`[\\\\/]node_modules[\\\\/](?:${packages.map(escapeRegExp).join("|")})[\\\\/][^?#]*\\.[cm]?js$`);
}
function asObjectModule(exports) {
  const served = {};
  if (typeof exports === "object" && exports !== null || typeof exports === "function") {
    const record = exports;
    for (const name of Object.getOwnPropertyNames(record))
      served[name] = record[name];
    const esModule = record.__esModule === true && "default" in record;
    served.default = esModule ? record.default : exports;
  } else {
    served.default = exports;
  }
  return { loader: "object", exports: served };
}
function folderOf(from) {
  const text = from instanceof URL ? from.href : typeof from === "string" ? from : undefined;
  if (text === undefined)
    return;
  if (text.startsWith("file:"))
    return dirname(Bun.fileURLToPath(text));
  if (!text.startsWith("/"))
    return;
  return text.endsWith("/") ? text.slice(0, -1) : dirname(text);
}
function hookCreateRequireResolve(names) {
  const original = Module.createRequire;
  Module.createRequire = function(from) {
    const req = original.call(this, from);
    const base = folderOf(from);
    const resolveOriginal = req.resolve;
    if (base === undefined || typeof resolveOriginal !== "function")
      return req;
    const resolve = function(id, options) {
      if (typeof id === "string" && names.has(id)) {
        for (const dir of options?.paths ?? [base]) {
          try {
            return Bun.resolveSync(id, dir);
          } catch {}
        }
      }
      return resolveOriginal.call(this, id, options);
    };
    req.resolve = Object.assign(resolve, { paths: resolveOriginal.paths });
    return req;
  };
}
function registerPlugin(state) {
  if (state.hooks.plugin)
    return;
  const config = state.config;
  if (config === undefined)
    return;
  const fromDir = Bun.main ? dirname(Bun.main) : process.cwd();
  const jsGuard = supportsJsEntryGuard(Bun.version);
  const entries = guardedEntries(config.packages, fromDir).filter((e) => e.kind === "native" || e.kind === "refused" || jsGuard);
  const log = debugLog(state);
  if (entries.length === 0) {
    log("no guarded package installed", { from: fromDir });
    return;
  }
  Module = import.meta.require("node:module");
  requireHere = Module.createRequire(import.meta.url);
  hookWorkerThreads(state, Module);
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
      module._compile(readTextFile(file), file);
    } catch (error) {
      compiled.delete(file);
      throw error;
    }
    module.loaded = true;
    recordEvent(state, "js-entry-loaded", file);
    return module.exports;
  };
  const failingModule = (error) => ({ contents: throwingSource(error), loader: "js" });
  const jsPackages = entries.filter((e) => e.kind === "commonjs" || e.kind === "esm").map((e) => e.name);
  Bun.plugin({
    name: "asherah-bun-preload",
    setup(build) {
      for (const { name, entry, kind, error } of entries) {
        if (kind === "esm")
          continue;
        if (kind === "refused") {
          build.module(name, () => failingModule(error));
          continue;
        }
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
              return { contents: readTextFile(path), loader: "js" };
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
  const bareNames = new Set(entries.filter((e) => e.kind !== "esm").map((e) => e.name));
  if (bareNames.size > 0) {
    const original = Module.prototype.require;
    const byFolder = new Map;
    const entryFrom = (name, dir) => {
      const key = `${name}\x00${dir}`;
      let found = byFolder.get(key);
      if (found === undefined) {
        const entry = guardedEntry(name, dir);
        found = entry !== undefined && (entry.kind === "native" || entry.kind === "refused" || jsGuard) ? entry : null;
        byFolder.set(key, found);
      }
      return found ?? undefined;
    };
    Module.prototype.require = function(id) {
      if (typeof id !== "string" || !bareNames.has(id))
        return original.call(this, id);
      const filename = this?.filename;
      const guarded = entryFrom(id, typeof filename === "string" && filename.startsWith("/") ? dirname(filename) : fromDir);
      if (guarded === undefined || guarded.kind === "esm")
        return original.call(this, id);
      if (guarded.kind === "refused")
        throw guarded.error;
      return guarded.kind === "native" ? original.call(this, guarded.entry) : loadCommonJs(guarded.entry, this ?? null);
    };
    hookCreateRequireResolve(bareNames);
  }
  state.hooks.plugin = true;
}

// src/install.ts
function install(options = {}) {
  const state = processState();
  state.installedBy.push(options.by ?? "api");
  if (state.phase !== "not-installed")
    return state;
  if (state.foreignVersion !== undefined) {
    state.phase = "disabled";
    state.warmup.status = "skipped";
    recordEvent(state, "disabled", `another version (state ${state.foreignVersion}) is installed`);
    if (Bun.isMainThread) {
      process.stderr.write(`asherah-bun-preload: warning: another version of asherah-bun-preload was loaded first in this process; this copy (${import.meta.dir}) does nothing.
` + `  Keep one version in the project (npm ls asherah-bun-preload), so the preload that runs is the one you expect.
`);
    }
    return state;
  }
  const start = nowMicros();
  try {
    const config = readConfig(options.env ?? process.env);
    state.config = config;
    warnUnknownVariables(config);
    state.prebuildsDir = PREBUILDS_DIR;
    if (config.disabled) {
      state.phase = "disabled";
      state.warmup.status = "skipped";
      recordEvent(state, "disabled");
      debugLog(state)("disabled", { by: "ASHERAH_BUN_PRELOAD_DISABLE" });
      return state;
    }
    recordEvent(state, "install-start", `bun ${Bun.version} warmup=${config.warmup} signals=${config.signals}`);
    state.originalDlopen = process.dlopen;
    if (coreAtStart(config)) {
      const core = ensureCore(state);
      if (core !== undefined)
        protectSignals(state, core);
    }
    if (warmsUpAtStart(config)) {
      const reason = config.warmup === "lazy" ? `preload (lazy is eager on Bun ${Bun.version})` : "preload (eager)";
      if (config.mechanism === "restore" || !supportsBackgroundWarmup(Bun.version)) {
        try {
          ensureWarmup(state, `${reason}, waited for`);
        } catch {
          state.warned = state.warned.filter((key) => key !== "warmup");
        }
      } else {
        startWarmup(state, reason, WARMUP_GRACE_MS);
      }
    } else if (config.warmup === "off") {
      state.warmup.status = "skipped";
    }
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
    const failure = toPreloadError(error);
    state.phase = "failed";
    state.error = describeError(failure);
    recordEvent(state, "install-failed", `${failure.code}: ${state.error}`);
    throw failure;
  }
}

// src/index.ts
try {
  install({ by: "preload" });
} catch (error) {
  exitOnStartFailure(error);
}

//# debugId=E3E402341E24412A64756E2164756E21
//# sourceMappingURL=index.js.map
