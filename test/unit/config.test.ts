import { describe, expect, test } from "bun:test";
import { KNOWN_VARIABLES, readConfig, unknownVariablesWarning } from "../../src/config.ts";
import { PreloadError } from "../../src/errors.ts";

function error(env: Record<string, string>): PreloadError {
  try {
    readConfig(env);
  } catch (e) {
    if (e instanceof PreloadError) return e;
    throw e;
  }
  throw new Error(`readConfig accepted ${JSON.stringify(env)}`);
}

describe("readConfig", () => {
  test("defaults", () => {
    expect(readConfig({})).toEqual({
      disabled: false,
      warmup: "eager",
      signals: "auto",
      mechanism: "wrap",
      packages: ["asherah"],
      debug: false,
      libraryDir: undefined,
      watchdogMs: 0,
      unknownVariables: [],
    });
  });

  test("every variable parsed", () => {
    const config = readConfig({
      ASHERAH_BUN_PRELOAD_DISABLE: "yes",
      ASHERAH_BUN_PRELOAD_WARMUP: " Lazy ",
      ASHERAH_BUN_PRELOAD_SIGNALS: "force",
      ASHERAH_BUN_PRELOAD_SIGNAL_MECHANISM: "restore",
      ASHERAH_BUN_PRELOAD_PACKAGES: "go-js-entry, @acme/go-thing,asherah",
      ASHERAH_BUN_PRELOAD_DEBUG: "1",
      ASHERAH_BUN_PRELOAD_LIBRARY_DIR: "/opt/abp",
      ASHERAH_BUN_PRELOAD_WATCHDOG_MS: "1500",
      UNRELATED: "x",
    });
    expect(config).toEqual({
      disabled: true,
      warmup: "lazy",
      signals: "force",
      mechanism: "restore",
      packages: ["asherah", "go-js-entry", "@acme/go-thing"],
      debug: true,
      libraryDir: "/opt/abp",
      watchdogMs: 1500,
      unknownVariables: [],
    });
  });

  const garbage: [string, string, RegExp][] = [
    ["ASHERAH_BUN_PRELOAD_DISABLE", "maybe", /one of 1, 0, true/],
    ["ASHERAH_BUN_PRELOAD_WARMUP", "early", /one of eager, lazy, off/],
    ["ASHERAH_BUN_PRELOAD_SIGNALS", "sometimes", /one of auto, force, off/],
    ["ASHERAH_BUN_PRELOAD_SIGNAL_MECHANISM", "clear", /one of wrap, restore/],
    ["ASHERAH_BUN_PRELOAD_PACKAGES", "ok,Bad Name", /"Bad Name" is not one/],
    ["ASHERAH_BUN_PRELOAD_PACKAGES", "../escape", /is not one/],
    ["ASHERAH_BUN_PRELOAD_DEBUG", "\u0000", /one of 1, 0/],
    ["ASHERAH_BUN_PRELOAD_LIBRARY_DIR", "prebuilds/linux-x64", /absolute path/],
    ["ASHERAH_BUN_PRELOAD_WATCHDOG_MS", "-5", /whole number of milliseconds/],
    ["ASHERAH_BUN_PRELOAD_WATCHDOG_MS", "1e3", /whole number of milliseconds/],
  ];
  for (const [variable, value, expected] of garbage) {
    test(`${variable}=${JSON.stringify(value)} is refused, naming the variable`, () => {
      const e = error({ [variable]: value });
      expect(e.code).toBe("CONFIG");
      expect(e.message).toContain(variable);
      expect(e.message).toMatch(expected);
    });
  }

  test("an unknown variable with the prefix is returned as data, not refused", () => {
    const config = readConfig({ ASHERAH_BUN_PRELOAD_WARMUPS: "eager", ASHERAH_BUN_PRELOAD_A_NEWER_SETTING: "1", ASHERAH_BUN_PRELOADX: "1", OTHER: "1" });
    expect(config.unknownVariables).toEqual(["ASHERAH_BUN_PRELOAD_A_NEWER_SETTING", "ASHERAH_BUN_PRELOAD_WARMUPS"]);
    expect(config.warmup).toBe("eager"); // the known ones still apply
  });

  test("a bad value of a known variable still stops, also next to an unknown one", () => {
    const e = error({ ASHERAH_BUN_PRELOAD_TYPO: "1", ASHERAH_BUN_PRELOAD_WARMUP: "bogus" });
    expect(e.code).toBe("CONFIG");
    expect(e.message).toContain("ASHERAH_BUN_PRELOAD_WARMUP");
  });

  test("the unknown-variable warning is one line naming each unknown name and the known ones", () => {
    expect(unknownVariablesWarning([])).toBeUndefined();
    const line = unknownVariablesWarning(["ASHERAH_BUN_PRELOAD_TYPO", "ASHERAH_BUN_PRELOAD_\u0007BELL"]) ?? "";
    expect(line).toStartWith("asherah-bun-preload: warning: ignoring ASHERAH_BUN_PRELOAD_TYPO, ASHERAH_BUN_PRELOAD_?BELL");
    expect(line).not.toContain("\n");
    for (const known of KNOWN_VARIABLES) expect(line).toContain(known.slice("ASHERAH_BUN_PRELOAD_".length));
  });

  test("a long bad value is shortened in the message", () => {
    const e = error({ ASHERAH_BUN_PRELOAD_WARMUP: "x".repeat(5000) });
    expect(e.message.length).toBeLessThan(400);
  });
});
