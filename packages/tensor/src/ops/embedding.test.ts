import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { constant, leaf, specOf } from '../__tests__/arbitraries';
import { assertGradients } from '../gradcheck';
import { ShapeError, ValueError } from '../shape';
import { Tensor } from '../tensor';
import { embedding } from './embedding';

/** A table [V, D] and 1–6 indices into it, shaped [n] or [2, n/2]. */
const lookup = fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 3 })).chain(([V, D]) =>
  fc.tuple(specOf([V, D]), fc.array(fc.integer({ min: 0, max: V - 1 }), { minLength: 1, maxLength: 6 })),
);

const indices = (ids: number[]): Tensor =>
  ids.length % 2 === 0 ? new Tensor(Float32Array.from(ids), [2, ids.length / 2]) : new Tensor(Float32Array.from(ids), [ids.length]);

describe('embedding', () => {
  test.prop([lookup])('embedding: the weight\'s gradient matches finite differences (repeated indices accumulate)', ([w, ids]) => {
    assertGradients((t) => embedding(t, indices(ids)), [leaf(w)]);
  });

  test.prop([lookup])('output row i is row indices[i] of the table, shaped [...indices.shape, D]', ([w, ids]) => {
    const D = w.shape[1];
    const y = embedding(constant(w), indices(ids));
    expect(y.shape).toEqual([...indices(ids).shape, D]);
    ids.forEach((r, i) => expect(Array.from(y.data.subarray(i * D, (i + 1) * D))).toEqual(Array.from(Float32Array.from(w.values.slice(r * D, (r + 1) * D)))));
  });

  test('a negative paddingIdx counts from the end (−1 is the last row, as in PyTorch); one outside [−V, V) is refused', () => {
    const w = new Tensor(new Float32Array(6), [3, 2], { requiresGrad: true });
    embedding(w, new Tensor(Float32Array.of(0, 2), [2]), -1).backward(new Float32Array(4).fill(1));
    expect(Array.from(w.grad as Float32Array)).toEqual([1, 1, 0, 0, 0, 0]);
    expect(() => embedding(w, new Tensor(Float32Array.of(0), [1]), 7)).toThrow('embedding: paddingIdx must be an integer in [-3, 3) for 3 rows, got 7');
  });

  test('a padding index gets no gradient; the others sum one per occurrence', () => {
    const w = new Tensor(new Float32Array(6), [3, 2], { requiresGrad: true });
    embedding(w, new Tensor(Float32Array.of(0, 2, 2, 1), [4]), 1).backward(new Float32Array(8).fill(1));
    expect(Array.from(w.grad as Float32Array)).toEqual([1, 1, 0, 0, 2, 2]);
  });

  test.each([
    ['an index past the table', Float32Array.of(0, 3), 'embedding: index 3 at position 1 of indices [2] is not a whole number in [0, 3)'],
    ['a negative index', Float32Array.of(-1), 'embedding: index -1 at position 0'],
    ['a fractional index', Float32Array.of(1.5), 'embedding: index 1.5 at position 0'],
  ])('%s throws a ValueError naming the op, the index and its position', (_label, ids, message) => {
    const w = new Tensor(new Float32Array(6), [3, 2]);
    expect(() => embedding(w, new Tensor(ids, [ids.length]))).toThrow(ValueError);
    expect(() => embedding(w, new Tensor(ids, [ids.length]))).toThrow(message);
  });

  test('a weight that is not 2-D throws a ShapeError', () => {
    expect(() => embedding(new Tensor(new Float32Array(6), [6]), new Tensor(Float32Array.of(0), [1]))).toThrow(ShapeError);
  });
});
