import { fc, test } from '@fast-check/vitest';
import { Rng, ShapeError, Tensor, ValueError, assertGradients, elu, gelu, hardtanh, leakyRelu, relu6, shapeSize, silu, softmax, tensor, type Shape } from '@trainkit/tensor';
import { describe, expect } from 'vitest';
import { ELU, GELU, Hardtanh, LeakyReLU, ReLU6, SiLU, Softmax } from './activations';
import { Conv2d } from './conv2d';
import { Embedding } from './embedding';
import { GroupNorm, LayerNorm } from './norm';
import { AdaptiveAvgPool2d, GlobalAvgPool } from './pooling';

function randn(shape: Shape, seed: number, requiresGrad = false): Tensor {
  return new Tensor(new Rng(seed).fillNormal(new Float32Array(shapeSize(shape))), shape, { requiresGrad });
}

describe('activation layers', () => {
  test.each([
    ['LeakyReLU(0.2)', new LeakyReLU(0.2), (x: Tensor) => leakyRelu(x, 0.2)],
    ['GELU()', new GELU(), (x: Tensor) => gelu(x)],
    ['GELU({ approximate: tanh })', new GELU({ approximate: 'tanh' }), (x: Tensor) => gelu(x, 'tanh')],
    ['SiLU()', new SiLU(), silu],
    ['ELU(0.5)', new ELU(0.5), (x: Tensor) => elu(x, 0.5)],
    ['Softmax(1)', new Softmax(1), (x: Tensor) => softmax(x, 1)],
    ['Hardtanh(-0.5, 0.25)', new Hardtanh(-0.5, 0.25), (x: Tensor) => hardtanh(x, -0.5, 0.25)],
    ['ReLU6()', new ReLU6(), relu6],
  ])('%s applies its op and has no parameters', (_label, layer, op) => {
    const x = randn([2, 3], 0);
    expect(layer.call(x).toArray()).toEqual(op(x).toArray());
    expect(layer.numParameters()).toBe(0);
  });

  test.each([
    ['LeakyReLU(NaN)', () => new LeakyReLU(Number.NaN), 'LeakyReLU: negativeSlope must be a finite number, got NaN'],
    ['GELU({ approximate: "erf" })', () => new GELU({ approximate: 'erf' as 'tanh' }), `GELU: approximate must be 'none' or 'tanh', got "erf"`],
    ['ELU(Infinity)', () => new ELU(Infinity), 'ELU: alpha must be a finite number, got Infinity'],
    ['Softmax(0.5)', () => new Softmax(0.5), 'Softmax: dim must be an integer, got 0.5'],
    ['Hardtanh(1, -1)', () => new Hardtanh(1, -1), 'Hardtanh: minVal and maxVal must be finite numbers with minVal < maxVal, got [1, -1]'],
  ])('%s is a ValueError naming the layer', (_label, make, message) => {
    expect(make).toThrow(ValueError);
    expect(make).toThrow(message);
  });
});

describe('pooling layers', () => {
  test.prop([fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 })], { numRuns: 20 })('AdaptiveAvgPool2d(size) gives [N, C, ...size] for any input size', (h, w) => {
    expect(new AdaptiveAvgPool2d([2, 3]).call(randn([2, 3, h, w], 0)).shape).toEqual([2, 3, 2, 3]);
  });

  test('GlobalAvgPool gives each channel\'s mean as [N, C]', () => {
    // channel 0: mean(1, 2, 3, 4) = 2.5; channel 1: mean(0, 0, 0, 8) = 2
    expect(new GlobalAvgPool().call(tensor([1, 2, 3, 4, 0, 0, 0, 8], [1, 2, 2, 2])).toArray()).toEqual([2.5, 2]);
  });

  test('an input with an empty spatial or channel axis is a ShapeError naming the layer, not NaN means (PyTorch refuses it); an empty batch is fine', () => {
    for (const [layer, name] of [[new AdaptiveAvgPool2d(2), 'AdaptiveAvgPool2d'], [new GlobalAvgPool(), 'GlobalAvgPool']] as const) {
      for (const shape of [[1, 2, 0, 3], [1, 2, 3, 0], [1, 0, 3, 3]]) {
        const x = new Tensor(new Float32Array(0), shape);
        expect(() => layer.call(x)).toThrow(ShapeError);
        expect(() => layer.call(x)).toThrow(`${name}: input [${shape.join(', ')}] has an empty channel or spatial axis`);
      }
      expect(layer.call(new Tensor(new Float32Array(0), [0, 2, 3, 3])).size).toBe(0);
    }
  });

  test('AdaptiveAvgPool2d(0) is a ValueError naming the layer', () => {
    expect(() => new AdaptiveAvgPool2d(0)).toThrow('AdaptiveAvgPool2d: outputSize must be an integer ≥ 1');
  });
});

describe('LayerNorm and GroupNorm', () => {
  test('parameters are named weight and bias like torch, starting at ones and zeros', () => {
    for (const m of [new LayerNorm([3, 4]), new GroupNorm(2, 4)]) {
      expect(Object.keys(m.stateDict())).toEqual(['weight', 'bias']);
      expect(m.weight?.toArray().every((v) => v === 1) && m.bias?.toArray().every((v) => v === 0)).toBe(true);
    }
    expect(new LayerNorm([3, 4]).weight?.shape).toEqual([3, 4]);
    expect(new LayerNorm(5, { affine: false }).numParameters()).toBe(0);
  });

  test('LayerNorm and GroupNorm: gradients of input and parameters match finite differences', () => {
    for (const [m, shape] of [[new LayerNorm(4), [2, 3, 4]], [new GroupNorm(2, 4), [2, 4, 3]]] as const) {
      m.weight?.data.set(new Rng(1).fillNormal(new Float32Array(m.weight.size)));
      assertGradients((x) => m.call(x), [randn(shape, 2, true)]);
    }
  });

  test('inputs of the wrong shape are ShapeErrors naming the layer and the expected shape', () => {
    expect(() => new LayerNorm(4).call(randn([2, 3], 0))).toThrow(ShapeError);
    expect(() => new LayerNorm(4).call(randn([2, 3], 0))).toThrow('LayerNorm: input [2, 3] must end with the normalized shape [4]');
    expect(() => new GroupNorm(2, 4).call(randn([2, 6, 3], 0))).toThrow('GroupNorm: expected input [N, 4, *], got [2, 6, 3]');
  });

  test('bad hyperparameters are ValueErrors naming the layer', () => {
    expect(() => new GroupNorm(3, 4)).toThrow('GroupNorm: numChannels (4) must be divisible by numGroups (3)');
    expect(() => new LayerNorm([])).toThrow(ValueError);
    expect(() => new LayerNorm(4, { eps: 0 })).toThrow('LayerNorm: eps must be a finite number > 0, got 0');
  });
});

describe('Conv2d with groups', () => {
  test('the weight is [out, in/groups, kh, kw] (torch\'s layout) and a depthwise layer maps [N, C, H, W] to [N, C, H, W]', () => {
    const dw = new Conv2d(6, 6, 3, { groups: 6, padding: 1, rng: new Rng(0) });
    expect(dw.weight.shape).toEqual([6, 1, 3, 3]);
    expect(dw.call(randn([2, 6, 5, 5], 1)).shape).toEqual([2, 6, 5, 5]);
    expect(new Conv2d(4, 6, 1, { groups: 2 }).weight.shape).toEqual([6, 2, 1, 1]);
    expect(dw.toString()).toContain('groups=6');
  });

  test('groups not dividing the channels is a ValueError naming Conv2d', () => {
    expect(() => new Conv2d(4, 6, 3, { groups: 4 })).toThrow('Conv2d: groups must be a positive integer dividing inChannels (4) and outChannels (6), got 4');
  });
});

describe('Embedding', () => {
  test('maps indices [B, T] to [B, T, dim] with weight N(0, 1) named like torch; the padding row starts at zero', () => {
    const e = new Embedding(10, 4, { paddingIdx: -1, rng: new Rng(0) });
    expect(Object.keys(e.stateDict())).toEqual(['weight']);
    expect(e.paddingIdx).toBe(9);
    expect(e.call(tensor([[1, 2, 9]])).shape).toEqual([1, 3, 4]);
    expect(Array.from(e.weight.data.subarray(36))).toEqual([0, 0, 0, 0]);
  });

  test('bad indices and hyperparameters are errors naming the layer', () => {
    const e = new Embedding(3, 2);
    expect(() => e.call(tensor([0, 3]))).toThrow('Embedding(3, 2): embedding: index 3 at position 1 of indices [2] is not a whole number in [0, 3)');
    expect(() => e.call(tensor([0], undefined, { requiresGrad: true }))).toThrow(/Embedding: indices must be a constant tensor/);
    expect(() => new Embedding(3, 2, { paddingIdx: 3 })).toThrow('Embedding: paddingIdx must be a whole number in [-3, 3), got 3');
  });
});
