// Using two hand-written plugins: early stopping (early-stopping.ts) and a gradient-norm logger.
import { type Plugin, Trainer, sgd } from '@trainkit/core';
import { DataLoader } from '@trainkit/data';
import { loadMnist } from '@trainkit/data/node';
import { manualSeed, mnistMlp } from '@trainkit/nn';
import { earlyStopping } from './early-stopping';

// #region grad-norm
/** Logs the global gradient norm of every batch as the metric `gradNorm` (averaged per epoch). */
const gradNorm: Plugin = {
  name: 'grad-norm',
  onAfterBackward(ctx) {
    let sq = 0;
    for (const p of ctx.model.parameters()) for (const g of p.grad ?? []) sq += g * g;
    ctx.log('gradNorm', Math.sqrt(sq));
  },
};
// #endregion grad-norm

// #region use
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const train = new DataLoader(await loadMnist({ split: 'train', limit: env('TRAIN_LIMIT', 10_000) }), { batchSize: 64, shuffle: true });
const val = new DataLoader(await loadMnist({ split: 'test', limit: env('TEST_LIMIT', 2_000) }), { batchSize: 500 });
manualSeed(0);
const stopper = earlyStopping({ patience: 2 });
// lr 0.5 is too large on purpose: the validation loss stalls and early stopping ends the run
const trainer = new Trainer({ optimizer: sgd({ lr: 0.5 }), plugins: [gradNorm, stopper] });
const { history, stopReason } = await trainer.fit(mnistMlp({ hidden: 64 }), { train, val, epochs: env('EPOCHS', 20) });
for (const { epoch, metrics } of history) {
  console.log(`epoch ${epoch + 1}: val loss ${metrics.valLoss.toFixed(4)}, mean grad norm ${metrics.gradNorm.toFixed(3)}`);
}
console.log(stopReason ?? `ran all epochs; best val loss ${stopper.best.toFixed(4)}`);
// #endregion use
