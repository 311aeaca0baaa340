import { fc, test } from '@fast-check/vitest';
import { Rng, ShapeError, Tensor, ValueError, shapeSize, tensor, type Shape } from '@trainkit/tensor';
import { describe, expect } from 'vitest';
import { Conv2d } from './conv2d';

function randn(shape: Shape, seed: number): Tensor {
  return new Tensor(new Rng(seed).fillNormal(new Float32Array(shapeSize(shape))), shape);
}

/** Conv hyperparameters plus an input at least as large as the dilated kernel (minus padding). */
const convCase = fc
  .record({
    n: fc.integer({ min: 1, max: 3 }),
    c: fc.integer({ min: 1, max: 3 }),
    oc: fc.integer({ min: 1, max: 4 }),
    k: fc.integer({ min: 1, max: 4 }),
    stride: fc.integer({ min: 1, max: 3 }),
    padding: fc.integer({ min: 0, max: 2 }),
    dilation: fc.integer({ min: 1, max: 2 }),
    extraH: fc.integer({ min: 0, max: 6 }),
    extraW: fc.integer({ min: 0, max: 6 }),
  })
  .map((o) => {
    const minSide = Math.max(1, o.dilation * (o.k - 1) + 1 - 2 * o.padding);
    return { ...o, h: minSide + o.extraH, w: minSide + o.extraW };
  });

const outSide = (side: number, k: number, s: number, p: number, d: number): number => Math.floor((side + 2 * p - d * (k - 1) - 1) / s) + 1;

describe('Conv2d', () => {
  test.prop([convCase], { numRuns: 40 })('maps [N, C, H, W] to [N, OC, ⌊(H + 2p − d(k−1) − 1)/s⌋ + 1, …]', (o) => {
    const conv = new Conv2d(o.c, o.oc, o.k, { stride: o.stride, padding: o.padding, dilation: o.dilation, rng: new Rng(0) });
    const y = conv.call(randn([o.n, o.c, o.h, o.w], 1));
    expect(y.shape).toEqual([o.n, o.oc, outSide(o.h, o.k, o.stride, o.padding, o.dilation), outSide(o.w, o.k, o.stride, o.padding, o.dilation)]);
  });

  test('has weight [OC, C, KH, KW] (rectangular kernels too) and bias [OC]', () => {
    const conv = new Conv2d(3, 8, [5, 3]);
    expect(conv.weight.shape).toEqual([8, 3, 5, 3]);
    expect(conv.bias?.shape).toEqual([8]);
    expect(conv.kernelSize).toEqual([5, 3]);
  });

  test('computes a cross-correlation plus bias (hand-computed example)', () => {
    const conv = new Conv2d(1, 1, 2);
    conv.weight.data.set([1, 0, 0, -1]); // [[1, 0], [0, −1]]
    conv.bias?.data.set([0.5]);
    // x = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]: each output is x[i][j] − x[i+1][j+1] + 0.5 = −4 + 0.5
    const y = conv.call(tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]));
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expect(y.toArray()).toEqual([-3.5, -3.5, -3.5, -3.5]);
  });

  test.each([
    ['kernel 0', () => new Conv2d(1, 1, 0), 'Conv2d: kernelSize must be a positive integer or pair, got 0'],
    ['kernel [3, 0]', () => new Conv2d(1, 1, [3, 0]), 'Conv2d: kernelSize must be a positive integer or pair, got [3,0]'],
    ['0 input channels', () => new Conv2d(0, 1, 3), 'Conv2d: inChannels must be a positive integer, got 0'],
    ['1.5 output channels', () => new Conv2d(1, 1.5, 3), 'Conv2d: outChannels must be a positive integer, got 1.5'],
    ['stride 0', () => new Conv2d(1, 1, 3, { stride: 0 }), 'Conv2d: stride must be an integer ≥ 1'],
    ['padding −1', () => new Conv2d(1, 1, 3, { padding: -1 }), 'Conv2d: padding must be an integer ≥ 0'],
    ['dilation [1, 0]', () => new Conv2d(1, 1, 3, { dilation: [1, 0] }), 'Conv2d: dilation must be an integer ≥ 1'],
  ])('a constructor call with %s throws a ValueError naming Conv2d and the argument', (_label, make, message) => {
    expect(make).toThrow(ValueError);
    expect(make).toThrow(message);
  });

  test('a rank-2 input throws a ShapeError mentioning conv2d and 4-D', () => {
    const conv = new Conv2d(1, 8, 5);
    expect(() => conv.call(randn([2, 784], 0))).toThrow(ShapeError);
    expect(() => conv.call(randn([2, 784], 0))).toThrow(/conv2d.*4-D.*\[2, 784\]/);
  });

  test('an input with the wrong channel count throws naming both counts', () => {
    expect(() => new Conv2d(3, 4, 3).call(randn([1, 2, 5, 5], 0))).toThrow(/input has 2 channels .* expects 3/);
  });

  test('a kernel larger than the padded input throws a ShapeError', () => {
    expect(() => new Conv2d(1, 1, 5).call(randn([1, 1, 3, 3], 0))).toThrow(/conv2d: kernel 5x5 .* does not fit input \[1, 1, 3, 3\]/);
  });
});
