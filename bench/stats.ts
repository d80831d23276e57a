/** Summary statistics of a benchmark's samples; shared by the benchmarks of `bench/run.ts`. */

/** Summary of one series of samples. Every sample counts: nothing is trimmed or dropped. */
export interface Summary {
  /** Number of samples. */
  readonly n: number;
  /** Median: the middle sample, or the mean of the two middle ones for an even count. */
  readonly median: number;
  /** 90th percentile, nearest-rank: the smallest sample with at least 90 % of the samples at or below it. */
  readonly p90: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
}

function sorted(samples: readonly number[]): number[] {
  if (samples.length === 0) throw new Error('Cannot summarize an empty series of samples');
  for (const sample of samples) {
    if (!Number.isFinite(sample)) throw new Error(`Sample ${String(sample)} is not a finite number`);
  }
  return [...samples].sort((a, b) => a - b);
}

/** Nearest-rank percentile `p` (0 < p <= 100) of the samples. */
export function percentile(samples: readonly number[], p: number): number {
  const values = sorted(samples);
  const rank = Math.max(1, Math.ceil((p / 100) * values.length));
  return values[rank - 1] as number;
}

/** Median of the samples. */
export function median(samples: readonly number[]): number {
  const values = sorted(samples);
  const middle = Math.floor(values.length / 2);
  return values.length % 2 === 1
    ? (values[middle] as number)
    : ((values[middle - 1] as number) + (values[middle] as number)) / 2;
}

/** Median, p90, extremes and mean of the samples. */
export function summarize(samples: readonly number[]): Summary {
  const values = sorted(samples);
  return {
    n: values.length,
    median: median(values),
    p90: percentile(values, 90),
    min: values[0] as number,
    max: values[values.length - 1] as number,
    mean: values.reduce((sum, value) => sum + value, 0) / values.length,
  };
}
