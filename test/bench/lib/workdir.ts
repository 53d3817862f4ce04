// The folder every measured process starts in: no bunfig.toml (so the only
// preload is the one a variant passes with --preload, `bun test` included), the asherah fixture
// installed as node_modules/asherah like an application would have it, the
// probes next to it, and 2,000 generated ESM and CJS modules.
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Workdir {
  readonly dir: string;
  /** A second folder with nothing installed (no node_modules up to /): a project without asherah. */
  readonly plainDir: string;
  readonly esmDir: string;
  readonly cjsDir: string;
  readonly moduleCount: number;
  /** What probes/modules.ts must print as checksum when every module ran its own code. */
  readonly expectedChecksum: number;
  remove(): void;
}

const MOD = 1000003;

interface Spec {
  readonly id: number;
  readonly a: number;
  readonly b: number;
  readonly template: number;
  readonly tag: string;
}

function spec(id: number): Spec {
  // Distinct constants, four code shapes and tags of varying length: no two
  // files are near-identical, and a module served from another file's cache
  // entry changes the checksum or its id.
  const a = 7 + ((id * 7919) % 9973);
  const b = (id * 104729) % 65521;
  const tag = `m${id}-${(id * 2654435761 >>> 0).toString(16)}-${"x".repeat(id % 13)}`;
  return { id, a, b, template: id % 4, tag };
}

/** What module `s` computes for x (mirrors the generated code). */
function compute(s: Spec, x: number): number {
  switch (s.template) {
    case 0:
      return (x * s.a + s.b) % MOD;
    case 1:
      return (s.b + 3 * x * s.a) % MOD;
    case 2:
      return (s.a * x + s.b + s.id) % MOD;
    default:
      return (x & 1) === 0 ? (x * s.a + s.b) % MOD : (x * s.a + s.b + 1) % MOD;
  }
}

function body(s: Spec, exportWord: (name: string, value: string) => string): string {
  const lines = [`// generated module ${s.id} (template ${s.template})`];
  switch (s.template) {
    case 0:
      lines.push(`function compute(x) { return (x * ${s.a} + ${s.b}) % ${MOD}; }`);
      break;
    case 1:
      lines.push(`const compute = (x) => { let s = ${s.b}; for (let k = 0; k < 3; k++) s += x * ${s.a}; return s % ${MOD}; };`);
      break;
    case 2:
      lines.push(
        `class Step${s.id} { constructor() { this.a = ${s.a}; this.b = ${s.b}; } run(x) { return (this.a * x + this.b + ${s.id}) % ${MOD}; } }`,
        `function compute(x) { return new Step${s.id}().run(x); }`,
      );
      break;
    default:
      lines.push(
        `const table${s.id} = [${s.a}, ${s.b}];`,
        `function compute(x) { switch (x & 1) { case 0: return (x * table${s.id}[0] + table${s.id}[1]) % ${MOD}; default: return (x * table${s.id}[0] + table${s.id}[1] + 1) % ${MOD}; } }`,
      );
  }
  lines.push(exportWord("id", String(s.id)), exportWord("tag", JSON.stringify(s.tag)), exportWord("compute", "compute"));
  return lines.join("\n") + "\n";
}

function generate(esmDir: string, cjsDir: string, count: number): number {
  mkdirSync(esmDir, { recursive: true });
  mkdirSync(cjsDir, { recursive: true });
  let checksum = 0;
  const esmIndex: string[] = [];
  const cjsIndex: string[] = [];
  for (let id = 0; id < count; id++) {
    const s = spec(id);
    checksum = (checksum + compute(s, id) + id + s.tag.length) % 4294967296;
    writeFileSync(
      join(esmDir, `m${id}.mjs`),
      body(s, (name, value) => (name === value ? `export { ${name} };` : `export const ${name} = ${value};`)),
    );
    writeFileSync(join(cjsDir, `m${id}.cjs`), `"use strict";\n${body(s, (name, value) => `exports.${name} = ${value};`)}`);
    esmIndex.push(`import * as m${id} from "./m${id}.mjs";`);
    cjsIndex.push(`require("./m${id}.cjs"),`);
  }
  esmIndex.push(`export const results = [${Array.from({ length: count }, (_, id) => `m${id}`).join(", ")}];`);
  writeFileSync(join(esmDir, "index.mjs"), esmIndex.join("\n") + "\n");
  writeFileSync(join(cjsDir, "index.cjs"), `"use strict";\nexports.results = [\n${cjsIndex.join("\n")}\n];\n`);
  return checksum;
}

export function createWorkdir(options: { probesDir: string; asherahFixture: string; moduleCount: number }): Workdir {
  const dir = mkdtempSync(join(tmpdir(), "abp-bench-"));
  const plainDir = mkdtempSync(join(tmpdir(), "abp-bench-plain-"));
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(options.asherahFixture, join(dir, "node_modules", "asherah"), "dir");
  for (const file of ["inproc.ts", "modules.ts", "steps.ts", "throughput.cjs", "worker.ts", "worker-child.js", "one.test.ts"]) cpSync(join(options.probesDir, file), join(dir, file));
  cpSync(join(options.probesDir, "app"), join(dir, "app"), { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "abp-bench-workdir", private: true }) + "\n");
  const esmDir = join(dir, "mods-esm");
  const cjsDir = join(dir, "mods-cjs");
  const expectedChecksum = generate(esmDir, cjsDir, options.moduleCount);
  return {
    dir,
    plainDir,
    esmDir,
    cjsDir,
    moduleCount: options.moduleCount,
    expectedChecksum,
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
      rmSync(plainDir, { recursive: true, force: true });
    },
  };
}
