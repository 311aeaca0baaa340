import { fc, test } from '@fast-check/vitest';
import { Rng, Tensor, ValueError, zeros, type Shape } from '@trainkit/tensor';
import { describe, expect } from 'vitest';
import { fans, gain, getDefaultRng, kaimingNormal, kaimingUniform, manualSeed, pytorchDefaultInit, xavierNormal, xavierUniform } from './init';
import { Conv2d } from './layers/conv2d';
import { Linear } from './layers/linear';
import { mnistCnn } from './models';
import type { Module } from './module';

const seed = fc.integer({ min: 0, max: 0xffffffff });

/** Every parameter value of a model, flattened in parameter order. */
function weightsOf(m: Module): number[] {
  return m.parameters().flatMap((p) => Array.from(p.data));
}

function moments(values: ArrayLike<number>): { mean: number; variance: number } {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  const mean = s / values.length;
  let ss = 0;
  for (let i = 0; i < values.length; i++) ss += (values[i] - mean) ** 2;
  return { mean, variance: ss / values.length };
}

function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]));
  return m;
}

function empty(shape: Shape): Tensor {
  return zeros(shape);
}

describe('fans and gain', () => {
  test('fans of a linear weight [out, in] are (in, out)', () => {
    expect(fans(empty([10, 784]))).toEqual({ fanIn: 784, fanOut: 10 });
  });

  test.prop([fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 })])(
    'fans of a conv weight [OC, C, KH, KW] are fan_in = C·KH·KW and fan_out = OC·KH·KW',
    (oc, c, kh, kw) => {
      expect(fans(empty([oc, c, kh, kw]))).toEqual({ fanIn: c * kh * kw, fanOut: oc * kh * kw });
    },
  );

  test('fans of a rank-1 tensor throw a ValueError naming init and the shape', () => {
    expect(() => fans(empty([5]))).toThrow(ValueError);
    expect(() => fans(empty([5]))).toThrow('init: fan in/out needs a weight of rank ≥ 2, got [5]');
  });

  test('gain follows torch.nn.init.calculate_gain', () => {
    expect(gain('linear')).toBe(1);
    expect(gain('sigmoid')).toBe(1);
    expect(gain('relu')).toBe(Math.SQRT2);
    expect(gain('tanh')).toBe(5 / 3);
    expect(gain('leaky_relu')).toBeCloseTo(Math.sqrt(2 / (1 + 0.01 ** 2)), 15);
    expect(gain('leaky_relu', Math.sqrt(5))).toBeCloseTo(Math.sqrt(1 / 3), 15);
  });

  test('gain of an unsupported nonlinearity is a ValueError naming it, as calculate_gain raises, not a silent gain of 1', () => {
    expect(() => gain('selu' as 'relu')).toThrow(ValueError);
    expect(() => gain('Relu' as 'relu')).toThrow('init: unsupported nonlinearity "Relu" (supported: linear, relu, leaky_relu, tanh, sigmoid)');
  });
});

describe('pytorchDefaultInit', () => {
  test.prop([seed], { numRuns: 20 })('every Linear(784, 10) weight and bias lies within ±1/√784', (s) => {
    const layer = new Linear(784, 10, { rng: new Rng(s) });
    const bound = Math.fround(1 / Math.sqrt(784)); // the values are float32
    expect(maxAbs(layer.weight.data)).toBeLessThanOrEqual(bound);
    expect(maxAbs((layer.bias as Tensor).data)).toBeLessThanOrEqual(bound);
  });

  test('Linear(784, 10) weights are roughly U(−b, b): mean ≈ 0, variance ≈ b²/3, flat histogram', () => {
    const w = new Linear(784, 10, { rng: new Rng(3) }).weight.data;
    const n = w.length; // 7840
    const b = 1 / 28;
    const { mean, variance } = moments(w);
    // standard errors for U(−b, b): mean b/√(3n), variance b²·√(4/45)/√n; allow 5 of them
    expect(Math.abs(mean)).toBeLessThan((5 * b) / Math.sqrt(3 * n));
    expect(Math.abs(variance - (b * b) / 3)).toBeLessThan((5 * b * b * Math.sqrt(4 / 45)) / Math.sqrt(n));
    // 10 equal bins expect 784 each (sd ≈ 26.6); allow ±5 sd
    const bins = new Array<number>(10).fill(0);
    for (const v of w) bins[Math.min(9, Math.floor(((v + b) / (2 * b)) * 10))]++;
    for (const count of bins) expect(Math.abs(count - n / 10)).toBeLessThan(5 * Math.sqrt((n / 10) * 0.9));
  });

  test('Conv2d uses fan_in = C·KH·KW for its bound: Conv2d(8, 16, 5) stays within ±1/√200 and reaches near it', () => {
    const conv = new Conv2d(8, 16, 5, { rng: new Rng(0) });
    const bound = Math.fround(1 / Math.sqrt(200));
    const all = [...conv.weight.data, ...(conv.bias as Tensor).data];
    expect(maxAbs(all)).toBeLessThanOrEqual(bound);
    expect(maxAbs(conv.weight.data)).toBeGreaterThan(0.95 * bound);
  });

  test('pytorchDefaultInit without a bias fills only the weight', () => {
    const w = empty([4, 9]);
    pytorchDefaultInit(w, null, new Rng(0));
    expect(maxAbs(w.data)).toBeLessThanOrEqual(Math.fround(1 / 3));
    expect(w.data.some((v) => v !== 0)).toBe(true);
  });
});

describe('kaiming and xavier', () => {
  test('kaimingNormal for relu has std ≈ √2/√fan_in and mean ≈ 0', () => {
    const w = kaimingNormal(empty([256, 128]), new Rng(0), { nonlinearity: 'relu' });
    const std = Math.SQRT2 / Math.sqrt(128);
    const { mean, variance } = moments(w.data);
    // 32768 samples: relative sd of the sample std ≈ 1/√(2n) ≈ 0.4 %
    expect(Math.sqrt(variance) / std).toBeGreaterThan(0.98);
    expect(Math.sqrt(variance) / std).toBeLessThan(1.02);
    expect(Math.abs(mean)).toBeLessThan((5 * std) / Math.sqrt(w.size));
  });

  test("kaimingNormal with mode 'fanOut' scales by fan_out", () => {
    const w = kaimingNormal(empty([64, 16, 3, 3]), new Rng(1), { mode: 'fanOut', nonlinearity: 'relu' });
    const std = Math.SQRT2 / Math.sqrt(64 * 9);
    expect(Math.sqrt(moments(w.data).variance) / std).toBeCloseTo(1, 1);
  });

  test("a kaiming mode other than 'fanIn' or 'fanOut' is a ValueError: PyTorch's spelling 'fan_in' used to fall through to fan_out", () => {
    const make = () => kaimingUniform(empty([8, 2]), new Rng(0), { mode: 'fan_in' as 'fanIn' });
    expect(make).toThrow(ValueError);
    expect(make).toThrow(`init: kaiming mode must be 'fanIn' or 'fanOut', got "fan_in"`);
    expect(() => kaimingNormal(empty([8, 2]), new Rng(0), { nonlinearity: 'gelu' as 'relu' })).toThrow('init: unsupported nonlinearity "gelu"');
  });

  test('a NaN or infinite gain or slope is a ValueError naming it, not a weight full of NaN', () => {
    expect(() => xavierUniform(empty([4, 4]), new Rng(0), Number.NaN)).toThrow("init: xavier's gain must be a finite number ≥ 0, got NaN");
    expect(() => xavierNormal(empty([4, 4]), new Rng(0), Infinity)).toThrow(ValueError);
    expect(() => kaimingNormal(empty([4, 4]), new Rng(0), { a: Number.NaN })).toThrow("init: kaiming's negative slope a must be a finite number, got NaN");
  });

  test('kaimingUniform for relu is bounded by √6/√fan_in', () => {
    const w = kaimingUniform(empty([100, 50]), new Rng(2), { nonlinearity: 'relu' });
    const bound = Math.sqrt(6 / 50);
    const largest = maxAbs(w.data);
    expect(largest).toBeLessThanOrEqual(Math.fround(bound));
    expect(largest).toBeGreaterThan(0.99 * bound);
  });

  test.prop([fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), seed], { numRuns: 30 })(
    'xavierUniform values lie within gain·√(6/(fan_in + fan_out))',
    (out, inp, s) => {
      const w = xavierUniform(empty([out, inp]), new Rng(s), 2);
      const bound = Math.fround(2 * Math.sqrt(6 / (out + inp)));
      expect(maxAbs(w.data)).toBeLessThanOrEqual(bound);
    },
  );

  test('xavierUniform on [300, 200] reaches its bound √(6/500) and has variance b²/3', () => {
    const w = xavierUniform(empty([300, 200]), new Rng(4));
    const b = Math.sqrt(6 / 500);
    expect(maxAbs(w.data)).toBeGreaterThan(0.999 * b);
    expect(moments(w.data).variance / ((b * b) / 3)).toBeCloseTo(1, 1);
  });

  test('xavierNormal has std gain·√(2/(fan_in + fan_out))', () => {
    const w = xavierNormal(empty([300, 200]), new Rng(5));
    expect(Math.sqrt(moments(w.data).variance) / Math.sqrt(2 / 500)).toBeCloseTo(1, 1);
  });
});

describe('manualSeed and the rng option', () => {
  test.prop([seed], { numRuns: 10 })('two models built after the same manualSeed(s), in the same order, are bit-identical', (s) => {
    manualSeed(s);
    const a = mnistCnn();
    manualSeed(s);
    const b = mnistCnn();
    expect(weightsOf(b)).toEqual(weightsOf(a));
  });

  test('different seeds give different weights', () => {
    manualSeed(1);
    const a = weightsOf(mnistCnn());
    manualSeed(2);
    const b = weightsOf(mnistCnn());
    expect(b).not.toEqual(a);
    expect(b.filter((v, i) => v === a[i]).length).toBeLessThan(b.length / 100);
  });

  test('successive layers draw fresh values from the default generator', () => {
    manualSeed(5);
    const a = new Linear(4, 4);
    const b = new Linear(4, 4);
    expect(weightsOf(b)).not.toEqual(weightsOf(a));
  });

  test.prop([seed, seed, seed], { numRuns: 10 })(
    'a layer built with { rng } depends only on that rng, whatever the default generator did before',
    (layerSeed, s1, s2) => {
      manualSeed(s1);
      const a = new Linear(6, 5, { rng: new Rng(layerSeed) });
      manualSeed(s2);
      new Linear(3, 3); // advance the default generator
      const b = new Linear(6, 5, { rng: new Rng(layerSeed) });
      expect(weightsOf(b)).toEqual(weightsOf(a));
    },
  );

  test('building a layer with { rng } does not advance the default generator', () => {
    manualSeed(9);
    const expected = weightsOf(new Linear(4, 4));
    manualSeed(9);
    new Conv2d(2, 3, 3, { rng: new Rng(1) });
    expect(weightsOf(new Linear(4, 4))).toEqual(expected);
  });

  test('getDefaultRng is the stream that manualSeed reseeds', () => {
    manualSeed(11);
    const first = getDefaultRng().uniform();
    manualSeed(11);
    expect(getDefaultRng().uniform()).toBe(first);
    expect(getDefaultRng().uniform()).not.toBe(first);
  });

  test('manualSeed rejects a seed outside [0, 2^32)', () => {
    expect(() => manualSeed(-1)).toThrow(ValueError);
    expect(() => manualSeed(1.5)).toThrow(/seed/);
  });

  test('mnistCnn({ rng }) built twice from equal seeds is bit-identical, and differs for another seed', () => {
    const a = weightsOf(mnistCnn({ rng: new Rng(21) }));
    expect(weightsOf(mnistCnn({ rng: new Rng(21) }))).toEqual(a);
    expect(weightsOf(mnistCnn({ rng: new Rng(22) }))).not.toEqual(a);
  });
});
