import { loadMnist } from '@trainkit/data/node';
import { Flatten, LeakyReLU, Linear, type Module, Sequential, Sigmoid, Tanh, mnistCnn, mnistMlp } from '@trainkit/nn';
import { adam } from '@trainkit/optim-adam';
import { momentum } from '@trainkit/optim-momentum';
import { Rng, Tensor, crossEntropy, noGrad } from '@trainkit/tensor';
import { describe, expect, test } from 'vitest';
import { expectClose, cpuSteps } from './__tests__/compare';
import { testGpu } from './__tests__/dawn';
import type { GpuContext } from './context';
import { GpuTrainingSession } from './session';

const gpu = await testGpu();
if (typeof gpu === 'string') console.log(`skipping the WebGPU training tests: ${gpu}`);
const ctx = gpu as GpuContext;

const BATCH = 64;
const [train, test_] = typeof gpu === 'string' ? [null, null] : await Promise.all([loadMnist({ split: 'train', limit: 512 }), loadMnist({ split: 'test', limit: 500 })]);
const PIXELS = 784;

/** Batch i of the training slice, in file order (the same on both devices). */
function batch(i: number): { x: Tensor; y: Int32Array } {
  const y = train!.y.subarray(i * BATCH, (i + 1) * BATCH);
  return { x: new Tensor(train!.x.subarray(i * BATCH * PIXELS, (i + 1) * BATCH * PIXELS), [y.length, 1, 28, 28]), y };
}
const batches = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => batch(from + i));

function cpuAccuracy(model: Module): number {
  const logits = noGrad(() => model.call(new Tensor(test_!.x, [test_!.y.length, 1, 28, 28])));
  let hits = 0;
  test_!.y.forEach((label, r) => {
    const row = logits.data.subarray(r * 10, r * 10 + 10);
    hits += +(row.indexOf(Math.max(...row)) === label);
  });
  return hits / test_!.y.length;
}

describe.skipIf(typeof gpu === 'string')('training on WebGPU learns what training on the CPU learns', () => {
  // SwiftShader runs WebGPU on the CPU at a few dozen MFLOPS here: small models, few steps.
  // tools/bench/src/webgpu.ts runs the full comparison (the CNN for an epoch) and records it.
  test('the reference MLP with Adam: 8 steps on 512 MNIST digits reach the CPU run’s test accuracy (±1 point on 500 digits) and weights (1e-4)', async () => {
    const [cpuModel, gpuModel] = [mnistMlp({ hidden: 32, rng: new Rng(3) }), mnistMlp({ hidden: 32, rng: new Rng(3) })];
    cpuSteps(cpuModel, adam({ lr: 3e-3 }), batches(0, 8));
    const session = new GpuTrainingSession(ctx, gpuModel, adam({ lr: 3e-3 }), { inputShape: [1, 28, 28] });
    for (const { x, y } of batches(0, 8)) session.step(x, y);
    const seen = await session.metrics();
    const evaluated = await session.evaluate(test_!.x, test_!.y);
    await session.syncToCpu();
    session.dispose();
    const cpuAcc = cpuAccuracy(cpuModel);
    expect(seen.samples).toBe(512);
    expect(evaluated.samples).toBe(500);
    expect(cpuAcc).toBeGreaterThan(0.5); // it learned something
    expect(Math.abs(evaluated.accuracy - cpuAcc)).toBeLessThanOrEqual(0.01);
    expect(Math.abs(cpuAccuracy(gpuModel) - cpuAcc)).toBeLessThanOrEqual(0.01); // the synced CPU module predicts as well
    for (const [name, p] of gpuModel.namedParameters()) expectClose(p.data, cpuModel.stateDict()[name].data, 1e-4, name);
  });

  test('the reference CNN with momentum: 2 steps of 16 digits give the CPU run’s loss and weights (1e-4)', async () => {
    const [cpuModel, gpuModel] = [mnistCnn({ rng: new Rng(4) }), mnistCnn({ rng: new Rng(4) })];
    const small = [0, 1].map((i) => ({ x: new Tensor(train!.x.subarray(i * 16 * PIXELS, (i + 1) * 16 * PIXELS), [16, 1, 28, 28]), y: train!.y.subarray(i * 16, (i + 1) * 16) }));
    const first = crossEntropy(noGrad(() => cpuModel.call(small[0].x)), small[0].y).item();
    cpuSteps(cpuModel, momentum({ lr: 0.05, momentum: 0.9 }), small);
    const session = new GpuTrainingSession(ctx, gpuModel, momentum({ lr: 0.05, momentum: 0.9 }), { inputShape: [1, 28, 28] });
    session.step(small[0].x, small[0].y);
    const m = await session.metrics();
    expect(m.loss).toBeCloseTo(first, 4);
    session.step(small[1].x, small[1].y);
    await session.syncToCpu();
    session.dispose();
    for (const [name, p] of gpuModel.namedParameters()) expectClose(p.data, cpuModel.stateDict()[name].data, 1e-4, name);
  });

  test('an MLP with Tanh, LeakyReLU and Sigmoid layers trains to the CPU run’s weights (4 steps, 1e-4)', async () => {
    const make = () => {
      const rng = new Rng(6);
      return new Sequential(new Flatten(), new Linear(784, 24, { rng }), new Tanh(), new Linear(24, 16, { rng }), new LeakyReLU(0.1), new Linear(16, 12, { rng }), new Sigmoid(), new Linear(12, 10, { rng }));
    };
    const [cpuModel, gpuModel] = [make(), make()];
    cpuSteps(cpuModel, adam({ lr: 1e-2 }), batches(0, 4));
    const s = new GpuTrainingSession(ctx, gpuModel, adam({ lr: 1e-2 }), { inputShape: [1, 28, 28] });
    for (const { x, y } of batches(0, 4)) s.step(x, y);
    await s.syncToCpu();
    s.dispose();
    for (const [name, p] of gpuModel.namedParameters()) expectClose(p.data, cpuModel.stateDict()[name].data, 1e-4, name);
  });

  test('GPU steps then CPU steps, and CPU steps then GPU steps, both equal CPU steps throughout (parameters and Adam state carried over)', async () => {
    const reference = mnistMlp({ hidden: 32, rng: new Rng(5) });
    const refOpt = adam({ lr: 1e-3 });
    cpuSteps(reference, refOpt, batches(0, 8));
    // GPU for 4 steps, sync, then CPU for 4: the GPU left the state a checkpoint would hold
    const a = mnistMlp({ hidden: 32, rng: new Rng(5) });
    const aOpt = adam({ lr: 1e-3 });
    const s = new GpuTrainingSession(ctx, a, aOpt, { inputShape: [784] });
    for (const { x, y } of batches(0, 4)) s.step(x.data, y);
    await s.syncToCpu();
    s.dispose();
    cpuSteps(a, aOpt, batches(4, 8));
    // CPU for 4 steps, then GPU for 4, resuming from the CPU optimizer's state
    const b = mnistMlp({ hidden: 32, rng: new Rng(5) });
    const bOpt = adam({ lr: 1e-3 });
    cpuSteps(b, bOpt, batches(0, 4));
    const t = new GpuTrainingSession(ctx, b, bOpt, { inputShape: [784] });
    for (const { x, y } of batches(4, 8)) t.step(x.data, y);
    await t.syncToCpu();
    t.dispose();
    for (const m of [a, b]) {
      for (const [name, p] of m.namedParameters()) expectClose(p.data, reference.stateDict()[name].data, 1e-4, name);
      expect(m === a ? aOpt.stepCount : bOpt.stepCount).toBe(8);
    }
  });

  test('reloadFromCpu takes weights loaded on the CPU (a checkpoint) and drops GPU steps not synced: predictions equal the CPU module’s', async () => {
    const model = mnistMlp({ hidden: 16, rng: new Rng(8) });
    const s = new GpuTrainingSession(ctx, model, adam({ lr: 1e-2 }), { inputShape: [784] });
    for (const { x, y } of batches(0, 2)) s.step(x.data, y);
    model.loadStateDict(mnistMlp({ hidden: 16, rng: new Rng(9) }).stateDict()); // "load a checkpoint" on the CPU
    s.reloadFromCpu();
    const x = batch(2).x;
    const onGpu = await s.predict(x);
    s.dispose();
    expectClose(onGpu.data, noGrad(() => model.call(x)).data, 1e-4, 'logits');
    expect(onGpu.shape).toEqual([64, 10]);
  });

  test('metrics() reports exactly the steps enqueued before the call: one enqueued while its read is pending counts in the next read', async () => {
    const s = new GpuTrainingSession(ctx, new Sequential(new Linear(4, 3)), adam({ lr: 1e-2 }), { inputShape: [4] });
    s.step(new Float32Array(8).fill(0.5), [0, 1]);
    const first = s.metrics(); // not awaited: the read overlaps the next step
    s.step(new Float32Array(12).fill(0.25), [2, 0, 1]);
    const [a, b] = [await first, await s.metrics()];
    s.dispose();
    expect([a.samples, b.samples]).toEqual([2, 3]);
  });

  test('a disposed session refuses every call by name (its buffers may belong to another session by then), and a second dispose gives nothing back twice', async () => {
    const s = new GpuTrainingSession(ctx, new Sequential(new Linear(4, 3)), adam(), { inputShape: [4] });
    s.step(new Float32Array(8), [0, 1]);
    const before = ctx.bytesInUse;
    s.dispose();
    const freed = before - ctx.bytesInUse;
    s.dispose();
    expect(before - ctx.bytesInUse).toBe(freed);
    expect(() => s.step(new Float32Array(8), [0, 1])).toThrow('GpuTrainingSession.step: the session was disposed (its GPU buffers went back to the pool); open a new GpuTrainingSession');
    await expect(s.syncToCpu()).rejects.toThrow('GpuTrainingSession.syncToCpu: the session was disposed');
    await expect(s.metrics()).rejects.toThrow('GpuTrainingSession.metrics: the session was disposed');
  });
});
