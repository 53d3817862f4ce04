// Number and table formatting for the bench report (plain text, aligned columns).
import type { DeltaSummary, Summary } from "./stats.ts";

const finite = (value: number | undefined): value is number => value !== undefined && Number.isFinite(value);

export const fmt = (value: number | undefined, digits = 2): string => (finite(value) ? value.toFixed(digits) : "–");

export const signed = (value: number | undefined, digits = 2): string => (finite(value) ? `${value >= 0 ? "+" : ""}${value.toFixed(digits)}` : "–");

export const times = (value: number | undefined): string => (finite(value) ? `${value.toFixed(2)}×` : "–");

/** "median [p10–p90]" */
export const spread = (s: Summary | undefined, digits = 2, scale = 1): string =>
  s === undefined || s.n === 0 ? "–" : `${fmt(s.median * scale, digits)} [${fmt(s.p10 * scale, digits)}–${fmt(s.p90 * scale, digits)}]`;

/** "+median [+p10…+p90]" of per-round differences */
export const dspread = (s: DeltaSummary | undefined, digits = 2, scale = 1): string =>
  s === undefined || s.n === 0 ? "–" : `${signed(s.median * scale, digits)} [${signed(s.p10 * scale, digits)}…${signed(s.p90 * scale, digits)}]`;

/** "+median (95 % CI +low…+high)" of per-round differences */
export const dci = (s: DeltaSummary | undefined, digits = 2, scale = 1, unit = ""): string =>
  s === undefined || s.n === 0
    ? "–"
    : `${signed(s.median * scale, digits)}${unit} (95 % CI ${signed(s.ciLow * scale, digits)}…${signed(s.ciHigh * scale, digits)})`;

/** First column left-aligned, the others right-aligned. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (cells: readonly string[]) => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ").trimEnd();
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}
