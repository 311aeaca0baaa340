import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { type Spec, constant, leaf, shapeOf, size, specFrom, specOf, stridesFor, unravel } from '../__tests__/arbitraries';
import { assertGradients } from '../gradcheck';
import { Tensor } from '../tensor';
import { concat, flatten, permute, reshape, slice, transpose } from './shape';

/** A spec of rank 1–4 and a permutation of its axes. */
const specAndPerm = specFrom(shapeOf(1, 4)).chain((spec) =>
  fc.tuple(fc.constant(spec), fc.shuffledSubarray(spec.shape.map((_, i) => i), { minLength: spec.shape.length, maxLength: spec.shape.length })),
);

/** 1–3 specs that agree outside `axis` (which may be written negative). */
const concatCase = shapeOf(1, 3).chain((base) =>
  fc.integer({ min: 0, max: base.length - 1 }).chain((axis) =>
    fc.tuple(
      fc.array(fc.integer({ min: 1, max: 3 }).chain((d) => specOf(base.map((x, i) => (i === axis ? d : x)))), { minLength: 1, maxLength: 3 }),
      fc.constantFrom(axis, axis - base.length),
    ),
  ),
);

/** A spec, an axis and a valid [start, end) on it (end may be omitted or negative). */
const sliceCase = specFrom(shapeOf(1, 3, 4)).chain((spec) =>
  fc.integer({ min: 0, max: spec.shape.length - 1 }).chain((axis) => {
    const dim = spec.shape[axis];
    return fc.integer({ min: 0, max: dim }).chain((start) =>
      fc.tuple(fc.constant(spec), fc.constant(axis), fc.constant(start), fc.option(fc.integer({ min: start, max: dim }), { nil: undefined })),
    );
  }),
);

/** Output element i of permute(x, perm) is x at the multi-index whose axis perm[d] is index d. */
function permuteLoop(spec: Spec, perm: number[]): number[] {
  const outShape = perm.map((p) => spec.shape[p]);
  const st = stridesFor(spec.shape);
  return Array.from({ length: size(outShape) }, (_, i) => {
    const idx = unravel(i, outShape);
    return Math.fround(spec.values[idx.reduce((s, x, d) => s + x * st[perm[d]], 0)]);
  });
}

describe('reshape', () => {
  test.prop([specFrom(shapeOf(1, 3))])('reshape: gradients match finite differences (flat shape and inferred -1)', (spec) => {
    assertGradients((x) => reshape(x, [-1]), [leaf(spec)]);
    assertGradients((x) => reshape(x, [1, size(spec.shape), 1]), [leaf(spec)]);
  });

  test.prop([specFrom(shapeOf(1, 3))])('reshape shares storage: the result views the same Float32Array', (spec) => {
    const x = constant(spec);
    const y = reshape(x, [-1]);
    expect(y.data).toBe(x.data);
    x.data[0] = 42;
    expect(y.data[0]).toBe(42);
  });

  test('reshape infers one -1 dimension', () => {
    expect(reshape(new Tensor(new Float32Array(24), [2, 3, 4]), [4, -1]).shape).toEqual([4, 6]);
  });

  test('reshape into an impossible shape throws a ShapeError naming both shapes', () => {
    const x = new Tensor(new Float32Array(6), [2, 3]);
    expect(() => reshape(x, [4, 2])).toThrow('reshape: cannot reshape [2, 3] (6 elements) into [4, 2]');
    expect(() => reshape(x, [4, -1])).toThrow('reshape: cannot reshape [2, 3] (6 elements) into [4, -1]');
    expect(() => reshape(x, [-1, -1])).toThrow('reshape: at most one -1 allowed, got [-1, -1]');
  });
});

describe('flatten', () => {
  test.prop([specFrom(shapeOf(2, 4))])('flatten: gradients match finite differences; [N, ...rest] becomes [N, size(rest)]', (spec) => {
    assertGradients((x) => flatten(x), [leaf(spec)]);
    expect(flatten(constant(spec)).shape).toEqual([spec.shape[0], size(spec.shape.slice(1))]);
  });
});

describe('permute', () => {
  test.prop([specAndPerm])('permute: gradients match finite differences for any permutation', ([spec, perm]) => {
    assertGradients((x) => permute(x, perm), [leaf(spec)]);
  });

  test.prop([specAndPerm])('permute: output axis d is input axis perm[d] (explicit loops)', ([spec, perm]) => {
    const out = permute(constant(spec), perm);
    expect(out.shape).toEqual(perm.map((p) => spec.shape[p]));
    expect(out.toArray()).toEqual(permuteLoop(spec, perm));
  });

  test.prop([specAndPerm])('permute by the inverse permutation restores the tensor', ([spec, perm]) => {
    const inverse = perm.map((_, i) => perm.indexOf(i));
    const x = constant(spec);
    expect(permute(permute(x, perm), inverse).toArray()).toEqual(x.toArray());
  });

  test('permute with an invalid permutation throws a ShapeError naming it and the shape', () => {
    const x = new Tensor(new Float32Array(6), [2, 3]);
    expect(() => permute(x, [0, 0])).toThrow('permute: [0, 0] is not a permutation of the 2 axes of [2, 3]');
    expect(() => permute(x, [1, 0, 2])).toThrow('permute: [1, 0, 2] is not a permutation of the 2 axes of [2, 3]');
  });
});

describe('transpose', () => {
  test.prop([specFrom(shapeOf(2, 4))])('transpose: gradients match finite differences; it is permute swapping the last two axes', (spec) => {
    assertGradients((x) => transpose(x), [leaf(spec)]);
    const r = spec.shape.length;
    const perm = spec.shape.map((_, i) => (i === r - 2 ? r - 1 : i === r - 1 ? r - 2 : i));
    expect(transpose(constant(spec)).toArray()).toEqual(permuteLoop(spec, perm));
  });
});

describe('concat', () => {
  test.prop([concatCase])('concat: gradients of every part match finite differences', ([specs, axis]) => {
    assertGradients((...xs) => concat(xs, axis), specs.map(leaf));
  });

  test.prop([concatCase])('slicing concat(parts) at the part boundaries gives back each part', ([specs, axis]) => {
    const out = concat(specs.map(constant), axis);
    let start = 0;
    for (const spec of specs) {
      const d = spec.shape[axis < 0 ? axis + spec.shape.length : axis];
      expect(slice(out, axis, start, start + d).toArray()).toEqual(constant(spec).toArray());
      start += d;
    }
  });

  test('concat of shapes that differ outside the axis throws a ShapeError listing them', () => {
    expect(() => concat([new Tensor(new Float32Array(6), [2, 3]), new Tensor(new Float32Array(8), [2, 4])], 0)).toThrow(
      'concat: shapes [2, 3], [2, 4] differ outside axis 0',
    );
  });
});

describe('slice', () => {
  test.prop([sliceCase])('slice: gradients match finite differences for any valid range', ([spec, axis, start, end]) => {
    assertGradients((x) => slice(x, axis, start, end), [leaf(spec)]);
  });

  test.prop([sliceCase])('slice keeps exactly the elements whose index along the axis is in [start, end)', ([spec, axis, start, end]) => {
    const stop = end ?? spec.shape[axis];
    const out = slice(constant(spec), axis, start, end);
    const expected = spec.values.filter((_, i) => {
      const k = unravel(i, spec.shape)[axis];
      return k >= start && k < stop;
    });
    expect(out.toArray()).toEqual(expected.map(Math.fround));
  });

  test('slice counts negative indices from the end', () => {
    const x = new Tensor(Float32Array.of(0, 1, 2, 3, 4), [5]);
    expect(slice(x, 0, -3, -1).toArray()).toEqual([2, 3]);
  });

  test('slice out of range throws a ShapeError naming the range, axis and shape', () => {
    const x = new Tensor(new Float32Array(6), [2, 3]);
    expect(() => slice(x, 1, 1, 5)).toThrow('slice: range [1, 5) is invalid for axis 1 of size 3 (shape [2, 3])');
    expect(() => slice(x, 1, 2, 1)).toThrow('slice: range [2, 1) is invalid');
    expect(() => slice(x, 2, 0, 1)).toThrow('slice: axis 2 is out of range for a tensor of rank 2');
  });
});

test('permute takes negative axes, counting from the end, as PyTorch\'s x.permute(-1, 0)', () => {
  const x = new Tensor(Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3]);
  expect(permute(x, [-1, 0]).toArray()).toEqual(permute(x, [1, 0]).toArray());
  expect(permute(x, [-1, -2]).shape).toEqual([3, 2]);
  expect(() => permute(x, [-3, 0])).toThrow('permute: [-3, 0] is not a permutation of the 2 axes of [2, 3]');
});
