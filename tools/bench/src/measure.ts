/** Timing helpers: warm up, then the median of several timed windows (never a single run). */

export interface Measurement {
  /** Work units per second in each timed window. */
  windows: number[];
  median: number;
}

export interface MeasureOptions {
  /** Untimed calls run until this many milliseconds have passed (at least one call). */
  warmupMs: number;
  /** Each timed window runs calls until this many milliseconds have passed (at least one call). */
  windowMs: number;
  /** Number of timed windows (≥ 3). */
  windows: number;
  /** Work units (samples, parameters, flops) done by one call. */
  unitsPerCall: number;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Runs `once` untimed for the warm-up, then `windows` timed windows, and reports the units
 * per second of each window and their median. Windows are time-based, so a workload of a
 * few milliseconds and one of several seconds both get ≥ 3 windows within a budget.
 */
export async function measure(once: () => void | Promise<void>, o: MeasureOptions): Promise<Measurement> {
  const warmEnd = performance.now() + o.warmupMs;
  do await once();
  while (performance.now() < warmEnd);
  const rates: number[] = [];
  for (let w = 0; w < o.windows; w++) {
    const t0 = performance.now();
    let calls = 0;
    let t = t0;
    do {
      await once();
      calls++;
      t = performance.now();
    } while (t - t0 < o.windowMs);
    rates.push((calls * o.unitsPerCall) / ((t - t0) / 1000));
  }
  return { windows: rates, median: median(rates) };
}
