import { fc, test } from '@fast-check/vitest';
import { Rng, Tensor, ValueError, shapeSize, tensor, type Shape } from '@trainkit/tensor';
import { describe, expect } from 'vitest';
import { AvgPool2d, Flatten, Identity, MaxPool2d, ReLU, Sigmoid, Tanh } from './simple';

function randn(shape: Shape, seed: number): Tensor {
  return new Tensor(new Rng(seed).fillNormal(new Float32Array(shapeSize(shape))), shape);
}

const nchw = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }));
const anyShape = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 });

describe('activations', () => {
  test.prop([anyShape])('ReLU, Sigmoid, Tanh and Identity preserve the shape', (shape) => {
    const x = randn(shape, 0);
    for (const layer of [new ReLU(), new Sigmoid(), new Tanh(), new Identity()]) expect(layer.call(x).shape).toEqual(shape);
  });

  test('ReLU is max(x, 0) element-wise', () => {
    expect(new ReLU().call(tensor([-2, -0.5, 0, 0.5, 3])).toArray()).toEqual([0, 0, 0, 0.5, 3]);
  });

  test('Identity returns its input tensor itself', () => {
    const x = tensor([1, 2]);
    expect(new Identity().call(x)).toBe(x);
  });
});

describe('Flatten', () => {
  test.prop([nchw])('maps [N, C, H, W] to [N, C·H·W] keeping C, H, W order', ([n, c, h, w]) => {
    const x = randn([n, c, h, w], 1);
    const y = new Flatten().call(x);
    expect(y.shape).toEqual([n, c * h * w]);
    expect(y.toArray()).toEqual(x.toArray());
  });

  test('startDim 2 keeps the first two dimensions', () => {
    expect(new Flatten(2).call(randn([2, 3, 4, 5], 0)).shape).toEqual([2, 3, 20]);
  });
});

describe('pooling', () => {
  test.prop([nchw, fc.integer({ min: 1, max: 3 })])('MaxPool2d(k) and AvgPool2d(k) map H, W to ⌊H/k⌋, ⌊W/k⌋ when k fits', ([n, c, h, w], k) => {
    const x = randn([n, c, Math.max(h, k), Math.max(w, k)], 2);
    const expected = [n, c, Math.floor(x.shape[2] / k), Math.floor(x.shape[3] / k)];
    expect(new MaxPool2d(k).call(x).shape).toEqual(expected);
    expect(new AvgPool2d(k).call(x).shape).toEqual(expected);
  });

  test('MaxPool2d with stride 1 slides overlapping windows', () => {
    expect(new MaxPool2d(2, { stride: 1 }).call(randn([1, 1, 5, 4], 0)).shape).toEqual([1, 1, 4, 3]);
  });

  test('MaxPool2d(2) takes the maximum and AvgPool2d(2) the mean of each 2×2 window (hand-computed)', () => {
    // one 2×4 plane: windows [[1, 2], [5, 6]] and [[3, -4], [7, 0]]
    const x = tensor([1, 2, 3, -4, 5, 6, 7, 0], [1, 1, 2, 4]);
    expect(new MaxPool2d(2).call(x).toArray()).toEqual([6, 7]);
    expect(new AvgPool2d(2).call(x).toArray()).toEqual([3.5, 1.5]);
  });

  test.each([
    ['MaxPool2d(0)', () => new MaxPool2d(0), 'MaxPool2d: kernelSize must be an integer ≥ 1'],
    ['AvgPool2d([2, 0])', () => new AvgPool2d([2, 0]), 'AvgPool2d: kernelSize must be an integer ≥ 1'],
    ['MaxPool2d(2, { stride: 0 })', () => new MaxPool2d(2, { stride: 0 }), 'MaxPool2d: stride must be an integer ≥ 1'],
    ['AvgPool2d(2, { padding: -1 })', () => new AvgPool2d(2, { padding: -1 }), 'AvgPool2d: padding must be an integer ≥ 0'],
  ])('%s throws a ValueError naming the layer and the argument', (_label, make, message) => {
    expect(make).toThrow(ValueError);
    expect(make).toThrow(message);
  });

  test('pooling a rank-2 input throws mentioning 4-D', () => {
    expect(() => new MaxPool2d(2).call(randn([2, 784], 0))).toThrow(/maxPool2d.*4-D/);
  });
});
