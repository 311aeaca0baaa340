import { Trainer, sgd } from '@trainkit/core';
import { DataLoader } from '@trainkit/data';
import { loadMnist } from '@trainkit/data/node';
import { manualSeed, mnistMlp } from '@trainkit/nn';
import { metricHistory, trainingCurvesSvg } from '@trainkit/progress';
import type { PictureGenerator } from './types';

/**
 * A real, seeded training run drawn with @trainkit/progress: the 784-128-10 MLP on the first
 * 4,000 MNIST training images, validated on the first 1,000 test images, SGD lr 0.1, batch 64,
 * training loss and accuracy per batch. Deterministic (seed 0), so regenerating gives the
 * same bytes (pictures.test.ts checks it).
 */
export async function trainingCurves(epochs = 4): Promise<string> {
  const train = await loadMnist({ split: 'train', limit: 4000 });
  const val = await loadMnist({ split: 'test', limit: 1000 });
  manualSeed(0);
  const model = mnistMlp({ hidden: 128 });
  const perBatch = metricHistory({ everySteps: 1 });
  const trainer = new Trainer({ optimizer: sgd({ lr: 0.1 }), seed: 0, plugins: [perBatch] });
  const { history } = await trainer.fit(model, {
    train: new DataLoader(train, { batchSize: 64, shuffle: true }),
    val: new DataLoader(val, { batchSize: 500 }),
    epochs,
  });
  // time and throughput vary from run to run; the picture shows only loss and accuracy
  const stable = history.map((r) => ({ epoch: r.epoch, metrics: { loss: r.metrics.loss, accuracy: r.metrics.accuracy, valLoss: r.metrics.valLoss, valAccuracy: r.metrics.valAccuracy } }));
  return trainingCurvesSvg(stable, { title: 'MLP 784-128-10 on 4,000 MNIST digits, SGD lr 0.1 (validation: 1,000 test digits)', steps: perBatch.steps });
}

export const trainingCurvesPicture: PictureGenerator = {
  file: 'training-curves.svg',
  description: 'loss and accuracy of a seeded MLP run on an MNIST slice, train per batch vs validation per epoch (@trainkit/progress)',
  generate: () => trainingCurves(),
};
