import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { broadcastablePair, constant, leaf, specOf } from '../__tests__/arbitraries';
import { assertGradients } from '../gradcheck';
import { ShapeError } from '../shape';
import { Tensor } from '../tensor';
import { matmul } from './matmul';
import { slice } from './shape';

const dim = fc.integer({ min: 1, max: 3 });

/** [...batchA, M, K] and [...batchB, K, N] with batch shapes that broadcast together. */
const broadcastCase = fc
  .tuple(broadcastablePair(), dim, dim, dim)
  .chain(([[ba, bb], M, K, N]) => fc.tuple(specOf([...ba, M, K]), specOf([...bb, K, N])));

/** The matrix at flat batch position i of a [..., R, C] tensor, as a tensor [R, C]. */
function matrixAt(t: Tensor, batchShape: readonly number[], i: number): Tensor {
  const [R, C] = t.shape.slice(-2);
  // the batch index of t under batch i of the broadcast result (size-1 and missing dimensions repeat)
  const own = t.shape.slice(0, -2);
  let flat = 0;
  let rest = i;
  const idx = batchShape.map(() => 0);
  for (let d = batchShape.length - 1; d >= 0; d--) {
    idx[d] = rest % batchShape[d];
    rest = Math.floor(rest / batchShape[d]);
  }
  for (let d = 0; d < own.length; d++) flat = flat * own[d] + (own[d] === 1 ? 0 : idx[d + batchShape.length - own.length]);
  return new Tensor(t.data.slice(flat * R * C, (flat + 1) * R * C), [R, C]);
}

describe('matmul with broadcast batch dimensions', () => {
  test.prop([broadcastCase], { numRuns: 60 })('matmul (broadcast batches): gradients of both operands match finite differences', ([a, b]) => {
    assertGradients((x, y) => matmul(x, y), [leaf(a), leaf(b)]);
  });

  test.prop([broadcastCase])('each batch of the result is the 2-D product of the matrices broadcasting picks', ([a, b]) => {
    const ta = constant(a);
    const tb = constant(b);
    const y = matmul(ta, tb);
    const batchShape = y.shape.slice(0, -2);
    const batches = batchShape.reduce((p, d) => p * d, 1);
    const [M, N] = y.shape.slice(-2);
    for (let i = 0; i < batches; i++) {
      const expected = matmul(matrixAt(ta, batchShape, i), matrixAt(tb, batchShape, i));
      expect(Array.from(y.data.subarray(i * M * N, (i + 1) * M * N))).toEqual(Array.from(expected.data));
    }
  });

  test('a 2-D left operand against a batch: [M, K]·[B, K, N] → [B, M, N]', () => {
    const a = new Tensor(Float32Array.of(1, 2), [1, 2]);
    const b = new Tensor(Float32Array.of(1, 0, 0, 1, 2, 0, 0, 2), [2, 2, 2]);
    const y = matmul(a, b);
    expect(y.shape).toEqual([2, 1, 2]);
    // [1, 2]·I = [1, 2]; [1, 2]·2I = [2, 4]
    expect(y.toArray()).toEqual([1, 2, 2, 4]);
    expect(slice(y, 0, 1).toArray()).toEqual([2, 4]);
  });

  test('batch dimensions that do not broadcast throw a ShapeError naming both batch shapes', () => {
    expect(() => matmul(new Tensor(new Float32Array(24), [2, 2, 2, 3]), new Tensor(new Float32Array(18), [3, 3, 2]))).toThrow(ShapeError);
    expect(() => matmul(new Tensor(new Float32Array(24), [2, 2, 2, 3]), new Tensor(new Float32Array(18), [3, 3, 2]))).toThrow(
      'matmul: batch dimensions differ: [2, 2, 2, 3] · [3, 3, 2] ([2, 2] and [3] do not broadcast)',
    );
  });
});
