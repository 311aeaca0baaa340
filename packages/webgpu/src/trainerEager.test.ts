import { augment, mixup } from '@trainkit/aug-image';
import { Checkpointer, memoryStore } from '@trainkit/checkpoint';
import { type DataSource, NonFiniteLossError, type Optimizer, type Plugin, Trainer, freeze, gradientAccumulation, gradientClipping, sgd } from '@trainkit/core';
import { loadMnist } from '@trainkit/data/node';
import { ema, distill } from '@trainkit/ensemble';
import { Conv2d, Flatten, GroupNorm, Linear, type Module, ReLU, Sequential, mnistCnn, mnistMlp } from '@trainkit/nn';
import { Dropout } from '@trainkit/reg-dropout';
import { resnet } from '@trainkit/models';
import { adam } from '@trainkit/optim-adam';
import { momentum } from '@trainkit/optim-momentum';
import { l2Penalty } from '@trainkit/reg-penalty';
import { Rng, type Target, Tensor, crossEntropy, mean, mul, sameDeviceAs, square, sub } from '@trainkit/tensor';
import { describe, expect, test } from 'vitest';
import { expectClose } from './__tests__/compare';
import { openTestGpu, testGpu } from './__tests__/dawn';
import { useWebGpu } from './backend';
import type { GpuContext } from './context';
import './index';

const gpu = await testGpu();
if (typeof gpu === 'string') console.log(`skipping the step-by-step Trainer-on-WebGPU tests: ${gpu}`);
else useWebGpu(gpu as GpuContext);
const train = typeof gpu === 'string' ? null : await loadMnist({ split: 'train', limit: 192 });

/** MNIST digits in file order, batches of 32 (the same on both devices); `shape` [784] or [1, 28, 28]. */
function digits(shape: number[] = [784]): DataSource & { length: number } {
  const n = train?.y.length ?? 0;
  return {
    length: Math.ceil(n / 32),
    *epoch(_epoch, { startBatch = 0 }) {
      for (let b = startBatch; b * 32 < n; b++) {
        const y = train!.y.subarray(b * 32, Math.min(n, (b + 1) * 32));
        yield { x: new Tensor(train!.x.subarray(b * 32 * 784, (b * 32 + y.length) * 784), [y.length, ...shape]), y };
      }
    },
  };
}

const mlp = (): Module => mnistMlp({ hidden: 32, rng: new Rng(7) });
const expectSameWeights = (a: Module, b: Module, tol: number) => {
  const other = b.stateDict();
  for (const [name, t] of Object.entries(a.stateDict())) expectClose(t.data, other[name].data, tol, name);
};

/** Fits a fresh model on the cpu and on 'webgpu' with the same options; returns both models and histories. */
async function both(make: () => Module, options: (device: 'cpu' | 'webgpu') => ConstructorParameters<typeof Trainer>[0], epochs = 1, shape?: number[]) {
  const run = async (device: 'cpu' | 'webgpu') => {
    const model = make();
    const trainer = new Trainer({ ...options(device), device, metricsEvery: 4 });
    const { history } = await trainer.fit(model, { train: digits(shape), epochs });
    return { model, history, trainer };
  };
  return { cpu: await run('cpu'), gpu: await run('webgpu') };
}

describe.skipIf(typeof gpu === 'string')("new Trainer({ device: 'webgpu' }) with hooks inside the step runs the Trainer's own step on GPU tensors", () => {
  test('an L2 penalty (onLoss) and a plugin that reads the output on the device: the CPU fit’s weights (1e-4) and logged loss and l2 (1e-4); the model is back on the CPU after fit', async () => {
    const seen: string[] = [];
    const spy: Plugin = { name: 'spy', onAfterForward: (ctx) => void seen.push(ctx.output.device) };
    const { cpu, gpu: dev } = await both(mlp, () => ({ optimizer: adam({ lr: 3e-3 }), plugins: [l2Penalty(1e-3), spy] }), 2);
    expect(dev.trainer.deviceName).toBe('webgpu');
    expect(new Set(seen)).toEqual(new Set(['cpu', 'webgpu'])); // the cpu fit, then the gpu one
    expectSameWeights(dev.model, cpu.model, 1e-4);
    for (const e of [0, 1]) for (const k of ['loss', 'l2', 'accuracy']) expect(dev.history[e].metrics[k]).toBeCloseTo(cpu.history[e].metrics[k], 4);
    expect(dev.model.parameters().every((p) => p.device === 'cpu')).toBe(true);
  });

  test('gradient clipping by norm and by value on the device: the CPU fit’s weights (1e-4) and logged gradNorm (1e-4 relative)', async () => {
    const { cpu, gpu: dev } = await both(mlp, () => ({ optimizer: momentum({ lr: 0.1, momentum: 0.9 }), plugins: [gradientClipping({ maxNorm: 0.5, maxValue: 0.05 })] }));
    expectSameWeights(dev.model, cpu.model, 1e-4);
    expect(dev.history[0].metrics.gradNorm / cpu.history[0].metrics.gradNorm).toBeCloseTo(1, 4);
  });

  test('gradient accumulation over 2 batches (skipped steps, gradients scaled on the device): the CPU fit’s weights (1e-4)', async () => {
    const { cpu, gpu: dev } = await both(mlp, () => ({ optimizer: adam({ lr: 3e-3 }), plugins: [gradientAccumulation({ steps: 2 })] }));
    expectSameWeights(dev.model, cpu.model, 1e-4);
  });

  test('EMA of the weights on the device (the reference CNN): the averaged weights left in the model equal the CPU fit’s (1e-4), and its state dict after fit too', async () => {
    const averages = { cpu: ema({ decay: 0.9 }), webgpu: ema({ decay: 0.9 }) };
    const { cpu, gpu: dev } = await both(() => mnistCnn({ rng: new Rng(3) }), (d) => ({ optimizer: adam({ lr: 1e-3 }), plugins: [averages[d]] }), 1, [1, 28, 28]);
    expectSameWeights(dev.model, cpu.model, 1e-4);
    expect(averages.webgpu.updates).toBe(averages.cpu.updates);
    const [a, b] = [averages.webgpu.averaged()!, averages.cpu.averaged()!];
    for (const [name, t] of Object.entries(b)) expectClose(a[name].data, t.data, 1e-4, name);
  });

  test('distillation from a teacher on the CPU (its soft targets uploaded each step): the CPU fit’s weights (1e-4) and logged distillKl (1e-4)', async () => {
    const teachers = { cpu: mlp(), webgpu: mlp() };
    const { cpu, gpu: dev } = await both(() => mnistMlp({ hidden: 16, rng: new Rng(9) }), (d) => ({ optimizer: adam({ lr: 3e-3 }), plugins: [distill({ teacher: teachers[d], temperature: 2, alpha: 0.5 })] }));
    expectSameWeights(dev.model, cpu.model, 1e-4);
    expect(dev.history[0].metrics.distillKl).toBeCloseTo(cpu.history[0].metrics.distillKl, 4);
  });

  test('a custom loss (squared error against one-hot targets) trains on the device to the CPU fit’s weights (1e-4)', async () => {
    const loss = (out: Tensor, y: Target) => {
      const labels = y as ArrayLike<number>;
      const onehot = new Float32Array(out.size);
      for (let i = 0; i < labels.length; i++) onehot[i * 10 + labels[i]] = 1;
      const target = new Tensor(onehot, out.shape);
      return mean(square(sub(out, sameDeviceAs(target, out))));
    };
    const { cpu, gpu: dev } = await both(mlp, () => ({ optimizer: adam({ lr: 3e-3 }), loss }));
    expectSameWeights(dev.model, cpu.model, 1e-4);
    expect(dev.history[0].metrics.loss).toBeCloseTo(cpu.history[0].metrics.loss, 5);
  });

  test('a loss that turns NaN on the device stops the fit with a NonFiniteLossError naming the step and the device, and the model comes back to the CPU', async () => {
    let calls = 0;
    const poison = (out: Tensor, y: Target) => {
      const ce = crossEntropy(out, y);
      return ++calls === 3 ? mean(square(sub(ce, sameDeviceAs(new Tensor(Float32Array.of(NaN), []), ce)))) : ce;
    };
    const model = mlp();
    const notices: string[] = [];
    const optimizer = adam({ lr: 3e-3 });
    const trainer = new Trainer({ optimizer, loss: poison, device: 'webgpu', metricsEvery: 2, notice: (l) => notices.push(l) });
    const fit = trainer.fit(model, { train: digits(), epochs: 1 });
    const error = await fit.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteLossError);
    expect((error as NonFiniteLossError).step).toBe(2);
    expect((error as Error).message).toMatch(/loss is NaN at epoch 0, step 2 .*webgpu reads the loss back every metricsEvery steps/);
    expect(model.parameters().every((p) => p.device === 'cpu' && p.data.every(Number.isFinite))).toBe(true);
    expect(notices).toEqual([expect.stringMatching(/the gradient of "fc1\.weight" is NaN .*; the model is on the cpu again/)]); // the bad steps updated nothing
    // the optimizer holds the state of its last good step (2 steps), as a CPU optimizer that refused the third, and trains on
    expect([optimizer.stepCount, optimizer.stateDict().step]).toEqual([2, 2]);
    calls = 100;
    await trainer.fit(model, { train: digits(), epochs: 1 });
    expect(model.parameters().every((p) => p.device === 'cpu' && p.data.every(Number.isFinite))).toBe(true);
  });

  test('mixup (soft labels from a plugin before each batch) trains on the device to the CPU fit’s weights (1e-4): cross-entropy against soft targets runs there', async () => {
    const { cpu, gpu: dev } = await both(mlp, () => ({ optimizer: adam({ lr: 3e-3 }), plugins: [augment(mixup({ alpha: 0.4 }), { numClasses: 10 })], seed: 5 }), 1, [1, 28, 28]);
    expect(dev.trainer.deviceName).toBe('webgpu');
    expectSameWeights(dev.model, cpu.model, 1e-4);
    expect(dev.history[0].metrics.loss).toBeCloseTo(cpu.history[0].metrics.loss, 4);
  });

  test('a device lost in the middle of a step-by-step fit stops it with a clear error; the model is back on the CPU with its last synced values, and the latest checkpoint resumes on the CPU', async () => {
    const own = (await openTestGpu()) as GpuContext; // its own device: destroying it must not affect the other tests
    useWebGpu(own);
    const notices: string[] = [];
    try {
      const store = memoryStore();
      const killer: Plugin = { name: 'killer', onTrainBatchEnd: (ctx) => void (ctx.step === 6 ? own.destroy() : undefined) };
      const model = mlp();
      const trainer = new Trainer({ optimizer: adam({ lr: 3e-3 }), device: 'webgpu', notice: (l) => notices.push(l), plugins: [l2Penalty(1e-4), killer, new Checkpointer({ store, everyNSteps: 4 })] });
      await expect(trainer.fit(model, { train: digits(), epochs: 2 })).rejects.toThrow(/WebGPU device \(.+\) is unusable: the device was destroyed/);
      expect(model.parameters().every((p) => p.device === 'cpu' && p.data.every(Number.isFinite))).toBe(true);
      expect(notices).toEqual([expect.stringMatching(/the fit failed on webgpu, and bringing its state back failed too .*the model is on the cpu again/)]);
      const resumedFrom = new Checkpointer({ store });
      const { history } = await new Trainer({ optimizer: adam({ lr: 3e-3 }), plugins: [l2Penalty(1e-4), resumedFrom] }).fit(mlp(), { train: digits(), epochs: 2, resume: 'latest' });
      expect(resumedFrom.resumedFrom).toBe('latest.safetensors');
      expect(history).toHaveLength(2);
    } finally {
      useWebGpu(gpu as GpuContext);
    }
  });

  test("a model with an op the GPU lacks (GroupNorm), with a penalty: 'webgpu' refuses naming the op before any step, the model back on the CPU; 'auto' trains on the CPU after a notice", async () => {
    const make = () => new Sequential(new Conv2d(1, 4, 3, { rng: new Rng(1) }), new GroupNorm(2, 4), new Flatten(), new Linear(4 * 26 * 26, 10, { rng: new Rng(2) }));
    const model = make();
    const named = new Trainer({ optimizer: adam(), device: 'webgpu', plugins: [l2Penalty(1e-4)] }).fit(model, { train: digits([1, 28, 28]), epochs: 1 });
    await expect(named).rejects.toThrow(/device: 'webgpu'.*cannot train there: .*groupNorm/);
    expect(model.parameters().every((p) => p.device === 'cpu')).toBe(true);
    const notices: string[] = [];
    const auto = new Trainer({ optimizer: adam(), device: 'auto', plugins: [l2Penalty(1e-4)], notice: (l) => notices.push(l) });
    await auto.fit(model, { train: digits([1, 28, 28]), epochs: 1 });
    expect(auto.deviceName).toBe('cpu');
    expect(notices).toEqual([expect.stringMatching(/groupNorm.*training on the CPU$/)]);
  });

  test('Dropout layers with a penalty: the masks come from the layers’ seeded streams on the CPU and multiply on the device, so the fit ends with the CPU fit’s weights (1e-4)', async () => {
    const make = () => new Sequential(new Linear(784, 32, { rng: new Rng(4) }), new ReLU(), new Dropout(0.3), new Linear(32, 10, { rng: new Rng(5) }));
    const { cpu, gpu: dev } = await both(make, () => ({ optimizer: adam({ lr: 3e-3 }), plugins: [l2Penalty(1e-4)], seed: 11 }));
    expect(dev.trainer.deviceName).toBe('webgpu');
    expectSameWeights(dev.model, cpu.model, 1e-4);
  });

  test('validation of a step-by-step fit runs on the device with the weights the hooks leave (EMA swaps its average in, then the raw weights back): the CPU fit’s val metrics and weights (1e-4) over 2 epochs', async () => {
    const averages = { cpu: ema({ decay: 0.8 }), webgpu: ema({ decay: 0.8 }) };
    const outputs: string[] = [];
    const spy: Plugin = { name: 'spy', onValidationBatchEnd: (ctx) => void outputs.push(ctx.output.device) };
    const run = async (device: 'cpu' | 'webgpu') => {
      const model = mlp();
      const trainer = new Trainer({ optimizer: adam({ lr: 3e-3 }), device, plugins: [l2Penalty(1e-4), averages[device], spy] });
      const { history } = await trainer.fit(model, { train: digits(), val: digits(), epochs: 2 });
      return { model, history };
    };
    const [cpu, dev] = [await run('cpu'), await run('webgpu')];
    for (const e of [0, 1]) for (const k of ['valLoss', 'valAccuracy']) expect(dev.history[e].metrics[k]).toBeCloseTo(cpu.history[e].metrics[k], 4);
    expectSameWeights(dev.model, cpu.model, 1e-4);
    expect(new Set(outputs)).toEqual(new Set(['cpu'])); // the hooks read the outputs on the cpu
  });

  test('ResNet-8 (BatchNorm, residual sums) with a penalty, step by step: its whole state dict after fit, running statistics and batch counts too, is the CPU fit’s (1e-4)', async () => {
    const make = () => resnet({ depth: 8, inChannels: 1, numClasses: 10, width: 4, rng: new Rng(12) });
    const { cpu, gpu: dev } = await both(make, () => ({ optimizer: momentum({ lr: 0.05, momentum: 0.9 }), plugins: [l2Penalty(1e-4)] }), 1, [1, 28, 28]);
    expect(dev.trainer.deviceName).toBe('webgpu');
    expectSameWeights(dev.model, cpu.model, 1e-4);
  });

  test("an optimizer the GPU has no update for, with a penalty: 'auto' trains on the CPU after a notice naming it, and 'webgpu' refuses before any step", async () => {
    const lion = { ...sgd(), name: 'my/lion' } as Optimizer;
    const notices: string[] = [];
    const auto = new Trainer({ optimizer: lion, device: 'auto', plugins: [l2Penalty(1e-4)], notice: (l) => notices.push(l) });
    await auto.fit(mlp(), { train: digits(), epochs: 1 });
    expect(auto.deviceName).toBe('cpu');
    expect(notices).toEqual([expect.stringMatching(/optimizer "my\/lion" has no GPU kernel yet.*training on the CPU$/)]);
    const named = new Trainer({ optimizer: { ...sgd(), name: 'my/lion' } as Optimizer, device: 'webgpu', plugins: [l2Penalty(1e-4)] });
    await expect(named.fit(mlp(), { train: digits(), epochs: 1 })).rejects.toThrow(/cannot train there: .*optimizer "my\/lion" has no GPU kernel yet/);
  });

  test('layers frozen in the middle of an epoch (the optimizer’s set of parameters changes between two steps): the CPU fit’s weights (1e-4)', async () => {
    const freezer: Plugin = { name: 'freezer', onTrainBatchStart: (ctx) => void (ctx.batchIndex === 3 ? freeze(ctx.model, /^fc1\./) : undefined) };
    const { cpu, gpu: dev } = await both(mlp, () => ({ optimizer: adam({ lr: 3e-3 }), plugins: [l2Penalty(1e-4), freezer] }));
    expectSameWeights(dev.model, cpu.model, 1e-4);
  });

  test('two loss terms of one name are logged as their sum, as on the CPU, and a NaN term is named in the error, as on the CPU', async () => {
    const twice: Plugin[] = [l2Penalty(1e-3, (n) => n.startsWith('fc1')), { ...l2Penalty(1e-3, (n) => n.startsWith('fc2')), name: 'penalty2' }];
    const { cpu, gpu: dev } = await both(mlp, () => ({ optimizer: adam({ lr: 3e-3 }), plugins: twice }));
    expect(dev.history[0].metrics.l2).toBeCloseTo(cpu.history[0].metrics.l2, 5);
    const bad: Plugin = { name: 'bad', onLoss: (ctx) => ctx.addLoss('bad', mul(ctx.dataLoss, Number.NaN)) };
    const fit = new Trainer({ optimizer: adam(), device: 'webgpu', plugins: [bad], notice: () => undefined }).fit(mlp(), { train: digits(), epochs: 1 });
    await expect(fit).rejects.toThrow(/loss term "bad" is NaN at epoch 0, step 0 /);
  });

  test('a validation hook that throws: the model is back on the CPU, with the CPU fit’s weights, before onException runs', async () => {
    const seen: string[] = [];
    const boom: Plugin = { name: 'boom', onValidationBatchEnd: () => { throw new Error('boom'); }, onException: (ctx) => void seen.push(ctx.model.parameters()[0].device) };
    const model = mlp();
    await expect(new Trainer({ optimizer: adam({ lr: 3e-3 }), device: 'webgpu', plugins: [l2Penalty(1e-4), boom] }).fit(model, { train: digits(), val: digits(), epochs: 1 })).rejects.toThrow(/boom/);
    expect(seen).toEqual(['cpu']);
    const cpu = mlp();
    await new Trainer({ optimizer: adam({ lr: 3e-3 }), plugins: [l2Penalty(1e-4)] }).fit(cpu, { train: digits(), epochs: 1 });
    expectSameWeights(model, cpu, 1e-4);
  });
});

