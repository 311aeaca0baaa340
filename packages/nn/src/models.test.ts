import { Rng, ShapeError, Tensor, shapeSize, type Shape } from '@trainkit/tensor';
import { describe, expect, test } from 'vitest';
import { mnistCnn, mnistMlp } from './models';

function randn(shape: Shape, seed: number): Tensor {
  return new Tensor(new Rng(seed).fillNormal(new Float32Array(shapeSize(shape))), shape);
}

describe('mnistCnn', () => {
  test('maps [2, 1, 28, 28] to finite logits [2, 10]', () => {
    const y = mnistCnn({ rng: new Rng(0) }).call(randn([2, 1, 28, 28], 1));
    expect(y.shape).toEqual([2, 10]);
    expect(y.data.every(Number.isFinite)).toBe(true);
  });

  test('children are named like the PyTorch reference, with parameters conv1, conv2 and fc', () => {
    const model = mnistCnn({ rng: new Rng(0) });
    expect(model.namedChildren().map(([n]) => n)).toEqual(['conv1', 'relu1', 'pool1', 'conv2', 'relu2', 'pool2', 'flatten', 'fc']);
    expect(model.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['conv1.weight', [8, 1, 5, 5]],
      ['conv1.bias', [8]],
      ['conv2.weight', [16, 8, 5, 5]],
      ['conv2.bias', [16]],
      ['fc.weight', [10, 784]],
      ['fc.bias', [10]],
    ]);
  });

  test('each image in a batch is processed independently', () => {
    const model = mnistCnn({ rng: new Rng(0) });
    const batch = randn([3, 1, 28, 28], 2);
    const second = new Tensor(batch.data.slice(784, 2 * 784), [1, 1, 28, 28]);
    const fromBatch = Array.from(model.call(batch).data.slice(10, 20));
    const alone = Array.from(model.call(second).data);
    alone.forEach((v, i) => expect(v).toBeCloseTo(fromBatch[i], 5));
  });

  test('flat [N, 784] images are rejected with a hint to reshape', () => {
    expect(() => mnistCnn({ rng: new Rng(0) }).call(randn([2, 784], 0))).toThrow(/conv2d: input must be 4-D.*reshape/);
  });
});

describe('mnistMlp', () => {
  test('accepts [N, 1, 28, 28] and [N, 784], giving the same [N, 10] logits', () => {
    const model = mnistMlp({ rng: new Rng(0) });
    const images = randn([3, 1, 28, 28], 3);
    const y = model.call(images);
    expect(y.shape).toEqual([3, 10]);
    expect(Array.from(model.call(new Tensor(images.data, [3, 784])).data)).toEqual(Array.from(y.data));
  });

  test('hidden width sets the parameter count: 784·h + h + h·10 + 10', () => {
    expect(mnistMlp({ rng: new Rng(0) }).numParameters()).toBe(784 * 256 + 256 + 256 * 10 + 10);
    expect(mnistMlp({ hidden: 32, rng: new Rng(0) }).numParameters()).toBe(784 * 32 + 32 + 32 * 10 + 10);
  });

  test('an input with the wrong number of pixels throws naming both sizes', () => {
    expect(() => mnistMlp({ rng: new Rng(0) }).call(randn([2, 1, 14, 14], 0))).toThrow(ShapeError);
    expect(() => mnistMlp({ rng: new Rng(0) }).call(randn([2, 1, 14, 14], 0))).toThrow(/196 features .* expects 784/);
  });
});
