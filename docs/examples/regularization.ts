// Regularization: dropout in a model you write, dropout added to a model you don't want to
// edit, and an L2 penalty on the loss (logged as its own metric).
import { Trainer } from '@trainkit/core';
import { DataLoader } from '@trainkit/data';
import { loadMnist } from '@trainkit/data/node';
import { Flatten, Linear, ReLU, Sequential, manualSeed, mnistCnn } from '@trainkit/nn';
import { adam } from '@trainkit/optim-adam';
import { Dropout, dropout } from '@trainkit/reg-dropout';
import { penalty } from '@trainkit/reg-penalty';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const train = new DataLoader(await loadMnist({ split: 'train', limit: env('TRAIN_LIMIT', 5_000) }), { batchSize: 64, shuffle: true });
const test = new DataLoader(await loadMnist({ split: 'test', limit: env('TEST_LIMIT', 2_000) }), { batchSize: 500 });
const epochs = env('EPOCHS', 5);

// #region layer
// Dropout as a layer: active in train mode, the identity in eval mode; masks come from the
// trainer's seeded RNG, so the run is reproducible and resumable.
manualSeed(0);
const mlp = new Sequential({
  flatten: new Flatten(),
  fc1: new Linear(784, 512),
  relu1: new ReLU(),
  drop1: new Dropout(0.5),
  fc2: new Linear(512, 10),
});
const t1 = new Trainer({ optimizer: adam({ lr: 1e-3 }), seed: 0 });
await t1.fit(mlp, { train, epochs });
console.log(`MLP with dropout: test accuracy ${(100 * (await t1.evaluate(mlp, test)).accuracy).toFixed(2)}%`);
// #endregion layer

// #region plugin
// The same idea without touching the model: dropout after the named layers, plus an L2
// penalty λ·Σw² on the weights (not the biases), which shows up as its own metric `l2`.
manualSeed(0);
const cnn = mnistCnn();
const t2 = new Trainer({
  optimizer: adam({ lr: 1e-3 }),
  seed: 0,
  plugins: [dropout({ after: ['pool2'], p: 0.25 }), penalty({ l2: 1e-4 })],
});
const { history } = await t2.fit(cnn, { train, epochs });
const last = history[history.length - 1].metrics;
console.log(`CNN: loss ${last.loss.toFixed(4)} of which l2 ${last.l2.toFixed(4)}; test accuracy ${(100 * (await t2.evaluate(cnn, test)).accuracy).toFixed(2)}%`);
// #endregion plugin
