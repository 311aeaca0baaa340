import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Tensor, crossEntropy, markResident, relu } from '@trainkit/tensor';
import { ConfigError, PluginError, Trainer, defineOptimizer, freeze, registerDevice, registeredDevices, sgd, unfreeze, unregisterDevice, type Plugin } from './index';
import { snapshot, toyLoader, toyModel } from './__tests__/fixtures';
import { simulatedDevice } from './__tests__/simulatedDevice';

const withoutTimes = (history: Array<{ metrics: Record<string, number> }>) => history.map((h) => ({ ...h.metrics, time: 0, samplesPerSec: 0 }));

describe('training on a device (TrainerOptions.device)', () => {
  // these tests expect an empty registry; test files share modules, so a device package imported by an earlier file may have registered one
  const earlier = registeredDevices();
  beforeAll(() => earlier.forEach((b) => unregisterDevice(b.name)));
  afterAll(() => {
    registeredDevices().forEach((b) => unregisterDevice(b.name));
    earlier.forEach(registerDevice);
  });

  test('two fits on the same Trainer and model keep the optimizer state on a device that steps a copy, as on the CPU (its parameters are new tensors at every fit)', async () => {
    // a slot and a per-parameter step count, like Adam's moments and bias correction
    const averaged = defineOptimizer({
      name: 'test/averaged',
      defaults: { lr: 0.1 },
      slots: ['sum'],
      update({ value, grad, slots, hyper, step }) {
        for (let i = 0; i < value.length; i++) value[i] -= (hyper.lr * (slots.sum[i] += grad[i])) / step;
      },
    });
    const run = async (device: 'cpu' | ReturnType<typeof simulatedDevice>) => {
      const model = toyModel(5);
      const trainer = new Trainer({ optimizer: averaged(), seed: 3, device });
      for (let i = 0; i < 2; i++) await trainer.fit(model, { train: toyLoader(64, 16), epochs: 1 });
      return { weights: snapshot(model), steps: trainer.optimizer?.stateDict().paramSteps };
    };
    const [cpu, dev] = [await run('cpu'), await run(simulatedDevice(() => toyModel(99)))];
    expect(dev.steps).toEqual(cpu.steps);
    expect(cpu.steps?.['fc1.weight']).toBe(8);
    expect(dev.weights).toEqual(cpu.weights);
  });

  test('a fit on a device ends with the weights, optimizer state and epoch metrics of the same fit on the CPU', async () => {
    const run = async (device: 'cpu' | ReturnType<typeof simulatedDevice>) => {
      const model = toyModel(5);
      const trainer = new Trainer({ optimizer: sgd({ lr: 0.1, weightDecay: 1e-3 }), seed: 3, device, metricsEvery: 3 });
      const { history } = await trainer.fit(model, { train: toyLoader(96, 16), val: toyLoader(32, 16, 9), epochs: 3 });
      return { weights: snapshot(model), optimizer: trainer.optimizer?.stateDict(), history: withoutTimes(history), trainer };
    };
    const sim = simulatedDevice(() => toyModel(99));
    const [cpu, dev] = [await run('cpu'), await run(sim)];
    expect(dev.weights).toEqual(cpu.weights);
    expect(dev.optimizer).toEqual(cpu.optimizer);
    for (const [h, g] of dev.history.map((h, i) => [h, cpu.history[i]] as const)) for (const k of Object.keys(g)) expect(h[k as keyof typeof h]).toBeCloseTo(g[k as keyof typeof g], 10);
    expect(Object.keys(dev.history[0]).sort()).toEqual(Object.keys(cpu.history[0]).sort());
    expect(sim.log).toMatchObject({ opened: 1, steps: 18, disposed: 1 });
    expect(sim.log.syncs).toBe(3); // once per epoch, before validation and the epoch hooks
    expect(sim.log.metricReads).toBe(6 + 3 + 1); // every 3 steps, at each epoch end, and before onFitEnd
  });

  test('a plugin that unfreezes parameters mid-fit (staged fine-tuning) gets the CPU fit’s weights: the device run opens again with the new trainable set', async () => {
    const run = async (device: 'cpu' | ReturnType<typeof simulatedDevice>) => {
      const model = toyModel(6);
      freeze(model, /^fc1\./);
      const stage: Plugin = { name: 'stage', onTrainEpochStart: (ctx) => void (ctx.epoch === 1 ? unfreeze(ctx.model, /^fc1\./) : undefined) };
      await new Trainer({ optimizer: sgd({ lr: 0.1 }), seed: 1, device, plugins: [stage] }).fit(model, { train: toyLoader(64, 16), epochs: 2 });
      return snapshot(model);
    };
    const sim = simulatedDevice(() => toyModel());
    const [cpu, dev] = [await run('cpu'), await run(sim)];
    expect(dev).toEqual(cpu);
    expect(sim.log.opened).toBe(2);
    expect(dev['fc1.weight']).not.toEqual(snapshot(toyModel(6))['fc1.weight']); // fc1 did train in epoch 1
  });

  test('while the device holds newer values, reading a parameter in a batch hook throws naming the device and ctx.sync(); after await ctx.sync() it reads the trained values', async () => {
    const seen: string[] = [];
    const reader: Plugin = {
      name: 'reader',
      async onTrainBatchEnd(ctx) {
        const w = ctx.model.parameters()[0];
        if (ctx.batchIndex === 0) {
          expect(w.device).toBe('sim');
          expect(() => w.data[0]).toThrow(/live on sim.*await ctx\.sync\(\)/);
          expect(() => ctx.loss.item()).toThrow(/a training batch's loss stay on sim.*`readsBatchValues: true`, which keeps the fit on the CPU/);
          expect(() => ctx.trainer.stateDict()).toThrow(/on sim, newer than the cpu's copy; `await ctx\.sync\(\)` first/);
          await ctx.sync();
          expect(w.device).toBe('cpu');
          seen.push(w.data[0].toFixed(6));
        }
      },
    };
    const model = toyModel(5);
    const before = model.parameters()[0].data[0];
    await new Trainer({ optimizer: sgd({ lr: 0.5 }), device: simulatedDevice(() => toyModel()), plugins: [reader] }).fit(model, { train: toyLoader(32, 8), epochs: 1 });
    expect(seen).toHaveLength(1);
    expect(Number(seen[0])).not.toBeCloseTo(before, 6); // one step of lr 0.5 moved it
    expect(model.parameters()[0].device).toBe('cpu'); // after fit, everything is back
  });

  test('loss and accuracy are read back every metricsEvery steps: onTrainBatchEnd sees the running means as of the last read', async () => {
    const losses: Array<number | undefined> = [];
    const sim = simulatedDevice(() => toyModel());
    const trainer = new Trainer({ optimizer: sgd(), device: sim, metricsEvery: 2, plugins: [{ name: 'watch', onTrainBatchEnd: (ctx) => void losses.push(ctx.metrics.loss) }] });
    await trainer.fit(toyModel(), { train: toyLoader(32, 8), epochs: 1 });
    expect(losses[0]).toBeUndefined();
    expect(losses[1]).toBeGreaterThan(0);
    expect(losses[2]).toBe(losses[1]);
    expect(losses[3]).not.toBe(losses[2]);
  });

  test('after await ctx.sync() in a batch hook, ctx.metrics holds the running means up to this step (what a step checkpoint ranks on)', async () => {
    const seen: Array<[number | undefined, number | undefined]> = [];
    const sim = simulatedDevice(() => toyModel());
    const sync: Plugin = { name: 'sync', async onTrainBatchEnd(ctx) { const before = ctx.metrics.loss; await ctx.sync(); seen.push([before, ctx.metrics.loss]); } };
    await new Trainer({ optimizer: sgd(), device: sim, metricsEvery: 50, plugins: [sync] }).fit(toyModel(), { train: toyLoader(32, 8), epochs: 1 });
    expect(seen[0][0]).toBeUndefined(); // not read back yet
    expect(seen[0][1]).toBeGreaterThan(0); // read back by the sync
    expect(seen[2][1]).not.toBe(seen[1][1]);
  });

  test("'auto' with no device registered trains on the CPU after one notice line; a named device that is not registered is a ConfigError saying what to import", async () => {
    const notices: string[] = [];
    const model = toyModel(2);
    await new Trainer({ optimizer: sgd(), device: 'auto', notice: (l) => notices.push(l) }).fit(model, { train: toyLoader(32, 8), epochs: 1 });
    expect(notices).toEqual([expect.stringMatching(/^Trainer\(\{ device: 'auto' \}\): no device backend is registered \(import '@trainkit\/webgpu'.*training on the CPU$/)]);
    const fit = new Trainer({ optimizer: sgd(), device: 'webgpu' }).fit(toyModel(), { train: toyLoader(32, 8), epochs: 1 });
    await expect(fit).rejects.toThrow(ConfigError);
    await expect(fit).rejects.toThrow(/device: 'webgpu'.*no device "webgpu" is registered \(import '@trainkit\/webgpu'/);
  });

  test("a device that cannot open (no adapter, a model it cannot run) fails a named-device fit with its reason, and sends 'auto' to the CPU with that reason", async () => {
    registerDevice(simulatedDevice(() => toyModel(), { name: 'broken', refuse: 'no adapter (no GPU driver)' }));
    await expect(new Trainer({ optimizer: sgd(), device: 'broken' }).fit(toyModel(), { train: toyLoader(16, 8), epochs: 1 })).rejects.toThrow(/device: 'broken'.*broken: no adapter \(no GPU driver\)/);
    const notices: string[] = [];
    const model = toyModel(1);
    const before = snapshot(model);
    await new Trainer({ optimizer: sgd(), device: 'auto', notice: (l) => notices.push(l) }).fit(model, { train: toyLoader(16, 8), epochs: 1 });
    expect(notices).toEqual([expect.stringMatching(/broken: no adapter \(no GPU driver\); training on the CPU$/)]);
    expect(snapshot(model)).not.toEqual(before); // it trained, on the CPU
  });

  test('plugins that hook inside the training step, or a custom loss, cannot train on a fused-only device (no tensors of its own to run the step by step): a ConfigError naming each, or a notice under auto', async () => {
    const l2: Plugin = { name: 'l2', onLoss: (ctx) => ctx.addLoss('l2', relu(ctx.dataLoss)) };
    const clip: Plugin = { name: 'clip', onBeforeOptimizerStep: () => undefined };
    const sim = simulatedDevice(() => toyModel());
    const fit = new Trainer({ optimizer: sgd(), device: sim, plugins: [l2, clip] }).fit(toyModel(), { train: toyLoader(16, 8), epochs: 1 });
    await expect(fit).rejects.toThrow(/plugin "l2" \(onLoss\), plugin "clip" \(onBeforeOptimizerStep\) need the Trainer's own step, which a fused device run replaces/);
    const listening = new Trainer({ optimizer: sgd(), device: sim });
    listening.on('afterBackward', () => undefined);
    await expect(listening.fit(toyModel(), { train: toyLoader(16, 8), epochs: 1 })).rejects.toThrow(/a listener of "afterBackward"/);
    await expect(new Trainer({ optimizer: sgd(), device: sim, loss: (o, y) => crossEntropy(o, y) }).fit(toyModel(), { train: toyLoader(16, 8), epochs: 1 })).rejects.toThrow(/a custom `loss` need the Trainer's own step/);
    const curve: Plugin = { name: 'curve', readsBatchValues: true, onTrainBatchEnd: (ctx) => void ctx.loss.item() };
    await expect(new Trainer({ optimizer: sgd(), device: sim, plugins: [curve] }).fit(toyModel(), { train: toyLoader(16, 8), epochs: 1 })).rejects.toThrow(/plugin "curve" reads each batch's loss or outputs, which stay on the device between metric reads/);
    const notices: string[] = [];
    registerDevice(sim);
    await new Trainer({ optimizer: sgd(), device: 'auto', plugins: [curve], notice: (l) => notices.push(l) }).fit(toyModel(), { train: toyLoader(16, 8), epochs: 1 });
    unregisterDevice(sim.name);
    expect(notices).toEqual([expect.stringMatching(/plugin "curve" reads each batch's loss or outputs.*training on the CPU$/)]);
    expect(sim.log.opened).toBe(0);
  });

  test("soft labels cannot train on a fused-only device: a ConfigError for a named device, the CPU with a notice under 'auto', and a ConfigError naming the batch when they appear mid-fit", async () => {
    const batch = (soft: boolean) => ({ x: new Tensor(new Float32Array(8), [2, 4]), y: soft ? new Tensor(new Float32Array([1, 0, 0, 0, 1, 0]), [2, 3]) : Int32Array.of(0, 1) });
    const data = (...soft: boolean[]) => ({ length: soft.length, *epoch() { for (const s of soft) yield batch(s); } });
    const sim = simulatedDevice(() => toyModel());
    await expect(new Trainer({ optimizer: sgd(), device: sim }).fit(toyModel(), { train: data(true), epochs: 1 })).rejects.toThrow(/device: 'sim'.*soft labels \(the targets are a tensor, e\.g\. from mixup\) need the Trainer's own step/);
    const notices: string[] = [];
    registerDevice(sim);
    await new Trainer({ optimizer: sgd(), device: 'auto', notice: (l) => notices.push(l) }).fit(toyModel(), { train: data(true, true), epochs: 1 });
    unregisterDevice(sim.name);
    expect(notices).toEqual([expect.stringMatching(/soft labels \(the targets are a tensor, e\.g\. from mixup\) need the Trainer's own step.*; training on the CPU$/)]);
    await expect(new Trainer({ optimizer: sgd(), device: sim }).fit(toyModel(), { train: data(false, true), epochs: 1 })).rejects.toThrow(/batch 1 of epoch 0: the targets are a tensor \(soft labels\)/);
  });

  test('weights a hook changes on the CPU after a copy-back (a constraint at each epoch end, other weights for validation) reach the device: the fit and its validation match the CPU fit', async () => {
    const run = async (device: 'cpu' | ReturnType<typeof simulatedDevice>) => {
      const model = toyModel(12);
      let saved: Record<string, Float32Array> = {};
      const hooks: Plugin = {
        name: 'constrain',
        onTrainEpochEnd: (ctx) => ctx.model.parameters().forEach((p) => p.data.forEach((v, i) => (p.data[i] = 0.5 * v))),
        onValidationEpochStart: (ctx) => {
          saved = Object.fromEntries(ctx.model.namedParameters().map(([n, p]) => [n, p.data.slice()]));
          ctx.model.parameters().forEach((p) => p.data.fill(0)); // validate a zero model
        },
        onValidationEpochEnd: (ctx) => ctx.model.namedParameters().forEach(([n, p]) => p.data.set(saved[n])),
      };
      const { history } = await new Trainer({ optimizer: sgd({ lr: 0.1 }), seed: 4, device, plugins: [hooks] }).fit(model, { train: toyLoader(32, 8), val: toyLoader(16, 8, 5), epochs: 3 });
      return { weights: snapshot(model), val: history.map((h) => h.metrics.valLoss) };
    };
    const sim = simulatedDevice(() => toyModel());
    const [cpu, dev] = [await run('cpu'), await run(sim)];
    expect(dev.weights).toEqual(cpu.weights);
    for (const [i, v] of cpu.val.entries()) expect(dev.val[i]).toBeCloseTo(v, 10);
    expect(sim.log.reloads).toBeGreaterThanOrEqual(3);
  });

  test('a plugin that throws mid-epoch on a device: the weights its steps reached come back before onException (the CPU fit’s weights), readable there', async () => {
    const run = async (device: 'cpu' | ReturnType<typeof simulatedDevice>) => {
      const model = toyModel(8);
      let read = NaN;
      const boom: Plugin = {
        name: 'boom',
        onTrainBatchEnd: (ctx) => {
          if (ctx.step === 6) throw new Error('boom at step 6');
        },
        onException: (ctx) => void (read = ctx.model.parameters()[0].data[0]),
      };
      await expect(new Trainer({ optimizer: sgd({ lr: 0.1 }), seed: 2, device, plugins: [boom] }).fit(model, { train: toyLoader(32, 8), epochs: 3 })).rejects.toThrow(/boom at step 6/);
      return { weights: snapshot(model), read };
    };
    const [cpu, dev] = [await run('cpu'), await run(simulatedDevice(() => toyModel()))];
    expect(dev.weights).toEqual(cpu.weights);
    expect(dev.read).toBe(cpu.read);
  });

  test('a device lost in the middle of fit rejects with its error; the CPU model holds the readable weights of the last sync, and training continues on the CPU', async () => {
    const model = toyModel(4);
    const sim = simulatedDevice(() => toyModel(), { failAtStep: 6 }); // epoch 0 has 4 steps and syncs at its end
    let synced: Record<string, number[]> = {};
    const notices: string[] = [];
    const trainer = new Trainer({ optimizer: sgd({ lr: 0.1 }), device: sim, notice: (l) => notices.push(l), plugins: [{ name: 'snap', onTrainEpochEnd: (ctx) => void (synced = snapshot(ctx.model)) }] });
    await expect(trainer.fit(model, { train: toyLoader(32, 8), epochs: 3 })).rejects.toThrow(/the device was lost at step 6/);
    expect(notices).toEqual([expect.stringMatching(/the fit failed on sim and its newer state could not be copied back \(sim: the device is lost\); the model and the optimizer hold the state of the last copy-back, 1 step before the failure$/)]);
    expect(sim.log.disposed).toBe(1);
    expect(snapshot(model)).toEqual(synced);
    await new Trainer({ optimizer: sgd({ lr: 0.1 }) }).fit(model, { train: toyLoader(32, 8), epochs: 1 });
  });

  test('a tensor marked as living on a device refuses CPU reads and CPU ops, naming both devices', () => {
    const t = new Tensor(new Float32Array([1, -2]), [2]);
    markResident([t], 'webgpu');
    expect(t.device).toBe('webgpu');
    expect(String(t)).toBe('Tensor([2], on webgpu)');
    expect(() => relu(t)).toThrow(/\("leaf", shape \[2\]\) live on webgpu, and \.data reads the cpu's memory/);
    markResident([t], null);
    expect(relu(t).toArray()).toEqual([1, 0]);
  });

  test('invalid device options are ConfigErrors', () => {
    expect(() => new Trainer({ device: '' })).toThrow(/device must be 'cpu', 'auto', a registered device name or a DeviceBackend, got ""/);
    expect(() => new Trainer({ device: 3 as never })).toThrow(ConfigError);
    expect(() => new Trainer({ metricsEvery: 0 })).toThrow(/metricsEvery must be a positive integer, got 0/);
    expect(() => registerDevice({ name: 'cpu', open: async () => { throw new Error(); } })).toThrow(/other than 'cpu' and 'auto'/);
    expect(PluginError).toBeDefined();
  });
});
