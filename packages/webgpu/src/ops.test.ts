import { fc, test as propTest } from '@fast-check/vitest';
import {
  Rng, Tensor, conv2d as cpuConv2d, crossEntropy, gelu, leakyRelu, linear as cpuLinear, matmul as cpuMatmul, maxPool2d, relu as cpuRelu, sigmoid as cpuSigmoid, tanh as cpuTanh, transpose,
} from '@trainkit/tensor';
import { describe, expect, test } from 'vitest';
import { expectClose, randn } from './__tests__/compare';
import { testGpu } from './__tests__/dawn';
import type { GpuContext } from './context';
import * as gpuOps from './ops';
import { GpuTensor } from './tensor';

const gpu = await testGpu();
if (typeof gpu === 'string') console.log(`skipping the WebGPU op tests: ${gpu}`);
const ctx = gpu as GpuContext;
const RTOL = 1e-4;
// SwiftShader runs the kernels on the CPU: few, small cases (sizes cross the 64-wide GEMM tile and leave partial workgroups)
const runs = { numRuns: 6 };

const up = (t: Tensor) => GpuTensor.from(ctx, t);
const leaf = (rng: Rng, shape: number[]) => new Tensor(randn(rng, shape.reduce((a, b) => a * b, 1)), shape, { requiresGrad: true });

describe.skipIf(typeof gpu === 'string')('WebGPU ops equal the CPU ops within 1e-4 relative', () => {

  const kernels = ['tiled', 'direct'] as const;
  propTest.prop([fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 40 }), fc.boolean(), fc.boolean(), fc.constantFrom(...kernels), fc.nat()], { numRuns: 10 })(
    'matmul(op(A), op(B)) equals the CPU matmul for every transpose combination and both GEMM kernels (M, N, K in 1…70)',
    async (M, N, K, transA, transB, kernel, seed) => {
      const rng = new Rng(seed);
      const before = ctx.gemm;
      ctx.gemm = kernel;
      const a = new Tensor(randn(rng, M * K), transA ? [K, M] : [M, K]);
      const b = new Tensor(randn(rng, K * N), transB ? [N, K] : [K, N]);
      const want = cpuMatmul(transA ? transpose(a) : a, transB ? transpose(b) : b);
      const got = gpuOps.matmul(up(a), up(b), { transA, transB });
      ctx.gemm = before;
      expect(got.shape).toEqual([M, N]);
      expectClose(await got.data(), want.data, RTOL, 'matmul');
    },
  );

  test.each(kernels)('a GEMM with more column tiles than the device allows workgroups per dimension folds them (here a limit of 3): the %s kernel equals the CPU matmul', async (kernel) => {
    const rng = new Rng(3);
    const [before, limit] = [ctx.gemm, ctx.maxWorkgroups];
    [ctx.gemm, ctx.maxWorkgroups] = [kernel, 3]; // 200 columns: 4 tiles of 64 or 7 of 32, folded into 3×2 or 3×3 (the last tiles past the end)
    try {
      const [a, b] = [new Tensor(randn(rng, 40 * 5), [40, 5]), new Tensor(randn(rng, 5 * 200), [5, 200])];
      const got = gpuOps.matmul(up(a), up(b));
      expectClose(await got.data(), cpuMatmul(a, b).data, RTOL, 'matmul');
    } finally {
      [ctx.gemm, ctx.maxWorkgroups] = [before, limit];
    }
  });

  propTest.prop([fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 67 }), fc.nat()], runs)(
    'linear and its three gradients equal the CPU linear (batch, in, out odd or even)',
    async (N, IN, OUT, seed) => {
      const rng = new Rng(seed);
      const [x, w, b] = [leaf(rng, [N, IN]), leaf(rng, [OUT, IN]), leaf(rng, [OUT])];
      const dy = randn(rng, N * OUT);
      const y = cpuLinear(x, w, b);
      y.backward(dy);
      const gy = gpuOps.linear(up(x), up(w), up(b));
      expectClose(await gy.data(), y.data, RTOL, 'y');
      const g = gpuOps.linearBackward(up(x), up(w), GpuTensor.from(ctx, dy, [N, OUT]));
      expectClose(await g.dx.data(), x.grad!, RTOL, 'dx');
      expectClose(await g.dw.data(), w.grad!, RTOL, 'dw');
      expectClose(await g.db.data(), b.grad!, RTOL, 'db');
    },
  );

  const convCase = fc.record({
    N: fc.integer({ min: 1, max: 3 }), C: fc.integer({ min: 1, max: 3 }), OC: fc.integer({ min: 1, max: 5 }),
    H: fc.integer({ min: 5, max: 9 }), W: fc.integer({ min: 5, max: 9 }), K: fc.integer({ min: 1, max: 3 }),
    stride: fc.integer({ min: 1, max: 2 }), padding: fc.integer({ min: 0, max: 2 }), dilation: fc.integer({ min: 1, max: 2 }), seed: fc.nat(),
  });
  propTest.prop([convCase], runs)('conv2d (im2col + GEMM) and its gradients equal the CPU conv2d for any stride, padding and dilation', async (c) => {
    const rng = new Rng(c.seed);
    const [x, w, b] = [leaf(rng, [c.N, c.C, c.H, c.W]), leaf(rng, [c.OC, c.C, c.K, c.K]), leaf(rng, [c.OC])];
    const o = { stride: c.stride, padding: c.padding, dilation: c.dilation };
    const y = cpuConv2d(x, w, b, o);
    const dy = randn(rng, y.size);
    y.backward(dy);
    const { y: gy, cols } = gpuOps.conv2d(up(x), up(w), up(b), o);
    expect(gy.shape).toEqual(y.shape);
    expectClose(await gy.data(), y.data, RTOL, 'y');
    const g = gpuOps.conv2dBackward(up(x), up(w), cols, GpuTensor.from(ctx, dy, y.shape), o);
    expectClose(await g.dx.data(), x.grad!, RTOL, 'dx');
    expectClose(await g.dw.data(), w.grad!, RTOL, 'dw');
    expectClose(await g.db.data(), b.grad!, RTOL, 'db');
  });

  propTest.prop([fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 9 }), fc.integer({ min: 2, max: 9 }), fc.nat()], runs)(
    'relu → 2×2 max pooling and their gradients equal the CPU ops, odd heights and widths included',
    async (C, H, W, seed) => {
      const rng = new Rng(seed);
      const x = leaf(rng, [2, C, H, W]);
      const r = cpuRelu(x);
      const y = maxPool2d(r, 2);
      const dy = randn(rng, y.size);
      y.backward(dy);
      const gr = gpuOps.relu(up(x));
      const { y: gy, arg } = gpuOps.maxPool2x2(gr);
      expectClose(await gy.data(), y.data, RTOL, 'y');
      const dr = gpuOps.maxPool2x2Backward(gr, arg, GpuTensor.from(ctx, dy, y.shape));
      expectClose(await gpuOps.reluBackward(gr, dr).data(), x.grad!, RTOL, 'dx');
    },
  );

  propTest.prop([fc.constantFrom('sigmoid', 'tanh', 'leakyRelu'), fc.integer({ min: 1, max: 700 }), fc.double({ min: -0.5, max: 0.5, noNaN: true }), fc.nat()], runs)(
    'sigmoid, tanh and leaky ReLU (any slope) and their gradients equal the CPU ops',
    async (fn, n, slope, seed) => {
      const rng = new Rng(seed);
      const x = new Tensor(randn(rng, n, 4), [n], { requiresGrad: true });
      const y = fn === 'sigmoid' ? cpuSigmoid(x) : fn === 'tanh' ? cpuTanh(x) : leakyRelu(x, slope);
      const dy = randn(rng, n);
      y.backward(dy);
      const gx = up(x);
      const gy = gpuOps.activation(gx, fn, slope);
      expectClose(await gy.data(), y.data, RTOL, `${fn}`);
      expectClose(await gpuOps.activationBackward(gx, gy, GpuTensor.from(ctx, dy), fn, slope).data(), x.grad!, RTOL, `${fn} dx`);
    },
  );

  propTest.prop([fc.integer({ min: 1, max: 40 }), fc.integer({ min: 2, max: 13 }), fc.nat()], runs)(
    'softmax cross-entropy (mean loss, hits, gradient) equals the CPU crossEntropy',
    async (N, C, seed) => {
      const rng = new Rng(seed);
      const x = leaf(rng, [N, C]);
      const labels = Array.from({ length: N }, () => rng.int(C));
      const loss = crossEntropy(x, labels);
      loss.backward();
      const { rows, dlogits } = gpuOps.softmaxCrossEntropy(up(x), labels);
      const r = await rows.data();
      expect(r.slice(0, N).reduce((a, v) => a + v, 0) / N).toBeCloseTo(loss.item(), 4);
      const argmax = (i: number) => x.data.subarray(i * C, (i + 1) * C).reduce((best, v, j, row) => (v > row[best] ? j : best), 0);
      expect(Array.from(r.slice(N))).toEqual(labels.map((y, i) => +(argmax(i) === y)));
      expectClose(await dlogits.data(), x.grad!, RTOL, 'dlogits');
    },
  );

  test('relu, sigmoid, tanh, leaky ReLU and GELU give the CPU ops\' values at NaN, ±Infinity and 0 (NaN stays NaN, so a diverged run is not hidden)', async () => {
    const x = new Tensor(Float32Array.of(NaN, -1, 2, Infinity, -Infinity, 0, -0), [7]);
    const same = (a: Float32Array, b: Float32Array) => Array.from(a).every((v, i) => (Number.isNaN(v) ? Number.isNaN(b[i]) : Math.abs(v - b[i]) <= 1e-6 * Math.max(1, Math.abs(b[i])) || v === b[i]));
    expect(same(await gpuOps.relu(up(x)).data(), cpuRelu(x).data), 'relu').toBe(true);
    for (const [fn, cpu] of [['sigmoid', cpuSigmoid], ['tanh', cpuTanh], ['leakyRelu', (t: Tensor) => leakyRelu(t)], ['gelu', gelu]] as const) {
      const got = await gpuOps.activation(up(x), fn).data();
      expect(same(got, cpu(x).data), `${fn}: gpu ${Array.from(got).join(', ')}`).toBe(true);
    }
  });

  test('2×2 max pooling lets a NaN win its window, as the CPU op does', async () => {
    const x = new Tensor(Float32Array.of(1, NaN, 3, 4, 5, 6, 7, 8), [1, 1, 2, 4]);
    const got = await gpuOps.maxPool2x2(up(x)).y.data();
    const want = maxPool2d(x, 2).data;
    expect(Number.isNaN(got[0]) && Number.isNaN(want[0])).toBe(true);
    expect(got[1]).toBe(want[1]);
  });

  propTest.prop([fc.integer({ min: 1, max: 5000 }), fc.nat()], runs)('sum equals the CPU sum', async (n, seed) => {
    const x = randn(new Rng(seed), n);
    const s = gpuOps.sum(GpuTensor.from(ctx, x));
    expect(s.shape).toEqual([]);
    const want = x.reduce((a, v) => a + v, 0);
    expect(Math.abs((await s.data())[0] - want)).toBeLessThanOrEqual(1e-4 * Math.max(1, x.reduce((a, v) => a + Math.abs(v), 0)));
  });
});

describe.skipIf(typeof gpu === 'string')('WebGPU ops reject bad input with errors that say what is wrong', () => {
  test('a synchronous read of a GPU tensor names the async call to use', () => {
    const t = GpuTensor.from(ctx, Float32Array.of(1, 2), [2]);
    expect(() => t.toArray()).toThrow('GpuTensor [2] lives on the GPU (webgpu): its values cannot be read synchronously; use `await t.data()`');
  });

  test('a CPU tensor given to a GPU op is an error that names both devices', () => {
    const a = GpuTensor.from(ctx, new Float32Array(4), [2, 2]);
    expect(() => gpuOps.matmul(a, new Tensor(new Float32Array(4), [2, 2]) as unknown as GpuTensor)).toThrow(
      'matmul: every input must be a GpuTensor on webgpu; got a Tensor (cpu)',
    );
  });

  test('mismatched shapes and out-of-range labels name the op and the values', () => {
    const a = GpuTensor.from(ctx, new Float32Array(6), [2, 3]);
    expect(() => gpuOps.matmul(a, a)).toThrow('matmul: inner dimensions differ: [2, 3] · [2, 3] (3 vs 2)');
    expect(() => gpuOps.softmaxCrossEntropy(a, [0, 3])).toThrow('softmaxCrossEntropy: label 3 at index 1 is out of range for 3 classes');
  });
});
