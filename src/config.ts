// Configuration comes only from environment variables with one prefix, so the
// preload needs no file of its own and works the same under bunfig `preload`,
// `--preload` and `bun test`. Every value is validated: a typo must fail loudly
// at start rather than silently disable protection.
import { PreloadError } from "./errors.ts";
import { isAbsolute } from "./paths.ts";

export const ENV_PREFIX = "ASHERAH_BUN_PRELOAD_";

export type WarmupMode = "eager" | "lazy" | "off";
export type SignalMode = "auto" | "force" | "off";
export type SignalMechanism = "wrap" | "restore";

export interface Config {
  /** ASHERAH_BUN_PRELOAD_DISABLE: the preload does nothing at all. */
  readonly disabled: boolean;
  /** ASHERAH_BUN_PRELOAD_WARMUP: when the Go warmup library is loaded. */
  readonly warmup: WarmupMode;
  /** ASHERAH_BUN_PRELOAD_SIGNALS: whether JSC's suspend handler is repaired. */
  readonly signals: SignalMode;
  /** ASHERAH_BUN_PRELOAD_SIGNAL_MECHANISM: how JSC's suspend handler is protected (docs/how-it-works.md). */
  readonly mechanism: SignalMechanism;
  /** `asherah` plus ASHERAH_BUN_PRELOAD_PACKAGES (comma-separated). */
  readonly packages: readonly string[];
  /** ASHERAH_BUN_PRELOAD_DEBUG: one line per event on stderr. */
  readonly debug: boolean;
  /** ASHERAH_BUN_PRELOAD_LIBRARY_DIR: absolute folder holding both native libraries. */
  readonly libraryDir: string | undefined;
  /** ASHERAH_BUN_PRELOAD_WATCHDOG_MS: abort a guarded load that takes longer (0 = off). */
  readonly watchdogMs: number;
}

export const DEFAULT_PACKAGES: readonly string[] = ["asherah"];

const KNOWN = ["DISABLE", "WARMUP", "SIGNALS", "SIGNAL_MECHANISM", "PACKAGES", "DEBUG", "LIBRARY_DIR", "WATCHDOG_MS"] as const;
type Known = (typeof KNOWN)[number];

// npm's rules for package names, scoped or not (validate-npm-package-name, simplified to what can appear in a path).
const PACKAGE_NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;

function bad(variable: string, value: string, expected: string): PreloadError {
  return new PreloadError(
    "CONFIG",
    `environment variable ${variable} has the invalid value ${JSON.stringify(value)}.`,
    `Expected ${expected}. Fix or unset ${variable}.`,
  );
}

function parseBoolean(variable: string, value: string): boolean {
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

function parseChoice<T extends string>(variable: string, value: string, choices: readonly T[]): T {
  const normalised = value.trim().toLowerCase();
  const found = choices.find((choice) => choice === normalised);
  if (found === undefined) throw bad(variable, value, `one of ${choices.join(", ")}`);
  return found;
}

function parsePackages(variable: string, value: string): string[] {
  const names = value
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  for (const name of names) {
    if (!PACKAGE_NAME.test(name)) {
      throw bad(variable, value, `a comma-separated list of npm package names (${JSON.stringify(name)} is not one)`);
    }
  }
  return names;
}

function parseMilliseconds(variable: string, value: string): number {
  const trimmed = value.trim();
  if (!/^\d{1,9}$/.test(trimmed)) throw bad(variable, value, "a whole number of milliseconds (0 turns it off)");
  return Number(trimmed);
}

function parseDirectory(variable: string, value: string): string {
  // A relative path would be resolved against whatever directory the process
  // happens to start in: a classic way to load an attacker's library.
  if (!isAbsolute(value)) throw bad(variable, value, "an absolute path to a folder holding asherah-bun-warmup and asherah-bun-signals");
  return value;
}

/** Reads the configuration from an environment; pure, so tests can pass any env. */
export function readConfig(env: Record<string, string | undefined>): Config {
  for (const key of Object.keys(env)) {
    if (!key.startsWith(ENV_PREFIX)) continue;
    const name = key.slice(ENV_PREFIX.length);
    if (!(KNOWN as readonly string[]).includes(name)) {
      throw new PreloadError(
        "CONFIG",
        `unknown environment variable ${key}.`,
        `Known variables: ${KNOWN.map((k) => ENV_PREFIX + k).join(", ")}. Remove or rename it.`,
      );
    }
  }
  const get = (name: Known): string | undefined => env[ENV_PREFIX + name];
  const variable = (name: Known): string => ENV_PREFIX + name;

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
    warmup: warmup === undefined ? "eager" : parseChoice(variable("WARMUP"), warmup, ["eager", "lazy", "off"] as const),
    signals: signals === undefined ? "auto" : parseChoice(variable("SIGNALS"), signals, ["auto", "force", "off"] as const),
    mechanism: mechanism === undefined ? "wrap" : parseChoice(variable("SIGNAL_MECHANISM"), mechanism, ["wrap", "restore"] as const),
    packages: [...new Set([...DEFAULT_PACKAGES, ...extra])],
    debug: debug === undefined ? false : parseBoolean(variable("DEBUG"), debug),
    libraryDir: libraryDir === undefined || libraryDir === "" ? undefined : parseDirectory(variable("LIBRARY_DIR"), libraryDir),
    watchdogMs: watchdog === undefined ? 0 : parseMilliseconds(variable("WATCHDOG_MS"), watchdog),
  };
}
