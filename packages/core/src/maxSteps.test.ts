import { describe, expect, test } from 'vitest';
import { ConfigError, Trainer, sgd, type FitOptions, type Plugin } from './index';
import { snapshot, toyLoader, toyModel } from './__tests__/fixtures';

/** Counts the hooks that tell what ran: batches, validations, epoch ends. */
function counter(): Plugin & { n: Record<string, number> } {
  const n: Record<string, number> = { onTrainBatchEnd: 0, onValidationEpochEnd: 0, onTrainEpochEnd: 0, onFitEnd: 0 };
  const p: Record<string, unknown> = { name: 'counter', n };
  for (const h of Object.keys(n)) p[h] = () => void n[h]++;
  return p as unknown as Plugin & { n: Record<string, number> };
}

/** 64 samples in batches of 8: 8 batches (= 8 optimizer steps) per epoch. */
const train = () => toyLoader(64, 8);
const fitWith = async (options: Omit<FitOptions, 'train'>, plugins: Plugin[] = [], model = toyModel(5)) => {
  const trainer = new Trainer({ optimizer: sgd({ lr: 0.1 }), seed: 3, plugins });
  const result = await trainer.fit(model, { train: train(), val: toyLoader(16, 8, 2), ...options });
  return { trainer, model, result };
};
const lossAndAccuracy = (h: Array<{ epoch: number; metrics: Record<string, number> }>) => h.map(({ epoch, metrics: m }) => [epoch, m.loss, m.accuracy, m.valLoss]);

describe('fit({ maxSteps })', () => {
  test('maxSteps = k × batches per epoch trains exactly as epochs = k (weights and history) and says why it ended', async () => {
    const bySteps = await fitWith({ maxSteps: 16 });
    const byEpochs = await fitWith({ epochs: 2 });
    expect(snapshot(bySteps.model)).toEqual(snapshot(byEpochs.model));
    expect(lossAndAccuracy(bySteps.result.history)).toEqual(lossAndAccuracy(byEpochs.result.history));
    expect(bySteps.result.stopReason).toBe('maxSteps reached (16 optimizer steps)');
    expect(byEpochs.result.stopReason).toBeNull();
  });

  test('a budget that ends mid-epoch skips that epoch’s validation, onTrainEpochEnd and history record; onFitEnd still runs', async () => {
    const c = counter();
    const { trainer, result } = await fitWith({ maxSteps: 11 }, [c]);
    expect(c.n).toEqual({ onTrainBatchEnd: 11, onValidationEpochEnd: 1, onTrainEpochEnd: 1, onFitEnd: 1 });
    expect(result.history.map((h) => h.epoch)).toEqual([0]);
    const state = trainer.stateDict();
    expect([state.epoch, state.batchIndex, state.step]).toEqual([1, 3, 11]);
  });

  test('resuming a run that maxSteps ended, with a larger maxSteps, equals one run with the larger budget', async () => {
    const first = await fitWith({ maxSteps: 11 });
    const state = structuredClone(first.trainer.stateDict());
    const resumed = await fitWith({ maxSteps: 21, resume: state }, [], first.model);
    const whole = await fitWith({ maxSteps: 21 });
    expect(snapshot(resumed.model)).toEqual(snapshot(whole.model));
    expect(lossAndAccuracy(resumed.result.history)).toEqual(lossAndAccuracy(whole.result.history));
  });

  test('with epochs as well, whichever comes first ends the run', async () => {
    expect((await fitWith({ epochs: 1, maxSteps: 100 })).result).toMatchObject({ stopReason: null, history: [{ epoch: 0 }] });
    const c = counter();
    expect((await fitWith({ epochs: 5, maxSteps: 4 }, [c])).result.stopReason).toBe('maxSteps reached (4 optimizer steps)');
    expect(c.n.onTrainBatchEnd).toBe(4);
  });

  test('steps skipped with skipStep() do not count toward maxSteps', async () => {
    const c = counter();
    const everyOther: Plugin = { name: 'accumulate-2', onBeforeOptimizerStep: (ctx) => void (ctx.batchIndex % 2 === 0 && ctx.skipStep()) };
    const { trainer } = await fitWith({ maxSteps: 3 }, [everyOther, c]);
    expect(c.n.onTrainBatchEnd).toBe(6);
    expect(trainer.optimizer?.stepCount).toBe(3);
  });

  test('a budget already spent by the resumed steps ends fit before any batch', async () => {
    const first = await fitWith({ maxSteps: 5 });
    const c = counter();
    const again = await fitWith({ maxSteps: 5, resume: structuredClone(first.trainer.stateDict()) }, [c], first.model);
    expect(c.n).toEqual({ onTrainBatchEnd: 0, onValidationEpochEnd: 0, onTrainEpochEnd: 0, onFitEnd: 1 });
    expect(again.result.stopReason).toBe('maxSteps reached (5 optimizer steps)');
  });

  test('plugins see the budget in ctx.maxSteps and no epoch limit (Infinity) when only maxSteps is given', async () => {
    const seen: number[][] = [];
    await fitWith({ maxSteps: 2 }, [{ name: 'spy', onFitStart: (ctx) => void seen.push([ctx.epochs, ctx.maxSteps]) }]);
    await fitWith({ epochs: 1 }, [{ name: 'spy', onFitStart: (ctx) => void seen.push([ctx.epochs, ctx.maxSteps]) }]);
    expect(seen).toEqual([[Infinity, 2], [1, Infinity]]);
  });

  test('maxSteps without epochs, when every step is skipped, is an error instead of an endless run', async () => {
    const skipAll: Plugin = { name: 'skip-all', onBeforeOptimizerStep: (ctx) => ctx.skipStep() };
    await expect(fitWith({ maxSteps: 3 }, [skipAll])).rejects.toThrow('fit({ maxSteps: 3 }): epoch 0 took no optimizer step (every step was skipped), so maxSteps would never be reached; give epochs as well');
  });

  test.each([0, -2, 1.5, NaN])('maxSteps = %s is rejected', async (maxSteps) => {
    await expect(fitWith({ maxSteps })).rejects.toThrow(`fit: maxSteps must be a positive integer, got ${maxSteps}`);
  });

  test('fit without epochs or maxSteps says how to give one', async () => {
    await expect(fitWith({})).rejects.toThrow(ConfigError);
    await expect(fitWith({})).rejects.toThrow('fit: give epochs (fit(model, { train, epochs: 10 })) or maxSteps (fit(model, { train, maxSteps: 100 })), or both');
  });
});

describe('stop() mid-epoch', () => {
  test('called in onTrainEpochStart, no batch of that epoch runs and its epoch end is skipped', async () => {
    const c = counter();
    const stopAtEpoch1: Plugin = { name: 'stop', onTrainEpochStart: (ctx) => void (ctx.epoch === 1 && ctx.stop('enough')) };
    const { result } = await fitWith({ epochs: 3 }, [stopAtEpoch1, c]);
    expect(c.n).toEqual({ onTrainBatchEnd: 8, onValidationEpochEnd: 1, onTrainEpochEnd: 1, onFitEnd: 1 });
    expect(result).toMatchObject({ stopReason: 'enough', history: [{ epoch: 0 }] });
  });

  test('called in a validation hook, the epoch still ends (history, onTrainEpochEnd) and the next one does not start', async () => {
    const c = counter();
    const stopInVal: Plugin = { name: 'stop', onValidationEpochEnd: (ctx) => ctx.stop('plateau') };
    const { result } = await fitWith({ epochs: 3 }, [stopInVal, c]);
    expect(c.n).toEqual({ onTrainBatchEnd: 8, onValidationEpochEnd: 1, onTrainEpochEnd: 1, onFitEnd: 1 });
    expect(result.history.map((h) => h.epoch)).toEqual([0]);
  });
});
