/** Several timings of one measurement: the median and the spread. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  /** Every value, in the order measured. */
  values: number[];
}

/** Median and spread of a list of values (at least one). */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new RangeError('summarize needs at least one value');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)!, values: [...values] };
}

/** Apply `f` to every value of a summary (seconds → MB/s: the spread flips, so min and max are swapped back). */
export function mapSummary(summary: Summary, f: (value: number) => number): Summary {
  return summarize(summary.values.map(f));
}

/** Seconds since `start` (a `performance.now()` reading). */
export function secondsSince(start: number): number {
  return (performance.now() - start) / 1000;
}

/**
 * Time `runs` calls of `fn` (after `warmup` untimed calls), in seconds. `before` runs untimed ahead of each
 * call (to empty an output directory, say).
 */
export async function timeRuns(
  runs: number,
  fn: () => unknown,
  options: { warmup?: number; before?: () => unknown } = {},
): Promise<Summary> {
  for (let i = 0; i < (options.warmup ?? 0); i++) {
    await options.before?.();
    await fn();
  }
  const seconds: number[] = [];
  for (let i = 0; i < runs; i++) {
    await options.before?.();
    const start = performance.now();
    await fn();
    seconds.push(secondsSince(start));
  }
  return summarize(seconds);
}

/** Megabytes (10^6 bytes) per second for `bytes` processed in each of the timings. */
export function rate(bytes: number, seconds: Summary): Summary {
  return mapSummary(seconds, (s) => bytes / 1e6 / s);
}
