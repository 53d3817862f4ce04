// Combines matrix results measured in separate runs into one result file:
//   bun test/matrix/merge.ts --out merged.json base.json newer.json [newer2.json ...]
// Cells of a later file replace the same cell (version × scenario × path ×
// mode) of an earlier one. Used when the preload's code changed after a long
// run: the preload modes are rerun on the new code, while the control modes
// (`none`, `warmup-only`), which do not run this package, keep their numbers.
// The report then lists every command and the commit each part measured.
import { readFileSync, writeFileSync } from "node:fs";
import { cellKey, compareVersions, type MatrixResult } from "./matrix.ts";

function usage(): never {
  console.error("usage: bun test/matrix/merge.ts --out OUT.json BASE.json NEWER.json [...]");
  process.exit(2);
}

const args = process.argv.slice(2);
const outAt = args.indexOf("--out");
if (outAt < 0 || args[outAt + 1] === undefined) usage();
const out = args[outAt + 1]!;
const inputs = args.filter((_, i) => i !== outAt && i !== outAt + 1);
if (inputs.length < 2) usage();

const results = inputs.map((file) => JSON.parse(readFileSync(file, "utf8")) as MatrixResult);
const cells = new Map<string, MatrixResult["cells"][number]>();
for (const result of results) for (const cell of result.cells) cells.set(cellKey(cell), cell);

const last = results[results.length - 1]!;
const bun = new Map<string, MatrixResult["environment"]["bun"][number]>();
for (const result of results) for (const b of result.environment.bun) bun.set(b.version, b);

const merged: MatrixResult = {
  ...last,
  complete: results.every((r) => r.complete !== false),
  durationMs: results.reduce((sum, r) => sum + r.durationMs, 0),
  environment: {
    ...last.environment,
    date: results.map((r) => r.environment.date).join(" / "),
    command: results
      .map((r) => `${r.environment.command} (git ${r.environment.git.commit}${r.environment.git.dirty.length > 0 ? "+changes" : ""})`)
      .join("; then ") + `; merged with bun test/matrix/merge.ts (later cells replace earlier ones)`,
    bun: [...bun.values()].sort((a, b) => compareVersions(a.version, b.version)),
  },
  cells: [...cells.values()].sort((a, b) => compareVersions(a.version, b.version)),
};
writeFileSync(out, `${JSON.stringify(merged, null, 1)}\n`);
console.log(`merged ${inputs.length} results, ${merged.cells.length} cells -> ${out}`);
