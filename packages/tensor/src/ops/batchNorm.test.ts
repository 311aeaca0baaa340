import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { leaf, specOf } from '../__tests__/arbitraries';
import { assertGradients } from '../gradcheck';
import { Rng } from '../rng';
import { ShapeError, ValueError } from '../shape';
import { Tensor, backward } from '../tensor';
import { batchNorm } from './batchNorm';
import { add, div, mul, relu, sqrt, square, sub } from './elementwise';
import { mean, sum } from './reduce';
import { reshape } from './shape';

/** The unfused composite of broadcast element-wise ops that BatchNorm layers used before. */
function compositeBatchNorm(x: Tensor, rm: Tensor, rv: Tensor, w: Tensor, b: Tensor, training: boolean, momentum = 0.1, eps = 1e-5): Tensor {
  const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
  const bshape = x.shape.map((d, i) => (i === 1 ? d : 1));
  let xhat: Tensor;
  if (training) {
    const mu = mean(x, axes, true);
    const xc = sub(x, mu);
    const v = mean(square(xc), axes, true);
    xhat = div(xc, sqrt(add(v, eps)));
    const unbias = x.size / x.shape[1] / (x.size / x.shape[1] - 1);
    for (let c = 0; c < x.shape[1]; c++) {
      rm.data[c] = (1 - momentum) * rm.data[c] + momentum * mu.data[c];
      rv.data[c] = (1 - momentum) * rv.data[c] + momentum * v.data[c] * unbias;
    }
  } else {
    xhat = div(sub(x, reshape(rm, bshape)), sqrt(add(reshape(rv, bshape), eps)));
  }
  return add(mul(xhat, reshape(w, bshape)), reshape(b, bshape));
}

/**
 * A random [N, C, *spatial] case: channel c holds offset_c + scale_c·u with |u| in [0.5, 1] of
 * alternating sign, so each channel's spread is at least a tenth of its offset (the composite
 * centers in float32 and loses digits beyond that; the fused op's float64 statistics do not).
 */
interface Case {
  shape: number[];
  seed: number;
}

const shapes = fc
  .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }), fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 0, maxLength: 2 }))
  .map(([n, c, spatial]) => [n, c, ...spatial])
  .filter((s) => s.reduce((a, b) => a * b, 1) / s[1] > 1);
const cases: fc.Arbitrary<Case> = fc.record({ shape: shapes, seed: fc.integer({ min: 0, max: 1e6 }) });

function makeInputs({ shape, seed }: Case) {
  const r = new Rng(seed).stream('bn');
  const [N, C] = shape;
  const inner = shape.slice(2).reduce((a, b) => a * b, 1);
  const offsets = Array.from({ length: C }, () => r.uniform(-5, 5));
  const scales = Array.from({ length: C }, () => r.uniform(0.5, 5));
  const x = new Float32Array(N * C * inner);
  for (let i = 0; i < x.length; i++) {
    const c = Math.floor(i / inner) % C;
    // the sign alternates along the channel's own elements (n·inner + s), not the flat index:
    // with C even and no spatial extent, i % 2 gave every element of a channel the same sign
    // (seed 903826 on [2, 2]: 7.106 and 7.142, σ/|x| = 1/400, beyond float32 centering)
    const j = Math.floor(i / (inner * C)) * inner + (i % inner);
    x[i] = offsets[c] + scales[c] * r.uniform(0.5, 1) * (j % 2 === 0 ? 1 : -1);
  }
  const vec = (lo: number, hi: number) => Float32Array.from({ length: C }, () => r.uniform(lo, hi));
  const out = Float32Array.from({ length: x.length }, () => r.uniform(-1, 1));
  return { x, w: vec(-2, 2), b: vec(-2, 2), rm: vec(-1, 1), rv: vec(0.5, 2), out, shape };
}

/** Forward, gradients of x, weight and bias, and the running statistics after one call. */
function run(impl: 'fused' | 'composite', inputs: ReturnType<typeof makeInputs>, training: boolean) {
  const x = new Tensor(inputs.x.slice(), inputs.shape, { requiresGrad: true });
  const w = new Tensor(inputs.w.slice(), [inputs.w.length], { requiresGrad: true });
  const b = new Tensor(inputs.b.slice(), [inputs.b.length], { requiresGrad: true });
  const rm = new Tensor(inputs.rm.slice(), [inputs.rm.length]);
  const rv = new Tensor(inputs.rv.slice(), [inputs.rv.length]);
  const y = impl === 'fused' ? batchNorm(x, rm, rv, w, b, { training }) : compositeBatchNorm(x, rm, rv, w, b, training);
  backward(sum(mul(y, new Tensor(inputs.out, inputs.shape))));
  return { y: y.data, dx: x.grad as Float32Array, dw: w.grad as Float32Array, db: b.grad as Float32Array, rm: rm.data, rv: rv.data };
}

/** max |a − b| ≤ rtol · max(max |b|, floor): agreement relative to the tensor's scale. */
function expectClose(name: string, a: Float32Array, b: Float32Array, floor = 0, rtol = 1e-5): void {
  let err = 0;
  let scale = floor;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  expect(err, `${name}: max error ${err} at scale ${scale}`).toBeLessThanOrEqual(rtol * Math.max(scale, 1e-6));
}

/**
 * The size of the terms that cancel in dx (|γ|/σ·|dy|): dx itself can be ~0, e.g. exactly 0
 * with two values per channel, where both implementations leave only rounding noise.
 */
function dxScale(inputs: ReturnType<typeof makeInputs>): number {
  const C = inputs.shape[1];
  const sigmas = channelVariances(inputs.shape, Array.from(inputs.x)).map((v) => Math.sqrt(v + 1e-5));
  const gain = Math.max(...Array.from({ length: C }, (_, c) => Math.abs(inputs.w[c]) / Math.min(sigmas[c], Math.sqrt(inputs.rv[c] + 1e-5))));
  return gain * Math.max(...Array.from(inputs.out, Math.abs));
}

/** max over channels of Σ|dy|: the size of the terms of the sums dβ = Σdy and dγ = Σdy·x̂, which can cancel to ~0. */
function sumScale(inputs: ReturnType<typeof makeInputs>): number {
  const [N, C] = inputs.shape;
  const inner = inputs.out.length / (N * C);
  const totals = new Float64Array(C);
  inputs.out.forEach((g, i) => (totals[Math.floor(i / inner) % C] += Math.abs(g)));
  return Math.max(...totals);
}

/**
 * How much float32 centering (x − mean) magnifies rounding: max over channels of max|x| / σ.
 * x̂ carries a relative error of about ε·max|x|/σ in either implementation, so dγ = Σdy·x̂
 * is only defined to sumScale times this.
 */
function centeringGain(inputs: ReturnType<typeof makeInputs>): number {
  const [N, C] = inputs.shape;
  const inner = inputs.x.length / (N * C);
  const sigmas = channelVariances(inputs.shape, Array.from(inputs.x)).map((v) => Math.sqrt(v + 1e-5));
  const peaks = new Float64Array(C);
  inputs.x.forEach((v, i) => {
    const c = Math.floor(i / inner) % C;
    peaks[c] = Math.max(peaks[c], Math.abs(v));
  });
  return Math.max(1, ...Array.from(peaks, (p, c) => p / sigmas[c]));
}

function expectSameAsComposite(c: Case, training: boolean): void {
  const inputs = makeInputs(c);
  const fused = run('fused', inputs, training);
  const composite = run('composite', inputs, training);
  // y = γ·x̂ + β and rm' = 0.9·rm + 0.1·mean(x) are sums that can cancel to ~0: each is defined
  // to the size of its terms (|β| for y; |rm| and max|x| for rm: seed 2839 on [1, 1, 5, 3] gave
  // |rm'| = 1.4e-4 from terms of size ~1). rv' adds two positive terms and cannot cancel.
  const peak = (a: Float32Array) => Math.max(...Array.from(a, Math.abs));
  expectClose('y', fused.y, composite.y, peak(inputs.b));
  expectClose('rm', fused.rm, composite.rm, training ? Math.max(peak(inputs.rm), peak(inputs.x)) : 0);
  expectClose('rv', fused.rv, composite.rv);
  expectClose('dx', fused.dx, composite.dx, dxScale(inputs));
  expectClose('dw', fused.dw, composite.dw, sumScale(inputs) * (training ? centeringGain(inputs) : 1));
  expectClose('db', fused.db, composite.db, sumScale(inputs));
}

describe('batchNorm agrees with the composite of element-wise ops', () => {
  test.prop([cases], { numRuns: 60 })('training: output, gradients of x, weight and bias, and running statistics within 1e-5 relative', (c) => {
    expectSameAsComposite(c, true);
  });

  test.prop([cases], { numRuns: 30 })('evaluation: output and gradients of x, weight and bias within 1e-5 relative, running statistics untouched', (c) => {
    expectSameAsComposite(c, false);
    const inputs = makeInputs(c);
    const fused = run('fused', inputs, false);
    expect(Array.from(fused.rm)).toEqual(Array.from(inputs.rm));
    expect(Array.from(fused.rv)).toEqual(Array.from(inputs.rv));
  });

  test('a channel far from 0 for its spread (7.106 and 7.142, |x|/σ ≈ 400): output and dx match a float64 reference to 1e-5', () => {
    // the composite centers in float32 and loses ε·|x|/σ ≈ 2.4e-5 here; the fused op must not
    const x = Float32Array.of(7.1059184, -3.2595937, 7.1417437, -3.2740865);
    const w = Float32Array.of(-1.0634384, 1.1400824);
    const b = Float32Array.of(-0.1000826, 0.3330684);
    const dy = Float32Array.of(0.3, -0.7, 0.9, 0.2);
    const inputs = { x, w, b, rm: new Float32Array(2), rv: Float32Array.of(1, 1), out: dy, shape: [2, 2] };
    const fused = run('fused', inputs, true);
    const ref = float64BatchNorm(x, w, b, dy, 2, 2);
    expectClose('y', fused.y, Float32Array.from(ref.y));
    expectClose('dx', fused.dx, Float32Array.from(ref.dx), dxScale(inputs));
  });

  test('fixed shapes: a batch of one with spatial extent [1, 3, 5, 5], odd sizes [3, 5, 7, 9], [N, C] = [7, 3], [5, 2, 11]', () => {
    for (const shape of [[1, 3, 5, 5], [3, 5, 7, 9], [7, 3], [5, 2, 11], [2, 16, 1, 1]]) {
      expectSameAsComposite({ shape, seed: 7 }, true);
      expectSameAsComposite({ shape, seed: 7 }, false);
    }
  });
});

/** Training-mode BatchNorm of [N, C] in float64: y = γ·x̂ + β and dx = γ/σ·(dy − mean dy − x̂·mean(dy·x̂)). */
function float64BatchNorm(x: Float32Array, w: Float32Array, b: Float32Array, dy: Float32Array, N: number, C: number) {
  const y = new Float64Array(N * C);
  const dx = new Float64Array(N * C);
  for (let c = 0; c < C; c++) {
    const idx = Array.from({ length: N }, (_, n) => n * C + c);
    const mu = idx.reduce((a, i) => a + x[i], 0) / N;
    const sigma = Math.sqrt(idx.reduce((a, i) => a + (x[i] - mu) ** 2, 0) / N + 1e-5);
    const xhat = idx.map((i) => (x[i] - mu) / sigma);
    const mdy = idx.reduce((a, i) => a + dy[i], 0) / N;
    const mdyx = idx.reduce((a, i, k) => a + dy[i] * xhat[k], 0) / N;
    idx.forEach((i, k) => {
      y[i] = w[c] * xhat[k] + b[c];
      dx[i] = (w[c] / sigma) * (dy[i] - mdy - xhat[k] * mdyx);
    });
  }
  return { y, dx };
}

/** x [N, C, *] whose every channel has variance > 0.05, with weight and bias [C]. */
const gradCase = fc
  .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 0, maxLength: 2 }))
  .map(([n, c, spatial]) => [n, c, ...spatial])
  .filter((s) => s.reduce((a, b) => a * b, 1) / s[1] > 1)
  .chain((s) => fc.tuple(specOf(s), specOf([s[1]]), specOf([s[1]])))
  .filter(([x]) => channelVariances(x.shape, x.values).every((v) => v > 0.05));

function channelVariances(shape: number[], values: number[]): number[] {
  const [N, C] = shape;
  const inner = values.length / (N * C);
  return Array.from({ length: C }, (_, c) => {
    const vals = values.filter((_, i) => Math.floor(i / inner) % C === c);
    const m = vals.reduce((a, b) => a + b, 0) / vals.length;
    return vals.reduce((a, v) => a + (v - m) ** 2, 0) / vals.length;
  });
}

/** One call of batchNorm with a fused ReLU, or of relu(batchNorm(·)): output, gradients of x, weight and bias, running statistics. */
function runRelu(fused: boolean, inputs: ReturnType<typeof makeInputs>, training: boolean) {
  const x = new Tensor(inputs.x.slice(), inputs.shape, { requiresGrad: true });
  const w = new Tensor(inputs.w.slice(), [inputs.w.length], { requiresGrad: true });
  const b = new Tensor(inputs.b.slice(), [inputs.b.length], { requiresGrad: true });
  const rm = new Tensor(inputs.rm.slice(), [inputs.rm.length]);
  const rv = new Tensor(inputs.rv.slice(), [inputs.rv.length]);
  const y = fused ? batchNorm(x, rm, rv, w, b, { training, activation: 'relu' }) : relu(batchNorm(x, rm, rv, w, b, { training }));
  backward(sum(mul(y, new Tensor(inputs.out, inputs.shape))));
  return { y: y.data, dx: x.grad as Float32Array, dw: w.grad as Float32Array, db: b.grad as Float32Array, rm: rm.data, rv: rv.data };
}

describe("batchNorm with activation: 'relu' is relu(batchNorm(x)), fused", () => {
  test.prop([cases, fc.boolean()], { numRuns: 40 })('output, gradients of x, weight and bias, and running statistics are the bits of relu(batchNorm(x))', (c, training) => {
    const inputs = makeInputs(c);
    // about half the outputs are cut: the offsets are within the spread of the weights and biases
    expect(runRelu(true, inputs, training)).toEqual(runRelu(false, inputs, training));
  });

  test('NaN passes through the fused ReLU as through relu, and its gradient is cut', () => {
    const inputs = makeInputs({ shape: [4, 3, 5, 5], seed: 7 });
    inputs.w[1] = NaN; // channel 1's outputs are all NaN
    const fused = runRelu(true, inputs, true);
    expect(fused).toEqual(runRelu(false, inputs, true));
    expect(Array.from(fused.y.subarray(25, 50)).every(Number.isNaN)).toBe(true);
  });

  test('an unknown activation is refused by name', () => {
    const x = new Tensor(new Float32Array(12), [2, 3, 2]);
    expect(() => batchNorm(x, null, null, null, null, { training: true, activation: 'gelu' as 'relu' })).toThrow(`batchNorm: activation must be 'relu' or undefined, got "gelu"`);
  });
});

describe('batchNorm gradients', () => {
  test.prop([gradCase], { numRuns: 40 })('training: gradients of x, weight and bias match finite differences', ([x, w, b]) => {
    assertGradients((xi, wi, bi) => batchNorm(xi, null, null, wi, bi, { training: true }), [leaf(x), leaf(w), leaf(b)]);
  });

  test.prop([gradCase], { numRuns: 20 })('evaluation: gradients of x, weight and bias match finite differences', ([x, w, b]) => {
    const C = x.shape[1];
    const rm = new Tensor(Float32Array.from({ length: C }, (_, c) => c / 2), [C]);
    const rv = new Tensor(Float32Array.from({ length: C }, (_, c) => 1 + c), [C]);
    assertGradients((xi, wi, bi) => batchNorm(xi, rm, rv, wi, bi, { training: false }), [leaf(x), leaf(w), leaf(b)]);
  });

  test.prop([gradCase], { numRuns: 20 })('without weight and bias, the input gradient matches finite differences', ([x]) => {
    assertGradients((xi) => batchNorm(xi, null, null, null, null, { training: true }), [leaf(x)]);
  });
});

describe('batchNorm running statistics and bad input', () => {
  test('one batch [[1], [3]] with momentum 0.5: running_mean 0.5·0 + 0.5·2 = 1, running_var 0.5·1 + 0.5·2 (unbiased) = 1.5', () => {
    const rm = new Tensor(new Float32Array([0]), [1]);
    const rv = new Tensor(new Float32Array([1]), [1]);
    const y = batchNorm(new Tensor(new Float32Array([1, 3]), [2, 1]), rm, rv, null, null, { training: true, momentum: 0.5, eps: 1e-5 });
    expect(y.data[0]).toBeCloseTo(-1 / Math.sqrt(1 + 1e-5), 6);
    expect(Array.from(rm.data)).toEqual([1]);
    expect(Array.from(rv.data)).toEqual([1.5]);
  });

  test('a large offset (1e4 + u, u in [−1, 1]) still gives mean 0 and variance 1: statistics are shifted, not Σx² − (Σx)²', () => {
    const values = Float32Array.from({ length: 64 }, (_, i) => 1e4 + ((i * 37) % 64) / 32 - 1);
    const y = batchNorm(new Tensor(values, [64, 1]), null, null, null, null, { training: true });
    const m = y.data.reduce((a, v) => a + v, 0) / 64;
    const v = y.data.reduce((a, u) => a + (u - m) ** 2, 0) / 64;
    expect(Math.abs(m)).toBeLessThan(1e-5);
    expect(v).toBeCloseTo(1, 3);
  });

  test('bad input names the op, the argument and the shapes', () => {
    const x = new Tensor(new Float32Array(12), [2, 3, 2]);
    const c3 = new Tensor(new Float32Array(3), [3]);
    const c2 = new Tensor(new Float32Array(2), [2]);
    expect(() => batchNorm(new Tensor(new Float32Array(3), [3]), null, null, null, null, { training: true })).toThrow(ShapeError);
    expect(() => batchNorm(x, null, null, c2, null, { training: true })).toThrow('batchNorm: weight must be [3] for input [2, 3, 2] (channels on axis 1), got [2]');
    expect(() => batchNorm(x, c3, c2, null, null, { training: true })).toThrow('batchNorm: runningVar must be [3]');
    expect(() => batchNorm(x, null, null, null, null, { training: false })).toThrow(ValueError);
    expect(() => batchNorm(x, c3, null, null, null, { training: true })).toThrow('give both runningMean and runningVar');
    expect(() => batchNorm(x, null, null, null, null, { training: true, eps: 0 })).toThrow('batchNorm: eps must be a finite number > 0, got 0');
    expect(() => batchNorm(x, null, null, null, null, { training: true, momentum: 2 })).toThrow('batchNorm: momentum must be in [0, 1], got 2');
    expect(() => batchNorm(new Tensor(new Float32Array(3), [1, 3]), null, null, null, null, { training: true })).toThrow(
      'batchNorm: expected more than 1 value per channel when training, got input [1, 3]',
    );
  });
});
