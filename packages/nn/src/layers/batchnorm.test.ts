import { fc, test } from '@fast-check/vitest';
import { ShapeError, Tensor, ValueError, tensor } from '@trainkit/tensor';
import { describe, expect } from 'vitest';
import { BatchNorm1d, BatchNorm2d, type BatchNormOptions } from './batchnorm';

const EPS = 1e-5;

/**
 * A BatchNorm input whose every channel has a real spread: channel c holds
 * offset_c + scale_c·(±1 + noise) with the sign alternating, so its variance is far above eps.
 */
function spreadInput(layout: 'nc' | 'ncl' | 'nchw') {
  return fc
    .record({
      n: fc.integer({ min: 2, max: 5 }),
      c: fc.integer({ min: 1, max: 4 }),
      h: fc.integer({ min: 1, max: 3 }),
      w: fc.integer({ min: 1, max: 3 }),
    })
    .map(({ n, c, h, w }) => (layout === 'nc' ? [n, c] : layout === 'ncl' ? [n, c, h] : [n, c, h, w]))
    .chain((shape) => {
      const size = shape.reduce((a, b) => a * b, 1);
      const c = shape[1];
      return fc.record({
        shape: fc.constant(shape),
        noise: fc.array(fc.double({ min: -0.5, max: 0.5, noNaN: true }), { minLength: size, maxLength: size }),
        offsets: fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: c, maxLength: c }),
        scales: fc.array(fc.double({ min: 0.5, max: 50, noNaN: true }), { minLength: c, maxLength: c }),
      });
    })
    .map(({ shape, noise, offsets, scales }) => {
      const [n, c] = shape;
      const inner = shape.slice(2).reduce((a, b) => a * b, 1);
      const data = new Float32Array(noise.length);
      for (let b = 0; b < n; b++) {
        for (let ch = 0; ch < c; ch++) {
          for (let l = 0; l < inner; l++) {
            const i = (b * c + ch) * inner + l;
            const k = b * inner + l; // position within the channel
            data[i] = offsets[ch] + scales[ch] * ((k % 2 === 0 ? 1 : -1) + noise[i]);
          }
        }
      }
      return new Tensor(data, shape);
    });
}

/** Per-channel mean and biased variance (over every axis but 1), in float64. */
function channelMoments(t: Tensor): Array<{ mean: number; variance: number }> {
  const [n, c] = t.shape;
  const inner = t.size / (n * c);
  const out: Array<{ mean: number; variance: number }> = [];
  for (let ch = 0; ch < c; ch++) {
    const vals: number[] = [];
    for (let b = 0; b < n; b++) for (let l = 0; l < inner; l++) vals.push(t.data[(b * c + ch) * inner + l]);
    const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
    out.push({ mean, variance: vals.reduce((a, v) => a + (v - mean) ** 2, 0) / vals.length });
  }
  return out;
}

const values = (t: Tensor): number[] => Array.from(t.data);

describe('BatchNorm training-mode normalization', () => {
  test.prop([spreadInput('nchw')], { numRuns: 40 })('BatchNorm2d output has per-channel mean ≈ 0 and biased variance ≈ 1', (x) => {
    const bn = new BatchNorm2d(x.shape[1]);
    for (const { mean, variance } of channelMoments(bn.call(x))) {
      expect(Math.abs(mean)).toBeLessThan(1e-3);
      expect(Math.abs(variance - 1)).toBeLessThan(2e-3);
    }
  });

  test.prop([fc.oneof(spreadInput('nc'), spreadInput('ncl'))], { numRuns: 40 })(
    'BatchNorm1d output on [N, C] and [N, C, L] has per-channel mean ≈ 0 and biased variance ≈ 1',
    (x) => {
      const bn = new BatchNorm1d(x.shape[1]);
      for (const { mean, variance } of channelMoments(bn.call(x))) {
        expect(Math.abs(mean)).toBeLessThan(1e-3);
        expect(Math.abs(variance - 1)).toBeLessThan(2e-3);
      }
    },
  );

  test.prop([spreadInput('nchw')], { numRuns: 20 })('weight and bias scale and shift the normalized output per channel', (x) => {
    const c = x.shape[1];
    const bn = new BatchNorm2d(c);
    const plain = bn.call(x);
    for (let ch = 0; ch < c; ch++) {
      (bn.weight as Tensor).data[ch] = ch + 2;
      (bn.bias as Tensor).data[ch] = -ch;
    }
    const moments = channelMoments(bn.call(x));
    const plainMoments = channelMoments(plain);
    moments.forEach(({ mean, variance }, ch) => {
      expect(mean).toBeCloseTo(-ch, 2);
      expect(variance / plainMoments[ch].variance).toBeCloseTo((ch + 2) ** 2, 2);
    });
  });

  test('train mode with one value per channel throws a ValueError naming the layer and the shape', () => {
    expect(() => new BatchNorm1d(3).call(tensor([[1, 2, 3]]))).toThrow(ValueError);
    expect(() => new BatchNorm1d(3).call(tensor([[1, 2, 3]]))).toThrow('BatchNorm1d: expected more than 1 value per channel when training, got input [1, 3]');
    expect(() => new BatchNorm2d(2).call(new Tensor(new Float32Array(2), [1, 2, 1, 1]))).toThrow(/BatchNorm2d: expected more than 1 value per channel/);
  });
});

describe('BatchNorm running statistics (PyTorch update rule)', () => {
  test('one batch [[1], [3]]: mean 2, biased var 1, unbiased var 2 → running_mean 0.2, running_var 1.1', () => {
    const bn = new BatchNorm1d(1);
    const y = bn.call(tensor([[1], [3]]));
    // output uses the biased variance: (x − 2)/√(1 + eps)
    expect(values(y)[0]).toBeCloseTo(-1 / Math.sqrt(1 + EPS), 6);
    expect(values(y)[1]).toBeCloseTo(1 / Math.sqrt(1 + EPS), 6);
    // running_mean = 0.9·0 + 0.1·2 = 0.2; running_var = 0.9·1 + 0.1·2 = 1.1 (unbiased)
    expect(values(bn.runningMean)[0]).toBeCloseTo(0.2, 6);
    expect(values(bn.runningVar)[0]).toBeCloseTo(1.1, 6);
    expect(values(bn.numBatchesTracked)).toEqual([1]);
  });

  test('a second batch [[0], [4]] (mean 2, unbiased var 8) → running_mean 0.38, running_var 1.79', () => {
    const bn = new BatchNorm1d(1);
    bn.call(tensor([[1], [3]]));
    bn.call(tensor([[0], [4]]));
    // running_mean = 0.9·0.2 + 0.1·2 = 0.38; running_var = 0.9·1.1 + 0.1·8 = 1.79
    expect(values(bn.runningMean)[0]).toBeCloseTo(0.38, 6);
    expect(values(bn.runningVar)[0]).toBeCloseTo(1.79, 6);
    expect(values(bn.numBatchesTracked)).toEqual([2]);
  });

  test('channels are tracked separately: [2, 2, 1, 1] with channel 1 constant', () => {
    const bn = new BatchNorm2d(2);
    // N=2, C=2: channel 0 sees {1, 3}, channel 1 sees {10, 10}
    const y = bn.call(tensor([1, 10, 3, 10], [2, 2, 1, 1]));
    // channel 0: running 0.2, 1.1 as above; channel 1: mean 10, var 0 → running_mean 1, running_var 0.9
    expect(values(bn.runningMean)[0]).toBeCloseTo(0.2, 6);
    expect(values(bn.runningMean)[1]).toBeCloseTo(1, 6);
    expect(values(bn.runningVar)[0]).toBeCloseTo(1.1, 6);
    expect(values(bn.runningVar)[1]).toBeCloseTo(0.9, 6);
    // a constant channel normalizes to 0
    expect(values(y)[1]).toBe(0);
    expect(values(y)[3]).toBe(0);
  });

  test('BatchNorm2d averages over N, H and W: [1, 1, 2, 2] = {1, 3, 5, 7} → mean 4, unbiased var 20/3', () => {
    const bn = new BatchNorm2d(1);
    bn.call(tensor([1, 3, 5, 7], [1, 1, 2, 2]));
    // biased var (9+1+1+9)/4 = 5; unbiased 20/3; running_var = 0.9 + 0.1·20/3 ≈ 1.5667
    expect(values(bn.runningMean)[0]).toBeCloseTo(0.4, 6);
    expect(values(bn.runningVar)[0]).toBeCloseTo(0.9 + 2 / 3, 6);
  });

  test('momentum weighs the newest batch: momentum 1 keeps only it, momentum 0 never moves', () => {
    const x = tensor([[1], [3]]);
    const all = new BatchNorm1d(1, { momentum: 1 });
    all.call(x);
    expect(values(all.runningMean)).toEqual([2]);
    expect(values(all.runningVar)).toEqual([2]);
    const none = new BatchNorm1d(1, { momentum: 0 });
    none.call(x);
    expect(values(none.runningMean)).toEqual([0]);
    expect(values(none.runningVar)).toEqual([1]);
    expect(values(none.numBatchesTracked)).toEqual([1]);
  });

  test('momentum null keeps a cumulative average of every batch (PyTorch\'s momentum=None): batch means 2, 4, 9 → running_mean 5', () => {
    const bn = new BatchNorm1d(1, { momentum: null });
    for (const [a, b] of [[1, 3], [3, 5], [8, 10]]) bn.call(tensor([[a], [b]]));
    expect(bn.runningMean.data[0]).toBeCloseTo(5, 6);
    expect(bn.runningVar.data[0]).toBeCloseTo(2, 6); // every batch's unbiased variance is 2; the initial 1 gets weight 0 at the first batch
    expect(bn.numBatchesTracked.data[0]).toBe(3);
    expect(bn.toString()).toBe('BatchNorm1d(1, eps=0.00001, momentum=null)');
  });

  test('an empty batch in training mode gives an empty output and leaves the running statistics alone, counting the batch (as PyTorch)', () => {
    const bn = new BatchNorm2d(2);
    bn.call(new Tensor(Float32Array.from([1, 5, 3, 9]), [2, 2, 1, 1]));
    const [mean, variance] = [values(bn.runningMean), values(bn.runningVar)];
    for (const shape of [[0, 2, 3, 3], [2, 2, 0, 0]]) {
      const x = new Tensor(new Float32Array(0), shape, { requiresGrad: true });
      expect(bn.call(x).shape).toEqual(shape);
    }
    expect(values(bn.runningMean)).toEqual(mean);
    expect(values(bn.runningVar)).toEqual(variance);
    expect(values(bn.numBatchesTracked)).toEqual([3]); // torch: num_batches_tracked counts the empty batches too
  });

  test('eval-mode calls leave the running statistics and the batch counter alone', () => {
    const bn = new BatchNorm1d(1);
    bn.call(tensor([[1], [3]]));
    bn.eval();
    bn.call(tensor([[100], [-50]]));
    expect(values(bn.runningMean)[0]).toBeCloseTo(0.2, 6);
    expect(values(bn.numBatchesTracked)).toEqual([1]);
  });
});

describe('BatchNorm evaluation mode', () => {
  const stats = fc.record({
    x: fc.array(fc.double({ min: -50, max: 50, noNaN: true }), { minLength: 3, maxLength: 3 }),
    rm: fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 3, maxLength: 3 }),
    rv: fc.array(fc.double({ min: 0.01, max: 100, noNaN: true }), { minLength: 3, maxLength: 3 }),
    w: fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: 3, maxLength: 3 }),
    b: fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: 3, maxLength: 3 }),
  });

  test.prop([stats])('output equals (x − running_mean)/√(running_var + eps)·weight + bias, even for a batch of one', ({ x, rm, rv, w, b }) => {
    const bn = new BatchNorm1d(3).eval();
    bn.runningMean.data.set(rm);
    bn.runningVar.data.set(rv);
    (bn.weight as Tensor).data.set(w);
    (bn.bias as Tensor).data.set(b);
    const y = bn.call(tensor([x]));
    const f = Math.fround;
    y.data.forEach((v, c) => {
      const expected = ((f(x[c]) - f(rm[c])) / Math.sqrt(f(rv[c]) + EPS)) * f(w[c]) + f(b[c]);
      expect(Math.abs(v - expected)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(expected)));
    });
  });

  test('hand-computed: rm [1, −2], rv [4, 0.25], w [2, 3], b [0.5, −1] maps [3, 0] to [2.5, 11]', () => {
    const bn = new BatchNorm1d(2, { eps: 1e-12 }).eval();
    bn.runningMean.data.set([1, -2]);
    bn.runningVar.data.set([4, 0.25]);
    bn.weight?.data.set([2, 3]);
    bn.bias?.data.set([0.5, -1]);
    // (3 − 1)/2·2 + 0.5 = 2.5; (0 + 2)/0.5·3 − 1 = 11
    const y = values(bn.call(tensor([[3, 0]])));
    expect(y[0]).toBeCloseTo(2.5, 5);
    expect(y[1]).toBeCloseTo(11, 5);
  });
});

describe('BatchNorm parameters, buffers and errors', () => {
  test('state dict keys follow PyTorch: weight, bias, running_mean, running_var, num_batches_tracked', () => {
    const bn = new BatchNorm2d(4);
    const state = bn.stateDict();
    expect(Object.keys(state)).toEqual(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
    expect(values(state.weight)).toEqual([1, 1, 1, 1]);
    expect(values(state.bias)).toEqual([0, 0, 0, 0]);
    expect(values(state.running_mean)).toEqual([0, 0, 0, 0]);
    expect(values(state.running_var)).toEqual([1, 1, 1, 1]);
    expect(state.num_batches_tracked.shape).toEqual([]);
    expect(bn.parameters()).toHaveLength(2);
  });

  test('a state dict without num_batches_tracked loads strictly and keeps the counter (as PyTorch loads older checkpoints); other missing keys are still errors', () => {
    const source = new BatchNorm2d(2);
    source.runningMean.data.set([1, 2]);
    const state = { ...source.stateDict() };
    delete (state as Record<string, Tensor>).num_batches_tracked;
    const target = new BatchNorm2d(2);
    target.numBatchesTracked.data[0] = 7;
    const report = target.loadStateDict(state);
    expect([Array.from(target.runningMean.data), target.numBatchesTracked.data[0], report.missing]).toEqual([[1, 2], 7, []]);
    delete (state as Record<string, Tensor>).running_var;
    expect(() => target.loadStateDict(state)).toThrow(/missing keys: running_var\)/);
  });

  test('a state dict value that is not a Tensor is a clear error naming the key', () => {
    const state = { ...new BatchNorm1d(2).stateDict(), running_mean: Float32Array.of(0, 0) as unknown as Tensor };
    expect(() => new BatchNorm1d(2).loadStateDict(state)).toThrow('loadStateDict: "running_mean" is a Float32Array, not a Tensor; wrap values as new Tensor(data, shape)');
  });

  test('affine: false has no parameters and outputs the plain normalized input', () => {
    const bn = new BatchNorm1d(1, { affine: false });
    expect(bn.parameters()).toEqual([]);
    expect(Object.keys(bn.stateDict())).toEqual(['running_mean', 'running_var', 'num_batches_tracked']);
    const y = values(bn.call(tensor([[1], [3]])));
    expect(y[1]).toBeCloseTo(1 / Math.sqrt(1 + EPS), 6);
  });

  test.each([
    ['BatchNorm1d(4, { momentum: 2 })', () => new BatchNorm1d(4, { momentum: 2 }), 'BatchNorm1d: momentum must be in [0, 1], or null for a cumulative average, got 2'],
    ['BatchNorm2d(4, { momentum: -0.1 })', () => new BatchNorm2d(4, { momentum: -0.1 }), 'BatchNorm2d: momentum must be in [0, 1], or null for a cumulative average, got -0.1'],
    ['BatchNorm2d(0)', () => new BatchNorm2d(0), 'BatchNorm2d: numFeatures must be a positive integer, got 0'],
    ['BatchNorm1d(2, { eps: 0 })', () => new BatchNorm1d(2, { eps: 0 }), 'BatchNorm1d: eps must be a finite number > 0, got 0'],
    ['BatchNorm2d(2, { eps: Infinity })', () => new BatchNorm2d(2, { eps: Infinity }), 'BatchNorm2d: eps must be a finite number > 0, got Infinity'],
    ['BatchNorm2d(2, { eps: NaN })', () => new BatchNorm2d(2, { eps: NaN }), 'BatchNorm2d: eps must be a finite number > 0, got NaN'],
  ])('%s throws a ValueError naming the layer and the value', (_label, make, message) => {
    expect(make).toThrow(ValueError);
    expect(make).toThrow(message);
  });

  test('an option PyTorch has but this layer lacks (trackRunningStats) is a ValueError listing the supported ones, not silently ignored', () => {
    const make = () => new BatchNorm2d(4, { trackRunningStats: false } as BatchNormOptions);
    expect(make).toThrow(ValueError);
    expect(make).toThrow('BatchNorm2d: unknown option "trackRunningStats" (supported: eps, momentum, affine)');
    expect(() => new BatchNorm1d(4, { eps: 1e-3, momentum: undefined })).not.toThrow();
  });

  test('a wrong channel count throws a ShapeError naming the expected count and the input shape', () => {
    const x = new Tensor(new Float32Array(32), [2, 4, 2, 2]);
    expect(() => new BatchNorm2d(3).call(x)).toThrow(ShapeError);
    expect(() => new BatchNorm2d(3).call(x)).toThrow('BatchNorm2d: expected 3 channels, got input [2, 4, 2, 2]');
    expect(() => new BatchNorm1d(3).call(new Tensor(new Float32Array(4), [2, 2]))).toThrow('BatchNorm1d: expected 3 channels, got input [2, 2]');
  });

  test('a wrong rank throws a ShapeError describing the accepted layouts', () => {
    expect(() => new BatchNorm2d(3).call(new Tensor(new Float32Array(6), [2, 3]))).toThrow('BatchNorm2d: input must have rank 4 ([N, C, H, W]), got [2, 3]');
    expect(() => new BatchNorm1d(3).call(new Tensor(new Float32Array(24), [2, 3, 2, 2]))).toThrow(
      'BatchNorm1d: input must have rank 2 or 3 ([N, C] or [N, C, L]), got [2, 3, 2, 2]',
    );
  });
});
