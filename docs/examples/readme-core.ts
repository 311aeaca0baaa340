// @trainkit/core at a glance (the package README shows the region below; the tests run it).
// #region readme
import { Trainer, scheduler, sgd, stepDecay, type Plugin } from '@trainkit/core';
import { Linear, manualSeed } from '@trainkit/nn';
import { Rng, Tensor } from '@trainkit/tensor';

// 256 points with 4 features; the label is 1 when the first two features sum to more than 0
const x = new Tensor(new Rng(0).fillNormal(new Float32Array(256 * 4)), [256, 4]);
const y = Int32Array.from({ length: 256 }, (_, i) => Number(x.data[4 * i] + x.data[4 * i + 1] > 0));
const batches = [0, 1, 2, 3].map((b) => ({ x: new Tensor(x.data.slice(b * 256, (b + 1) * 256), [64, 4]), y: y.slice(b * 64, (b + 1) * 64) }));

const logger: Plugin = { name: 'logger', onTrainEpochEnd: ({ epoch, metrics }) => console.log(`epoch ${epoch + 1}: loss ${metrics.loss.toFixed(4)}, lr ${metrics.lr}`) };
manualSeed(0);
const model = new Linear(4, 2);
const trainer = new Trainer({ optimizer: sgd({ lr: 0.5 }), plugins: [scheduler(stepDecay({ stepSize: 2, gamma: 0.5 })), logger], seed: 0 });
await trainer.fit(model, { train: batches, epochs: 4 }); // any iterable of { x, y } batches, or a DataLoader
const { accuracy } = await trainer.evaluate(model, batches);
console.log(`accuracy ${(100 * accuracy).toFixed(2)}%`);
// #endregion readme
