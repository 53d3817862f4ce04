// The preload's start path: what every Bun process of a project runs before
// its first line, with the default settings (or only ASHERAH_BUN_PRELOAD_DISABLE
// and ASHERAH_BUN_PRELOAD_WARMUP) on Linux x64/arm64.
//
// Start-up time is the product here (issue 11: ≤ 1.30× bare `bun -e 0`),
// and on a 6 ms process every function that runs costs its parse and first
// compilation (docs/performance.md, "Where the time goes"). So this module
// does the default case only — locate, verify and load the core, protect
// signals, start the warmup, put the hooks in place — and the general
// install() (install.ts: any other ASHERAH_BUN_PRELOAD_* setting, Bun 1.0.x,
// macOS and other platforms, a compiled binary, a damaged install) lives in
// the cold half (cold-link.ts), as do the hooks' bodies, which run on the
// first native load. Both leave the same state behind (status(); e2e
// tests run both).
//
// Nothing here changes the state until the core is verified, so handing
// over to the general path at any check before that starts from scratch.
import { atLeast, BUN_1_1 } from "./bun-version.ts";
import { cold, coldAtStart } from "./cold-link.ts";
import { DEFAULT_CONFIG, ENV_PREFIX, type Config } from "./config-defaults.ts";
import { CORE_ABI, type Core } from "./core.ts";
import { installHooks } from "./hooks.ts";
import { protectSignals } from "./protect.ts";
import { SHIPPED } from "./shipped.ts";
import { installedAlready, markDisabled, nowMicros, processState, recordEvent, type PreloadState } from "./state.ts";
import { WARMUP_GRACE_MS } from "./warmup-grace.ts";

/** The shipped core, loaded, with where it came from and what it should hash to. */
interface DefaultCore {
  readonly core: Core;
  readonly dir: string;
  readonly path: string;
  readonly id: string;
  readonly sha256: string;
}

/** The preload entry (index.ts). Exits with the error block on a failure. */
export function start(): void {
  const state = processState();
  // No cold half needed for a second copy (test/e2e/loading.test.ts, "a
  // plain bun build bundle").
  if (installedAlready(state)) return;
  // Past the line above, only another version's copy is not "not-installed".
  const config = state.foreignVersion === undefined ? plainConfig() : undefined;
  if (config?.disabled === true) {
    disable(state, config);
    return;
  }
  const core = config === undefined ? undefined : defaultCore(config);
  if (config === undefined || core === undefined) {
    coldAtStart().startGeneral();
    return;
  }
  try {
    installDefault(state, config, core);
  } catch (error) {
    coldAtStart().failStart(state, error);
  }
}

const DISABLE = `${ENV_PREFIX}DISABLE`;
const WARMUP = `${ENV_PREFIX}WARMUP`;

/**
 * The settings when they are the defaults, or only ASHERAH_BUN_PRELOAD_DISABLE
 * and ASHERAH_BUN_PRELOAD_WARMUP spelled exactly as documented; undefined for
 * anything else — another variable, a typo, another spelling of a value —
 * which the general path validates, warns about or refuses (config.ts).
 */
function plainConfig(): Config | undefined {
  let disabled = false;
  let warmup: Config["warmup"] = "eager";
  const env = process.env;
  const names = Object.keys(env);
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (!name.startsWith(ENV_PREFIX)) continue;
    const value = env[name];
    if (name === DISABLE && (value === "1" || value === "0")) disabled = value === "1";
    else if (name === WARMUP && (value === "eager" || value === "lazy" || value === "off")) warmup = value;
    else return undefined;
  }
  return disabled || warmup !== "eager" ? { ...DEFAULT_CONFIG, disabled, warmup } : DEFAULT_CONFIG;
}

/** ASHERAH_BUN_PRELOAD_DISABLE=1: nothing loaded, nothing hooked (install.ts does the same). */
function disable(state: PreloadState, config: Config): void {
  state.installedBy.push("preload");
  state.config = config;
  state.prebuildsDir = `${import.meta.dir.slice(0, import.meta.dir.lastIndexOf("/"))}/prebuilds`;
  markDisabled(state);
}

/**
 * The shipped core, loaded and verified, when the default path applies;
 * undefined (and nothing changed) when the general path must decide.
 */
function defaultCore(config: Config): DefaultCore | undefined {
  if (process.platform !== "linux" || (process.arch !== "x64" && process.arch !== "arm64")) return undefined;
  // Bun 1.0.x waits for the warmup at start (install.ts); a compiled binary
  // needs ASHERAH_BUN_PRELOAD_LIBRARY_DIR.
  if (!atLeast(Bun.version, BUN_1_1) || import.meta.dir.startsWith("/$bunfs/")) return undefined;
  const id = `linux-${process.arch}`;
  const dir = `${import.meta.dir.slice(0, import.meta.dir.lastIndexOf("/"))}/prebuilds/${id}`;
  const path = `${dir}/asherah-bun-core.node`;
  const shipped = SHIPPED[`${id}/asherah-bun-core.node`];
  // One stat (~40 µs, no node:fs); a FIFO or device reads as Infinity. A
  // missing folder, another size or a failed load: the general path retries
  // and says which (core.ts loadCore).
  if (shipped === undefined || Bun.file(path).size !== shipped.size) return undefined;
  const module = { exports: {} as Core };
  try {
    process.dlopen(module, path);
  } catch {
    return undefined;
  }
  const core = module.exports;
  // Checked before any other function of the core is used (core-load.ts
  // loadCore). The sha256 of its own file too, except in eager mode, where
  // the warmup thread checks it (installDefault), off this thread's ~6 ms,
  // before any guarded module can load. The core hashes itself, so the hash
  // finds damage, not a replacement, and the exact size above already finds
  // truncation (docs/how-it-works.md, "Trust").
  const eager = config.warmup === "eager";
  if (core.abi !== CORE_ABI || core.checkPathSafe(path) !== "" || (!eager && core.selfSha256() !== shipped.sha256)) {
    coldAtStart().failStart(processState(), cold().loadedCoreProblem(core, path, shipped));
  }
  return { core, dir, path, id, sha256: shipped.sha256 };
}

function installDefault(state: PreloadState, config: Config, loaded: DefaultCore): void {
  const started = nowMicros();
  const { core, dir, path } = loaded;
  state.installedBy.push("preload");
  state.config = config;
  state.prebuildsDir = dir.slice(0, dir.lastIndexOf("/"));
  recordEvent(state, "install-start", `bun ${Bun.version} warmup=${config.warmup} signals=auto`);
  const warmup = `${dir}/asherah-bun-warmup.so`;
  state.location = { status: "native", dir, id: loaded.id, core: path, warmup, override: false };
  state.core = core;
  state.corePath = path;
  state.timings.coreMicros = nowMicros() - started;
  recordEvent(state, "core-loaded", path);
  protectSignals(state, core);
  if (config.warmup === "eager") {
    if (core.warmupStart(warmup, WARMUP_GRACE_MS, loaded.sha256) === "done") {
      recordEvent(state, "warmup-start", "preload (eager)");
      // A process that never loads a guarded module never asks how the
      // warmup went: one warning at exit if it failed (lifecycle.ts).
      if (Bun.isMainThread) process.once("exit", () => core.warmupInfo(false).state === "failed" && cold().warnUnreportedWarmupFailure(state, core));
    }
    state.warmup = { status: "running", path: warmup };
  } else if (config.warmup === "off") {
    state.warmup.status = "skipped";
  }
  installHooks(state);
  state.phase = "installed";
  state.timings.installMicros = nowMicros() - started;
  recordEvent(state, "install-done");
}
