// The Trainer: fit with validation, listen to hooks, evaluate, predict, stop early, resume.
import { Trainer, earlyStopping, sgd } from '@trainkit/core';
import { DataLoader } from '@trainkit/data';
import { loadMnist } from '@trainkit/data/node';
import { manualSeed, mnistMlp } from '@trainkit/nn';
import { argmax } from '@trainkit/tensor';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const train = new DataLoader(await loadMnist({ split: 'train', limit: env('TRAIN_LIMIT', 10_000) }), { batchSize: 64, shuffle: true });
const test = new DataLoader(await loadMnist({ split: 'test', limit: env('TEST_LIMIT', 2_000) }), { batchSize: 500 });

// #region fit
manualSeed(0);
const model = mnistMlp({ hidden: 64 });
const trainer = new Trainer({ optimizer: sgd({ lr: 0.1 }), seed: 0 });
// listeners run after the plugins; the event name is the hook name without "on"
trainer.on('trainEpochEnd', ({ epoch, metrics }) => {
  console.log(`epoch ${epoch + 1}: loss ${metrics.loss.toFixed(4)}, val accuracy ${(100 * metrics.valAccuracy).toFixed(2)}%`);
});
const { history } = await trainer.fit(model, { train, val: test, epochs: env('EPOCHS', 3) });
console.log(`history has ${history.length} epochs; keys: ${Object.keys(history[0].metrics).join(', ')}`);
// #endregion fit

// #region evaluate
const { loss, accuracy } = await trainer.evaluate(model, test);
console.log(`test loss ${loss.toFixed(4)}, test accuracy ${(100 * accuracy).toFixed(2)}%`);
const logits = await trainer.predict(model, test); // [N, 10], eval mode, no gradients
console.log(`first predictions: ${Array.from(argmax(logits).slice(0, 10)).join(' ')}`);
// #endregion evaluate

// #region stop-resume
// Stop after 5 batches, keep the trainer's state, and continue later from exactly there.
manualSeed(1);
const a = mnistMlp({ hidden: 64 });
const first = new Trainer({ optimizer: sgd({ lr: 0.1 }), seed: 1 });
first.on('trainBatchEnd', (ctx) => {
  if (ctx.step === 5) ctx.stop('paused after 5 steps');
});
const { stopReason } = await first.fit(a, { train, epochs: 1 });
const saved = first.stateDict(); // plain data: position, RNG, optimizer and plugin states
const second = new Trainer({ optimizer: sgd({ lr: 0.1 }), seed: 1 });
await second.fit(a, { train, epochs: 1, resume: saved });
console.log(`${stopReason}; resumed and finished at step ${second.optimizer?.stepCount}`);
// #endregion stop-resume

// #region early-stopping
// Stop when the validation loss has not improved for 2 epochs, and end with the best epoch's weights.
manualSeed(2);
const net = mnistMlp({ hidden: 64 });
const stopper = earlyStopping({ monitor: 'valLoss', patience: 2, restoreBestWeights: true });
const run = await new Trainer({ optimizer: sgd({ lr: 0.5 }), seed: 2, plugins: [stopper] }).fit(net, { train, val: test, epochs: env('STOP_EPOCHS', 8) });
console.log(`${run.history.length} epochs; ${run.stopReason ?? 'ran to the end'}; weights from epoch ${stopper.bestEpoch} (val loss ${stopper.best?.toFixed(4)})`);
// #endregion early-stopping
