import { afterAll, describe, expect, test } from 'vitest';
import { startThreadPool, stopThreadPool } from '../../node';
import { poolWorkload as workload } from '../../__tests__/poolWorkload';
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

  test('startThreadPool rejects a bad thread count', async () => {
    await expect(startThreadPool(0)).rejects.toThrow('startThreadPool: threads must be an integer in [1, 16], got 0');
  });
});
