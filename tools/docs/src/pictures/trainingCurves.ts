import { Trainer, sgd } from '@trainkit/core';
import { DataLoader } from '@trainkit/data';
import { loadMnist } from '@trainkit/data/node';
import { manualSeed, mnistMlp } from '@trainkit/nn';
import { trainingCurvesSvg } from '@trainkit/progress';
import type { PictureGenerator } from './types';

/**
 * A real, seeded training run drawn with @trainkit/progress: the 784-128-10 MLP on the first
 * 6,000 MNIST training images, validated on the first 2,000 test images, SGD lr 0.1, batch 64.
 * Deterministic (seed 0), so regenerating gives the same bytes.
 */
export async function trainingCurves(epochs = Number(process.env.PICTURE_EPOCHS ?? 8)): Promise<string> {
  const train = await loadMnist({ split: 'train', limit: 6000 });
  const val = await loadMnist({ split: 'test', limit: 2000 });
  manualSeed(0);
  const model = mnistMlp({ hidden: 128 });
  const trainer = new Trainer({ optimizer: sgd({ lr: 0.1 }), seed: 0 });
  const { history } = await trainer.fit(model, {
    train: new DataLoader(train, { batchSize: 64, shuffle: true }),
    val: new DataLoader(val, { batchSize: 500 }),
    epochs,
  });
  // time and throughput vary from run to run; the picture shows only loss and accuracy
  const stable = history.map((r) => ({ epoch: r.epoch, metrics: { loss: r.metrics.loss, accuracy: r.metrics.accuracy, valLoss: r.metrics.valLoss, valAccuracy: r.metrics.valAccuracy } }));
  return trainingCurvesSvg(stable, { title: `MLP 784-128-10 on 6,000 MNIST digits, SGD lr 0.1 (validation: 2,000 test digits)` });
}

export const trainingCurvesPicture: PictureGenerator = {
  file: 'training-curves.svg',
  description: 'loss and accuracy per epoch of a seeded MLP run on an MNIST slice, train vs validation (@trainkit/progress)',
  generate: () => trainingCurves(),
};
