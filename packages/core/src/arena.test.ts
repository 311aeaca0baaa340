import { describe, expect, test } from 'vitest';
import { type Tensor, keep } from '@trainkit/tensor';
import { ConfigError, PluginError, Trainer, sgd, type Plugin } from './index';
import { snapshot, toyLoader, toyModel } from './__tests__/fixtures';

describe('the training step arena (TrainerOptions.arena)', () => {
  test('training with the arena gives bit-identical weights and history to training without it', async () => {
    const run = async (arena: boolean) => {
      const model = toyModel(5);
      const trainer = new Trainer({ optimizer: sgd({ lr: 0.1, weightDecay: 1e-3 }), seed: 3, arena });
      const { history } = await trainer.fit(model, { train: toyLoader(96, 16), val: toyLoader(32, 16, 9), epochs: 3 });
      return { weights: snapshot(model), history: history.map((h) => ({ ...h.metrics, time: 0, samplesPerSec: 0 })) };
    };
    expect(await run(true)).toEqual(await run(false));
  });

  test('after the first step of each shape, training allocates no new buffers: the arena reuses its own', async () => {
    const fresh: number[] = [];
    const trainer = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [{ name: 'count', onTrainEpochEnd: () => void fresh.push(trainer.arena?.stats.fresh ?? -1) }] });
    await trainer.fit(toyModel(), { train: toyLoader(64, 16), epochs: 3 }); // 4 full batches per epoch
    expect(fresh[0]).toBeGreaterThan(0);
    expect(fresh).toEqual([fresh[0], fresh[0], fresh[0]]);
    expect(trainer.arena?.stats.reused).toBeGreaterThan(0);
  });

  test('a plugin that reads a previous step\'s output without keep() gets an error naming the plugin, the hook and the rule', async () => {
    let previous: Tensor | null = null;
    const hoarder: Plugin = {
      name: 'hoarder',
      onTrainBatchEnd: (ctx) => {
        if (previous !== null) void previous.data[0];
        previous = ctx.output;
      },
    };
    const fit = new Trainer({ optimizer: sgd(), plugins: [hoarder] }).fit(toyModel(), { train: toyLoader(32, 8), epochs: 1 });
    await expect(fit).rejects.toThrow(PluginError);
    await expect(fit).rejects.toThrow(/hoarder.*onTrainBatchEnd[\s\S]*taken back by the training step's arena[\s\S]*keep\(t\)/);
  });

  test('a plugin that keep()s an output reads the values it had in its step, later', async () => {
    const kept: Array<{ t: Tensor; values: number[] }> = [];
    const keeper: Plugin = { name: 'keeper', onTrainBatchEnd: (ctx) => void kept.push({ t: keep(ctx.output), values: ctx.output.toArray() }) };
    await new Trainer({ optimizer: sgd(), plugins: [keeper] }).fit(toyModel(), { train: toyLoader(32, 8), epochs: 2 });
    expect(kept).toHaveLength(8);
    for (const { t, values } of kept) expect(t.toArray()).toEqual(values);
  });

  test('arena: false allocates every result anew, so outputs stay readable without keep()', async () => {
    const outputs: Tensor[] = [];
    const trainer = new Trainer({ optimizer: sgd(), arena: false, plugins: [{ name: 'hoard', onTrainBatchEnd: (ctx) => void outputs.push(ctx.output) }] });
    await trainer.fit(toyModel(), { train: toyLoader(32, 8), epochs: 1 });
    expect(trainer.arena).toBeNull();
    for (const o of outputs) expect(o.toArray().every(Number.isFinite)).toBe(true);
  });

  test('an arena option that is not a boolean is a ConfigError', () => {
    expect(() => new Trainer({ arena: 'yes' as never })).toThrow(ConfigError);
    expect(() => new Trainer({ arena: 'yes' as never })).toThrow('Trainer: arena must be true or false, got "yes"');
  });
});
