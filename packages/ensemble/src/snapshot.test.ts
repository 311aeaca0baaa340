import { describe, expect, test } from 'vitest';
import { Trainer, cosineWarmRestarts, sgd } from '@trainkit/core';
import { Ensemble, EnsembleError, snapshotEnsemble, snapshotsOf } from './index';
import { tinyModel, toyDataset } from './__tests__/tinyMember';
import { DataLoader } from '@trainkit/data';
import { manualSeed, getDefaultRng } from '@trainkit/nn';

const fresh = () => {
  manualSeed(0);
  return tinyModel({ rng: getDefaultRng() });
};
const loader = () => new DataLoader(toyDataset(64), { batchSize: 16, shuffle: true }); // 4 steps per epoch

describe('snapshotEnsemble', () => {
  test('with interval "step", the lr follows cosine warm restarts and a snapshot is taken at the end of every cycle', async () => {
    const lrs: number[] = [];
    const snaps = snapshotEnsemble({ t0: 3, interval: 'step' });
    const trainer = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [snaps, { name: 'spy', onTrainBatchStart: (ctx) => void lrs.push(ctx.optimizer?.lr ?? NaN) }], seed: 0 });
    await trainer.fit(fresh(), { train: loader(), epochs: 3 }); // 12 steps = cycles of 3
    const expected = Array.from({ length: 12 }, (_, t) => cosineWarmRestarts({ t0: 3 })(t, 0.1));
    lrs.forEach((lr, t) => expect(lr).toBeCloseTo(expected[t], 12));
    expect(snaps.snapshots.map((s) => [s.cycle, s.step])).toEqual([[0, 3], [1, 6], [2, 9], [3, 12]]);
  });

  test('the last snapshot is the final model when the run ends on a cycle boundary; keep drops the oldest', async () => {
    const model = fresh();
    const snaps = snapshotEnsemble({ cycles: 3, interval: 'step', keep: 2 });
    await new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [snaps], seed: 0 }).fit(model, { train: loader(), epochs: 3 });
    expect(snaps.snapshots.map((s) => s.cycle)).toEqual([1, 2]);
    const last = snaps.snapshots[1].state;
    for (const [k, t] of Object.entries(model.stateDict())) expect(Array.from(last[k].data)).toEqual(Array.from(t.data));
    // and an earlier snapshot differs from it
    expect(Array.from(snaps.snapshots[0].state['fc1.weight'].data)).not.toEqual(Array.from(last['fc1.weight'].data));
  });

  test('with interval "epoch" and tMult 2, cycles of 1, 2, 4 epochs end after epochs 1, 3 and 7', async () => {
    const snaps = snapshotEnsemble({ t0: 1, tMult: 2 });
    await new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [snaps], seed: 0 }).fit(fresh(), { train: loader(), epochs: 7 });
    expect(snaps.snapshots.map((s) => s.epoch + 1)).toEqual([1, 3, 7]);
  });

  test('the snapshots make an ensemble, and survive in the trainer state (what a worker sends back)', async () => {
    const snaps = snapshotEnsemble({ cycles: 2, interval: 'step' });
    const trainer = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [snaps], seed: 0 });
    await trainer.fit(fresh(), { train: loader(), epochs: 2 });
    const ensemble = snaps.ensemble(fresh);
    expect(ensemble).toBeInstanceOf(Ensemble);
    expect(ensemble.members).toHaveLength(2);
    const restored = snapshotsOf(structuredClone(trainer.stateDict()));
    expect(restored.map((s) => s.step)).toEqual([4, 8]);
    expect(Array.from(restored[0].state['fc2.bias'].data)).toEqual(Array.from(snaps.snapshots[0].state['fc2.bias'].data));
  });

  test('resuming from a mid-run trainer state gives the same snapshots as an uninterrupted run', async () => {
    const full = snapshotEnsemble({ cycles: 4, interval: 'step' });
    await new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [full], seed: 0 }).fit(fresh(), { train: loader(), epochs: 4 });

    const first = snapshotEnsemble({ cycles: 4, interval: 'step' });
    const model = fresh();
    const t1 = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [first, { name: 'stop', onTrainBatchEnd: (ctx) => (ctx.step === 6 ? ctx.stop() : undefined) }], seed: 0 });
    await t1.fit(model, { train: loader(), epochs: 4 });
    const state = structuredClone(t1.stateDict());
    const second = snapshotEnsemble({ cycles: 4, interval: 'step' });
    await new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [second], seed: 0 }).fit(model, { train: loader(), epochs: 4, resume: state });
    expect(second.snapshots.map((s) => s.step)).toEqual(full.snapshots.map((s) => s.step));
    second.snapshots.forEach((s, i) => expect(Array.from(s.state['fc1.weight'].data)).toEqual(Array.from(full.snapshots[i].state['fc1.weight'].data)));
  });

  test('errors', async () => {
    expect(() => snapshotEnsemble({})).toThrow(/either \{ cycles \}.*or \{ t0, tMult \}/);
    expect(() => snapshotEnsemble({ cycles: 0 })).toThrow(/cycles must be a positive integer/);
    expect(() => snapshotEnsemble({ t0: 2, keep: 0 })).toThrow(/keep must be a positive integer/);
    expect(() => snapshotEnsemble({ t0: 2, tMult: 1.5 })).toThrow(/tMult must be an integer/);
    expect(() => snapshotEnsemble({ t0: 5 }).ensemble(fresh)).toThrow(EnsembleError);
    expect(() => snapshotsOf({ plugins: {} })).toThrow(/no "snapshotEnsemble" plugin state/);
  });
});
