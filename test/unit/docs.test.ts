// The docs name exactly the environment variables and error codes the code
// defines (issue 14): a variable or code added, renamed or removed in
// config.ts / errors.ts fails here until README.md and docs/*.md follow.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ENV_PREFIX, KNOWN_VARIABLES } from "../../src/config.ts";
import { ERROR_CODES } from "../../src/errors.ts";

const ROOT = join(import.meta.dir, "..", "..");
const DOCS: Record<string, string> = Object.fromEntries([
  ["README.md", readFileSync(join(ROOT, "README.md"), "utf8")],
  ...readdirSync(join(ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => [`docs/${name}`, readFileSync(join(ROOT, "docs", name), "utf8")]),
]);
const CONFIGURATION = DOCS["docs/configuration.md"] ?? "";
const README = DOCS["README.md"] ?? "";
const CODES = Object.keys(ERROR_CODES);
// The doctor's finding codes (add("warn", "NO_NODELETE", …) in src/doctor/judge.ts) may be named too.
const FINDINGS = [...readFileSync(join(ROOT, "src", "doctor", "judge.ts"), "utf8").matchAll(/add\("(?:error|warn|info)", "([A-Z_]+)"/g)].map((m) => m[1]!);
// Constants the code exports by name (export const WARMUP_GRACE_MS = …) may be named too: they are code, not codes.
const CONSTANTS = readdirSync(join(ROOT, "src"))
  .filter((name) => name.endsWith(".ts"))
  .flatMap((name) => [...readFileSync(join(ROOT, "src", name), "utf8").matchAll(/^export const ([A-Z][A-Z0-9_]*) =/gm)].map((m) => m[1]!));

/** Every match of `pattern`'s first group, with the file it is in. */
function mentions(pattern: RegExp): { file: string; name: string }[] {
  return Object.entries(DOCS).flatMap(([file, text]) => [...text.matchAll(pattern)].map((m) => ({ file, name: m[1] ?? "" })));
}

describe("environment variables", () => {
  test("every variable the code reads has its section in docs/configuration.md and a row in the README", () => {
    for (const variable of KNOWN_VARIABLES) {
      expect(CONFIGURATION, `docs/configuration.md has no "### \`${variable}\`" section`).toMatch(new RegExp(`^### \`${variable}\``, "m"));
      expect(README, `README.md's configuration table has no row for ${variable}`).toMatch(new RegExp(`^\\| \`${variable}\` \\|`, "m"));
    }
  });

  test("the docs name no variable the code does not read", () => {
    const unknown = mentions(new RegExp(`\\b(${ENV_PREFIX}[A-Z0-9_]*[A-Z0-9])\\b`, "g")).filter(({ name }) => !KNOWN_VARIABLES.includes(name));
    expect(unknown, "variables named in the docs that src/config.ts does not define").toEqual([]);
  });
});

describe("error codes", () => {
  // The table under "## Errors" in docs/configuration.md: | `CODE` | status | meaning |
  const section = CONFIGURATION.slice(CONFIGURATION.indexOf("\n## Errors"));
  const end = section.indexOf("\n## ", 1);
  const table = [...(end < 0 ? section : section.slice(0, end)).matchAll(/^\| `([A-Z_]+)` \| (\d+) \|/gm)].map((m) => [m[1] ?? "", Number(m[2])] as const);

  test("docs/configuration.md lists every code with its exit status, and no other", () => {
    expect(table.length, 'no code table under "## Errors" in docs/configuration.md').toBeGreaterThan(0);
    expect(table.map(([code]) => code).sort()).toEqual([...CODES].sort());
    for (const [code, status] of table) expect(status, `exit status of ${code}`).toBe(ERROR_CODES[code as keyof typeof ERROR_CODES].status);
  });

  test("every code the docs show is one the code defines", () => {
    // "(code X" as printed, and backticked names in the shape of a code; the
    // exclusions are system identifiers (sigaction flags, signals, sysexits, ELF, other tools' variables, Bun's ERR_ codes).
    const SYSTEM = /^(SA|SIG|EX|LC|CC|GLIBC|BUN|STB|DT|PT|RTLD|R_X86|EM|ET|O|PR|AT|PROT|SEGV|ERR)_|^(PREBUILDS_DIR)$/;
    const shown = [
      ...mentions(/\(code ([A-Z][A-Z_]*)/g),
      ...mentions(/`([A-Z]+(?:_[A-Z]+)+)`/g).filter(({ name }) => !name.startsWith(ENV_PREFIX) && !SYSTEM.test(name)),
    ];
    expect(
      shown.filter(({ name }) => !CODES.includes(name) && !FINDINGS.includes(name) && !CONSTANTS.includes(name)),
      "codes in the docs that src/errors.ts does not define (a system identifier? add its family to SYSTEM)",
    ).toEqual([]);
  });
});
