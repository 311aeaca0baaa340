/** Timing helpers: warm up, then the median of several timed windows (never a single run). */

export interface Measurement {
  /** Work units per second in each timed window. */
  windows: number[];
  median: number;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Runs `once` `warmup` times untimed, then `windows` windows of `perWindow` calls each, and
 * reports `unitsPerCall` units per second for each window.
 */
export async function measure(
  once: () => void | Promise<void>,
  { warmup, windows, perWindow, unitsPerCall }: { warmup: number; windows: number; perWindow: number; unitsPerCall: number },
): Promise<Measurement> {
  for (let i = 0; i < warmup; i++) await once();
  const rates: number[] = [];
  for (let w = 0; w < windows; w++) {
    const t0 = performance.now();
    for (let i = 0; i < perWindow; i++) await once();
    const seconds = (performance.now() - t0) / 1000;
    rates.push((perWindow * unitsPerCall) / seconds);
  }
  return { windows: rates, median: median(rates) };
}
