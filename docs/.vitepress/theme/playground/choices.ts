/**
 * What the playground offers. Each list is the single place to extend: a new optimizer,
 * model or plugin package adds one entry here and the page shows it.
 */
import { type Optimizer, type Plugin, sgd } from '@trainkit/core';
import { Linear, type Module, type Sequential, mnistCnn, mnistMlp } from '@trainkit/nn';
import { adam } from '@trainkit/optim-adam';
import { rmsprop } from '@trainkit/optim-adaptive';
import { momentum } from '@trainkit/optim-momentum';
import { dropout } from '@trainkit/reg-dropout';
import { penalty } from '@trainkit/reg-penalty';
import { augment, compose, randomRotation, randomTranslate } from '@trainkit/aug-image';

export interface OptimizerChoice {
  id: string;
  label: string;
  /** The learning rate the page suggests when this optimizer is picked. */
  lr: number;
  make(lr: number): Optimizer;
}

export interface ModelChoice {
  id: string;
  label: string;
  /** Builds the model for 28×28 grayscale inputs and `numClasses` outputs (10 for the digits). */
  make(numClasses: number): Module;
}

/** An optional plugin the page can switch on (regularization, augmentation, …). */
export interface ExtraChoice {
  id: string;
  label: string;
  /** Builds the plugin for the chosen model (layer names differ between models). */
  make(model: string): Plugin;
}

export const optimizers: OptimizerChoice[] = [
  { id: 'sgd', label: 'SGD', lr: 0.1, make: (lr) => sgd({ lr }) },
  { id: 'momentum', label: 'SGD + momentum 0.9', lr: 0.02, make: (lr) => momentum({ lr, momentum: 0.9 }) },
  { id: 'adam', label: 'Adam', lr: 0.002, make: (lr) => adam({ lr }) },
  { id: 'rmsprop', label: 'RMSProp', lr: 0.001, make: (lr) => rmsprop({ lr }) },
];

export const models: ModelChoice[] = [
  { id: 'mlp', label: 'MLP 784-128-10', make: (k) => withClasses(mnistMlp({ hidden: 128 }), 'fc2', 128, k) },
  { id: 'cnn', label: 'reference CNN (slower)', make: (k) => withClasses(mnistCnn(), 'fc', 16 * 7 * 7, k) },
];

/** The model with its last layer (`head`, `inFeatures` inputs) giving `numClasses` outputs instead of 10. */
function withClasses(model: Sequential, head: string, inFeatures: number, numClasses: number): Sequential {
  if (numClasses !== 10) model.set(head, new Linear(inFeatures, numClasses));
  return model;
}

/** Regularization and augmentation the page can switch on. */
export const extras: ExtraChoice[] = [
  { id: 'dropout', label: 'dropout 0.5 (after the hidden layer)', make: (model) => dropout({ after: [model === 'mlp' ? 'relu' : 'pool2'], p: 0.5 }) },
  { id: 'l2', label: 'L2 penalty 1e-4', make: () => penalty({ l2: 1e-4 }) },
  { id: 'augment', label: 'augmentation (±2 px, ±10°)', make: () => augment(compose([randomTranslate({ max: 2 }), randomRotation({ degrees: 10 })])) },
];

export function byId<T extends { id: string }>(list: readonly T[], id: string): T {
  const found = list.find((c) => c.id === id);
  if (found === undefined) throw new Error(`unknown choice "${id}" (known: ${list.map((c) => c.id).join(', ')})`);
  return found;
}
