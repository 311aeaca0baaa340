/**
 * The two learning comparisons of the model zoo against PyTorch, as data: which model, which
 * dataset, which recipe. tools/compare/torch_models_train.py holds the same recipes under the
 * same names (`SETUPS`), and tools/compare/src/modelsTrain.ts runs either side.
 */
import { augment, compose, randomHorizontalFlip, randomTranslate } from '@trainkit/aug-image';
import { type Optimizer, type Plugin, cosineAnnealing, scheduler } from '@trainkit/core';
import type { TensorDataset } from '@trainkit/data';
import { loadFashionMnist, loadMnist } from '@trainkit/data/node';
import { resnet, vitTiny } from '@trainkit/models';
import type { Module } from '@trainkit/nn';
import { adamw } from '@trainkit/optim-adam';
import { momentum } from '@trainkit/optim-momentum';

export interface ModelSetup {
  /** What the table calls it. */
  title: string;
  /** The @trainkit/models builder and its options (also written to the init file's metadata for PyTorch). */
  builder: 'resnet' | 'vitTiny';
  options: Record<string, number>;
  dataset: 'fashion-mnist' | 'mnist';
  batch: number;
  epochs: number;
  /** The recipe in words, for the table. */
  recipe: string;
  /** The bound on |trainkit − PyTorch| of the mean test accuracy, in points. */
  tolerance: number;
  optimizer(): Optimizer;
  /** The scheduler (per-epoch cosine, like CosineAnnealingLR stepped once an epoch) and any augmentation. */
  plugins(): Plugin[];
}

export const SETUPS = {
  'resnet8-fashion': {
    title: 'ResNet-8 on Fashion-MNIST',
    builder: 'resnet',
    options: { depth: 8, inChannels: 1, numClasses: 10, width: 16 },
    dataset: 'fashion-mnist',
    batch: 128,
    epochs: 3,
    recipe: 'SGD momentum 0.9, lr 0.1, cosine over 3 epochs, weight decay 5e-4, batch 128, flips + ±2 px shifts',
    tolerance: 0.5,
    optimizer: () => momentum({ lr: 0.1, momentum: 0.9, weightDecay: 5e-4 }),
    plugins: () => [scheduler(cosineAnnealing({ tMax: 3 })), augment(compose([randomHorizontalFlip(), randomTranslate({ max: 2 })]))],
  },
  'vit-mnist': {
    title: 'vitTiny on MNIST',
    builder: 'vitTiny',
    options: { imageSize: 28, patchSize: 4, inChannels: 1, dim: 64, depth: 4, heads: 4, numClasses: 10 },
    dataset: 'mnist',
    batch: 128,
    epochs: 3,
    recipe: 'AdamW lr 1e-3, weight decay 0.05, cosine over 3 epochs, batch 128, no augmentation',
    tolerance: 1,
    optimizer: () => adamw({ lr: 1e-3, weightDecay: 0.05 }),
    plugins: () => [scheduler(cosineAnnealing({ tMax: 3 }))],
  },
} as const satisfies Record<string, ModelSetup>;

export type SetupName = keyof typeof SETUPS;

export function isSetupName(name: unknown): name is SetupName {
  return typeof name === 'string' && Object.hasOwn(SETUPS, name);
}

/** The setup's model, its weights drawn from the generator `manualSeed` seeded. */
export function buildModel(name: SetupName): Module {
  const s: ModelSetup = SETUPS[name];
  return s.builder === 'resnet' ? resnet(s.options as unknown as Parameters<typeof resnet>[0]) : vitTiny(s.options as unknown as Parameters<typeof vitTiny>[0]);
}

export async function loadSplit(name: SetupName, split: 'train' | 'test'): Promise<TensorDataset> {
  return SETUPS[name].dataset === 'mnist' ? loadMnist({ split }) : loadFashionMnist({ split });
}
