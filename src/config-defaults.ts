// The settings and their defaults (config.ts reads and checks an environment).
// No error is built here: the start path (start.ts) imports this module.

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
  /** Names with the prefix that this version does not know, sorted; the caller warns (warnUnknownVariables). */
  readonly unknownVariables: readonly string[];
}

export const DEFAULT_PACKAGES: readonly string[] = ["asherah"];

/** What readConfig returns for an environment without any ASHERAH_BUN_PRELOAD_* variable (test/unit/config.test.ts). */
export const DEFAULT_CONFIG: Config = {
  disabled: false,
  warmup: "eager",
  signals: "auto",
  mechanism: "wrap",
  packages: DEFAULT_PACKAGES,
  debug: false,
  libraryDir: undefined,
  watchdogMs: 0,
  unknownVariables: [],
};

export const KNOWN = ["DISABLE", "WARMUP", "SIGNALS", "SIGNAL_MECHANISM", "PACKAGES", "DEBUG", "LIBRARY_DIR", "WATCHDOG_MS"] as const;
export type Known = (typeof KNOWN)[number];


// npm's rules for package names, scoped or not (validate-npm-package-name, simplified to what can appear in a path).
