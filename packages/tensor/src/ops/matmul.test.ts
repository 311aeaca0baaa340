import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { constant, leaf, shapeOf, specOf } from '../__tests__/arbitraries';
import { assertGradients } from '../gradcheck';
import { Tensor } from '../tensor';
import { add } from './elementwise';
import { linear, matmul } from './matmul';
import { transpose } from './shape';

const dim = fc.integer({ min: 1, max: 5 });

/** [..batch, M, K] and [..batch, K, N] (batch rank 0 to 2), or a shared 2-D right operand. */
function matmulCase(shared: boolean, batchRank: [number, number]) {
  return fc.tuple(shapeOf(batchRank[0], batchRank[1]), dim, dim, dim).chain(([batch, M, K, N]) =>
    fc.tuple(specOf([...batch, M, K]), specOf(shared ? [K, N] : [...batch, K, N])),
  );
}

/** linear inputs: x [N, in], weight [out, in], bias [out]. */
const linearCase = fc.tuple(dim, dim, dim).chain(([n, i, o]) => fc.tuple(specOf([n, i]), specOf([o, i]), specOf([o])));

describe('matmul', () => {
  test.prop([matmulCase(false, [0, 0])])('matmul (2-D): gradients of both operands match finite differences', ([a, b]) => {
    assertGradients(matmul, [leaf(a), leaf(b)]);
  });

  test.prop([matmulCase(false, [1, 2])], { numRuns: 50 })('matmul (batched): gradients of both operands match finite differences', ([a, b]) => {
    assertGradients(matmul, [leaf(a), leaf(b)]);
  });

  test.prop([matmulCase(true, [1, 2])], { numRuns: 50 })('matmul (shared 2-D right operand): gradients of both operands match finite differences', ([a, b]) => {
    assertGradients(matmul, [leaf(a), leaf(b)]);
  });

  test.prop([matmulCase(true, [1, 2])])('matmul with a shared right operand equals batched matmul against copies of it', ([a, b]) => {
    const batch = a.shape.slice(0, -2);
    const copies = batch.reduce((n, d) => n * d, 1);
    const tiled = new Tensor(Float32Array.from({ length: copies * b.values.length }, (_, i) => b.values[i % b.values.length]), [...batch, ...b.shape]);
    expect(matmul(constant(a), constant(b)).toArray()).toEqual(matmul(constant(a), tiled).toArray());
  });

  test('matmul hand example: [[1, 2, 3]]·[[1], [0], [-1]] = [[-2]]', () => {
    // 1·1 + 2·0 + 3·(−1) = −2
    expect(matmul(new Tensor(Float32Array.of(1, 2, 3), [1, 3]), new Tensor(Float32Array.of(1, 0, -1), [3, 1])).toArray()).toEqual([-2]);
  });

  test('matmul with an inner-dimension mismatch throws a ShapeError naming both shapes and both sizes', () => {
    expect(() => matmul(new Tensor(new Float32Array(6), [2, 3]), new Tensor(new Float32Array(8), [4, 2]))).toThrow(
      'matmul: inner dimensions differ: [2, 3] · [4, 2] (3 vs 4)',
    );
  });

  test('matmul with different batch dimensions or a rank-1 operand throws a ShapeError', () => {
    expect(() => matmul(new Tensor(new Float32Array(12), [2, 2, 3]), new Tensor(new Float32Array(18), [3, 3, 2]))).toThrow(
      'matmul: batch dimensions differ: [2, 2, 3] · [3, 3, 2]',
    );
    expect(() => matmul(new Tensor(new Float32Array(3), [3]), new Tensor(new Float32Array(3), [3, 1]))).toThrow('matmul: both operands need rank ≥ 2');
  });
});

describe('linear', () => {
  test.prop([linearCase])('linear (with bias): gradients of input, weight and bias match finite differences', ([x, w, b]) => {
    assertGradients(linear, [leaf(x), leaf(w), leaf(b)]);
  });

  test.prop([linearCase])('linear (without bias): gradients of input and weight match finite differences', ([x, w]) => {
    assertGradients((a, b) => linear(a, b), [leaf(x), leaf(w)]);
    assertGradients((a, b) => linear(a, b, null), [leaf(x), leaf(w)]);
  });

  test.prop([linearCase])('linear(x, W, b) equals x·Wᵀ + b', ([x, w, b]) => {
    const fused = linear(constant(x), constant(w), constant(b)).toArray();
    const composed = add(matmul(constant(x), transpose(constant(w))), constant(b)).toArray();
    // |entries| ≤ 5·3·3 + 3 = 48, so the two rounding orders differ by at most ~2 ulp(48) ≈ 8e-6
    composed.forEach((v, i) => expect(fused[i]).toBeCloseTo(v, 4));
  });

  test('linear with mismatched features throws a ShapeError naming the weight shape', () => {
    expect(() => linear(new Tensor(new Float32Array(6), [2, 3]), new Tensor(new Float32Array(8), [2, 4]))).toThrow(
      'linear: input has 3 features but weight [2, 4] expects 4',
    );
  });
});
