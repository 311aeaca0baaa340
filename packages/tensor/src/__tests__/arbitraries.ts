/**
 * Shared fast-check arbitraries and helpers for the tensor tests (not published: `files`
 * excludes `src/__tests__`). Arbitraries produce plain data (shapes and number arrays); the
 * properties build fresh tensors from it, so they never mutate a generated value.
 */
import { fc } from '@fast-check/vitest';
import { Tensor } from '../tensor';

/** A tensor's shape and row-major values, as generated. */
export interface Spec {
  shape: number[];
  values: number[];
}

/** Finite doubles in [min, max] (no NaN, no ±Infinity). */
export function finite(min = -3, max = 3): fc.Arbitrary<number> {
  return fc.double({ noNaN: true, noDefaultInfinity: true, min, max });
}

/** Values with gap ≤ |x| ≤ max: clear of a kink at 0 (relu, abs) by more than gradcheck's 2h. */
export function awayFromZero(gap = 0.1, max = 3): fc.Arbitrary<number> {
  return fc.tuple(fc.boolean(), finite(gap, max)).map(([negative, v]) => (negative ? -v : v));
}

/** A shape with rank in [minRank, maxRank] and every dimension in [1, maxDim]. */
export function shapeOf(minRank: number, maxRank: number, maxDim = 3): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: minRank, maxLength: maxRank });
}

export function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Exactly `n` values drawn from `elem`. */
export function valuesOf(n: number, elem: fc.Arbitrary<number> = finite()): fc.Arbitrary<number[]> {
  return fc.array(elem, { minLength: n, maxLength: n });
}

/** A tensor spec of the given shape. */
export function specOf(shape: readonly number[], elem: fc.Arbitrary<number> = finite()): fc.Arbitrary<Spec> {
  return valuesOf(size(shape), elem).map((values) => ({ shape: [...shape], values }));
}

/** A tensor spec whose shape comes from `shapes`. */
export function specFrom(shapes: fc.Arbitrary<number[]>, elem: fc.Arbitrary<number> = finite()): fc.Arbitrary<Spec> {
  return shapes.chain((shape) => specOf(shape, elem));
}

/** The 61 values −3, −2.9, …, 3 that {@link distinctValues} picks from. */
const GRID = Array.from({ length: 61 }, (_, i) => (i - 30) / 10);

/**
 * `n` ≤ 61 distinct values spaced at least 0.1 apart with |x| ≤ 3, in random order (no ties
 * for max and maxPool2d, and gradcheck's perturbation of ±2h ≤ 0.06 never reorders them).
 */
export function distinctValues(n: number): fc.Arbitrary<number[]> {
  if (n > GRID.length) throw new Error(`distinctValues: at most ${GRID.length} values, asked for ${n}`);
  return fc.shuffledSubarray(GRID, { minLength: n, maxLength: n });
}

/**
 * Two shapes that broadcast together: both are suffixes of a common shape (rank 0 to 3) with
 * some dimensions replaced by 1.
 */
export function broadcastablePair(): fc.Arbitrary<[number[], number[]]> {
  return shapeOf(0, 3).chain((full) => {
    const operand = fc
      .tuple(fc.integer({ min: 0, max: full.length }), fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length }))
      .map(([drop, ones]) => full.map((d, i) => (ones[i] ? 1 : d)).slice(drop));
    return fc.tuple(operand, operand);
  });
}

/** A fresh leaf tensor that requires gradients. */
export function leaf(spec: Spec): Tensor {
  return new Tensor(Float32Array.from(spec.values), spec.shape, { requiresGrad: true });
}

/** A fresh constant tensor (no gradients). */
export function constant(spec: Spec): Tensor {
  return new Tensor(Float32Array.from(spec.values), spec.shape);
}

/** Row-major strides of a shape (test-side, independent of the library's). */
export function stridesFor(shape: readonly number[]): number[] {
  const st: number[] = [];
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = s;
    s *= shape[i];
  }
  return st;
}

/** The multi-index of flat position `i` in `shape`. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return idx;
}
