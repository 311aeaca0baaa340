import { type Optimizer, Trainer } from '@trainkit/core';
import { Conv2d, Flatten, Linear, type Module, ReLU, Sequential } from '@trainkit/nn';
import { momentum } from '@trainkit/optim-momentum';
import { Dropout, Dropout2d } from '@trainkit/reg-dropout';
import { Rng, noGrad } from '@trainkit/tensor';
import { describe, expect, test } from 'vitest';
import { expectClose, randomBatch, cpuSteps } from './__tests__/compare';
import { testGpu } from './__tests__/dawn';
import type { GpuContext } from './context';
import { webgpuDevice } from './device';
import { GpuTrainingSession } from './session';

const gpu = await testGpu();
if (typeof gpu === 'string') console.log(`skipping the dropout WebGPU tests: ${gpu}`);
const ctx = gpu as GpuContext;

/** A CNN with channel dropout after the convolution and unit dropout before the last layer, each with its own seeded generator. */
const model = (): Module => {
  const rng = new Rng(31);
  return new Sequential(
    new Conv2d(1, 4, 3, { padding: 1, rng }), new ReLU(), new Dropout2d(0.25, { rng: new Rng(32) }),
    new Flatten(), new Linear(64, 16, { rng }), new ReLU(), new Dropout(0.5, { rng: new Rng(33) }), new Linear(16, 3, { rng }),
  );
};
const dropouts = (m: Module) => m.namedModules().map(([, d]) => d).filter((d): d is Dropout => d instanceof Dropout);
const bs = [1, 2, 3].map((s) => randomBatch(s, 5, 1, 4, 3));

describe.skipIf(typeof gpu === 'string')('dropout on WebGPU uses the CPU’s masks', () => {
  test('Dropout2d and Dropout: 3 steps on the GPU leave the CPU run’s weights (1e-4) and the layers’ generators in the CPU run’s state; evaluation is the identity', async () => {
    const [cpu, dev] = [model(), model()];
    const opt = (): Optimizer => momentum({ lr: 0.1, momentum: 0.9 });
    cpuSteps(cpu, opt(), bs);
    const session = new GpuTrainingSession(ctx, dev, opt(), { inputShape: [1, 4, 4] });
    for (const { x, y } of bs) session.step(x, y);
    await session.syncToCpu();
    const probe = randomBatch(9, 4, 1, 4, 3).x;
    const logits = await session.predict(probe);
    session.dispose();
    for (const [name, p] of dev.namedParameters()) expectClose(p.data, cpu.stateDict()[name].data, 1e-4, name);
    cpu.eval();
    expectClose(logits.data, noGrad(() => cpu.call(probe)).data, 1e-4, 'eval-mode logits (no dropout)');
    dropouts(dev).forEach((d, i) => expect(d.drawMask([2, 4, 3])).toEqual(dropouts(cpu)[i].drawMask([2, 4, 3]))); // the next draws agree
  });

  test('one Dropout module used twice draws two masks in forward order, each used where it was drawn, as on the CPU', async () => {
    const make = (): Module => {
      const rng = new Rng(34);
      const d = new Dropout(0.5, { rng: new Rng(35) });
      return new Sequential(new Flatten(), new Linear(16, 12, { rng }), d, new ReLU(), new Linear(12, 12, { rng }), d, new Linear(12, 3, { rng }));
    };
    const [cpu, dev] = [make(), make()];
    cpuSteps(cpu, momentum({ lr: 0.1, momentum: 0.9 }), bs);
    const session = new GpuTrainingSession(ctx, dev, momentum({ lr: 0.1, momentum: 0.9 }), { inputShape: [1, 4, 4] });
    for (const { x, y } of bs) session.step(x, y);
    await session.syncToCpu();
    session.dispose();
    for (const [name, p] of dev.namedParameters()) expectClose(p.data, cpu.stateDict()[name].data, 1e-4, name);
  });

  test('through the Trainer: a fit with dropout on the device ends with the CPU fit’s weights, the layers drawing from the Trainer’s seeded streams', async () => {
    const source = { *epoch() { yield* bs; } };
    const fit = async (device: 'cpu' | ReturnType<typeof webgpuDevice>) => {
      const m = model();
      await new Trainer({ optimizer: momentum({ lr: 0.1, momentum: 0.9 }), device, seed: 4 }).fit(m, { train: source, epochs: 2 });
      return m;
    };
    const [onCpu, onGpu] = [await fit('cpu'), await fit(webgpuDevice({ context: ctx }))];
    for (const [name, p] of onGpu.namedParameters()) expectClose(p.data, onCpu.stateDict()[name].data, 1e-4, name);
  });
});
