import { afterEach, describe, expect, test } from "bun:test";
import { MISSING_STATUS } from "../../src/cold-link.ts";
import { describeError, ERROR_CODES, exitStatus, formatError, PreloadError, throwingSource, toPreloadError } from "../../src/errors.ts";

const DEBUG = "ASHERAH_BUN_PRELOAD_DEBUG";
const savedDebug = process.env[DEBUG];
afterEach(() => {
  if (savedDebug === undefined) delete process.env[DEBUG];
  else process.env[DEBUG] = savedDebug;
});

function missing(): PreloadError {
  const enoent = Object.assign(new Error("ENOENT: no such file or directory, open '/lib/x.so'"), { code: "ENOENT" });
  return new PreloadError("LIBRARY_MISSING", "the Go warmup library /lib/x.so does not exist.", "Reinstall asherah-bun-preload.", { cause: enoent });
}

describe("the block", () => {
  test("what / where / next / code, the prefix once", () => {
    delete process.env[DEBUG];
    const e = new PreloadError({ code: "CONFIG", what: "something is off.", where: { variable: "ASHERAH_BUN_PRELOAD_WARMUP" }, next: "Do this.\nOr that." });
    expect(formatError(e)).toBe(
      [
        "asherah-bun-preload: something is off.",
        "  variable ASHERAH_BUN_PRELOAD_WARMUP",
        "  Do this.",
        "  Or that.",
        "  (code CONFIG; ASHERAH_BUN_PRELOAD_DEBUG=1 for details)",
      ].join("\n"),
    );
    expect(String(e)).toBe(formatError(e)); // name + message is the block, in any printer
    expect(e.code).toBe("CONFIG");
    expect(e instanceof Error).toBe(true);
  });

  test("the old signature still works, with an optional where", () => {
    const e = new PreloadError("LIBRARY_INVALID", "bad file.", "Fix it.", { where: "/lib/x.so" });
    expect(e.message).toBe("bad file.\n  /lib/x.so\n  Fix it.\n  (code LIBRARY_INVALID; ASHERAH_BUN_PRELOAD_DEBUG=1 for details)");
    expect(new PreloadError("LIBRARY_INVALID", "bad file.", "Fix it.").message.split("\n")).toHaveLength(3);
  });

  test("no own code, cause or stack frames: Bun would print them under the block", () => {
    delete process.env[DEBUG];
    const e = missing();
    expect(Object.getOwnPropertyNames(e)).not.toContain("code");
    expect(Object.getOwnPropertyNames(e)).not.toContain("cause");
    expect(e.stack ?? "").not.toMatch(/^\s+at /m);
    expect((e.reason as Error).message).toContain("ENOENT"); // kept, for formatError's debug output
  });

  test("a nested PreloadError is folded into the first line, the prefix still once", () => {
    delete process.env[DEBUG];
    const inner = missing();
    const earlier = new PreloadError("WARMUP_FAILED", `the Go warmup failed earlier in this process: ${describeError(inner)}`, "Restart the process.", { cause: inner });
    const outer = new PreloadError({ code: "WARMUP_FAILED", what: "refusing to load asherah (/app/node_modules/asherah/a.node)", where: { module: "asherah" }, next: "", cause: earlier });
    const text = formatError(outer);
    expect(text.match(/asherah-bun-preload/g)).toHaveLength(1);
    expect(text.split("\n")[0]).toBe(
      "asherah-bun-preload: refusing to load asherah (/app/node_modules/asherah/a.node) because the Go warmup failed earlier in this process: the Go warmup library /lib/x.so does not exist.",
    );
    expect(text.split("\n")).toHaveLength(4); // first line, where, the cause's advice, code
    expect(text).toContain("  Restart the process.");
    expect(outer.code).toBe("WARMUP_FAILED");
  });

  test("text that already carries the prefix or the cause is not repeated", () => {
    const inner = missing();
    const legacy = new PreloadError("WARMUP_FAILED", `refusing to load x because the Go warmup did not complete:\nasherah-bun-preload: ${describeError(inner)}`, "Fix it.", { cause: inner });
    expect(legacy.summary).toBe("refusing to load x because the Go warmup did not complete: the Go warmup library /lib/x.so does not exist.");
  });

  test("describeError is one line without the prefix", () => {
    expect(describeError(missing())).toBe("the Go warmup library /lib/x.so does not exist.");
    expect(describeError(new Error("asherah-bun-preload: a\n  b"))).toBe("a b");
    expect(describeError("text")).toBe("text");
  });
});

describe("identity", () => {
  test("instanceof PreloadError holds for an error from another copy of the package", async () => {
    const copy = (await import(`../../src/errors.ts?copy=${Date.now()}`)) as typeof import("../../src/errors.ts");
    expect(copy.PreloadError).not.toBe(PreloadError);
    const foreign = new copy.PreloadError("CONFIG", "from the other copy.", "Nothing.");
    expect(foreign instanceof PreloadError).toBe(true);
    expect(toPreloadError(foreign)).toBe(foreign);
    expect(describeError(foreign)).toBe("from the other copy.");
    expect(new Error("x") instanceof PreloadError).toBe(false);
    expect((null as unknown as object) instanceof PreloadError).toBe(false);
  });
});

describe("anything else thrown", () => {
  test("becomes INTERNAL with the original as reason", () => {
    const original = new TypeError("x is not a function");
    const e = toPreloadError(original);
    expect(e.code).toBe("INTERNAL");
    expect(e.summary).toBe("unexpected error: x is not a function");
    expect(e.reason).toBe(original);
    expect(toPreloadError(e)).toBe(e);
  });
});

describe("debug", () => {
  test("adds the stack and every cause with its stack; cause is set", () => {
    process.env[DEBUG] = "1";
    const e = missing();
    expect(Object.getOwnPropertyNames(e)).toContain("cause");
    const text = formatError(e, { debug: true });
    const lines = text.split("\n");
    expect(lines[0]).toBe("asherah-bun-preload: the Go warmup library /lib/x.so does not exist.");
    expect(text).toContain("  (code LIBRARY_MISSING)\n");
    expect(text).toMatch(/^\s+at .*errors\.test\.ts/m);
    expect(text).toContain("  caused by:\n    Error: ENOENT: no such file or directory");
  });
});

describe("exit statuses", () => {
  test("each code has its own documented status, all distinct from 0, 1 and signals", () => {
    for (const [code, { status }] of Object.entries(ERROR_CODES)) {
      expect(status, code).toBeGreaterThan(1);
      expect(status, code).toBeLessThan(128);
    }
    expect(exitStatus(new PreloadError("CONFIG", "x", "y"))).toBe(78);
    expect(exitStatus(new Error("boom"))).toBe(ERROR_CODES.INTERNAL.status);
  });
  test("a missing cold half (cold-link.ts, which cannot import errors.ts) exits as LIBRARY_MISSING does", () => {
    expect(MISSING_STATUS).toBe(ERROR_CODES.LIBRARY_MISSING.status);
  });
});

describe("throwingSource", () => {
  test("evaluates to a throw of the very same object", () => {
    const e = missing();
    let thrown: unknown;
    try {
      new Function(throwingSource(e))();
    } catch (caught) {
      thrown = caught;
    }
    expect(thrown).toBe(e);
  });

  test("falls back to an error with the same text and code when the table lost it", () => {
    const source = throwingSource(new PreloadError("SIGNALS_FAILED", "x failed.", "Do y."));
    const lost = source.replace(/\.get\(\d+\)/, ".get(-1)");
    let thrown: { message?: string; code?: string; name?: string } = {};
    try {
      new Function(lost)();
    } catch (caught) {
      thrown = caught as typeof thrown;
    }
    expect(thrown.code).toBe("SIGNALS_FAILED");
    expect(thrown.name).toBe("asherah-bun-preload");
    expect(thrown.message).toStartWith("x failed.\n  Do y.\n  (code SIGNALS_FAILED");
  });
});
