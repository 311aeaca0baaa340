import { afterAll, describe, expect, test } from 'vitest';
import { startThreadPool, stopThreadPool } from '../../node';
import { poolWorkload as workload } from '../../__tests__/poolWorkload';
import { conv2d } from '../../ops/conv';
import { Rng } from '../../rng';
import { Tensor } from '../../tensor';
import { getKernelBackend, getThreads } from './runtime';

const inPool = getThreads() > 1; // the kernels:threads project starts a pool in its setup file
afterAll(async () => {
  if (!inPool) await stopThreadPool();
});

// the pool runs the wasm kernels; under TRAINKIT_KERNELS=js there is nothing to pool
describe.runIf(getKernelBackend() === 'wasm')('thread pool (Node worker_threads)', () => {
  test('conv2d and matmul give bit-identical results on 1, 2 and 3 threads', async () => {
    await stopThreadPool();
    const one = workload();
    for (const threads of [2, 3]) {
      expect(await startThreadPool(threads)).toBe(threads);
      expect(getThreads()).toBe(threads);
      const many = workload();
      many.forEach((arr, i) => {
        expect(arr.length).toBe(one[i].length);
        for (let j = 0; j < arr.length; j++) if (!Object.is(arr[j], one[i][j])) expect.fail(`output ${i} index ${j}: ${arr[j]} vs ${one[i][j]}`);
      });
    }
    await stopThreadPool();
    expect(getThreads()).toBe(1);
    if (inPool) await startThreadPool(2);
  });

  test('16 threads, the most: a convolution whose weight and input gradients run as one task (6 chunks a thread) gives the bits of one thread', async () => {
    await stopThreadPool();
    const rng = new Rng(21);
    const [x, w, seed] = [rng.fillNormal(new Float32Array(64 * 16 * 6 * 6)), rng.fillNormal(new Float32Array(8 * 16 * 5 * 5)), rng.fillNormal(new Float32Array(64 * 8 * 6 * 6))];
    const run = () => {
      const [xi, wi] = [new Tensor(x, [64, 16, 6, 6], { requiresGrad: true }), new Tensor(w, [8, 16, 5, 5], { requiresGrad: true })];
      conv2d(xi, wi, null, { padding: 2 }).backward(seed);
      return [xi.grad, wi.grad] as Float32Array[];
    };
    const one = run();
    expect(await startThreadPool(16)).toBe(16);
    const many = run();
    await stopThreadPool();
    if (inPool) await startThreadPool(2);
    many.forEach((arr, i) => arr.forEach((v, j) => Object.is(v, one[i][j]) || expect.fail(`gradient ${i} index ${j}: ${v} vs ${one[i][j]}`)));
  });

  test('startThreadPool rejects a bad thread count', async () => {
    await expect(startThreadPool(0)).rejects.toThrow('startThreadPool: threads must be an integer in [1, 16], got 0');
  });
});
