import { firstBitDifference, show } from './float32';

/**
 * How close two results must be. Omitted: bit-identical. Given: `|a − b| ≤ atol + rtol·max(|a|, |b|)`
 * (so `{}` means equal as numbers, with −0 equal to 0).
 */
export interface Tolerance {
  rtol?: number;
  atol?: number;
}

/** Labels for the two sides of a comparison, used in failure messages. */
export interface Sides {
  actual: string;
  expected: string;
  /** Steps that ran before the compared ones (so messages count steps from the start). */
  stepOffset?: number;
}

function firstMismatch(a: Float32Array, b: Float32Array, tol: Tolerance | undefined): number {
  if (tol === undefined || a.length !== b.length) return firstBitDifference(a, b);
  const { rtol = 0, atol = 0 } = tol;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (!(Math.abs(x - y) <= atol + rtol * Math.max(Math.abs(x), Math.abs(y)))) return i;
  }
  return -1;
}

/**
 * Throws a readable error at the first step, parameter and element where two trajectories
 * (`[step][param]` arrays, as {@link trajectory} returns) differ beyond the tolerance.
 */
export function assertSameTrajectory(actual: Float32Array[][], expected: Float32Array[][], names: readonly string[], sides: Sides, tol?: Tolerance): void {
  if (actual.length !== expected.length) throw new Error(`${sides.actual} ran ${actual.length} steps, ${sides.expected} ran ${expected.length}`);
  actual.forEach((step, t) =>
    step.forEach((a, p) => {
      const b = expected[t][p];
      const i = firstMismatch(a, b, tol);
      if (i === -1) return;
      const how = tol === undefined ? 'bit-identical values' : `agreement within rtol ${tol.rtol ?? 0}, atol ${tol.atol ?? 0}`;
      throw new Error(`after step ${(sides.stepOffset ?? 0) + t + 1}, ${names[p]}[${i}]: ${sides.actual} gave ${show(a[i])}, ${sides.expected} gave ${show(b[i])} (expected ${how})`);
    }),
  );
}
