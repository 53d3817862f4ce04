// Configuration comes only from environment variables with one prefix, so the
// preload needs no file of its own and works the same under bunfig `preload`,
// `--preload` and `bun test`. Every value of a known variable is validated: a
// typo in a value must fail loudly at start rather than silently disable
// protection. An unknown name only warns (warnUnknownVariables): a variable
// meant for a newer version of the package must not stop older copies.
import { PreloadError } from "./errors.ts";
import { isAbsolute } from "./paths.ts";

export { DEFAULT_CONFIG, DEFAULT_PACKAGES, ENV_PREFIX, KNOWN, type Config, type Known, type SignalMechanism, type SignalMode, type WarmupMode } from "./config-defaults.ts";
import { DEFAULT_PACKAGES, ENV_PREFIX, KNOWN, type Config, type Known } from "./config-defaults.ts";

/** Every variable this version reads, full names; test/unit/docs.test.ts checks that the docs name exactly these. */
export const KNOWN_VARIABLES: readonly string[] = KNOWN.map((name) => ENV_PREFIX + name);

const PACKAGE_NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;

function shown(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

function bad(variable: string, value: string, expected: string): PreloadError {
  return new PreloadError(
    "CONFIG",
    `environment variable ${variable} has the invalid value ${JSON.stringify(shown(value, 100))}.`,
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
  if (!isAbsolute(value)) throw bad(variable, value, "an absolute path to a folder holding asherah-bun-core.node and asherah-bun-warmup.so");
  return value;
}

/** Reads the configuration from an environment; pure, so tests can pass any env. */
export function readConfig(env: Record<string, string | undefined>): Config {
  const unknownVariables = Object.keys(env)
    .filter((key) => key.startsWith(ENV_PREFIX) && !(KNOWN as readonly string[]).includes(key.slice(ENV_PREFIX.length)))
    .sort();
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
    unknownVariables,
  };
}

/** The one warning line for unknown names, or undefined when there are none. */
export function unknownVariablesWarning(names: readonly string[]): string | undefined {
  if (names.length === 0) return undefined;
  const list = names.map((name) => shown(name, 80).replace(/[^\x20-\x7e]/g, "?")).join(", ");
  const what = names.length === 1 ? "a variable" : "variables";
  return `asherah-bun-preload: warning: ignoring ${list}: not ${what} this version knows (${ENV_PREFIX}{${KNOWN.join(",")}}); check the spelling, or upgrade asherah-bun-preload for a newer setting.`;
}

const WARNED = Symbol.for("asherah-bun-preload.unknown-variables-warned");

/**
 * Prints unknownVariablesWarning once per process: on the main thread only
 * (Workers run the preload again, with the same environment), and once
 * whichever copy of the package calls first.
 */
export function warnUnknownVariables(config: Pick<Config, "unknownVariables">): void {
  const line = unknownVariablesWarning(config.unknownVariables);
  const holder = globalThis as unknown as Record<symbol, boolean | undefined>;
  if (line === undefined || holder[WARNED] === true || Bun.isMainThread === false) return;
  Object.defineProperty(globalThis, WARNED, { value: true, enumerable: false, configurable: false, writable: false });
  process.stderr.write(`${line}\n`);
}
