import { fc, test } from '@fast-check/vitest';
import { Rng, ShapeError, Tensor, ValueError, assertGradients, reshape, shapeSize, tensor, type Shape } from '@trainkit/tensor';
import { describe, expect } from 'vitest';
import { Parameter } from '../parameter';
import { Linear } from './linear';

function randn(shape: Shape, seed: number): Tensor {
  return new Tensor(new Rng(seed).fillNormal(new Float32Array(shapeSize(shape))), shape);
}

const dim = fc.integer({ min: 1, max: 12 });

describe('Linear', () => {
  test.prop([fc.integer({ min: 1, max: 8 }), dim, dim], { numRuns: 30 })('maps [N, in] to [N, out]', (n, inF, outF) => {
    const layer = new Linear(inF, outF, { rng: new Rng(0) });
    expect(layer.call(randn([n, inF], 1)).shape).toEqual([n, outF]);
  });

  test('has weight [out, in] and bias [out], both trainable Parameters', () => {
    const layer = new Linear(5, 3);
    expect(layer.weight).toBeInstanceOf(Parameter);
    expect(layer.weight.shape).toEqual([3, 5]);
    expect(layer.bias?.shape).toEqual([3]);
    expect(layer.weight.requiresGrad && layer.bias?.requiresGrad).toBe(true);
  });

  test('computes x·Wᵀ + b (hand-computed example)', () => {
    const layer = new Linear(2, 2);
    layer.weight.data.set([1, 2, 3, 4]); // W = [[1, 2], [3, 4]]
    layer.bias?.data.set([0.5, -1]);
    // [1, 1]·Wᵀ = [1+2, 3+4] = [3, 7]; + b = [3.5, 6]
    // [2, -1]·Wᵀ = [2−2, 6−4] = [0, 2]; + b = [0.5, 1]
    expect(layer.call(tensor([[1, 1], [2, -1]])).toArray()).toEqual([3.5, 6, 0.5, 1]);
  });

  test('without bias computes x·Wᵀ', () => {
    const layer = new Linear(2, 1, { bias: false });
    layer.weight.data.set([2, -3]);
    expect(layer.call(tensor([[1, 1]])).toArray()).toEqual([-1]);
  });

  test.each([
    [0, 3, 'Linear: inFeatures must be a positive integer, got 0'],
    [3, 0, 'Linear: outFeatures must be a positive integer, got 0'],
    [-2, 3, 'Linear: inFeatures must be a positive integer, got -2'],
    [2.5, 3, 'Linear: inFeatures must be a positive integer, got 2.5'],
    [3, Number.NaN, 'Linear: outFeatures must be a positive integer, got NaN'],
  ])('Linear(%s, %s) throws a ValueError naming the layer and the bad argument', (inF, outF, message) => {
    expect(() => new Linear(inF, outF)).toThrow(ValueError);
    expect(() => new Linear(inF, outF)).toThrow(message);
  });

  test('an input with the wrong feature count throws a ShapeError naming both sizes', () => {
    const layer = new Linear(4, 3);
    expect(() => layer.call(randn([2, 5], 0))).toThrow(ShapeError);
    expect(() => layer.call(randn([2, 5], 0))).toThrow('linear: input has 5 features but weight [3, 4] expects 4');
  });

  test('any [*, in] input keeps its leading axes, as PyTorch\'s Linear: [2, 5, 4] → [2, 5, 3] row by row, [4] → [3]', () => {
    const layer = new Linear(4, 3, { rng: new Rng(1) });
    const x = randn([2, 5, 4], 0);
    const y = layer.call(x);
    expect(y.shape).toEqual([2, 5, 3]);
    expect(Array.from(y.data)).toEqual(Array.from(layer.call(reshape(x, [10, 4])).data));
    expect(layer.call(randn([4], 0)).shape).toEqual([3]);
    const leaf = randn([2, 2, 4], 3);
    assertGradients((t) => layer.call(t), [new Tensor(leaf.data, leaf.shape, { requiresGrad: true })]);
  });

  test('an input that does not end in `in` features throws a ShapeError with the shape', () => {
    expect(() => new Linear(4, 3).call(randn([2, 5], 0))).toThrow('linear: input has 5 features but weight [3, 4] expects 4');
    expect(() => new Linear(4, 3).call(randn([2, 5, 5], 0))).toThrow('Linear(4, 3): input must end in 4 features ([*, 4]), got [2, 5, 5]');
  });

  test('toString shows sizes and bias', () => {
    expect(new Linear(784, 10, { bias: false }).toString()).toBe('Linear(784, 10, bias=false)');
  });
});
