import { firstBitDifference, show, ulp32 } from './float32';

/**
 * How close two results must be. Omitted: bit-identical. Given:
 * `|a − b| ≤ atol + rtol·max(|a|, |b|) + ulps·ulp32(scale)`, where `scale` is the largest
 * magnitude the element has had so far on either side (its initial value included, when the
 * comparison knows it). So `{}` means equal as numbers (−0 equals 0), and `{ ulps: 4 }` accepts
 * the few float32 roundings by which two correct implementations that order their arithmetic
 * differently drift apart: the error a rounding leaves is an ulp of the largest value it touched,
 * and it stays in the parameter when the value later shrinks.
 */
export interface Tolerance {
  rtol?: number;
  atol?: number;
  /** Units in the last place (float32) of the largest magnitude the element has had. */
  ulps?: number;
}

/** Labels for the two sides of a comparison, used in failure messages. */
export interface Sides {
  actual: string;
  expected: string;
  /** Steps that ran before the compared ones (so messages count steps from the start). */
  stepOffset?: number;
  /** The parameters before the first compared step (where the `ulps` scale starts). */
  initial?: ReadonlyArray<ArrayLike<number>>;
}

/** First index beyond the tolerance; `scale` holds each element's largest magnitude so far and is updated. */
function firstMismatch(a: Float32Array, b: Float32Array, tol: Tolerance | undefined, scale: number[]): number {
  if (tol === undefined || a.length !== b.length) return firstBitDifference(a, b);
  const { rtol = 0, atol = 0, ulps = 0 } = tol;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    scale[i] = Math.max(scale[i] ?? 0, Math.abs(x), Math.abs(y));
    if (x === y) continue;
    if (!(Math.abs(x - y) <= atol + rtol * Math.max(Math.abs(x), Math.abs(y)) + ulps * ulp32(scale[i]))) return i;
  }
  return -1;
}

function describe(tol: Tolerance | undefined): string {
  if (tol === undefined) return 'bit-identical values';
  const parts = [`rtol ${tol.rtol ?? 0}`, `atol ${tol.atol ?? 0}`];
  if (tol.ulps) parts.push(`${tol.ulps} ulps of the largest magnitude so far`);
  return `agreement within ${parts.join(', ')}`;
}

/**
 * Throws a readable error at the first step, parameter and element where two trajectories
 * (`[step][param]` arrays, as {@link trajectory} returns) differ beyond the tolerance.
 */
export function assertSameTrajectory(actual: Float32Array[][], expected: Float32Array[][], names: readonly string[], sides: Sides, tol?: Tolerance): void {
  if (actual.length !== expected.length) throw new Error(`${sides.actual} ran ${actual.length} steps, ${sides.expected} ran ${expected.length}`);
  const scales: number[][] = (sides.initial ?? []).map((v) => Array.from(v, Math.abs));
  actual.forEach((step, t) =>
    step.forEach((a, p) => {
      const b = expected[t][p];
      const i = firstMismatch(a, b, tol, (scales[p] ??= []));
      if (i === -1) return;
      throw new Error(`after step ${(sides.stepOffset ?? 0) + t + 1}, ${names[p]}[${i}]: ${sides.actual} gave ${show(a[i])}, ${sides.expected} gave ${show(b[i])} (expected ${describe(tol)})`);
    }),
  );
}
