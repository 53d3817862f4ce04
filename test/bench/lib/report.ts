// What the bench prints and keeps for the JSON: the report text, the targets
// (reported as met / not met, never asserted) and the closing summary, one row
// per preload variant.
import { table } from "./format.ts";

export type TargetStatus = "met" | "NOT MET" | "n/a";

export interface Target {
  readonly target: string;
  readonly figure: string;
  /** null: not measurable in this run (say why in note). */
  readonly met: boolean | null;
  readonly note?: string;
}

export class Report {
  readonly lines: string[] = [];
  readonly targets: Target[] = [];
  private readonly summary = new Map<string, Record<string, string>>();

  print(text = ""): void {
    this.lines.push(text);
    console.log(text);
  }

  target(target: Target): void {
    this.targets.push(target);
  }

  /** One cell of the closing summary: row = a variant's label. */
  summarize(row: string, column: string, text: string): void {
    const cells = this.summary.get(row) ?? {};
    cells[column] = text;
    this.summary.set(row, cells);
  }

  static status(t: Target): TargetStatus {
    return t.met === null ? "n/a" : t.met ? "met" : "NOT MET";
  }

  printSummary(heading: readonly string[]): void {
    if (this.summary.size === 0) return;
    const columns = [...new Set([...this.summary.values()].flatMap((row) => Object.keys(row)))];
    this.print("");
    for (const line of heading) this.print(line);
    this.print(table(["variant", ...columns], [...this.summary].map(([label, row]) => [label, ...columns.map((c) => row[c] ?? "–")])));
  }

  printTargets(): void {
    if (this.targets.length === 0) return;
    this.print("");
    this.print("Targets (issue 11; reported, never asserted)");
    const width = Math.max(...this.targets.map((t) => Report.status(t).length));
    for (const t of this.targets) {
      this.print(`  ${Report.status(t).padEnd(width)}  ${t.target}`);
      this.print(`  ${" ".repeat(width)}    measured: ${t.figure}`);
      if (t.note !== undefined) this.print(`  ${" ".repeat(width)}    (${t.note})`);
    }
  }
}
