// One measure of one variant against both baselines of the same rounds: bare
// Bun (no preload) and an empty preload file (what any preload costs before
// it runs a line). Samples are per round, in the same order for every
// variant (undefined: that round gave no value), so differences are paired.
import { pairedDelta, summarize, type DeltaSummary, type Summary } from "./stats.ts";

export const BARE_KEY = "bare";
export const EMPTY_KEY = "empty";

export interface Comparison {
  readonly value: Summary;
  /** Per-round difference against bare Bun; null for the bare row itself. */
  readonly vsBare: DeltaSummary | null;
  /** Per-round difference against the empty preload; null for the baselines. */
  readonly vsEmpty: DeltaSummary | null;
  /** Median of this variant / median of bare Bun. */
  readonly ratioBare: number;
  readonly ratioEmpty: number;
}

export type Samples = Record<string, readonly (number | undefined)[]>;

const defined = (xs: readonly (number | undefined)[]): number[] => xs.filter((x): x is number => x !== undefined && Number.isFinite(x));

export function compare(samples: Samples, key: string): Comparison {
  const mine = samples[key] ?? [];
  const bare = samples[BARE_KEY] ?? [];
  const empty = samples[EMPTY_KEY] ?? [];
  const value = summarize(defined(mine));
  const bareMedian = summarize(defined(bare)).median;
  const emptyMedian = summarize(defined(empty)).median;
  return {
    value,
    vsBare: key === BARE_KEY ? null : pairedDelta(mine, bare),
    vsEmpty: key === BARE_KEY || key === EMPTY_KEY ? null : pairedDelta(mine, empty),
    ratioBare: value.median / bareMedian,
    ratioEmpty: value.median / emptyMedian,
  };
}

/** Per-round difference between two variants (e.g. eager − lazy). */
export function between(samples: Samples, key: string, other: string): DeltaSummary {
  return pairedDelta(samples[key] ?? [], samples[other] ?? []);
}
