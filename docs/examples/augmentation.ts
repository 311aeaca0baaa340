// Image augmentation: a seeded pipeline applied by the trainer in train mode only, the
// parameters of every draw replayable, and mixup's soft labels.
import { Trainer } from '@trainkit/core';
import { DataLoader } from '@trainkit/data';
import { loadMnist } from '@trainkit/data/node';
import { augment, augmentBatch, compose, mixup, randomHorizontalFlip, randomRotation, randomTranslate } from '@trainkit/aug-image';
import { manualSeed, mnistCnn } from '@trainkit/nn';
import { adam } from '@trainkit/optim-adam';
import { Rng } from '@trainkit/tensor';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const trainSet = await loadMnist({ split: 'train', limit: env('TRAIN_LIMIT', 2_000) });
const test = new DataLoader(await loadMnist({ split: 'test', limit: env('TEST_LIMIT', 2_000) }), { batchSize: 500 });

// #region plugin
// ±2 px translation and ±10° rotation (bilinear), drawn per image from the trainer's seeded
// stream 'augment'; validation and test batches are never touched.
manualSeed(0);
const model = mnistCnn();
const trainer = new Trainer({
  optimizer: adam({ lr: 1e-3 }),
  seed: 0,
  plugins: [augment(compose([randomTranslate({ max: 2 }), randomRotation({ degrees: 10 })]))],
});
await trainer.fit(model, { train: new DataLoader(trainSet, { batchSize: 64, shuffle: true }), epochs: env('EPOCHS', 3) });
console.log(`augmented CNN: test accuracy ${(100 * (await trainer.evaluate(model, test)).accuracy).toFixed(2)}%`);
// #endregion plugin

// #region replay
// Outside a trainer: the same seed gives the same batch, and the parameters of each draw are
// plain data (here: one flip decision and one shift per image).
const batch = trainSet.gather([0, 1, 2, 3]);
const flipShift = compose([randomHorizontalFlip(), randomTranslate({ max: 2 })]);
const a = augmentBatch(flipShift, batch, new Rng(7));
const b = augmentBatch(flipShift, batch, new Rng(7));
console.log(`same seed, same pixels: ${a.x.data.every((v, i) => v === b.x.data[i])}`);
console.log(`draws: ${JSON.stringify(a.params).slice(0, 80)}…`);
// #endregion replay

// #region mixup
// Mixup blends pairs of images and their labels: the targets become probabilities.
const mixed = augmentBatch(mixup({ alpha: 0.4 }), batch, new Rng(2), { numClasses: 10 });
const row = Array.from((mixed.y as { data: Float32Array }).data.slice(0, 10), (v) => v.toFixed(2));
console.log(`soft labels of image 0: [${row.join(', ')}]`);
// #endregion mixup
