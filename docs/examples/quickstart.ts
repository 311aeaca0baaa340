// The README's example: train the reference CNN on MNIST with a small logging plugin.
// Runs as is: `node --conditions=@trainkit/source --import tsx docs/examples/quickstart.ts`
// (TRAIN_LIMIT / TEST_LIMIT / EPOCHS shrink it; the test suite runs it on a slice).
import { Trainer, type Plugin } from '@trainkit/core';
import { DataLoader } from '@trainkit/data';
import { loadMnist } from '@trainkit/data/node';
import { manualSeed, mnistCnn } from '@trainkit/nn';
import { adam } from '@trainkit/optim-adam';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const train = await loadMnist({ split: 'train', limit: env('TRAIN_LIMIT', 60_000) });
const test = await loadMnist({ split: 'test', limit: env('TEST_LIMIT', 10_000) });

// A plugin is a name plus whichever hooks it needs; the trainer awaits each one.
const logger: Plugin = {
  name: 'epoch-logger',
  onTrainEpochEnd: ({ epoch, metrics }) => console.log(`epoch ${epoch + 1}: loss ${metrics.loss.toFixed(4)}`),
};

manualSeed(0); // initial weights
const model = mnistCnn();
const trainer = new Trainer({ optimizer: adam({ lr: 1e-3 }), plugins: [logger], seed: 0 });
await trainer.fit(model, { train: new DataLoader(train, { batchSize: 64, shuffle: true }), epochs: env('EPOCHS', 2) });
const { accuracy } = await trainer.evaluate(model, new DataLoader(test, { batchSize: 1000 }));
console.log(`test accuracy: ${(100 * accuracy).toFixed(2)}%`);
