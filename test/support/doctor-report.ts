// The doctor's --json report, as the e2e tests read it.
import { expect } from "bun:test";
import type { DoctorReport } from "../../src/doctor/index.ts";
import { describeRun, type RunResult } from "./spawn.ts";

/** Parses the report of a doctor run that ended with a verdict (exit 0, 1 or 3). */
export function report(result: RunResult): DoctorReport {
  expect(result.outcome === "ok" || result.outcome === "fail", describeRun(result)).toBe(true);
  try {
    return JSON.parse(result.stdout) as DoctorReport;
  } catch {
    throw new Error(`doctor did not print JSON:\n${describeRun(result)}`);
  }
}

/** The finding codes of a report, of one level or all. */
export const codes = (r: DoctorReport, level?: string) => r.findings.filter((f) => level === undefined || f.level === level).map((f) => f.code);
