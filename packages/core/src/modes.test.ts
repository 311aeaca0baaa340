import { describe, expect, test } from 'vitest';
import { Tensor } from '@trainkit/tensor';
import { ConfigError, Trainer, sgd, type Plugin } from './index';
import { toyLoader, toyModel } from './__tests__/fixtures';

/** A plugin that, after the first training batch of each epoch, runs `side` (evaluate or predict), and records the mode of every later batch. */
function midEpoch(side: (trainer: Trainer, ctx: Parameters<NonNullable<Plugin['onTrainBatchEnd']>>[0]) => Promise<unknown>, modes: boolean[]): Plugin {
  return {
    name: 'mid-epoch',
    onTrainBatchStart: (ctx) => void modes.push(ctx.model.namedModules().every(([, m]) => m.training)),
    onTrainBatchEnd: async (ctx) => {
      if (ctx.batchIndex === 0) await side(ctx.trainer, ctx);
    },
  };
}

describe('evaluate and predict put the model back in the mode they found it in', () => {
  test('evaluate called from a training hook (a validation every N steps) leaves the rest of the epoch in train mode', async () => {
    const modes: boolean[] = [];
    const data = toyLoader(32, 8);
    const trainer = new Trainer({ optimizer: sgd(), plugins: [midEpoch((t, ctx) => t.evaluate(ctx.model, data), modes)] });
    await trainer.fit(toyModel(), { train: data, epochs: 1 });
    expect(modes).toEqual([true, true, true, true]);
  });

  test('predict called from a training hook leaves the rest of the epoch in train mode', async () => {
    const modes: boolean[] = [];
    const trainer = new Trainer({ optimizer: sgd(), plugins: [midEpoch((t, ctx) => t.predict(ctx.model, new Tensor(new Float32Array(8), [2, 4])), modes)] });
    await trainer.fit(toyModel(), { train: toyLoader(32, 8), epochs: 1 });
    expect(modes).toEqual([true, true, true, true]);
  });

  test('each module keeps its own mode: one the user set to eval stays in eval, the rest stay in train, also after a failed evaluate', async () => {
    const model = toyModel();
    const fc1 = model.namedModules().find(([name]) => name === 'fc1')?.[1];
    fc1?.eval();
    const modesOf = () => model.namedModules().map(([name, m]) => `${name || '(root)'}:${m.training}`);
    const before = modesOf();
    const trainer = new Trainer();
    await trainer.evaluate(model, toyLoader(8, 8));
    expect(modesOf()).toEqual(before);
    await trainer.predict(model, new Tensor(new Float32Array(8), [2, 4]));
    expect(modesOf()).toEqual(before);
    await expect(trainer.evaluate(model, [{ x: new Tensor(new Float32Array(6), [2, 3]), y: new Int32Array(2) }])).rejects.toThrow(/3 features/);
    expect(modesOf()).toEqual(before);
  });

  test('during evaluate and predict the model is in eval mode', async () => {
    const seen: boolean[] = [];
    const spy: Plugin = { name: 'spy', onValidationBatchStart: (ctx) => void seen.push(ctx.model.training), onPredictBatchEnd: (ctx) => void seen.push(ctx.model.training) };
    const trainer = new Trainer({ plugins: [spy] });
    await trainer.evaluate(toyModel(), toyLoader(8, 8));
    await trainer.predict(toyModel(), new Tensor(new Float32Array(8), [2, 4]));
    expect(seen).toEqual([false, false]);
  });
});

describe('one fit at a time per Trainer', () => {
  test('a second fit while one is running (a missing await) is a ConfigError and leaves the running fit intact', async () => {
    const model = toyModel();
    const trainer = new Trainer({ optimizer: sgd({ lr: 0.1 }) });
    const first = trainer.fit(model, { train: toyLoader(32, 8), epochs: 2 });
    await expect(trainer.fit(model, { train: toyLoader(32, 8), epochs: 2 })).rejects.toThrow(ConfigError);
    await expect(trainer.fit(model, { train: toyLoader(32, 8), epochs: 2 })).rejects.toThrow('fit: this Trainer is already running a fit (one started without await, or fit called from a hook); await it before starting another');
    const { history } = await first;
    expect(history.map((r) => r.epoch)).toEqual([0, 1]);
    expect(trainer.optimizer?.stepCount).toBe(8);
  });

  test('after a fit ends, successfully or not, the next fit starts', async () => {
    const trainer = new Trainer({ optimizer: sgd(), plugins: [{ name: 'once', onFitStart: () => { throw new Error('no disk'); } }] });
    await expect(trainer.fit(toyModel(), { train: toyLoader(8, 8), epochs: 1 })).rejects.toThrow('plugin "once" threw in onFitStart: no disk');
    trainer.plugins.length = 0;
    const { history } = await trainer.fit(toyModel(), { train: toyLoader(8, 8), epochs: 1 });
    expect(history).toHaveLength(1);
  });
});
