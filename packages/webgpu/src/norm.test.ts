import type { Optimizer } from '@trainkit/core';
import { resnet } from '@trainkit/models';
import { BatchNorm1d, BatchNorm2d, Conv2d, Flatten, Linear, MaxPool2d, type Module, ReLU, Sequential } from '@trainkit/nn';
import { adam } from '@trainkit/optim-adam';
import { momentum } from '@trainkit/optim-momentum';
import { Rng, Tensor, noGrad } from '@trainkit/tensor';
import { describe, expect, test } from 'vitest';
import { expectClose, randomBatch, cpuSteps } from './__tests__/compare';
import { testGpu } from './__tests__/dawn';
import type { GpuContext } from './context';
import { WebGpuUnsupportedError } from './errors';
import { GpuTrainingSession } from './session';

const gpu = await testGpu();
if (typeof gpu === 'string') console.log(`skipping the BatchNorm and ResNet WebGPU tests: ${gpu}`);
const ctx = gpu as GpuContext;

/** Trains copies of a model on the CPU and in a GPU session; returns both and the session's eval-mode logits for `probe`. */
async function trainBoth(make: () => Module, opt: () => Optimizer, bs: ReadonlyArray<{ x: Tensor; y: Int32Array }>, probe: Tensor) {
  const [cpu, dev] = [make(), make()];
  cpuSteps(cpu, opt(), bs);
  const session = new GpuTrainingSession(ctx, dev, opt(), { inputShape: bs[0].x.shape.slice(1) });
  for (const { x, y } of bs) session.step(x, y);
  await session.syncToCpu();
  const logits = await session.predict(probe);
  session.dispose();
  cpu.eval();
  return { cpu, dev, logits, cpuLogits: noGrad(() => cpu.call(probe)) };
}

/** Every entry of the two state dicts (parameters, running statistics, num_batches_tracked) within `tol`. */
function expectSameState(a: Module, b: Module, tol: number): void {
  const [sa, sb] = [a.stateDict(), b.stateDict()];
  expect(Object.keys(sa)).toEqual(Object.keys(sb));
  for (const name of Object.keys(sa)) expectClose(sa[name].data, sb[name].data, tol, name);
}

describe.skipIf(typeof gpu === 'string')('BatchNorm and residual networks train on WebGPU as on the CPU', () => {
  test('BatchNorm2d and BatchNorm1d in a Sequential: 3 Adam steps leave the CPU run’s weights, running statistics and batch counts (1e-4); predict normalizes with the running statistics', async () => {
    const make = () => {
      const rng = new Rng(11);
      // no bias before a BatchNorm (it subtracts it again): that gradient is float noise, which Adam would scale up to steps
      return new Sequential(
        new Conv2d(2, 4, 3, { padding: 1, bias: false, rng }), new BatchNorm2d(4), new ReLU(), new MaxPool2d(2),
        new Flatten(), new Linear(4 * 4 * 4, 12, { bias: false, rng }), new BatchNorm1d(12, { momentum: 0.3 }), new ReLU(), new Linear(12, 5, { rng }),
      );
    };
    const bs = [1, 2, 3].map((s) => randomBatch(s, 10, 2, 8, 5, 0.5));
    const { cpu, dev, logits, cpuLogits } = await trainBoth(make, () => adam({ lr: 1e-2 }), bs, randomBatch(9, 7, 2, 8, 5, 0.5).x);
    expectSameState(dev, cpu, 1e-4);
    expect(dev.stateDict()['1.num_batches_tracked'].item()).toBe(3);
    expect(cpu.stateDict()['1.running_mean'].data.some((v) => Math.abs(v) > 0.01)).toBe(true); // the statistics moved
    expectClose(logits.data, cpuLogits.data, 1e-4, 'eval-mode logits');
  });

  test('ResNet-8 (width 4, 12×12 images, projection shortcuts): 3 momentum steps leave the CPU run’s state dict (1e-4) and eval-mode logits', async () => {
    const make = () => resnet({ depth: 8, inChannels: 1, numClasses: 5, width: 4, rng: new Rng(12) });
    const bs = [4, 5, 6].map((s) => randomBatch(s, 8, 1, 12, 5, 0.5));
    const { cpu, dev, logits, cpuLogits } = await trainBoth(make, () => momentum({ lr: 0.05, momentum: 0.9 }), bs, randomBatch(10, 6, 1, 12, 5, 0.5).x);
    expectSameState(dev, cpu, 1e-4);
    expect(dev.stateDict()['layer2.0.downsample.1.num_batches_tracked'].item()).toBe(3);
    expectClose(logits.data, cpuLogits.data, 1e-4, 'eval-mode logits');
  });

  test('a BatchNorm marked evalOnly (frozen statistics) normalizes with its running statistics in training steps and keeps them, as on the CPU', async () => {
    const make = () => {
      const rng = new Rng(13);
      const m = new Sequential(new Flatten(), new Linear(16, 6, { bias: false, rng }), new BatchNorm1d(6), new ReLU(), new Linear(6, 3, { rng }));
      m.namedChildren()[2][1].evalOnly = true;
      m.stateDict()['2.running_mean'].data.fill(0.25);
      return m;
    };
    const bs = [7, 8].map((s) => randomBatch(s, 6, 1, 4, 3, 0.5));
    const { cpu, dev } = await trainBoth(make, () => adam({ lr: 1e-2 }), bs, randomBatch(11, 2, 1, 4, 3, 0.5).x);
    expectSameState(dev, cpu, 1e-4);
    expect([...dev.stateDict()['2.running_mean'].data]).toEqual([0.25, 0.25, 0.25, 0.25, 0.25, 0.25]);
    expect(dev.stateDict()['2.num_batches_tracked'].item()).toBe(0);
  });

  test('a training step whose BatchNorm would see one value per channel is refused, naming the layer, and changes nothing; predict on one sample works', async () => {
    const model = new Sequential(new Flatten(), new Linear(16, 6, { rng: new Rng(14) }), new BatchNorm1d(6), new Linear(6, 3, { rng: new Rng(15) }));
    const before = model.stateDict()['1.weight'].data.slice();
    const session = new GpuTrainingSession(ctx, model, adam(), { inputShape: [1, 4, 4] });
    const one = randomBatch(12, 1, 1, 4, 3, 0.5);
    expect(() => session.step(one.x, one.y)).toThrow(/layer "2" \(BatchNorm1d\) needs more than 1 value per channel when training, got a batch of 1 sample/);
    expect((await session.predict(one.x)).shape).toEqual([1, 3]);
    await session.syncToCpu();
    session.dispose();
    expect(model.stateDict()['1.weight'].data).toEqual(before);
    expect(model.stateDict()['2.num_batches_tracked'].item()).toBe(0);
  });

  test('a training step while the model is in eval mode is refused, naming the BatchNorm, instead of normalizing with batch statistics', () => {
    const model = new Sequential(new Flatten(), new Linear(16, 6, { rng: new Rng(17) }), new BatchNorm1d(6), new Linear(6, 3, { rng: new Rng(18) }));
    const session = new GpuTrainingSession(ctx, model, adam(), { inputShape: [1, 4, 4] });
    const b = randomBatch(19, 4, 1, 4, 3);
    model.eval();
    expect(() => session.step(b.x, b.y)).toThrow(/layer "2" \(BatchNorm1d\) is in eval mode \(model\.eval\(\)\).*call model\.train\(\) first/);
    model.train();
    expect(() => session.step(b.x, b.y)).not.toThrow();
    session.dispose();
  });

  test('a layer with no GPU kernel inside a residual model is named in the error', () => {
    const m = resnet({ depth: 8, inChannels: 1, width: 4, rng: new Rng(16) });
    m.layer2.registerForwardHook(() => undefined);
    expect(() => new GpuTrainingSession(ctx, m, adam(), { inputShape: [1, 12, 12] })).toThrow(WebGpuUnsupportedError);
    expect(() => new GpuTrainingSession(ctx, m, adam(), { inputShape: [1, 12, 12] })).toThrow(/layer "layer2" \(Sequential\) has a forward hook/);
  });
});
