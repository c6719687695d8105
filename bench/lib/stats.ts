/** Timing helpers: run a function a few times after warm-up and summarise the wall-clock samples. */

/** Summary of timed samples in milliseconds. */
export interface Timing {
  samples: number[];
  median: number;
  p10: number;
  p90: number;
  min: number;
  max: number;
}

/** How many times to run a measured function. */
export interface Iterations {
  /** Untimed runs first (shader compilation, caches, allocator warm-up). */
  warmup: number;
  /** Timed runs. */
  iters: number;
}

/** Linear-interpolated quantile of sorted values, q in [0, 1]. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Median, p10, p90, min and max of millisecond samples. */
export function summarise(samples: readonly number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    samples: [...samples],
    median: quantile(sorted, 0.5),
    p10: quantile(sorted, 0.1),
    p90: quantile(sorted, 0.9),
    min: sorted[0],
    max: sorted[sorted.length - 1],
  };
}

/** A timing plus, when the measured function returns a number per run, the summary of those. */
export interface Measured extends Timing {
  /** Summary of the numbers `fn` returned in the timed runs (e.g. a sub-phase in ms). */
  extra?: Timing;
}

/**
 * Runs `fn` `warmup` times untimed, then `iters` times timed. `fn` must not return before its work
 * is finished (on WebGPU: await a read-back that depends on the work). It may return a number (say,
 * the ms of a sub-phase), which is summarised as `extra`.
 */
export async function measure(
  label: string,
  fn: () => Promise<number | void>,
  { warmup, iters }: Iterations,
): Promise<Measured> {
  for (let i = 0; i < warmup; i++) {
    const start = performance.now();
    await fn();
    progress(`${label}: warm-up ${i + 1}/${warmup} ${fmt(performance.now() - start)} ms`);
  }
  const samples: number[] = [];
  const extras: number[] = [];
  for (let i = 0; i < iters; i++) {
    const start = performance.now();
    const extra = await fn();
    samples.push(performance.now() - start);
    if (typeof extra === 'number') extras.push(extra);
    progress(`${label}: ${i + 1}/${iters} ${fmt(samples[i])} ms`);
  }
  return { ...summarise(samples), extra: extras.length > 0 ? summarise(extras) : undefined };
}

/** Progress line on stderr (stdout stays clean). */
export function progress(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** Number with a sensible number of digits for a table. */
export function fmt(value: number, digits?: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  const d = digits ?? (Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2);
  return value.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}
