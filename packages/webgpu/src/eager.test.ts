import { fc, test as propTest } from '@fast-check/vitest';
import {
  Rng, Tensor, add, batchNorm, conv2d, conv2dReluPool, crossEntropy, div, flatten, gelu, globalAvgPool2d, hardtanh, relu6, layerNorm, leakyRelu, linear, matmul, maxPool2d, mean, mse, mul, neg, relu,
  logSoftmax, reshape, sigmoid, softmax, sub, sum, tanh,
} from '@trainkit/tensor';
import { describe, expect, test } from 'vitest';
import { agree, leaf } from './__tests__/agree';
import { expectClose, randn } from './__tests__/compare';
import { testGpu } from './__tests__/dawn';
import { useWebGpu } from './backend';
import type { GpuContext } from './context';
import './index';

const gpu = await testGpu();
if (typeof gpu === 'string') console.log(`skipping the WebGPU device-tensor tests: ${gpu}`);
else useWebGpu(gpu as GpuContext);
const RTOL = 1e-4;
const runs = { numRuns: 4 };

const dim = fc.integer({ min: 1, max: 9 });

describe.skipIf(typeof gpu === 'string')("ops on 'webgpu' tensors equal the cpu ops, values and gradients, within 1e-4 relative", () => {
  propTest.prop([dim, dim, fc.nat()], runs)('add, sub, mul and div of same shapes, a trailing row, and numbers on either side', async (R, C, seed) => {
    const rng = new Rng(seed);
    const [a, b, row] = [leaf(rng, [R, C]), leaf(rng, [R, C]), leaf(rng, [C])];
    const away = (t: Tensor) => add(mul(t, t), 0.5); // a divisor away from zero
    await agree('add', seed, [a, b], ([x, y]) => add(x, y));
    await agree('sub with a trailing row', seed, [a, row], ([x, y]) => sub(x, y));
    await agree('mul with a trailing row', seed, [a, row], ([x, y]) => mul(x, y));
    await agree('div', seed, [a, b], ([x, y]) => div(x, away(y)));
    await agree('numbers: 2 − x, 3 ÷ (x² + ½), x · 1.5, −x', seed, [a], ([x]) => add(add(sub(2, x), div(3, away(x))), add(mul(x, 1.5), neg(x))));
  });

  propTest.prop([dim, dim, fc.nat()], runs)('relu, sigmoid, tanh, leakyRelu, gelu, hardtanh and relu6; sum and mean over all axes; reshape and flatten', async (R, C, seed) => {
    const rng = new Rng(seed);
    const a = leaf(rng, [R, C, 2]);
    for (const [name, f] of [['relu', relu], ['sigmoid', sigmoid], ['tanh', tanh], ['leakyRelu', (x: Tensor) => leakyRelu(x, 0.2)], ['gelu', gelu], ['hardtanh', (x: Tensor) => hardtanh(x, -0.3, 0.5)], ['relu6', (x: Tensor) => relu6(mul(x, 8))]] as const) await agree(name, seed, [a], ([x]) => f(x));
    await agree('sum', seed, [a], ([x]) => sum(x));
    await agree('mean', seed, [a], ([x]) => mean(x));
    await agree('reshape and flatten', seed, [a], ([x]) => tanh(flatten(reshape(x, [C, R, 2]))));
  });

  propTest.prop([dim, fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 20 }), fc.nat()], runs)('matmul and linear (with and without bias)', async (M, K, N, seed) => {
    const rng = new Rng(seed);
    await agree('matmul', seed, [leaf(rng, [M, K]), leaf(rng, [K, N])], ([a, b]) => matmul(a, b));
    await agree('linear', seed, [leaf(rng, [M, K]), leaf(rng, [N, K]), leaf(rng, [N])], ([x, w, b]) => linear(x, w, b));
    await agree('linear, no bias', seed, [leaf(rng, [M, K]), leaf(rng, [N, K])], ([x, w]) => linear(x, w));
  });

  propTest.prop([fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 4, max: 9 }), fc.integer({ min: 1, max: 2 }), fc.nat()], runs)(
    'conv2d (stride, padding, fused relu), 2×2 max pooling on odd sizes, conv2dReluPool, global average pooling',
    async (C, OC, S, stride, seed) => {
      const rng = new Rng(seed);
      const [x, w, b] = [leaf(rng, [2, C, S, S + 1]), leaf(rng, [OC, C, 3, 3]), leaf(rng, [OC])];
      await agree('conv2d', seed, [x, w, b], ([xi, wi, bi]) => conv2d(xi, wi, bi, { stride, padding: 1 }));
      await agree('conv2d + relu, no bias', seed, [x, w], ([xi, wi]) => conv2d(xi, wi, null, { padding: 1, activation: 'relu' }));
      await agree('maxPool2d', seed, [x], ([xi]) => maxPool2d(xi, 2));
      await agree('conv2dReluPool', seed, [x, w, b], ([xi, wi, bi]) => conv2dReluPool(xi, wi, bi, { padding: 1 }));
      await agree('globalAvgPool2d', seed, [x], ([xi]) => globalAvgPool2d(xi));
    },
  );

  propTest.prop([fc.integer({ min: 1, max: 12 }), fc.integer({ min: 2, max: 11 }), fc.nat()], runs)('crossEntropy (class indices and soft targets, mean and sum) and mse', async (N, C, seed) => {
    const rng = new Rng(seed);
    const labels = Int32Array.from({ length: N }, () => Math.floor(rng.uniform() * C));
    await agree('crossEntropy', seed, [leaf(rng, [N, C])], ([x]) => crossEntropy(x, labels));
    await agree('crossEntropy, sum', seed, [leaf(rng, [N, C])], ([x]) => crossEntropy(x, Array.from(labels), { reduction: 'sum' }));
    await agree('mse', seed, [leaf(rng, [N, C]), leaf(rng, [N, C], false)], ([p, t]) => mse(p, t));
    const probs = (n: number, c: number) => softmax(leaf(rng, [n, c], false)).detach(); // soft labels (rows sum to 1), on the device too
    await agree('crossEntropy, soft targets', seed, [leaf(rng, [N, C]), probs(N, C)], ([x, t]) => crossEntropy(x, t));
    await agree('crossEntropy, soft targets, sum', seed, [leaf(rng, [N, C]), probs(N, C)], ([x, t]) => crossEntropy(x, t, { reduction: 'sum' }));
  });

  propTest.prop([fc.integer({ min: 2, max: 5 }), fc.integer({ min: 1, max: 4 }), fc.nat()], runs)('batchNorm in training mode updates the running statistics as on the cpu; evaluation mode uses them; layerNorm', async (N, C, seed) => {
    const rng = new Rng(seed);
    const x = leaf(rng, [N, C, 3, 2]);
    const [w, b] = [leaf(rng, [C]), leaf(rng, [C])];
    const stats = () => [new Tensor(randn(new Rng(seed + 5), C), [C]), new Tensor(Float32Array.from({ length: C }, (_, i) => 1 + i), [C])];
    const [cm, cv] = stats();
    const [gm, gv] = await Promise.all(stats().map((t) => t.to('webgpu')));
    let call = 0;
    await agree('batchNorm, training', seed, [x, w, b], ([xi, wi, bi]) => (call++ === 0 ? batchNorm(xi, cm, cv, wi, bi, { training: true, momentum: 0.1 }) : batchNorm(xi, gm, gv, wi, bi, { training: true, momentum: 0.1 })));
    expectClose(await gm.read(), cm.data, RTOL, 'running mean');
    expectClose(await gv.read(), cv.data, RTOL, 'running variance');
    call = 0;
    await agree('batchNorm, evaluation', seed, [x, w, b], ([xi, wi, bi]) => (call++ === 0 ? batchNorm(xi, cm, cv, wi, bi, { training: false }) : batchNorm(xi, gm, gv, wi, bi, { training: false })));
    const D = 2 * C + 1;
    await agree('layerNorm', seed, [leaf(rng, [N, D]), leaf(rng, [D]), leaf(rng, [D])], ([xi, wi, bi]) => layerNorm(xi, [D], wi, bi));
  });
});

describe.skipIf(typeof gpu === 'string')("'webgpu' tensors: bad input gets a clear error", () => {
  test('a tensor larger than the device allows in one buffer is refused with the size it asked for, and stays on the cpu', async () => {
    const limit = (gpu as GpuContext).device.limits.maxStorageBufferBindingSize;
    const big = new Tensor(new Float32Array(limit / 4 + 64), [limit / 4 + 64]);
    await expect(big.to('webgpu')).rejects.toThrow(/^webgpu: cannot allocate [\d.]+ [MG]iB \(\d+ bytes\) for tensor \[\d+\]: the device \(.+\) allows at most/);
    expect(big.device).toBe('cpu');
  });

  test('the synchronous .data of a webgpu tensor names await t.read() and await t.to(\'cpu\')', async () => {
    const x = await new Tensor(Float32Array.of(1, 2), [2]).to('webgpu');
    expect(() => x.data).toThrow(/lives on webgpu.*await t\.read\(\)/);
    expect(Array.from(await (await x.to('cpu')).read())).toEqual([1, 2]);
  });

  test('an op mixing a webgpu tensor and a cpu tensor names both devices', async () => {
    const a = new Tensor(Float32Array.of(1, 2), [2]);
    await expect((async () => add(await a.to('webgpu'), a))()).rejects.toThrow(/add: a webgpu tensor \[2\] and a cpu tensor \[2\] cannot meet in one op/);
  });

  test('an op without a webgpu kernel, or an unsupported form of one, is refused by name', async () => {
    const x = await new Tensor(Float32Array.of(1, 2, 3, 4), [2, 2]).to('webgpu');
    expect(() => logSoftmax(x)).toThrow(/logSoftmax: no webgpu kernel for this op yet/);
    expect(() => sum(x, 0)).toThrow(/sum on webgpu: only the reduction over all axes/);
    expect(() => add(x, reshape(x, [4, 1]))).toThrow(/add on webgpu: \[2, 2\] and \[4, 1\] do not broadcast/);
  });
});

describe.skipIf(typeof gpu === 'string')("'webgpu' ops keep the cpu ops' shapes and checks", () => {
  test('an operand with more (leading 1) axes than the other gives the cpu\'s broadcast shape', async () => {
    const rng = new Rng(7);
    await agree('add: [3] + [1, 3]', 7, [leaf(rng, [3]), leaf(rng, [1, 3])], ([x, y]) => add(x, y));
    await agree('mul: [] · [1, 1]', 7, [leaf(rng, []), leaf(rng, [1, 1])], ([x, y]) => mul(x, y));
  });

  test('shapes and options the cpu op refuses are refused before a kernel runs', async () => {
    const on = (shape: number[]) => new Tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(1), shape).to('webgpu');
    const [x, c2, c3, w, row] = await Promise.all([on([2, 3, 2, 2]), on([2]), on([3]), on([4, 3, 3, 3]), on([1, 3])]);
    expect(() => batchNorm(x, c2, c2, c3, c3, { training: true })).toThrow(/batchNorm: runningMean must be \[3\]/);
    expect(() => batchNorm(x, c3, c3, c2, c2, { training: false })).toThrow(/batchNorm: weight must be \[3\]/);
    expect(() => batchNorm(row, c3, c3, c3, c3, { training: true })).toThrow(/more than 1 value per channel/);
    expect(() => layerNorm(x, [2], c3, c3)).toThrow(/layerNorm: weight must be \[2\], got \[3\]/);
    expect(() => conv2d(x, w, null, { padding: -1 })).toThrow(/conv2d: padding must be an integer ≥ 0/);
    expect(() => conv2d(x, w, null, { stride: 0 })).toThrow(/conv2d: stride must be an integer ≥ 1/);
    expect(() => mse(x, x, { reduction: 'avg' as 'sum' })).toThrow(/mse: reduction must be 'mean', 'sum' or 'none'/);
    expect(() => leakyRelu(x, Number.NaN)).toThrow(/leakyRelu: negativeSlope must be a finite number/);
  });
});
