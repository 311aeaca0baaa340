// Training with the optimizer defined in signum.ts, like any built-in one.
import { Trainer } from '@trainkit/core';
import { DataLoader } from '@trainkit/data';
import { loadMnist } from '@trainkit/data/node';
import { manualSeed, mnistMlp } from '@trainkit/nn';
import { signum } from './signum';

// #region use
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const train = new DataLoader(await loadMnist({ split: 'train', limit: env('TRAIN_LIMIT', 10_000) }), { batchSize: 64, shuffle: true });
const test = new DataLoader(await loadMnist({ split: 'test', limit: env('TEST_LIMIT', 2_000) }), { batchSize: 500 });
manualSeed(0);
const model = mnistMlp({ hidden: 64 });
// parameter groups: the first layer's weights learn at half the rate
const optimizer = signum({ lr: 1e-3, groups: [{ params: ['fc1.weight'], lr: 5e-4 }] });
const trainer = new Trainer({ optimizer, seed: 0 });
await trainer.fit(model, { train, epochs: env('EPOCHS', 2) });
const { accuracy } = await trainer.evaluate(model, test);
console.log(`signum: test accuracy ${(100 * accuracy).toFixed(2)}% after ${optimizer.stepCount} steps`);
// #endregion use
