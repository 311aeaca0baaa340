/**
 * The trial of the MNIST sweep: the reference CNN (`mnistCnn`) trained on the first 10,000
 * MNIST training images and validated on the next 2,000, with the configuration's optimizer,
 * learning rate, dropout after both conv blocks and augmentation. Worker threads load this
 * module by its URL.
 */
import { type Optimizer, Trainer, sgd } from '@trainkit/core';
import { augment, compose, randomRotation, randomTranslate } from '@trainkit/aug-image';
import { DataLoader, subset } from '@trainkit/data';
import { loadMnist } from '@trainkit/data/node';
import { getDefaultRng, manualSeed, mnistCnn } from '@trainkit/nn';
import { adam } from '@trainkit/optim-adam';
import { momentum } from '@trainkit/optim-momentum';
import { dropout } from '@trainkit/reg-dropout';
import type { Plugin } from '@trainkit/core';
import { type TrialFunction, choice, logUniform, uniform } from '@trainkit/sweep';

/** Training images, validation images after them, and the epochs of a trial that ASHA never stops. */
export const TRAIN_IMAGES = 10_000;
export const VAL_IMAGES = 2_000;
export const MAX_EPOCHS = 6;

/** What the sweep searches. */
export const space = {
  lr: logUniform(1e-4, 1e-1),
  optimizer: choice(['sgd', 'momentum', 'adam']),
  dropout: uniform(0, 0.5),
  augment: choice(['none', 'shift', 'shift+rotate']),
};

export interface MnistConfig {
  lr: number;
  optimizer: 'sgd' | 'momentum' | 'adam';
  dropout: number;
  augment: 'none' | 'shift' | 'shift+rotate';
}

function optimizerOf(config: MnistConfig): Optimizer {
  if (config.optimizer === 'adam') return adam({ lr: config.lr });
  if (config.optimizer === 'momentum') return momentum({ lr: config.lr, momentum: 0.9 });
  return sgd({ lr: config.lr });
}

function pluginsOf(config: MnistConfig): Plugin[] {
  const plugins: Plugin[] = [];
  if (config.dropout > 0) plugins.push(dropout({ after: ['pool1', 'pool2'], p: config.dropout }));
  if (config.augment === 'shift') plugins.push(augment(randomTranslate({ max: 2 })));
  if (config.augment === 'shift+rotate') plugins.push(augment(compose([randomTranslate({ max: 2 }), randomRotation({ degrees: 10 })])));
  return plugins;
}

let data: Promise<{ train: DataLoader; val: DataLoader }> | undefined;
const loadData = () =>
  (data ??= loadMnist({ split: 'train', limit: TRAIN_IMAGES + VAL_IMAGES }).then((all) => ({
    train: new DataLoader(subset(all, Array.from({ length: TRAIN_IMAGES }, (_, i) => i)), { batchSize: 64, shuffle: true }),
    val: new DataLoader(subset(all, Array.from({ length: VAL_IMAGES }, (_, i) => TRAIN_IMAGES + i)), { batchSize: 500 }),
  })));

/** Trains for up to {@link MAX_EPOCHS} epochs (fewer when ASHA prunes it); returns the last epoch's metrics. */
export const trial: TrialFunction<MnistConfig> = async (config, ctx) => {
  const { train, val } = await loadData();
  manualSeed(ctx.seed);
  const model = mnistCnn({ rng: getDefaultRng() });
  const trainer = new Trainer({ optimizer: optimizerOf(config), plugins: [...pluginsOf(config), ...ctx.plugins], seed: ctx.seed });
  const fit = await trainer.fit(model, { train, val, epochs: MAX_EPOCHS });
  return fit.history.at(-1)!.metrics;
};

/** The throughput measurement's trial: the same CNN, Adam 1e-3, one epoch on the first `n` images, no validation. */
export const equalTrial: TrialFunction<{ images: number }> = async (config, ctx) => {
  const { train } = await loadData();
  manualSeed(ctx.seed);
  const model = mnistCnn({ rng: getDefaultRng() });
  const images = new DataLoader(subset(train.dataset, Array.from({ length: config.images }, (_, i) => i)), { batchSize: 64, shuffle: true });
  const fit = await new Trainer({ optimizer: adam({ lr: 1e-3 }), plugins: ctx.plugins, seed: ctx.seed }).fit(model, { train: images, epochs: 1 });
  return fit.history.at(-1)!.metrics;
};
