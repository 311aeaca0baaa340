// A learning-rate range test: a run of a fixed number of optimizer steps (maxSteps), no epochs.
import { type Plugin, Trainer, sgd } from '@trainkit/core';
import { DataLoader } from '@trainkit/data';
import { loadMnist } from '@trainkit/data/node';
import { manualSeed, mnistMlp } from '@trainkit/nn';

// #region lr-finder
/** Raises the learning rate geometrically from `min` to `max` over `steps` optimizer steps and records the loss at each. */
function lrFinder({ min = 1e-4, max = 1, steps = 100 } = {}) {
  const points: Array<{ lr: number; loss: number }> = [];
  const plugin = {
    name: 'lr-finder',
    points,
    onTrainBatchStart(ctx) {
      if (ctx.optimizer !== null) ctx.optimizer.lr = min * (max / min) ** (ctx.step / (steps - 1));
    },
    onTrainBatchEnd(ctx) {
      const loss = ctx.loss.item();
      points.push({ lr: ctx.optimizer?.lr ?? NaN, loss });
      if (loss > 4 * Math.min(...points.map((p) => p.loss))) ctx.stop('the loss diverged'); // no use going further
    },
  } satisfies Plugin & { points: unknown };
  return plugin;
}
// #endregion lr-finder

// #region use
const train = new DataLoader(await loadMnist({ split: 'train', limit: Number(process.env.TRAIN_LIMIT ?? 10_000) }), { batchSize: 64, shuffle: true });
manualSeed(0);
const finder = lrFinder({ steps: 100 });
const { stopReason } = await new Trainer({ optimizer: sgd(), plugins: [finder] }).fit(mnistMlp({ hidden: 64 }), { train, maxSteps: 100 });
const best = finder.points.reduce((a, b) => (b.loss < a.loss ? b : a));
console.log(`lr finder: ${finder.points.length} steps (${stopReason}); lowest loss ${best.loss.toFixed(4)} at lr ${best.lr.toPrecision(2)}`);
// #endregion use
