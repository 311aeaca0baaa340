import { type Optimizer, parameterRefs, sgd } from '@trainkit/core';
import { BatchNorm1d, GroupNorm, Flatten, Linear, ReLU, Sequential, mnistMlp } from '@trainkit/nn';
import { Rng, Tensor, crossEntropy } from '@trainkit/tensor';
import { describe, expect, test } from 'vitest';
import { openTestGpu, testGpu } from './__tests__/dawn';
import { type GpuContext, requestGpu, requestGpuOrCpu } from './context';
import { DeviceLostError, GpuOutOfMemoryError, WebGpuUnavailableError, WebGpuUnsupportedError } from './errors';
import { Dispatch, submit } from './kernel';
import { sgdKernel } from './kernels/optim';
import { GpuTrainingSession } from './session';

/** The error `call` throws, polling it (a macrotask apart) until it does or `ms` milliseconds pass; null if it never threw. */
async function firstThrow(call: () => void, ms: number): Promise<Error | null> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await new Promise((r) => setTimeout(r, 1))) {
    try {
      call();
    } catch (e) {
      return e as Error;
    }
  }
  return null;
}

const gpu = await testGpu();
if (typeof gpu === 'string') console.log(`skipping the WebGPU error tests that need an adapter: ${gpu}`);
const ctx = gpu as GpuContext;

describe('without an adapter', () => {
  test('requestGpu says that no adapter was found and how to get one', async () => {
    const noAdapter = { requestAdapter: async () => null } as unknown as GPU;
    const err = await requestGpu({ gpu: noAdapter }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebGpuUnavailableError);
    expect((err as Error).message).toMatch(/^requestGpu: WebGPU found no adapter \(no GPU driver\)\. In Node, Dawn needs a Vulkan driver/);
  });

  test("'auto' (requestGpuOrCpu) falls back to the CPU with a one-line notice saying why", async () => {
    const lines: string[] = [];
    const noAdapter = { requestAdapter: async () => null } as unknown as GPU;
    expect(await requestGpuOrCpu({ gpu: noAdapter }, (l) => lines.push(l))).toBeNull();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^webgpu: WebGPU found no adapter \(no GPU driver\)\..*; training on the CPU$/);
  });
});

describe.skipIf(typeof gpu === 'string')('bad input and failures on the GPU give clear errors', () => {
  test('an allocation larger than the device allows is an out-of-memory error with the requested size', () => {
    expect(() => ctx.acquire(2 ** 40, 'an activation buffer')).toThrow(GpuOutOfMemoryError);
    expect(() => ctx.acquire(2 ** 40, 'an activation buffer')).toThrow(/^webgpu: cannot allocate 1\.0 TiB \(1099511627776 bytes\) for an activation buffer: the device \(.+\) allows at most /);
  });

  test('a model with a layer that has no GPU kernel is refused, naming the layer', () => {
    const model = new Sequential({ flatten: new Flatten(), fc: new Linear(4, 3), norm: new GroupNorm(1, 3), out: new Linear(3, 2) });
    expect(() => new GpuTrainingSession(ctx, model, sgd(), { inputShape: [4] })).toThrow(WebGpuUnsupportedError);
    expect(() => new GpuTrainingSession(ctx, model, sgd(), { inputShape: [4] })).toThrow('webgpu: layer "norm" (GroupNorm) has no GPU kernel yet');
  });

  test('a Linear that gets images is refused with a hint to flatten', () => {
    const model = new Sequential(new Linear(784, 10));
    expect(() => new GpuTrainingSession(ctx, model, sgd(), { inputShape: [1, 28, 28] })).toThrow('webgpu: layer "0" (Linear) expects [784] features per sample, gets [1, 28, 28]; add a Flatten before it');
  });

  test('a batch that does not fit the input shape, and labels out of range, are errors naming the sizes', () => {
    const s = new GpuTrainingSession(ctx, new Sequential(new Linear(3, 2), new ReLU(), new Linear(2, 4)), sgd(), { inputShape: [3] });
    expect(() => s.step(new Float32Array(7), [0, 1])).toThrow('GpuTrainingSession.step: the batch has 7 values, not a whole number of samples of shape [3]');
    expect(() => s.step(new Float32Array(6), [0])).toThrow('GpuTrainingSession.step: 1 labels for a batch of 2 samples');
    expect(() => s.step(new Float32Array(6), [0, 4])).toThrow('GpuTrainingSession.step: label 4 at index 1 is out of range for 4 classes');
    s.dispose();
  });

  test('a session refused for its optimizer leaves nothing allocated on the device', () => {
    const before = ctx.bytesInUse;
    const lion = { ...sgd(), name: 'my/lion' } as Optimizer;
    expect(() => new GpuTrainingSession(ctx, new Sequential(new Linear(3, 2)), lion, { inputShape: [3] })).toThrow('webgpu: optimizer "my/lion" has no GPU kernel yet');
    expect(ctx.bytesInUse).toBe(before);
  });

  test('a kernel that needs more workgroups than the device allows per dimension is refused before it runs, naming the layer, the batch and the sizes; nothing of that batch stays allocated', () => {
    const limit = ctx.maxWorkgroups;
    const s = new GpuTrainingSession(ctx, new Sequential({ norm: new BatchNorm1d(6), fc: new Linear(6, 2) }), sgd(), { inputShape: [6] });
    const before = ctx.bytesInUse;
    ctx.maxWorkgroups = 4; // BatchNorm's statistics run one workgroup per channel: 6
    try {
      expect(() => s.step(new Float32Array(12), [0, 1])).toThrow(WebGpuUnsupportedError);
      expect(() => s.step(new Float32Array(12), [0, 1])).toThrow('webgpu: layer "norm" with a batch of 2: kernel bnStats: 6×1×1 workgroups exceed the device\'s limit of 4 per dimension; use a smaller batch or layer, or train on the CPU');
      expect(ctx.bytesInUse).toBe(before);
    } finally {
      ctx.maxWorkgroups = limit;
      s.dispose();
    }
  });

  test('a dispatch the device rejects (here one writable buffer bound twice) is reported at the next call, not skipped silently', async () => {
    const own = await openTestGpu();
    if (typeof own === 'string') throw new Error(own);
    const [b, flags] = [own.acquire(64), own.acquire(16)];
    const bad = new Dispatch(own, sgdKernel, [b, b, flags], { n: 16, flag: 0, alpha: -0.1, weightDecay: 0 }, [1, 1, 1]);
    submit(own, [bad], 'test');
    await own.device.queue.onSubmittedWorkDone();
    // the error event is delivered asynchronously: poll the next call's check until it throws (5 s at most)
    const reported = await firstThrow(() => own.check('the next step'), 5000);
    expect(reported?.message).toMatch(/^webgpu: the device reported an error: /);
    own.destroy();
  });

  test('a device lost in the middle of training stops the next step with a clear error; the last synced weights stay intact on the CPU, where training continues', async () => {
    const own = await openTestGpu(); // its own device: destroying it must not affect the other tests
    if (typeof own === 'string') throw new Error(own);
    const model = mnistMlp({ hidden: 8, rng: new Rng(1) });
    const s = new GpuTrainingSession(own, model, sgd({ lr: 0.1 }), { inputShape: [784] });
    s.step(new Float32Array(2 * 784).fill(0.5), [1, 2]);
    await s.syncToCpu();
    const synced = model.stateDict()['fc1.weight'].data.slice();
    own.destroy();
    await own.device.lost; // the context's own handler on this promise was attached first, so it has run
    expect(() => s.step(new Float32Array(784), [3])).toThrow(DeviceLostError);
    expect(() => s.step(new Float32Array(784), [3])).toThrow(/^GpuTrainingSession\.step: the WebGPU device \(.+\) is unusable: the device was destroyed\. Save from the latest checkpoint and resume on the CPU/);
    await expect(s.metrics()).rejects.toThrow(DeviceLostError);
    expect(model.stateDict()['fc1.weight'].data).toEqual(synced);
    // the run resumes on the CPU from the synced state
    const opt = sgd({ lr: 0.1 });
    const loss = crossEntropy(model.call(new Tensor(new Float32Array(784).fill(0.5), [1, 784])), [3]);
    loss.backward();
    opt.step(parameterRefs(model));
    expect(model.stateDict()['fc1.weight'].data).not.toEqual(synced);
  });
});
