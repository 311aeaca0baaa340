import { memoryStore, Checkpointer, decodeCheckpoint } from '@trainkit/checkpoint';
import { type DataSource, type Plugin, Trainer, freeze, unfreeze } from '@trainkit/core';
import { loadMnist } from '@trainkit/data/node';
import { BatchNorm2d, Conv2d, Flatten, Linear, MaxPool2d, type Module, ReLU, Sequential, mnistMlp } from '@trainkit/nn';
import { resnet } from '@trainkit/models';
import { adam } from '@trainkit/optim-adam';
import { momentum } from '@trainkit/optim-momentum';
import { Rng, Tensor } from '@trainkit/tensor';
import { describe, expect, test } from 'vitest';
import { expectClose } from './__tests__/compare';
import { openTestGpu, testGpu } from './__tests__/dawn';
import type { GpuContext } from './context';
import { webgpuDevice } from './device';
import './index'; // registers 'webgpu', as importing the package does

const gpu = await testGpu();
if (typeof gpu === 'string') console.log(`skipping the Trainer-on-WebGPU tests: ${gpu}`);
const [train, val] = typeof gpu === 'string' ? [null, null] : await Promise.all([loadMnist({ split: 'train', limit: 256 }), loadMnist({ split: 'test', limit: 128 })]);

/** MNIST digits in file order, batches of 32 (the same on both devices). */
function digits(set: { x: Float32Array; y: Int32Array } | null): DataSource & { length: number } {
  const n = set?.y.length ?? 0;
  return {
    length: Math.ceil(n / 32),
    *epoch(_epoch, { startBatch = 0 }) {
      for (let b = startBatch; b * 32 < n; b++) {
        const y = set!.y.subarray(b * 32, Math.min(n, (b + 1) * 32));
        yield { x: new Tensor(set!.x.subarray(b * 32 * 784, (b * 32 + y.length) * 784), [y.length, 784]), y };
      }
    },
  };
}

/** The same batches as images [n, 1, 28, 28]. */
function digitImages(set: typeof train): DataSource & { length: number } {
  const flat = digits(set);
  return { length: flat.length, *epoch(e, o) { for (const b of flat.epoch(e, o)) yield { x: new Tensor(b.x.data, [b.x.shape[0], 1, 28, 28]), y: b.y }; } };
}
const model = (): Module => mnistMlp({ hidden: 32, rng: new Rng(7) });
const expectSameWeights = (a: Module, b: Module, tol: number) => {
  for (const [name, p] of a.namedParameters()) expectClose(p.data, b.stateDict()[name].data, tol, name);
};

describe.skipIf(typeof gpu === 'string')("new Trainer({ device: 'webgpu' }) trains on the GPU", () => {
  test('one epoch on the GPU ends with the CPU fit’s weights (1e-4), loss (1e-4) and validation accuracy (±1 digit of 128); the parameters are back on the CPU after fit', async () => {
    const fit = async (device: 'cpu' | 'webgpu') => {
      const m = model();
      const trainer = new Trainer({ optimizer: adam({ lr: 3e-3 }), device, metricsEvery: 3 });
      const { history } = await trainer.fit(m, { train: digits(train), val: digits(val), epochs: 1 });
      return { m, metrics: history[0].metrics, trainer };
    };
    const [cpu, dev] = [await fit('cpu'), await fit('webgpu')];
    expect(dev.trainer.deviceName).toBe('webgpu');
    expectSameWeights(dev.m, cpu.m, 1e-4);
    expect(dev.metrics.loss).toBeCloseTo(cpu.metrics.loss, 4);
    expect(dev.metrics.accuracy).toBeCloseTo(cpu.metrics.accuracy, 6);
    expect(Math.abs(dev.metrics.valAccuracy - cpu.metrics.valAccuracy)).toBeLessThanOrEqual(1 / 128);
    expect(dev.metrics.valAccuracy).toBeGreaterThan(0.5);
    expect(dev.m.parameters().every((p) => p.device === 'cpu')).toBe(true);
  });

  test('staged fine-tuning on the GPU (fc1 frozen in epoch 0, unfrozen by a plugin for epoch 1) ends with the CPU fit’s weights (1e-4)', async () => {
    const fit = async (device: 'cpu' | 'webgpu') => {
      const m = model();
      freeze(m, /^fc1\./);
      const stage: Plugin = { name: 'stage', onTrainEpochStart: (ctx) => void (ctx.epoch === 1 ? unfreeze(ctx.model, /^fc1\./) : undefined) };
      await new Trainer({ optimizer: adam({ lr: 3e-3 }), device, plugins: [stage] }).fit(m, { train: digits(train), epochs: 2 });
      return m;
    };
    const [cpu, dev] = [await fit('cpu'), await fit('webgpu')];
    expectSameWeights(dev, cpu, 1e-4);
    expect(Array.from(dev.stateDict()['fc1.weight'].data.subarray(0, 64))).not.toEqual(Array.from(model().stateDict()['fc1.weight'].data.subarray(0, 64)));
  });

  test('a head replaced between two GPU fits on the same Trainer starts with fresh optimizer state, as on the CPU (a state sync had unbound the names)', async () => {
    const fit = async (device: 'cpu' | 'webgpu') => {
      const m = model() as Sequential;
      const trainer = new Trainer({ optimizer: adam({ lr: 3e-3 }), device });
      await trainer.fit(m, { train: digits(train), epochs: 1 });
      m.set('fc2', new Linear(32, 10, { rng: new Rng(9) }));
      await trainer.fit(m, { train: digits(train), epochs: 1 });
      return { m, steps: trainer.optimizer?.stateDict().paramSteps };
    };
    const [cpu, dev] = [await fit('cpu'), await fit('webgpu')];
    expect(dev.steps).toEqual(cpu.steps);
    expect([cpu.steps?.['fc1.weight'], cpu.steps?.['fc2.weight']]).toEqual([16, 8]);
    expectSameWeights(dev.m, cpu.m, 1e-4);
  });

  test('a BatchNorm without affine parameters frozen by a plugin after epoch 0 (eval mode from then on) ends with the CPU fit’s running statistics and batch count', async () => {
    const fit = async (device: 'cpu' | 'webgpu') => {
      const rng = new Rng(9);
      const m = new Sequential(new Conv2d(1, 4, 3, { padding: 1, rng }), new BatchNorm2d(4, { affine: false }), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(4 * 14 * 14, 10, { rng }));
      const stage: Plugin = { name: 'freeze-bn', onTrainEpochStart: (ctx) => void (ctx.epoch === 1 ? freeze(ctx.model, /^1\./) : undefined) };
      await new Trainer({ optimizer: momentum({ lr: 0.05, momentum: 0.9 }), device, plugins: [stage] }).fit(m, { train: digitImages(train), epochs: 2 });
      return m;
    };
    const [cpu, dev] = [await fit('cpu'), await fit('webgpu')];
    const [a, b] = [dev.stateDict(), cpu.stateDict()];
    for (const name of Object.keys(b)) expectClose(a[name].data, b[name].data, 1e-4, name);
    expect(a['1.num_batches_tracked'].data[0]).toBe(8); // epoch 0's 8 batches of 32; none while frozen
  });

  test('ResNet-8 trains on the GPU: after a fit with validation its whole state dict (BatchNorm running statistics and batch counts too) is the CPU fit’s (1e-4), and a checkpoint holds it', async () => {
    // momentum, not Adam: Adam divides near-zero gradients by their own size, which turns float-level
    // differences into visible ones over steps (the optimizer kernels have their own 1e-6 tests)
    const fit = async (device: 'cpu' | 'webgpu') => {
      const m = resnet({ depth: 8, inChannels: 1, width: 4, rng: new Rng(8) });
      const store = memoryStore();
      const trainer = new Trainer({ optimizer: momentum({ lr: 0.05, momentum: 0.9 }), device, plugins: [new Checkpointer({ store })] });
      const { history } = await trainer.fit(m, { train: digitImages(train), val: digitImages(val), epochs: 1 });
      return { m, metrics: history[0].metrics, trainer, store };
    };
    const [cpu, dev] = [await fit('cpu'), await fit('webgpu')];
    expect(dev.trainer.deviceName).toBe('webgpu');
    const [a, b] = [dev.m.stateDict(), cpu.m.stateDict()];
    for (const name of Object.keys(b)) expectClose(a[name].data, b[name].data, 1e-4, name);
    expect(a['layer3.0.bn2.num_batches_tracked'].item()).toBe(8);
    expect(Math.abs(dev.metrics.valAccuracy - cpu.metrics.valAccuracy)).toBeLessThanOrEqual(1 / 128);
    const saved = decodeCheckpoint((await dev.store.read('latest.safetensors'))!).model;
    for (const name of Object.keys(b)) expectClose(saved[name].data, b[name].data, 1e-4, `checkpoint ${name}`);
  });

  test('a checkpoint saved on the GPU resumes on the CPU, and one saved on the CPU resumes on the GPU, to the weights of an uninterrupted CPU run (1e-4)', async () => {
    const straight = model();
    await new Trainer({ optimizer: adam({ lr: 3e-3 }) }).fit(straight, { train: digits(train), epochs: 3 });
    const store = memoryStore();
    const half = (device: 'cpu' | 'webgpu', epochs: number, m: Module) =>
      new Trainer({ optimizer: adam({ lr: 3e-3 }), device, plugins: [new Checkpointer({ store, everyNSteps: 4 })] }).fit(m, { train: digits(train), epochs, resume: 'latest' });
    const m = model();
    await half('webgpu', 1, m); // saves at steps 4 and 8 from the GPU (ctx.sync before each)
    await half('cpu', 2, model()); // a fresh model: the weights come from the GPU's checkpoint
    const resumed = model();
    await half('webgpu', 3, resumed); // epoch 2 on the GPU, from the CPU's checkpoint
    expectSameWeights(resumed, straight, 1e-4);
  });

  test('a device lost in the middle of training stops fit with a clear error; the latest checkpoint is intact, and the run resumes from it on the CPU', async () => {
    const own = (await openTestGpu()) as GpuContext; // its own device: destroying it must not affect the other tests
    const store = memoryStore();
    const killer: Plugin = { name: 'killer', onTrainBatchEnd: (ctx) => void (ctx.step === 6 ? own.destroy() : undefined) };
    const trainer = new Trainer({ optimizer: adam({ lr: 3e-3 }), device: webgpuDevice({ context: own }), plugins: [killer, new Checkpointer({ store, everyNSteps: 4 })] });
    await expect(trainer.fit(model(), { train: digits(train), epochs: 2 })).rejects.toThrow(/WebGPU device \(.+\) is unusable: the device was destroyed\. Save from the latest checkpoint and resume on the CPU/);
    const resumedFrom = new Checkpointer({ store });
    const cpu = new Trainer({ optimizer: adam({ lr: 3e-3 }), plugins: [resumedFrom] });
    const { history } = await cpu.fit(model(), { train: digits(train), epochs: 2, resume: 'latest' });
    expect(resumedFrom.resumedFrom).toBe('latest.safetensors');
    expect(history).toHaveLength(2);
  });

  test('after each fit a kept device holds none of the run’s memory, in use or pooled, so fits of differently sized models do not pile up', async () => {
    const own = (await openTestGpu()) as GpuContext;
    const device = webgpuDevice({ context: own });
    for (const hidden of [8, 12]) {
      await new Trainer({ optimizer: adam({ lr: 3e-3 }), device }).fit(mnistMlp({ hidden, rng: new Rng(3) }), { train: digits(train), epochs: 1 });
      expect({ hidden, inUse: own.bytesInUse, pooled: own.bytesPooled }).toEqual({ hidden, inUse: 0, pooled: 0 });
    }
    own.destroy();
  });
});
