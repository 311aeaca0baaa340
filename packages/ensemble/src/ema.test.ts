import { describe, expect, test } from 'vitest';
import { Trainer, sgd } from '@trainkit/core';
import { DataLoader } from '@trainkit/data';
import { BatchNorm1d, Linear, ReLU, Sequential, getDefaultRng, manualSeed } from '@trainkit/nn';
import { Tensor, mul, square, sum } from '@trainkit/tensor';
import { EnsembleError, copyStateDict, ema, recomputeBatchNorm } from './index';
import { tinyModel, toyDataset } from './__tests__/tinyMember';

const fresh = () => {
  manualSeed(0);
  return tinyModel({ rng: getDefaultRng() });
};
const bnNet = () => {
  manualSeed(0);
  return new Sequential({ fc1: new Linear(4, 8), bn: new BatchNorm1d(8), relu: new ReLU(), fc2: new Linear(8, 3) });
};
const loader = () => new DataLoader(toyDataset(64), { batchSize: 16, shuffle: true });
const val = () => new DataLoader(toyDataset(32, 2), { batchSize: 32 });
const values = (m: { stateDict(): Record<string, Tensor> }) => Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, Array.from(t.data)]));

/** One weight w, loss w²/2 (input 1): the gradient is w, so sgd with lr 0.5 halves w every step. */
async function halving(plugin: ReturnType<typeof ema>, steps: number): Promise<number> {
  const net = new Sequential({ fc: new Linear(1, 1, { bias: false }) });
  net.parameters()[0].data.fill(4);
  const batch = { x: new Tensor(Float32Array.of(1), [1, 1]), y: Int32Array.of(0) };
  const loss = (out: Tensor) => sum(mul(square(out), 0.5));
  await new Trainer({ optimizer: sgd({ lr: 0.5 }), plugins: [plugin], loss, seed: 0 }).fit(net, { train: [batch], epochs: steps });
  return net.parameters()[0].data[0];
}

describe('ema', () => {
  test('a hand-computed average: decay 0.5 without warmup, two steps', async () => {
    // w: 4 → 2 → 1;  avg: 4 → 0.5·4 + 0.5·2 = 3 → 0.5·3 + 0.5·1 = 2
    const avg = ema({ decay: 0.5, warmup: false, applyAtEnd: false });
    expect(await halving(avg, 2)).toBe(1);
    expect(avg.updates).toBe(2);
    expect(avg.averaged()?.['fc.weight'].data[0]).toBeCloseTo(2, 6);
    expect(avg.averaged()?.['fc.weight'].shape).toEqual([1, 1]);
  });

  test('warmup: update t uses min(decay, (1 + t) / (10 + t)), so the first update keeps only 0.1 of the initial weights', async () => {
    // t = 0: d = 0.1 → avg = 0.1·4 + 0.9·2 = 2.2;  t = 1: d = 2/11 → avg = 2/11·2.2 + 9/11·1 = 1.2182…
    const avg = ema({ decay: 0.999, applyAtEnd: false });
    await halving(avg, 2);
    expect(avg.averaged()?.['fc.weight'].data[0]).toBeCloseTo((2 / 11) * 2.2 + 9 / 11, 6);
  });

  test('with applyAtEnd (default) the model holds the average after fit', async () => {
    expect(await halving(ema({ decay: 0.5, warmup: false }), 2)).toBeCloseTo(2, 6);
  });

  test('training itself is untouched: the raw weights equal a run without EMA (validation swaps included)', async () => {
    const plain = fresh();
    await new Trainer({ optimizer: sgd({ lr: 0.1 }), seed: 3 }).fit(plain, { train: loader(), val: val(), epochs: 3 });
    const averaged = fresh();
    await new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [ema({ decay: 0.9, applyAtEnd: false })], seed: 3 }).fit(averaged, { train: loader(), val: val(), epochs: 3 });
    expect(values(averaged)).toEqual(values(plain));
  });

  test('validation measures the averaged weights: the last valLoss is the loss of the model left by applyAtEnd', async () => {
    const model = fresh();
    const trainer = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [ema({ decay: 0.9 })], seed: 3 });
    const { history } = await trainer.fit(model, { train: loader(), val: val(), epochs: 3 });
    const { loss } = await new Trainer().evaluate(model, val());
    expect(history[2].metrics.valLoss).toBeCloseTo(loss, 6);
  });

  test('BatchNorm statistics are recomputed for the averaged weights (from bnData)', async () => {
    const model = bnNet();
    const avg = ema({ decay: 0.9, bnData: loader() });
    await new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [avg], seed: 3 }).fit(model, { train: loader(), epochs: 2 });
    const check = bnNet();
    check.loadStateDict(copyStateDict(model));
    recomputeBatchNorm(check, loader());
    expect(values(model)['bn.running_mean']).toEqual(values(check)['bn.running_mean']);
    // …which differ from the running statistics the raw training weights collected
    const raw = bnNet();
    await new Trainer({ optimizer: sgd({ lr: 0.1 }), seed: 3 }).fit(raw, { train: loader(), epochs: 2 });
    expect(values(model)['bn.running_mean']).not.toEqual(values(raw)['bn.running_mean']);
  });

  test('without bnData, the statistics come from the last bnBatches training batches', async () => {
    const model = bnNet();
    const seen: Tensor[] = [];
    const spy = { name: 'spy', onAfterForward: (ctx: { stage: string; batch: { x: Tensor } }) => void (ctx.stage === 'fit' && seen.push(ctx.batch.x)) };
    await new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [spy, ema({ decay: 0.9, bnBatches: 3 })], seed: 3 }).fit(model, { train: loader(), epochs: 2 });
    const check = bnNet();
    check.loadStateDict(copyStateDict(model));
    recomputeBatchNorm(check, seen.slice(-3));
    expect(values(model)['bn.running_var']).toEqual(values(check)['bn.running_var']);
  });

  test('resuming from a checkpointed trainer state continues the same average', async () => {
    const full = ema({ decay: 0.9, applyAtEnd: false });
    await new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [full], seed: 3 }).fit(fresh(), { train: loader(), epochs: 3 });

    const model = fresh();
    const first = ema({ decay: 0.9, applyAtEnd: false });
    const t1 = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [first, { name: 'stop', onTrainBatchEnd: (ctx) => (ctx.step === 5 ? ctx.stop() : undefined) }], seed: 3 });
    await t1.fit(model, { train: loader(), epochs: 3 });
    const second = ema({ decay: 0.9, applyAtEnd: false });
    await new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [second], seed: 3 }).fit(model, { train: loader(), epochs: 3, resume: structuredClone(t1.stateDict()) });
    expect(second.updates).toBe(full.updates);
    expect(Array.from(second.averaged()?.['fc1.weight'].data ?? [])).toEqual(Array.from(full.averaged()?.['fc1.weight'].data ?? []));
  });

  test('resuming a BatchNorm model mid-run (default bnData) leaves the same averaged weights and BatchNorm statistics as an uninterrupted run', async () => {
    const full = bnNet();
    await new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [ema({ decay: 0.9 })], seed: 3 }).fit(full, { train: loader(), epochs: 3 });

    const model = bnNet();
    // applyAtEnd: false, so the stopped run leaves the raw weights, as a crash would
    const t1 = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [ema({ decay: 0.9, applyAtEnd: false }), { name: 'stop', onTrainBatchEnd: (ctx) => (ctx.step === 9 ? ctx.stop() : undefined) }], seed: 3 });
    await t1.fit(model, { train: loader(), epochs: 3 });
    const saved = structuredClone(t1.stateDict());
    await new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [ema({ decay: 0.9 })], seed: 3 }).fit(model, { train: loader(), epochs: 3, resume: saved });
    // the statistics come from the last 32 training batches, 9 of them seen before the stop
    expect(values(model)).toEqual(values(full));
  });

  test('errors', () => {
    expect(() => ema({ decay: 1 })).toThrow(/ema\(\{ decay: 1 \}\): decay must be in \[0, 1\)/);
    expect(() => ema({ bnBatches: 0 })).toThrow(/bnBatches must be a positive integer/);
    expect(() => ema().applyTo(fresh())).toThrow(EnsembleError);
  });
});
