import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { Arena } from '../arena';
import { Rng } from '../rng';
import { Tensor } from '../tensor';
import { batchNorm } from './batchNorm';
import { conv2d, conv2dReluPool } from './conv';
import { relu } from './elementwise';

// conv2d, relu and batchNorm write an input's gradient whole when the input has none yet (its
// buffer, possibly recycled, is never read), and add into it otherwise. Both paths must give
// the same bits: a gradient that started as zeros, accumulated, equals one written fresh, and
// garbage in a recycled buffer never shows.

type Op = (x: Tensor) => Tensor;

const ops: Record<string, { shape: number[]; op: Op }> = {
  'conv2d (3×3, stride 1, 8 → 8 channels: Winograd)': { shape: [2, 8, 6, 7], op: (x) => conv2d(x, filled([8, 8, 3, 3], 3), null, { padding: 1 }) },
  'conv2d(x, x): one tensor as both input and weight (its gradient is dX + dW)': { shape: [8, 8, 3, 3], op: (x) => conv2d(x, x, null, { padding: 1 }) },
  'conv2d (5×5, stride 2, 3 → 4 channels)': { shape: [2, 3, 9, 8], op: (x) => conv2d(x, filled([4, 3, 5, 5], 4), null, { padding: 2, stride: 2 }) },
  relu: { shape: [3, 1200], op: (x) => relu(x) },
  'batchNorm (training)': { shape: [4, 3, 10, 10], op: (x) => batchNorm(x, null, null, filled([3], 5), filled([3], 6), { training: true }) },
};

function filled(shape: number[], seed: number): Tensor {
  return new Tensor(new Rng(seed).fillNormal(new Float32Array(shape.reduce((a, b) => a * b))), shape);
}

/** x's gradient after one backward pass through `op`, x's gradient starting as `start` (null: none). */
function gradient(op: Op, shape: number[], seed: number, start: 'none' | 'zeros'): Float32Array {
  const x = new Tensor(new Rng(seed).fillNormal(new Float32Array(shape.reduce((a, b) => a * b))), shape, { requiresGrad: true });
  if (start === 'zeros') x.grad = new Float32Array(x.size);
  const y = op(x);
  y.backward(new Rng(seed + 1).fillNormal(new Float32Array(y.size)));
  return x.grad as Float32Array;
}

describe('an input gradient written fresh equals zeros plus the accumulated gradient, bit for bit', () => {
  for (const [name, { shape, op }] of Object.entries(ops)) {
    test.prop([fc.integer({ min: 0, max: 1000 })], { numRuns: 8 })(name, (seed) => {
      const fresh = gradient(op, shape, seed, 'none');
      const accumulated = gradient(op, shape, seed, 'zeros');
      expect(new Uint32Array(fresh.buffer)).toEqual(new Uint32Array(accumulated.buffer));
    });
  }
});

describe('an op result the kernels write whole may come from a recycled arena buffer: stale values never show', () => {
  const cases: Record<string, (x: Tensor) => Tensor> = {
    'conv2d (3×3, stride 1, 8 → 8 channels: Winograd)': (x) => conv2d(x, filled([8, 8, 3, 3], 3), null, { padding: 1 }),
    'conv2d (5×5, 8 → 4 channels, no bias)': (x) => conv2d(x, filled([4, 8, 5, 5], 4), null, { padding: 2 }),
    'conv2dReluPool (3×3, 8 → 4 channels, bias)': (x) => conv2dReluPool(x, filled([4, 8, 3, 3], 5), filled([4], 6), { padding: 1 }),
  };
  for (const [name, op] of Object.entries(cases)) {
    test(name, () => {
      const x = filled([2, 8, 6, 7], 9);
      const expected = op(x).data.slice();
      const arena = new Arena();
      arena.run(() => op(x).data.fill(NaN)); // the buffer goes back to the arena full of NaN
      arena.reset();
      const again = arena.run(() => op(x)).data;
      expect(new Uint32Array(again.buffer, again.byteOffset, again.length)).toEqual(new Uint32Array(expected.buffer));
    });
  }
});
