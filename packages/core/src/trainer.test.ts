import { describe, expect, test } from 'vitest';
import { Module } from '@trainkit/nn';
import { Tensor, ValueError, reshape } from '@trainkit/tensor';
import { ConfigError, NonFiniteGradientError, NonFiniteLossError, PluginError, Trainer, sgd, type Plugin, type HookName, type TrainerState } from './index';
import { snapshot, toyLoader, toyModel } from './__tests__/fixtures';

const ALL_HOOKS: HookName[] = [
  'setup', 'onFitStart', 'onTrainEpochStart', 'onTrainBatchStart', 'onAfterForward', 'onLoss', 'onBeforeBackward',
  'onAfterBackward', 'onBeforeOptimizerStep', 'onAfterOptimizerStep', 'onTrainBatchEnd', 'onValidationEpochStart',
  'onValidationBatchStart', 'onValidationBatchEnd', 'onValidationEpochEnd', 'onTrainEpochEnd', 'onFitEnd',
  'onPredictStart', 'onPredictBatchEnd', 'onPredictEnd', 'onException', 'teardown',
];

function recorder(calls: string[]): Plugin {
  const p: Record<string, unknown> = { name: 'recorder' };
  for (const h of ALL_HOOKS) p[h] = () => void calls.push(h);
  return p as unknown as Plugin;
}

describe('Trainer hooks', () => {
  test('fit calls every hook in the documented order (1 epoch, 2 train batches, 1 val batch)', async () => {
    const calls: string[] = [];
    const trainer = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [recorder(calls)] });
    await trainer.fit(toyModel(), { train: toyLoader(16, 8), val: toyLoader(8, 8, 2), epochs: 1 });
    const batch = ['onTrainBatchStart', 'onAfterForward', 'onLoss', 'onBeforeBackward', 'onAfterBackward', 'onBeforeOptimizerStep', 'onAfterOptimizerStep', 'onTrainBatchEnd'];
    expect(calls).toEqual([
      'setup', 'onFitStart', 'onTrainEpochStart', ...batch, ...batch,
      'onValidationEpochStart', 'onValidationBatchStart', 'onValidationBatchEnd', 'onValidationEpochEnd',
      'onTrainEpochEnd', 'onFitEnd', 'teardown',
    ]);
  });

  test('evaluate and predict call their hooks between setup and teardown', async () => {
    const calls: string[] = [];
    const trainer = new Trainer({ plugins: [recorder(calls)] });
    await trainer.evaluate(toyModel(), toyLoader(8, 8));
    expect(calls).toEqual(['setup', 'onValidationEpochStart', 'onValidationBatchStart', 'onValidationBatchEnd', 'onValidationEpochEnd', 'teardown']);
    calls.length = 0;
    const out = await trainer.predict(toyModel(), new Tensor(new Float32Array(5 * 4), [5, 4]), 2);
    expect(out.shape).toEqual([5, 3]);
    expect(calls).toEqual(['setup', 'onPredictStart', 'onPredictBatchEnd', 'onPredictBatchEnd', 'onPredictBatchEnd', 'onPredictEnd', 'teardown']);
  });

  test('predict on a shuffling source returns row i for sample i (its order() puts the rows back); one that dropped samples is refused', async () => {
    const n = 10;
    const x = new Tensor(Float32Array.from({ length: n * 4 }, (_, i) => Math.sin(i)), [n, 4]);
    const row = (i: number) => x.data.subarray(i * 4, i * 4 + 4);
    // a seeded permutation, visited in batches of 3, as a shuffling DataLoader does
    const shuffling = (dropLast: boolean) => ({
      order: (_e: number, { seed }: { seed: number }) => Int32Array.from({ length: n }, (_, i) => (i * 3 + seed) % n),
      epoch(e: number, { seed }: { seed: number }) {
        const o = this.order(e, { seed });
        const batches = [];
        for (let i = 0; i + (dropLast ? 3 : 1) <= n; i += 3) {
          const idx = o.subarray(i, Math.min(n, i + 3));
          batches.push({ x: new Tensor(Float32Array.from([...idx].flatMap((j) => [...row(j)])), [idx.length, 4]), y: new Int32Array(idx.length) });
        }
        return batches;
      },
    });
    const model = toyModel();
    const trainer = new Trainer({ seed: 7 });
    const inOrder = await trainer.predict(model, x);
    const fromShuffled = await trainer.predict(model, shuffling(false));
    expect(fromShuffled.shape).toEqual(inOrder.shape);
    expect(Array.from(fromShuffled.data)).toEqual(Array.from(inOrder.data));
    await expect(trainer.predict(model, shuffling(true))).rejects.toThrow(ValueError);
    await expect(trainer.predict(model, shuffling(true))).rejects.toThrow('predict: the DataLoader shuffles and yielded 9 of its 10 samples (dropLast), so the rows cannot be returned in dataset order');
    // a model with two output rows per sample (as one per token): its rows come back as it gave them
    class PerToken extends Module {
      constructor(readonly inner: Module) {
        super();
      }
      forward(xi: Tensor): Tensor {
        return reshape(this.inner.call(xi), [xi.shape[0] * 3, 1]);
      }
    }
    const perToken = new PerToken(model);
    const rows = await trainer.predict(perToken, shuffling(false));
    expect(rows.shape).toEqual([n * 3, 1]);
  });

  test('predict on batches whose x is not a Tensor is a ConfigError naming the batch (it was a TypeError from inside the model)', async () => {
    const bad = [{ x: [[1, 2, 3, 4]] as unknown as Tensor, y: [0] }];
    await expect(new Trainer().predict(toyModel(), bad)).rejects.toThrow('predict: batch 0 must be { x: Tensor }, got x = 1,2,3,4');
  });

  test('values logged during validation become val-prefixed metrics (weighted by batch size) in the history and in evaluate\'s result; values logged at an epoch\'s end join its record', async () => {
    const logger: Plugin = {
      name: 'logger',
      onValidationBatchEnd: (ctx) => ctx.log('score', ctx.batchIndex + 1), // batches of 8 and 4: (1·8 + 2·4) / 12
      onValidationEpochEnd: (ctx) => ctx.log('extra', 7),
      onTrainEpochEnd: (ctx) => ctx.log('epochScore', ctx.epoch * 10),
    };
    const t = new Trainer({ optimizer: sgd(), plugins: [logger] });
    const { history } = await t.fit(toyModel(), { train: toyLoader(16, 8), val: toyLoader(12, 8, 2), epochs: 2 });
    expect(history.map((h) => [h.metrics.valScore, h.metrics.valExtra, h.metrics.epochScore])).toEqual([[16 / 12, 7, 0], [16 / 12, 7, 10]]);
    const result = await new Trainer({ plugins: [logger] }).evaluate(toyModel(), toyLoader(12, 8, 2));
    expect([result.score, result.extra]).toEqual([16 / 12, 7]);
  });

  test('plugins run in registration order, then emitter listeners (event name = hook without "on")', async () => {
    const calls: string[] = [];
    const trainer = new Trainer({ optimizer: sgd(), plugins: [{ name: 'a', onFitStart: () => void calls.push('a') }, { name: 'b', onFitStart: () => void calls.push('b') }] });
    trainer.on('fitStart', () => void calls.push('listener'));
    await trainer.fit(toyModel(), { train: toyLoader(8, 8), epochs: 1 });
    expect(calls).toEqual(['a', 'b', 'listener']);
  });

  test('async hooks are awaited before the next stage starts', async () => {
    const events: string[] = [];
    const slow: Plugin = {
      name: 'slow-writer',
      async onTrainEpochEnd(ctx) {
        await new Promise((r) => setTimeout(r, 20));
        events.push(`saved ${ctx.epoch}`);
      },
      onTrainEpochStart: (ctx) => void events.push(`start ${ctx.epoch}`),
    };
    await new Trainer({ optimizer: sgd(), plugins: [slow] }).fit(toyModel(), { train: toyLoader(8, 8), epochs: 2 });
    expect(events).toEqual(['start 0', 'saved 0', 'start 1', 'saved 1']);
  });

  test('a plugin that throws stops training with an error naming the plugin and the hook; onException and teardown still run', async () => {
    const calls: string[] = [];
    const bad: Plugin = { name: 'flaky-logger', onTrainBatchEnd: () => { throw new Error('disk full'); } };
    const trainer = new Trainer({ optimizer: sgd(), plugins: [recorder(calls), bad] });
    const err = await trainer.fit(toyModel(), { train: toyLoader(32, 8), epochs: 3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PluginError);
    expect((err as Error).message).toBe('plugin "flaky-logger" threw in onTrainBatchEnd: disk full');
    expect(calls.filter((c) => c === 'onTrainBatchStart')).toHaveLength(1);
    expect(calls.slice(-2)).toEqual(['onException', 'teardown']);
  });

  test('a throwing listener is reported like a plugin', async () => {
    const trainer = new Trainer({ optimizer: sgd() });
    trainer.on('trainEpochEnd', () => { throw new Error('boom'); });
    await expect(trainer.fit(toyModel(), { train: toyLoader(8, 8), epochs: 1 })).rejects.toThrow('listener of "trainEpochEnd" threw in onTrainEpochEnd: boom');
  });

  test('two stateful plugins with the same state key, or one plugin twice, are rejected; stateless plugins may share a name', () => {
    const stateful = (): Plugin => ({ name: 'x', stateDict: () => ({}), loadStateDict: () => {} });
    expect(() => new Trainer({ plugins: [stateful(), stateful()] })).toThrow('Trainer.use: a plugin with state key "x" is already registered; give the second one a distinct stateKey');
    const once: Plugin = { name: 'y' };
    expect(() => new Trainer({ plugins: [once, once] })).toThrow('Trainer.use: plugin "y" is already registered (the same object twice)');
    expect(new Trainer({ plugins: [{ name: 'z' }, { name: 'z' }, stateful()] }).plugins.length).toBe(3);
  });
});

describe('Trainer.fit', () => {
  test('learns a separable toy problem (accuracy rises above 90%)', async () => {
    const trainer = new Trainer({ optimizer: sgd({ lr: 0.2 }) });
    const { history } = await trainer.fit(toyModel(), { train: toyLoader(256, 16), val: toyLoader(128, 32, 7), epochs: 20 });
    const last = history[history.length - 1].metrics;
    expect(last.valAccuracy).toBeGreaterThan(0.9);
    expect(history[0].metrics.loss).toBeGreaterThan(last.loss);
  });

  test('two runs with the same seed produce bit-identical weights', async () => {
    const run = async () => {
      const model = toyModel(3);
      await new Trainer({ optimizer: sgd({ lr: 0.1 }), seed: 11 }).fit(model, { train: toyLoader(64, 8), epochs: 2 });
      return snapshot(model);
    };
    expect(await run()).toEqual(await run());
  });

  test('a different trainer seed shuffles differently and gives different weights', async () => {
    const run = async (seed: number) => {
      const model = toyModel(3);
      await new Trainer({ optimizer: sgd({ lr: 0.1 }), seed }).fit(model, { train: toyLoader(64, 8), epochs: 1 });
      return snapshot(model);
    };
    expect(await run(1)).not.toEqual(await run(2));
  });

  test('stop() ends fit after the current batch and fit resolves normally', async () => {
    const early: Plugin = { name: 'early-stop', onTrainEpochEnd: (ctx) => { if (ctx.epoch === 1) ctx.stop('patience exhausted'); } };
    const res = await new Trainer({ optimizer: sgd(), plugins: [early] }).fit(toyModel(), { train: toyLoader(16, 8), epochs: 10 });
    expect(res.history).toHaveLength(2);
    expect(res.stopReason).toBe('patience exhausted');
  });

  test('stopping mid-epoch and resuming from the trainer state reproduces the uninterrupted run exactly', async () => {
    const full = toyModel(5);
    await new Trainer({ optimizer: sgd({ lr: 0.1, weightDecay: 1e-3 }), seed: 4 }).fit(full, { train: toyLoader(64, 8), epochs: 3 });

    const part = toyModel(5);
    const stopAt: Plugin = { name: 'kill', onTrainBatchEnd: (ctx) => { if (ctx.epoch === 1 && ctx.batchIndex === 2) ctx.stop('killed'); } };
    const t1 = new Trainer({ optimizer: sgd({ lr: 0.1, weightDecay: 1e-3 }), seed: 4, plugins: [stopAt] });
    await t1.fit(part, { train: toyLoader(64, 8), epochs: 3 });
    const state = structuredClone(t1.stateDict());
    const weights = Object.fromEntries(Object.entries(part.stateDict()).map(([k, t]) => [k, t.clone()]));
    expect(state.epoch).toBe(1);
    expect(state.batchIndex).toBe(3);

    const resumed = toyModel(99);
    resumed.loadStateDict(weights);
    const t2 = new Trainer({ optimizer: sgd({ lr: 0.1, weightDecay: 1e-3 }), seed: 4 });
    const res = await t2.fit(resumed, { train: toyLoader(64, 8), epochs: 3, resume: state });
    expect(snapshot(resumed)).toEqual(snapshot(full));
    expect(res.history.map((h) => h.epoch)).toEqual([0, 1, 2]);
  });

  test('onTrainEpochStart sees batchIndex 0 in every epoch (with validation before it), and the resume batch in a resumed epoch', async () => {
    const seen: number[] = [];
    const watch: Plugin = { name: 'watch', onTrainEpochStart: (ctx) => void seen.push(ctx.batchIndex) };
    const t1 = new Trainer({ optimizer: sgd({ lr: 0.1 }), seed: 4, plugins: [watch, { name: 'kill', onTrainBatchEnd: (ctx) => { if (ctx.epoch === 2 && ctx.batchIndex === 2) ctx.stop('killed'); } }] });
    await t1.fit(toyModel(5), { train: toyLoader(64, 8), val: toyLoader(40, 8), epochs: 4 });
    expect(seen).toEqual([0, 0, 0]);
    seen.length = 0;
    await new Trainer({ optimizer: sgd({ lr: 0.1 }), seed: 4, plugins: [watch] }).fit(toyModel(5), { train: toyLoader(64, 8), epochs: 4, resume: structuredClone(t1.stateDict()) });
    expect(seen).toEqual([3, 0]);
  });

  test('onValidationEpochStart sees batchIndex 0 (it held the last training batch\'s index)', async () => {
    const seen: number[] = [];
    const watch: Plugin = { name: 'watch', onValidationEpochStart: (ctx) => void seen.push(ctx.batchIndex) };
    await new Trainer({ optimizer: sgd(), plugins: [watch] }).fit(toyModel(), { train: toyLoader(32, 8), val: toyLoader(16, 8), epochs: 2 });
    expect(seen).toEqual([0, 0]);
  });

  test('a NaN gradient in fit is a NonFiniteGradientError that says the epoch and batch, and what usually helps', async () => {
    const poison: Plugin = { name: 'poison', onAfterBackward: (ctx) => { if (ctx.epoch === 1 && ctx.batchIndex === 2) (ctx.model.parameters()[0].grad as Float32Array)[0] = NaN; } };
    const run = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [poison] }).fit(toyModel(5), { train: toyLoader(64, 8), epochs: 3 });
    await expect(run).rejects.toThrow(NonFiniteGradientError);
    await expect(run).rejects.toThrow(/is NaN at element 0 in step 11; no parameter was updated \(fit: epoch 1, batch 2 of the epoch; exploding gradients: lower the learning rate or add gradientClipping\)/);
  });

  test("resume: 'latest' asks the plugins that resolve checkpoint names; null starts fresh, a state continues", async () => {
    const saved: { state: TrainerState | null } = { state: null };
    const store: Plugin = {
      name: 'toy-store',
      onTrainEpochEnd: (ctx) => { saved.state = structuredClone(ctx.trainer.stateDict()); },
      resolveResume: (spec) => (spec === 'latest' ? saved.state : undefined),
    };
    const model = toyModel(5);
    const first = await new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [store] }).fit(model, { train: toyLoader(16, 8), epochs: 2, resume: 'latest' });
    expect(first.history.map((h) => h.epoch)).toEqual([0, 1]);
    const second = await new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [store] }).fit(model, { train: toyLoader(16, 8), epochs: 3, resume: 'latest' });
    expect(second.history.map((h) => h.epoch)).toEqual([0, 1, 2]);
    await expect(new Trainer({ optimizer: sgd(), plugins: [store] }).fit(model, { train: toyLoader(), epochs: 1, resume: 'best' })).rejects.toThrow(`fit({ resume: 'best' }): no plugin recognised it (asked "toy-store")`);
  });

  test('resume by name without a checkpoint plugin says which plugin to add', async () => {
    await expect(new Trainer({ optimizer: sgd() }).fit(toyModel(), { train: toyLoader(), epochs: 1, resume: 'latest' })).rejects.toThrow(
      "fit({ resume: 'latest' }): no plugin resolves checkpoint names; add one (checkpoint({ dir }) from @trainkit/checkpoint/node) or pass a TrainerState",
    );
  });

  test('a NaN loss stops training at that step, names epoch and step, and leaves the parameters untouched', async () => {
    const model = toyModel();
    const poison: Plugin = {
      name: 'poison',
      onTrainBatchStart: (ctx) => {
        if (ctx.epoch === 1 && ctx.batchIndex === 1) ctx.batch = { x: new Tensor(new Float32Array(ctx.batch.x.size).fill(NaN), ctx.batch.x.shape), y: ctx.batch.y };
      },
    };
    let before: Record<string, number[]> = {};
    const snap: Plugin = { name: 'snap', onAfterOptimizerStep: () => { before = snapshot(model); } };
    const err = await new Trainer({ optimizer: sgd(), plugins: [poison, snap] }).fit(model, { train: toyLoader(16, 8), epochs: 3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteLossError);
    expect((err as Error).message).toMatch(/loss is NaN at epoch 1, step 3 \(batch 1 of the epoch\)/);
    expect(snapshot(model)).toEqual(before);
  });

  test('plugin loss terms are added to the loss and logged as their own metric', async () => {
    let seen = 0;
    const penalty: Plugin = {
      name: 'constant-penalty',
      onLoss: (ctx) => ctx.addLoss('penalty', new Tensor(Float32Array.of(0.5), [])),
      onBeforeBackward: (ctx) => { seen = ctx.loss.item() - ctx.dataLoss.item(); },
    };
    const { history } = await new Trainer({ optimizer: sgd(), plugins: [penalty] }).fit(toyModel(), { train: toyLoader(16, 8), epochs: 1 });
    expect(seen).toBeCloseTo(0.5, 6);
    expect(history[0].metrics.penalty).toBeCloseTo(0.5, 6);
  });

  test('two loss terms of the same name (two penalties) are logged as their sum, as they enter the loss', async () => {
    const term = (name: string, v: number): Plugin => ({ name, onLoss: (ctx) => ctx.addLoss('l2', new Tensor(Float32Array.of(v), [])) });
    const { history } = await new Trainer({ optimizer: sgd(), plugins: [term('backbone', 0.25), term('head', 0.5)] }).fit(toyModel(), { train: toyLoader(16, 8), epochs: 1 });
    expect(history[0].metrics.l2).toBeCloseTo(0.75, 6);
  });

  test('skipStep() keeps the parameters and accumulates gradients for the next step', async () => {
    const model = toyModel();
    const start = snapshot(model);
    const skipAll: Plugin = { name: 'skip', onBeforeOptimizerStep: (ctx) => ctx.skipStep() };
    await new Trainer({ optimizer: sgd(), plugins: [skipAll] }).fit(model, { train: toyLoader(16, 8), epochs: 1 });
    expect(snapshot(model)).toEqual(start);
    expect(model.parameters().every((p) => p.grad !== null && p.grad.some((g) => g !== 0))).toBe(true);
  });

  test('the model is in train mode during training batches and in eval mode during validation', async () => {
    const modes: string[] = [];
    const spy: Plugin = {
      name: 'mode-spy',
      onTrainBatchStart: (ctx) => void modes.push(`train:${ctx.model.training}`),
      onValidationBatchStart: (ctx) => void modes.push(`val:${ctx.model.training}`),
    };
    await new Trainer({ optimizer: sgd(), plugins: [spy] }).fit(toyModel(), { train: toyLoader(8, 8), val: toyLoader(8, 8), epochs: 2 });
    expect(modes).toEqual(['train:true', 'val:false', 'train:true', 'val:false']);
  });
});

describe('Trainer bad input', () => {
  test('fit without an optimizer says how to pass one', async () => {
    await expect(new Trainer().fit(toyModel(), { train: toyLoader(), epochs: 1 })).rejects.toThrow(/no optimizer; pass one/);
  });

  test.each([0, -1, 1.5, NaN])('epochs = %s is rejected', async (epochs) => {
    await expect(new Trainer({ optimizer: sgd() }).fit(toyModel(), { train: toyLoader(), epochs })).rejects.toThrow(ConfigError);
  });

  test('empty training data is a clear error', async () => {
    await expect(new Trainer({ optimizer: sgd() }).fit(toyModel(), { train: [], epochs: 1 })).rejects.toThrow('fit: the training data yielded no batches in epoch 0');
  });

  test('a batch whose labels do not match its inputs names the batch and the counts', async () => {
    const batch = { x: new Tensor(new Float32Array(8), [2, 4]), y: new Int32Array(3) };
    await expect(new Trainer({ optimizer: sgd() }).fit(toyModel(), { train: [batch], epochs: 1 })).rejects.toThrow('fit: batch 0 of epoch 0: x has 2 samples but y has 3 targets');
  });

  test('labels out of range name the label, the index and the class count', async () => {
    const batch = { x: new Tensor(new Float32Array(8), [2, 4]), y: Int32Array.of(0, 7) };
    await expect(new Trainer({ optimizer: sgd() }).fit(toyModel(), { train: [batch], epochs: 1 })).rejects.toThrow(/label 7 at index 1 is out of range for 3 classes/);
  });

  test('a wrongly shaped input names the op and the shapes', async () => {
    const batch = { x: new Tensor(new Float32Array(10), [2, 5]), y: Int32Array.of(0, 1) };
    await expect(new Trainer({ optimizer: sgd() }).fit(toyModel(), { train: [batch], epochs: 1 })).rejects.toThrow(/linear: input has 5 features but weight \[8, 4\] expects 4/);
  });

  test('a corrupt trainer state is rejected before training', async () => {
    const t = new Trainer({ optimizer: sgd() });
    await expect(t.fit(toyModel(), { train: toyLoader(), epochs: 1, resume: { version: 9 } as never })).rejects.toThrow(/unsupported trainer state/);
  });
});

test('the context tells plugins the total epochs and the batches per epoch of train and validation data', async () => {
  const seen: string[] = [];
  const spy: Plugin = {
    name: 'spy',
    onTrainEpochStart: (ctx) => void seen.push(`train ${ctx.epoch + 1}/${ctx.epochs} x${ctx.batchesPerEpoch}`),
    onValidationEpochStart: (ctx) => void seen.push(`val x${ctx.batchesPerEpoch}`),
  };
  await new Trainer({ optimizer: sgd(), plugins: [spy] }).fit(toyModel(), { train: toyLoader(24, 8), val: [...toyLoader(8, 4).epoch(0, { seed: 0 })], epochs: 2 });
  expect(seen).toEqual(['train 1/2 x3', 'val x2', 'train 2/2 x3', 'val x2']);
});
