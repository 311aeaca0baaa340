import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { batchNorm } from '../../ops/batchNorm';
import { mul } from '../../ops/elementwise';
import { sum } from '../../ops/reduce';
import { Rng } from '../../rng';
import { Tensor, backward } from '../../tensor';
import { type ChannelLayout, channelGradSums, channelMoments, inputGradChannels, normalizeChannels } from '../batchNorm';
import { wasmBatchNormBackward, wasmBatchNormForward } from './batchNorm';
import { allocResident, kernelsAt, residentAt } from './resident';
import { currentRuntime, wasmKernels, withKernelBackend } from './runtime';

/** A BatchNorm call: x [N, C, *spatial] (sizes of every kind, multiples of 4 or not), mode and affine. */
interface Case {
  shape: number[];
  training: boolean;
  affine: boolean;
  seed: number;
}

const cases: fc.Arbitrary<Case> = fc.record({
  shape: fc
    .tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 6 }), fc.array(fc.integer({ min: 1, max: 11 }), { minLength: 0, maxLength: 2 }))
    .map(([n, c, spatial]) => [n, c, ...spatial])
    .filter((s) => s.reduce((a, b) => a * b, 1) / s[1] > 1),
  training: fc.boolean(),
  affine: fc.boolean(),
  seed: fc.integer({ min: 0, max: 1e6 }),
});

/** Channel c holds offset_c + scale_c·normal: channels far from 0 for their spread as well as centered ones. */
function inputs({ shape, seed }: Case) {
  const r = new Rng(seed);
  const [N, C] = shape;
  const inner = shape.slice(2).reduce((a, b) => a * b, 1);
  const offsets = Array.from({ length: C }, () => r.uniform(-5, 5));
  const scales = Array.from({ length: C }, () => r.uniform(0.2, 3));
  const x = r.fillNormal(new Float32Array(N * C * inner)).map((v, i) => offsets[Math.floor(i / inner) % C] + scales[Math.floor(i / inner) % C] * v);
  const vec = (lo: number, hi: number) => Float32Array.from({ length: C }, () => r.uniform(lo, hi));
  return { x, w: vec(-2, 2), b: vec(-2, 2), rm: vec(-1, 1), rv: vec(0.5, 2), dy: r.fillNormal(new Float32Array(x.length)) };
}

/** Output, running statistics and every gradient of one call on `backend` (x.grad starts non-zero: dx accumulates). */
function runOn(backend: 'js' | 'wasm' | 'auto', c: Case) {
  const v = inputs(c);
  const C = c.shape[1];
  return withKernelBackend(backend, () => {
    const x = new Tensor(v.x.slice(), c.shape, { requiresGrad: true });
    x.grad = v.dy.map((g) => g / 2);
    const w = c.affine ? new Tensor(v.w.slice(), [C], { requiresGrad: true }) : null;
    const b = c.affine ? new Tensor(v.b.slice(), [C], { requiresGrad: true }) : null;
    const rm = new Tensor(v.rm.slice(), [C]);
    const rv = new Tensor(v.rv.slice(), [C]);
    const y = batchNorm(x, rm, rv, w, b, { training: c.training });
    backward(sum(mul(y, new Tensor(v.dy, c.shape))));
    const none = new Float32Array(0);
    return { y: y.data, dx: x.grad as Float32Array, dw: w?.grad ?? none, db: b?.grad ?? none, rm: rm.data, rv: rv.data };
  });
}

/** max |a − b| ≤ 1e-5 · max(max |b|, 1e-6): agreement relative to the tensor's scale. */
function expectClose(name: string, a: Float32Array, b: Float32Array): void {
  expect(a.length).toBe(b.length);
  let err = 0;
  let scale = 1e-6;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  expect(err, `${name}: max error ${err} at scale ${scale}`).toBeLessThanOrEqual(1e-5 * scale);
}

function expectSameAsJs(c: Case, backend: 'wasm' | 'auto'): void {
  const wasm = runOn(backend, c);
  const js = runOn('js', c);
  for (const key of ['y', 'dx', 'dw', 'db', 'rm', 'rv'] as const) expectClose(key, wasm[key], js[key]);
}

describe('batchNorm on the wasm kernels agrees with the JS passes', () => {
  test.prop([cases], { numRuns: 80 })('training and evaluation, affine or not: output, running statistics and gradients of x, weight and bias within 1e-5 relative', (c) => {
    expectSameAsJs(c, 'wasm');
  });

  test.prop([cases.map((c) => ({ ...c, training: false }))], { numRuns: 20 })('evaluation: output and input gradient equal bit for bit (no sums in either, the same float64 arithmetic)', (c) => {
    const wasm = runOn('wasm', c);
    const js = runOn('js', c);
    expect(wasm.y).toEqual(js.y);
    expect(wasm.dx).toEqual(js.dx);
  });

  test('with the backend chosen per call, inputs of 1024 values or more (the wasm kernels) agree too: [4, 16, 7, 7] (planes of 49), [3, 5, 11, 13], [64, 40]', () => {
    for (const shape of [[4, 16, 7, 7], [3, 5, 11, 13], [64, 40]]) {
      for (const training of [true, false]) expectSameAsJs({ shape, training, affine: true, seed: 11 }, 'auto');
    }
  });
});

describe('the wasm BatchNorm passes against the JS passes, given the same coefficients', () => {
  function kernels() {
    const k = withKernelBackend('wasm', wasmKernels);
    if (k === null) throw new Error('the WebAssembly SIMD kernels did not load in Node');
    return k;
  }

  /** Float64 sums of at most a few thousand terms of size ≤ ~100: equal to 1e-10 of their size or of 1. */
  function expectSums(a: Float64Array, b: Float64Array): void {
    b.forEach((s, i) => expect(Math.abs(a[i] - s), `sum ${i}: ${a[i]} vs ${s}`).toBeLessThanOrEqual(1e-10 * Math.max(1, Math.abs(s))));
  }

  test.prop([cases], { numRuns: 30 })('the sums agree to float64 rounding; y and dx (computed in float64, rounded once) equal bit for bit', (c) => {
    const v = inputs(c);
    const [N, C] = c.shape;
    const d: ChannelLayout = { N, C, inner: v.x.length / (N * C) };
    const coef = Float64Array.from({ length: 3 * C }, (_, i) => (i % 3) - 0.37 * i);
    const mean = Float64Array.from(v.rm);
    const sums = { js: new Float64Array(2 * C), wasm: new Float64Array(2 * C) };
    const y = { js: new Float32Array(v.x.length), wasm: new Float32Array(v.x.length) };
    channelMoments(v.x, d, sums.js);
    normalizeChannels(v.x, y.js, d, coef.subarray(0, 2 * C));
    wasmBatchNormForward(kernels(), v.x, y.wasm, d, sums.wasm, () => coef.subarray(0, 2 * C));
    expect(y.wasm).toEqual(y.js);
    expectSums(sums.wasm, sums.js);

    const grad = { js: new Float64Array(2 * C), wasm: new Float64Array(2 * C) };
    const dx = { js: v.x.map((u) => u / 4), wasm: v.x.map((u) => u / 4) };
    channelGradSums(v.dy, v.x, d, mean, grad.js);
    inputGradChannels(dx.js, v.dy, v.x, d, coef);
    wasmBatchNormBackward(kernels(), v.dy, v.x, dx.wasm, d, mean, grad.wasm, () => coef);
    expect(dx.wasm).toEqual(dx.js);
    expectSums(grad.wasm, grad.js);
  });
});

describe('the wasm BatchNorm passes with a fused ReLU', () => {
  const kernels = () => withKernelBackend('wasm', wasmKernels) as NonNullable<ReturnType<typeof wasmKernels>>;

  test.prop([cases], { numRuns: 30 })(
    'the output is relu of the plain output; the backward pass equals the plain one given relu-masked dy, also when dy is in the pool\'s memory (masked in scratch, the caller\'s dy untouched)',
    (c) => {
      const v = inputs(c);
      const [N, C] = c.shape;
      const d: ChannelLayout = { N, C, inner: v.x.length / (N * C) };
      const coef = Float64Array.from({ length: 3 * C }, (_, i) => (i % 3) - 0.37 * i);
      const plain = new Float32Array(v.x.length);
      const fused = new Float32Array(v.x.length);
      wasmBatchNormForward(kernels(), v.x, plain, d, null, () => coef.subarray(0, 2 * C));
      wasmBatchNormForward(kernels(), v.x, fused, d, null, () => coef.subarray(0, 2 * C), true);
      expect(fused).toEqual(plain.map((y) => (y > 0 || y !== y ? y : 0)));

      const mean = Float64Array.from(v.rm);
      const masked = v.dy.map((g, i) => (fused[i] > 0 ? 0 + g : 0));
      const expected = { dx: v.x.map((u) => u / 4), sums: new Float64Array(2 * C) };
      wasmBatchNormBackward(kernels(), masked, v.x, expected.dx, d, mean, expected.sums, () => coef);
      // under a thread pool (kernels:threads), a resident dy lives in the pool's memory, where the op runs in place
      const block = allocResident([[v.dy.length]]); // null on the JS backend (kernels:js)
      const pooled = currentRuntime().sharedKernels !== null;
      if (block !== null) expect(residentAt(kernelsAt(kernels(), block[0][0]) ?? kernels(), block[0][0]) >= 0).toBe(pooled);
      for (const dy of pooled && block !== null ? [v.dy.slice(), block[0][0]] : [v.dy.slice()]) {
        dy.set(v.dy);
        const got = { dx: v.x.map((u) => u / 4), sums: new Float64Array(2 * C) };
        wasmBatchNormBackward(kernelsAt(kernels(), dy) ?? kernels(), dy, v.x, got.dx, d, mean, got.sums, () => coef, false, fused); // a resident dy's own instance, as the op picks it
        expect(got.dx).toEqual(expected.dx);
        expect(got.sums).toEqual(expected.sums);
        expect(dy).toEqual(v.dy);
      }
    },
  );
});
