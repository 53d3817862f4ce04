// Small, dependency-free statistics for interleaved benchmark rounds:
// medians with a p10–p90 spread, and differences taken per round (variant
// minus baseline in the same round), so slow phases of a shared machine hit
// both sides of a difference instead of one.

export interface Summary {
  readonly n: number;
  readonly median: number;
  readonly p10: number;
  readonly p90: number;
  readonly min: number;
  readonly max: number;
}

export interface DeltaSummary extends Summary {
  /** 95 % bootstrap interval of the median difference. */
  readonly ciLow: number;
  readonly ciHigh: number;
}

/** Linear interpolation between closest ranks; `sorted` ascending, non-empty. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (at - lo);
}

export function summarize(values: readonly number[]): Summary {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  return {
    n: sorted.length,
    median: quantile(sorted, 0.5),
    p10: quantile(sorted, 0.1),
    p90: quantile(sorted, 0.9),
    min: sorted[0] ?? Number.NaN,
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

/** Deterministic PRNG (mulberry32), so shuffles and bootstraps are reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Per-round differences `variant[i] - base[i]` (rounds where either is missing are skipped). */
export function pairedDelta(variant: readonly (number | undefined)[], base: readonly (number | undefined)[], seed = 1): DeltaSummary {
  const diffs: number[] = [];
  for (let i = 0; i < Math.min(variant.length, base.length); i++) {
    const v = variant[i];
    const b = base[i];
    if (v !== undefined && b !== undefined && Number.isFinite(v) && Number.isFinite(b)) diffs.push(v - b);
  }
  const summary = summarize(diffs);
  const random = rng(seed);
  const medians: number[] = [];
  if (diffs.length > 0) {
    for (let r = 0; r < 1000; r++) {
      const sample: number[] = [];
      for (let i = 0; i < diffs.length; i++) sample.push(diffs[Math.floor(random() * diffs.length)] as number);
      sample.sort((a, b) => a - b);
      medians.push(quantile(sample, 0.5));
    }
    medians.sort((a, b) => a - b);
  }
  return { ...summary, ciLow: quantile(medians, 0.025), ciHigh: quantile(medians, 0.975) };
}
