import { afterAll, describe, expect, test } from 'vitest';
import { startThreadPool, stopThreadPool } from '../../node';
import { conv2d } from '../../ops/conv';
import { matmul } from '../../ops/matmul';
import { Rng } from '../../rng';
import { Tensor } from '../../tensor';
import { getKernelBackend, getThreads } from './runtime';

const inPool = getThreads() > 1; // the kernels:threads project starts a pool in its setup file
afterAll(async () => {
  if (!inPool) await stopThreadPool();
});

function leaf(rng: Rng, shape: number[]): Tensor {
  return new Tensor(rng.fillNormal(new Float32Array(shape.reduce((a, b) => a * b))), shape, { requiresGrad: true });
}

/** conv2d forward and backward plus a large matmul and its gradients, from a fixed seed. */
function workload(): Float32Array[] {
  const rng = new Rng(11);
  const x = leaf(rng, [9, 8, 14, 14]);
  const w = leaf(rng, [16, 8, 5, 5]);
  const b = leaf(rng, [16]);
  const y = conv2d(x, w, b, { padding: 2 });
  y.backward(new Rng(12).fillNormal(new Float32Array(y.size)));
  // a first layer (one input channel): the direct kernels
  const x1 = leaf(rng, [7, 1, 13, 11]);
  const w1 = leaf(rng, [8, 1, 5, 5]);
  const y1 = conv2d(x1, w1, null, { padding: 2 });
  y1.backward(new Rng(14).fillNormal(new Float32Array(y1.size)));
  const a = leaf(rng, [130, 257]);
  const m = leaf(rng, [257, 203]);
  const z = matmul(a, m);
  z.backward(new Rng(13).fillNormal(new Float32Array(z.size)));
  return [y.data, x.grad, w.grad, b.grad, z.data, a.grad, m.grad, y1.data, x1.grad, w1.grad].map((t) => t as Float32Array);
}

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
