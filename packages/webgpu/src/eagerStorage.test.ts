import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Tensor, add, div, mul, placeTensors, reshape, sub, sum } from '@trainkit/tensor';
import { describe, expect, test } from 'vitest';
import { testGpu } from './__tests__/dawn';
import { useWebGpu } from './backend';
import type { GpuContext } from './context';
import './index';

// The storage of 'webgpu' tensors: pooled buffers go back to the pool once, and never while a
// tensor still reads them.

const gpu = await testGpu();
if (typeof gpu === 'string') console.log(`skipping the WebGPU storage tests: ${gpu}`);
else useWebGpu(gpu as GpuContext);

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Collects garbage until the finalizers (which give dropped storages back to the pool) have run. */
async function collect(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
  }
}

const values = (n: number, from = 1) => Float32Array.from({ length: n }, (_, i) => from + i);

describe.skipIf(typeof gpu === 'string')("'webgpu' storage", () => {
  test('no pooled buffer is given back twice: gradients summed over broadcast rows, a number divided by a tensor', async () => {
    const ctx = gpu as GpuContext;
    const pooled = new Set<GPUBuffer>();
    const twice: GPUBuffer[] = [];
    const [acquire, release] = [ctx.acquire, ctx.release];
    ctx.acquire = (bytes, what) => {
      const b = acquire.call(ctx, bytes, what);
      pooled.delete(b);
      return b;
    };
    ctx.release = (b) => {
      if (pooled.has(b)) twice.push(b);
      pooled.add(b);
      release.call(ctx, b);
    };
    try {
      await (async () => {
        const a = await new Tensor(values(6), [2, 3], { requiresGrad: true }).to('webgpu');
        const row = await new Tensor(values(3), [3], { requiresGrad: true }).to('webgpu');
        sum(add(add(sub(a, row), mul(a, row)), add(div(a, row), div(2, a)))).backward();
        await row.readGrad();
      })();
      await collect();
      expect(twice.length, 'buffers given back to the pool twice').toBe(0);
    } finally {
      ctx.acquire = acquire;
      ctx.release = release;
    }
  });

  test.each(['a view', 'a detached copy'])('moving a tensor away leaves the buffer %s reads', async (kind) => {
    const w = await new Tensor(values(6), [2, 3]).to('webgpu');
    const kept = kind === 'a view' ? reshape(w, [3, 2]) : w.detach();
    await placeTensors([w], 'cpu');
    const other = await new Tensor(values(6, 100), [2, 3]).to('webgpu'); // a freed buffer of this size is reused first
    expect(Array.from(await kept.read())).toEqual(Array.from(values(6)));
    expect(Array.from(await other.read())).toEqual(Array.from(values(6, 100)));
  });
});
