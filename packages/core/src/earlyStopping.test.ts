import { describe, expect, test } from 'vitest';
import type { Tensor } from '@trainkit/tensor';
import { ConfigError, Trainer, earlyStopping, metricMode, sgd, type EarlyStoppingOptions, type Plugin } from './index';
import { toyLoader, toyModel } from './__tests__/fixtures';

/** A plugin that logs `values[epoch]` as the epoch metric `score` (registered before the stopper, so it sees it). */
function script(values: readonly number[]): Plugin {
  return { name: 'script', onTrainEpochEnd: (ctx) => ctx.log('score', values[ctx.epoch]) };
}

/** Fits a toy model with the scripted `score` and the stopper; returns the epochs run and the stop reason. */
async function run(values: readonly number[], options: EarlyStoppingOptions, stopper = earlyStopping({ monitor: 'score', mode: 'min', ...options })) {
  const result = await new Trainer({ optimizer: sgd({ lr: 0.05 }), plugins: [script(values), stopper] }).fit(toyModel(), { train: toyLoader(16, 8), epochs: values.length });
  return { epochs: result.history.length, reason: result.stopReason, stopper };
}

describe('earlyStopping (Keras and Lightning EarlyStopping)', () => {
  test('stops when the metric has not improved for `patience` epochs, and says so with the best value and its epoch', async () => {
    const { epochs, reason, stopper } = await run([5, 4, 4, 4.5, 3, 2], { patience: 2 });
    expect(epochs).toBe(4); // epochs 2 and 3 did not improve on 4 (epoch 1)
    expect(reason).toBe('earlyStopping: score did not improve for 2 epochs (best 4 in epoch 1)');
    expect([stopper.best, stopper.bestEpoch, stopper.stoppedEpoch]).toEqual([4, 1, 3]);
  });

  test('an improvement must beat the best by more than minDelta; equal values never count', async () => {
    expect((await run([1, 0.95, 0.9, 0.5], { patience: 2, minDelta: 0.1 })).epochs).toBe(3);
    expect((await run([1, 0.95, 0.9, 0.5], { patience: 2, minDelta: 0.01 })).epochs).toBe(4);
    expect((await run([1, 1, 1, 1], { patience: 3 })).epochs).toBe(4);
  });

  test("mode 'max' (or a score's name) stops when the metric stops rising", async () => {
    expect((await run([0.5, 0.6, 0.55, 0.58, 0.7], { patience: 2, mode: 'max' })).epochs).toBe(4);
  });

  test('patience 0 stops at the first epoch after the first that does not improve', async () => {
    expect((await run([3, 2, 2, 1], { patience: 0 })).epochs).toBe(3);
  });

  test('with a baseline, epochs that do not beat it keep counting (Keras): stops after patience epochs, saying no epoch beat it', async () => {
    const { epochs, reason } = await run([0.9, 0.9, 0.8, 0.7], { patience: 2, baseline: 0.5 });
    expect(epochs).toBe(2);
    expect(reason).toBe('earlyStopping: score did not improve for 2 epochs (no epoch beat the baseline 0.5)');
    expect((await run([0.9, 0.4, 0.4, 0.4, 0.4], { patience: 2, baseline: 0.5 })).epochs).toBe(4);
  });

  test('epochs before startFromEpoch are not watched', async () => {
    expect((await run([1, 2, 3, 4, 5, 6], { patience: 1, startFromEpoch: 3 })).epochs).toBe(5);
  });

  test('a NaN or infinite metric stops at once (checkFinite), naming it; with checkFinite false it only counts as no improvement', async () => {
    const { epochs, reason } = await run([2, Number.NaN, 1], { patience: 5 });
    expect([epochs, reason]).toEqual([2, 'earlyStopping: score is NaN in epoch 1']);
    expect((await run([2, Number.POSITIVE_INFINITY, 1], { patience: 5, checkFinite: false })).epochs).toBe(3);
  });

  test('restoreBestWeights leaves the best epoch\'s weights and buffers in the model, bit for bit, whether it stopped or ran to the end', async () => {
    for (const values of [[3, 1, 2, 2.5, 2.2], [3, 1, 2, 0.5, 0.7]]) {
      const copies: Record<string, Float32Array>[] = [];
      const spy: Plugin = { name: 'spy', onTrainEpochEnd: (ctx) => void copies.push(Object.fromEntries(Object.entries(ctx.model.stateDict() as Record<string, Tensor>).map(([k, t]) => [k, t.data.slice()]))) };
      const model = toyModel();
      const stopper = earlyStopping({ monitor: 'score', mode: 'min', patience: 2, restoreBestWeights: true });
      await new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [script(values), stopper, spy] }).fit(model, { train: toyLoader(16, 8), epochs: values.length });
      const best = copies[stopper.bestEpoch as number];
      const last = copies[copies.length - 1];
      for (const [name, t] of Object.entries(model.stateDict() as Record<string, Tensor>)) {
        expect(Array.from(t.data), name).toEqual(Array.from(best[name]));
      }
      expect(Object.keys(best).some((k) => best[k].some((v, i) => v !== last[k][i]))).toBe(true); // the restore changed something
    }
  });

  test('the counts resume with the trainer: a run resumed after 3 epochs stops where the uninterrupted one does; a fresh fit of the same stopper starts afresh', async () => {
    const values = [3, 2, 2.5, 2.4, 2.4, 2.4];
    const uninterrupted = await run(values, { patience: 2 });
    expect(uninterrupted.epochs).toBe(4);
    const model = toyModel();
    const trainer = new Trainer({ optimizer: sgd({ lr: 0.05 }), plugins: [script(values), earlyStopping({ monitor: 'score', mode: 'min', patience: 2 })] });
    await trainer.fit(model, { train: toyLoader(16, 8), epochs: 3 });
    const saved = { ...structuredClone(trainer.stateDict()), model: Object.fromEntries(Object.entries(model.stateDict() as Record<string, Tensor>).map(([k, t]) => [k, t.clone()])) };
    const resumed = await new Trainer({ optimizer: sgd({ lr: 0.05 }), plugins: [script(values), earlyStopping({ monitor: 'score', mode: 'min', patience: 2 })] }).fit(toyModel(), { train: toyLoader(16, 8), epochs: values.length, resume: saved });
    expect([resumed.history.length, resumed.stopReason]).toEqual([uninterrupted.epochs, uninterrupted.reason]);
    expect((await run([2.4, 2.4, 2.4, 2.4], {}, uninterrupted.stopper)).epochs).toBe(3); // fresh: epoch 0 is the best, 1 and 2 are not
  });

  test('a missing metric is an error naming it and the metrics there are', async () => {
    const fit = new Trainer({ optimizer: sgd({ lr: 0.05 }), plugins: [earlyStopping({ monitor: 'valLoss' })] }).fit(toyModel(), { train: toyLoader(16, 8), epochs: 2 });
    await expect(fit).rejects.toThrow(/earlyStopping\(\{ monitor: 'valLoss' \}\) found no such metric; available: .*loss.*\(pass val data to fit for val… metrics\)/);
  });

  test('restoring weights kept for other tensors is refused at the end of fit, naming the tensor, and the model keeps its weights', async () => {
    const stopper = earlyStopping({ monitor: 'score', mode: 'min', restoreBestWeights: true });
    stopper.loadStateDict?.({ best: 1, bestEpoch: 0, wait: 0, stoppedEpoch: null, weights: { 'other.weight': new Float32Array(3) } });
    const model = toyModel();
    const before = Object.values(model.stateDict() as Record<string, Tensor>).map((t) => Array.from(t.data));
    await expect(new Trainer({ optimizer: sgd({ lr: 0 }), plugins: [script([5]), stopper] }).fit(model, { train: toyLoader(16, 8), epochs: 1 })).rejects.toThrow(/the model's ".*" does not match the copy kept from epoch 0/);
    expect(Object.values(model.stateDict() as Record<string, Tensor>).map((t) => Array.from(t.data))).toEqual(before);
  });

  test.each([
    [{ patience: -1 }, 'earlyStopping({ patience: -1 }): patience must be an integer ≥ 0'],
    [{ patience: 1.5 }, 'earlyStopping({ patience: 1.5 }): patience must be an integer ≥ 0'],
    [{ minDelta: Number.NaN }, 'earlyStopping({ minDelta: null }): minDelta must be a finite number ≥ 0'],
    [{ minDelta: -0.1 }, 'earlyStopping({ minDelta: -0.1 }): minDelta must be a finite number ≥ 0'],
    [{ mode: 'up' }, 'earlyStopping({ mode: "up" }): mode must be \'min\' or \'max\''],
    [{ monitor: 'reward' }, "earlyStopping({ monitor: \"reward\" }): monitor does not say whether lower or higher is better; pass mode: 'min' or 'max'"],
    [{ monitor: '' }, "earlyStopping({ monitor: \"\" }): monitor must be a metric's name"],
    [{ baseline: Number.POSITIVE_INFINITY }, 'earlyStopping({ baseline: null }): baseline must be a finite number'],
    [{ startFromEpoch: -2 }, 'earlyStopping({ startFromEpoch: -2 }): startFromEpoch must be an integer ≥ 0'],
    [{ restoreBestWeights: 'yes' }, 'earlyStopping({ restoreBestWeights: "yes" }): restoreBestWeights must be true or false'],
  ])('bad options are a ConfigError that names them: %o', (options, message) => {
    expect(() => earlyStopping(options as EarlyStoppingOptions)).toThrow(ConfigError);
    expect(() => earlyStopping(options as EarlyStoppingOptions)).toThrow(message);
  });

  test.each([[null], [{ best: 'x', bestEpoch: 0, wait: 0, stoppedEpoch: null, weights: null }], [{ best: 1, bestEpoch: 0, wait: -1, stoppedEpoch: null, weights: null }], [{ best: 1, bestEpoch: 0, wait: 0, stoppedEpoch: null, weights: { w: [1, 2] } }]])(
    'a corrupt saved state is refused: %o',
    (state) => {
      expect(() => earlyStopping().loadStateDict?.(state)).toThrow('earlyStopping: saved state must be');
    },
  );
});

describe('metricMode', () => {
  test.each([
    ['valLoss', 'min'], ['trainMse', 'min'], ['error', 'min'], ['valNll', 'min'],
    ['valAccuracy', 'max'], ['auc', 'max'], ['valF1', 'max'], ['meanIoU', 'max'], ['valAP', 'max'],
    ['reward', null], ['lr', null],
  ] as const)('%s → %s', (name, mode) => {
    expect(metricMode(name)).toBe(mode);
  });
});
