import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { type Spec, constant, distinctValues, leaf, shapeOf, size, specFrom, unravel } from '../__tests__/arbitraries';
import { assertGradients } from '../gradcheck';
import { Tensor } from '../tensor';
import { type Axes, argmax, max, mean, sum } from './reduce';
import { ShapeError } from '../shape';

/** A shape of rank 1–3 with a random subset of its axes (some written negative), or undefined (all). */
const shapeAndAxes = shapeOf(1, 3).chain((shape) =>
  fc.tuple(
    fc.constant(shape),
    fc.option(
      fc.subarray(shape.map((_, i) => i), { minLength: 1 }).chain((axes) =>
        fc.tuple(...axes.map((a) => fc.constantFrom(a, a - shape.length))),
      ),
      { nil: undefined },
    ),
    fc.boolean(),
  ),
);

/** Spec with distinct values (for max), plus axes and keepDims. */
const distinctCase = shapeAndAxes.chain(([shape, axes, keepDims]) =>
  distinctValues(size(shape)).map((values): [Spec, Axes, boolean] => [{ shape, values }, axes, keepDims]),
);
const anyCase = shapeAndAxes.chain(([shape, axes, keepDims]) =>
  specFrom(fc.constant(shape)).map((spec): [Spec, Axes, boolean] => [spec, axes, keepDims]),
);

/** Expected reduction by explicit loops: groups elements by their multi-index with reduced axes zeroed. */
function reduceLoop(spec: Spec, axes: Axes, keepDims: boolean, init: number, f: (acc: number, x: number) => number) {
  const rank = spec.shape.length;
  const list = axes === undefined ? spec.shape.map((_, i) => i) : (typeof axes === 'number' ? [axes] : axes).map((a) => (a < 0 ? a + rank : a));
  const kept = spec.shape.map((d, i) => (list.includes(i) ? 1 : d));
  const acc = new Array<number>(size(kept)).fill(init);
  const counts = new Array<number>(size(kept)).fill(0);
  spec.values.forEach((v, i) => {
    const idx = unravel(i, spec.shape).map((x, d) => (list.includes(d) ? 0 : x));
    const o = idx.reduce((s, x, d) => s * kept[d] + x, 0);
    acc[o] = f(acc[o], Math.fround(v));
    counts[o]++;
  });
  const shape = keepDims ? kept : spec.shape.filter((_, i) => !list.includes(i));
  return { shape, acc, counts };
}

describe('sum', () => {
  test.prop([anyCase])('sum: gradients match finite differences over any axes, with and without keepDims', ([spec, axes, keepDims]) => {
    assertGradients((x) => sum(x, axes, keepDims), [leaf(spec)]);
  });

  test.prop([anyCase])('sum: shape and values equal explicit loops (keepDims keeps reduced axes as 1)', ([spec, axes, keepDims]) => {
    const expected = reduceLoop(spec, axes, keepDims, 0, (a, x) => a + x);
    const out = sum(constant(spec), axes, keepDims);
    expect(out.shape).toEqual(expected.shape);
    expect(out.toArray()).toEqual(expected.acc.map(Math.fround));
  });
});

describe('mean', () => {
  test.prop([anyCase])('mean: gradients match finite differences over any axes, with and without keepDims', ([spec, axes, keepDims]) => {
    assertGradients((x) => mean(x, axes, keepDims), [leaf(spec)]);
  });

  test.prop([anyCase])('mean: equals the sum over the same axes divided by the group size', ([spec, axes, keepDims]) => {
    const expected = reduceLoop(spec, axes, keepDims, 0, (a, x) => a + x);
    const out = mean(constant(spec), axes, keepDims);
    expect(out.shape).toEqual(expected.shape);
    expect(out.toArray()).toEqual(expected.acc.map((s, i) => Math.fround(s / expected.counts[i])));
  });
});

test('sum, mean and max refuse an axis named twice (also as its negative alias), as PyTorch does, naming the op, the axes and the shape', () => {
  const x = new Tensor(new Float32Array(6), [2, 3]);
  expect(() => sum(x, [0, 0])).toThrow(ShapeError);
  expect(() => sum(x, [1, -1])).toThrow('sum: axes [1, -1] name axis 1 more than once (tensor of shape [2, 3])');
  expect(() => mean(x, [0, -2])).toThrow('mean: axes [0, -2] name axis 0 more than once');
  expect(() => max(x, [1, 1])).toThrow('max: axes [1, 1] name axis 1 more than once');
});

describe('max', () => {
  test.prop([distinctCase])('max: gradients match finite differences over any axes, with and without keepDims (distinct values)', ([spec, axes, keepDims]) => {
    assertGradients((x) => max(x, axes, keepDims), [leaf(spec)]);
  });

  test.prop([anyCase])('max: values equal explicit loops', ([spec, axes, keepDims]) => {
    const expected = reduceLoop(spec, axes, keepDims, -Infinity, Math.max);
    const out = max(constant(spec), axes, keepDims);
    expect(out.shape).toEqual(expected.shape);
    // compared as numbers: which of -0 and 0 is "the" max of the two is a matter of order
    expect(out.toArray().map((v) => v + 0)).toEqual(expected.acc.map((v) => v + 0));
  });

  test('max over one axis given as a number sends the gradient to the first maximal element, as torch.max(x, dim): [3, 7, 7, 1] → [0, 1, 0, 0]', () => {
    const x = new Tensor(Float32Array.of(3, 7, 7, 1), [4], { requiresGrad: true });
    max(x, 0).backward();
    expect(Array.from(x.grad ?? [])).toEqual([0, 1, 0, 0]);
  });

  test('max over all axes shares the gradient equally among tied maxima, as torch.max(x): [3, 7, 7, 1] → [0, 0.5, 0.5, 0]', () => {
    const x = new Tensor(Float32Array.of(3, 7, 7, 1), [4], { requiresGrad: true });
    max(x).backward();
    expect(Array.from(x.grad ?? [])).toEqual([0, 0.5, 0.5, 0]);
  });

  test('max over an array of axes shares each group\'s gradient among its tied maxima (NaN ties with NaN), as torch.amax', () => {
    // groups (axes [1, 2] of [3, 2, 2]): [1, 5, 5, 0] → two maxima; [2, 2, 2, 2] → four; [NaN, 1, NaN, 9] → the two NaNs
    const x = new Tensor(Float32Array.of(1, 5, 5, 0, 2, 2, 2, 2, NaN, 1, NaN, 9), [3, 2, 2], { requiresGrad: true });
    max(x, [1, -1]).backward(Float32Array.of(1, 1, 2));
    expect(Array.from(x.grad ?? [])).toEqual([0, 0.5, 0.5, 0, 0.25, 0.25, 0.25, 0.25, 1, 0, 1, 0]);
  });

  test.prop([fc.integer({ min: 1, max: 4 }), fc.integer({ min: 2, max: 6 }), fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 24, maxLength: 24 })])(
    'max gradient goes to the first maximal element of each row, whatever the ties',
    (rows, cols, pool) => {
      // few distinct values, so ties are common
      const values = pool.slice(0, rows * cols);
      const x = new Tensor(Float32Array.from(values), [rows, cols], { requiresGrad: true });
      max(x, 1).backward(new Float32Array(rows).fill(1));
      for (let r = 0; r < rows; r++) {
        const row = values.slice(r * cols, (r + 1) * cols);
        const first = row.indexOf(Math.max(...row));
        expect(Array.from(x.grad?.subarray(r * cols, (r + 1) * cols) ?? [])).toEqual(row.map((_, c) => (c === first ? 1 : 0)));
      }
    },
  );

  test('max propagates NaN', () => {
    expect(max(new Tensor(Float32Array.of(1, NaN, 3), [3])).item()).toBeNaN();
  });

  test('max over an axis of size 0 is a ShapeError (PyTorch refuses it; it gave −∞ and a backward into index −1)', () => {
    expect(() => max(new Tensor(new Float32Array(0), [3, 0]), 1)).toThrow('max: reduces over an axis of size 0 of [3, 0]; an empty set has no maximum');
    expect(() => max(new Tensor(new Float32Array(0), [0]))).toThrow(ShapeError);
  });
});

test('argmax counts a NaN as the maximum, as PyTorch and max do (a diverged row never reads as a plausible class); an empty row is refused', () => {
  expect(Array.from(argmax(new Tensor(Float32Array.of(1, NaN, 3, 5, 2, NaN), [2, 3])))).toEqual([1, 2]);
  expect(() => argmax(new Tensor(new Float32Array(0), [2, 0]))).toThrow('argmax: the last axis of [2, 0] has size 0');
});

test.prop([shapeOf(1, 1, 5).chain((s) => distinctValues(3 * s[0]).map((v) => ({ shape: [3, s[0]], values: v })))])(
  'argmax of each row is the index max reports for it',
  (spec) => {
    const x = constant(spec);
    const best = argmax(x);
    const m = max(x, 1);
    for (let r = 0; r < 3; r++) expect(x.data[r * spec.shape[1] + best[r]]).toBe(m.data[r]);
  },
);
