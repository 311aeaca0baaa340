import { fc, test } from '@fast-check/vitest';
import { afterEach, describe, expect } from 'vitest';
import { conv2d } from '../../ops/conv';
import { relu } from '../../ops/elementwise';
import { maxPool2d } from '../../ops/pool';
import { Rng } from '../../rng';
import { Tensor } from '../../tensor';
import { gemmJs } from '../gemm';
import { type ConvGeometry, col2im, im2col } from '../im2col';
import { wasmGemm } from './gemm';
import { HEAP_BASE, heapView } from './heap';
import { getKernelBackend, setKernelBackend, wasmKernels, withKernelBackend } from './runtime';

const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.TRAINKIT_KERNELS;

function kernels() {
  const k = withKernelBackend('wasm', wasmKernels);
  if (k === null) throw new Error('the WebAssembly SIMD kernels did not load in Node');
  return k;
}

afterEach(() => setKernelBackend(env === 'js' || env === 'wasm' ? env : 'auto'));

describe('kernel backends', () => {
  test('TRAINKIT_KERNELS selects the backend; Node runs the wasm kernels by default', () => {
    expect(getKernelBackend()).toBe(env === 'js' ? 'js' : 'wasm');
    setKernelBackend('js');
    expect(getKernelBackend()).toBe('js');
    setKernelBackend('auto');
    expect(getKernelBackend()).toBe('wasm');
  });

  test('setKernelBackend names the accepted values', () => {
    expect(() => setKernelBackend('gpu' as never)).toThrow(`setKernelBackend: backend must be 'js', 'wasm' or 'auto', got "gpu"`);
  });
});

describe('the wasm GEMM matches the JS GEMM', () => {
  const gemmCase = fc.record({
    transA: fc.boolean(),
    transB: fc.boolean(),
    M: fc.integer({ min: 1, max: 40 }),
    N: fc.integer({ min: 1, max: 40 }),
    K: fc.integer({ min: 1, max: 300 }),
    accumulate: fc.boolean(),
    aOffset: fc.integer({ min: 0, max: 5 }),
    cOffset: fc.integer({ min: 0, max: 5 }),
    seed: fc.integer({ min: 0, max: 1000 }),
  });

  test.prop([gemmCase], { numRuns: 60 })('the wasm GEMM equals the JS GEMM within float32 accumulation error', (c) => {
    const rng = new Rng(c.seed);
    const A = rng.fillNormal(new Float32Array(c.aOffset + c.M * c.K));
    const B = rng.fillNormal(new Float32Array(c.K * c.N));
    const C0 = rng.fillNormal(new Float32Array(c.cOffset + c.M * c.N + 3));
    const js = C0.slice();
    const wasm = C0.slice();
    const args = { ...c, A, B, bOffset: 0 };
    gemmJs({ ...args, C: js });
    wasmGemm(kernels(), { ...args, C: wasm });
    for (let i = 0; i < js.length; i++) {
      // error of a K-term float32 sum of unit-normal products: well inside 1e-5·K
      expect(Math.abs(js[i] - wasm[i])).toBeLessThanOrEqual(1e-5 * (c.K + 1));
    }
    // the entries outside C[cOffset, cOffset + M·N) are untouched
    for (let i = 0; i < c.cOffset; i++) expect(wasm[i]).toBe(C0[i]);
    for (let i = c.cOffset + c.M * c.N; i < C0.length; i++) expect(wasm[i]).toBe(C0[i]);
  });

});

describe('the wasm im2col and col2im match the JS ones', () => {
  const geometry = fc
    .record({
      C: fc.integer({ min: 1, max: 3 }),
      H: fc.integer({ min: 1, max: 9 }),
      W: fc.integer({ min: 1, max: 9 }),
      KH: fc.integer({ min: 1, max: 4 }),
      KW: fc.integer({ min: 1, max: 4 }),
      strideH: fc.integer({ min: 1, max: 3 }),
      strideW: fc.integer({ min: 1, max: 3 }),
      padH: fc.integer({ min: 0, max: 2 }),
      padW: fc.integer({ min: 0, max: 2 }),
      dilationH: fc.integer({ min: 1, max: 2 }),
      dilationW: fc.integer({ min: 1, max: 2 }),
    })
    .map((g) => ({
      ...g,
      OH: Math.floor((g.H + 2 * g.padH - g.dilationH * (g.KH - 1) - 1) / g.strideH) + 1,
      OW: Math.floor((g.W + 2 * g.padW - g.dilationW * (g.KW - 1) - 1) / g.strideW) + 1,
    }))
    .filter((g) => g.OH > 0 && g.OW > 0);

  test.prop([geometry, fc.integer({ min: 0, max: 1000 })], { numRuns: 80 })('the wasm im2col and col2im are bit-identical to the JS ones', (g: ConvGeometry, seed) => {
    const k = kernels();
    const rng = new Rng(seed);
    const chw = g.C * g.H * g.W;
    const ncols = g.C * g.KH * g.KW * g.OH * g.OW;
    const x = rng.fillNormal(new Float32Array(chw));
    const cols = new Float32Array(ncols);
    im2col(x, 0, g, cols);
    const xI = HEAP_BASE >> 2;
    const colsI = xI + chw + 4;
    const dxI = colsI + ncols + 4;
    let heap = heapView(k, (dxI + chw) * 4);
    heap.set(x, xI);
    heap.fill(NaN, colsI, colsI + ncols);
    k.im2col(xI * 4, g.C, g.H, g.W, g.KH, g.KW, g.OH, g.OW, g.strideH, g.strideW, g.padH, g.padW, g.dilationH, g.dilationW, colsI * 4);
    expect(heap.slice(colsI, colsI + ncols)).toEqual(cols);

    const dcols = rng.fillNormal(new Float32Array(ncols));
    const dx = rng.fillNormal(new Float32Array(chw));
    heap = heapView(k, (dxI + chw) * 4);
    heap.set(dcols, colsI);
    heap.set(dx, dxI);
    col2im(dcols, g, dx, 0);
    k.col2im(colsI * 4, g.C, g.H, g.W, g.KH, g.KW, g.OH, g.OW, g.strideH, g.strideW, g.padH, g.padW, g.dilationH, g.dilationW, dxI * 4);
    expect(heap.slice(dxI, dxI + chw)).toEqual(dx);
  });
});

describe('convolution, relu and max pooling agree between the backends', () => {
  test('conv2d forward and backward agree between the backends on the reference CNN shapes', () => {
    const run = (backend: 'js' | 'wasm') =>
      withKernelBackend(backend, () => {
        const r = new Rng(3);
        const x = new Tensor(r.fillNormal(new Float32Array(4 * 8 * 14 * 14)), [4, 8, 14, 14], { requiresGrad: true });
        const w = new Tensor(r.fillNormal(new Float32Array(16 * 8 * 25), 0, 0.1), [16, 8, 5, 5], { requiresGrad: true });
        const b = new Tensor(r.fillNormal(new Float32Array(16)), [16], { requiresGrad: true });
        const y = conv2d(x, w, b, { padding: 2 });
        y.backward(new Rng(4).fillNormal(new Float32Array(y.size)));
        return [y.data, x.grad as Float32Array, w.grad as Float32Array, b.grad as Float32Array];
      });
    const js = run('js');
    const wasm = run('wasm');
    js.forEach((a, i) => {
      const scale = Math.max(...Array.from(a, Math.abs));
      for (let j = 0; j < a.length; j++) expect(Math.abs(a[j] - wasm[i][j])).toBeLessThanOrEqual(1e-5 * scale);
    });
  });

  /** Stride-1 geometries with C in [cMin, cMax]; padding up to `maxPad`, kernels up to `maxK`, sizes up to `maxHW`. */
  const strideOneCase = (o: { cMin: number; cMax: number; maxOC: number; maxHW: number; maxK: number; maxPad: number }) =>
    fc.record({
      C: fc.integer({ min: o.cMin, max: o.cMax }),
      OC: fc.integer({ min: 1, max: o.maxOC }),
      H: fc.integer({ min: 1, max: o.maxHW }),
      W: fc.integer({ min: 1, max: o.maxHW }),
      KH: fc.integer({ min: 1, max: o.maxK }),
      KW: fc.integer({ min: 1, max: o.maxK }),
      padH: fc.integer({ min: 0, max: o.maxPad }),
      padW: fc.integer({ min: 0, max: o.maxPad }),
      bias: fc.boolean(),
      seed: fc.integer({ min: 0, max: 1000 }),
    }).filter((c) => c.H + 2 * c.padH >= c.KH && c.W + 2 * c.padW >= c.KW);

  /** conv2d's output and input and weight gradients on a batch of N agree between the backends within float32 accumulation error. */
  function expectConvAgrees(c: { C: number; OC: number; H: number; W: number; KH: number; KW: number; padH: number; padW: number; bias: boolean; seed: number }, N: number): void {
    const run = (backend: 'js' | 'wasm') =>
      withKernelBackend(backend, () => {
        const r = new Rng(c.seed);
        const x = new Tensor(r.fillNormal(new Float32Array(N * c.C * c.H * c.W)), [N, c.C, c.H, c.W], { requiresGrad: true });
        const w = new Tensor(r.fillNormal(new Float32Array(c.OC * c.C * c.KH * c.KW)), [c.OC, c.C, c.KH, c.KW], { requiresGrad: true });
        const b = c.bias ? new Tensor(r.fillNormal(new Float32Array(c.OC)), [c.OC], { requiresGrad: true }) : null;
        const y = conv2d(x, w, b, { padding: [c.padH, c.padW] });
        y.backward(new Rng(c.seed + 1).fillNormal(new Float32Array(y.size)));
        return [y.data, x.grad as Float32Array, w.grad as Float32Array];
      });
    const js = run('js');
    const wasm = run('wasm');
    js.forEach((a, i) => {
      // float32 sums of at most N·H·W unit-normal products against float64 ones
      for (let j = 0; j < a.length; j++) expect(Math.abs(a[j] - wasm[i][j])).toBeLessThanOrEqual(2e-5 * (1 + Math.abs(a[j])) * Math.sqrt(c.C * c.KH * c.KW * N * c.H * c.W));
    });
  }

  test.prop([strideOneCase({ cMin: 1, cMax: 4, maxOC: 19, maxHW: 13, maxK: 5, maxPad: 2 })], { numRuns: 60 })(
    'the direct convolution (≤ 4 input channels, stride 1) agrees with the JS kernels, forward and backward',
    (c) => expectConvAgrees(c, 2),
  );

  // more than 4 input channels: the GEMM, its panels packed from a zero-padded copy of each image;
  // widths that are not a multiple of 8 (panels that span two output rows), padding up to and past the kernel
  test.prop([strideOneCase({ cMin: 5, cMax: 8, maxOC: 11, maxHW: 11, maxK: 4, maxPad: 4 })], { numRuns: 40 })(
    'a stride-1 convolution with more than 4 input channels agrees with the JS kernels, forward and backward, any padding',
    (c) => expectConvAgrees(c, 3),
  );

  const planeValues = fc.array(fc.constantFrom(0, -0, 1, -1, 2.5, -2.5, NaN, Infinity, -Infinity, 1e-30), { minLength: 1, maxLength: 1 });
  test.prop([fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 11 }), fc.integer({ min: 2, max: 11 }), planeValues, fc.integer({ min: 0, max: 1000 })], { numRuns: 60 })(
    'relu and 2×2 max pooling (values, winners, gradients) are bit-identical on both backends, NaN and ties included',
    (planes, H, W, special, seed) => {
      const run = (backend: 'js' | 'wasm') =>
        withKernelBackend(backend, () => {
          const r = new Rng(seed);
          const data = r.fillNormal(new Float32Array(planes * H * W));
          for (let i = 0; i < data.length; i += 3) data[i] = special[0]; // ties and specials
          for (let i = 1; i < data.length; i += 7) data[i] = Math.round(data[i]);
          const x = new Tensor(data, [1, planes, H, W], { requiresGrad: true });
          const y = maxPool2d(relu(x), 2);
          y.backward(new Rng(seed + 1).fillNormal(new Float32Array(y.size)));
          return [y.data, x.grad as Float32Array];
        });
      const js = run('js');
      const wasm = run('wasm');
      expect(wasm[0]).toEqual(js[0]);
      expect(wasm[1]).toEqual(js[1]);
    },
  );
});
