import { augment, randomTranslate } from '@trainkit/aug-image';
import { type Optimizer, type Plugin, cosineAnnealing, scheduler } from '@trainkit/core';
import { type Module, manualSeed, mnistCnn } from '@trainkit/nn';
import { adam } from '@trainkit/optim-adam';
import { type PretrainedSource, freeze, loadPretrained, stagedUnfreeze } from '@trainkit/transfer';

/** The backbone of the reference CNN: everything but the linear head `fc`. */
export const BACKBONE = /^conv/;

/**
 * Options of the staged recipe (iv). The defaults are the issue's example — the head alone, then
 * the backbone at lr/10 — which tied for best on a validation split (images 100..1099 of each
 * class, PyTorch, 3 seeds) among the variants tried: unfreezing at epoch 3, 5, 10, 15 or never,
 * backbone lr 3e-5 to 3e-4, a cosine schedule, random translation, flips, dropout, weight decay,
 * mixup, label smoothing, weight averaging (see README.md).
 */
export interface StagedOptions {
  /** Epoch at which the backbone is unfrozen. */
  unfreezeAt: number;
  /** The backbone's learning rate once unfrozen (the head's is 1e-3). */
  backboneLr: number;
  /** Cosine annealing of both groups over the 30 epochs. */
  cosine: boolean;
  /** Random translation of the training images by up to this many pixels (0: none). */
  translate: number;
  /** The head's learning rate (the frozen recipe (ii) keeps 1e-3). */
  headLr: number;
  /** A backbone layer that is never unfrozen (e.g. `conv1`: its filters carry over), or '' for none. */
  keepFrozen: string;
}

export const STAGED_DEFAULTS: StagedOptions = { unfreezeAt: 10, backboneLr: 1e-4, cosine: false, translate: 0, headLr: 1e-3, keepFrozen: '' };

/** The backbone parameters that unfreeze: all of them, or all but the `keepFrozen` layer's. */
function unfrozen(o: StagedOptions): RegExp {
  return o.keepFrozen === '' ? BACKBONE : new RegExp(`^(?!${o.keepFrozen}\\.)conv`);
}

/** One way to train on the small Fashion-MNIST set. */
export interface Recipe {
  readonly name: 'scratch' | 'frozen' | 'finetune' | 'staged';
  readonly title: string;
  /** The issue's PyTorch reference numbers (mean ± std over 3 seeds), or null for our own recipe. */
  readonly target: { mean: number; std: number } | null;
  /** Builds the model (seeded), optimizer and plugins. */
  build(seed: number, pretrained: PretrainedSource, staged: StagedOptions): { model: Module; optimizer: Optimizer; plugins: Plugin[] };
}

/** The reference CNN with a fresh head (initialized from `seed`) and, unless `scratch`, the pretrained backbone. */
function model(seed: number, pretrained: PretrainedSource | null): Module {
  manualSeed(1000 + seed);
  const m = mnistCnn();
  if (pretrained !== null) loadPretrained(m, pretrained, { exclude: /^fc\./ });
  return m;
}

export const RECIPES: readonly Recipe[] = [
  {
    name: 'scratch',
    title: '(i) from scratch, Adam 1e-3',
    target: { mean: 81.2, std: 0.7 },
    build: (seed) => ({ model: model(seed, null), optimizer: adam({ lr: 1e-3 }), plugins: [] }),
  },
  {
    name: 'frozen',
    title: '(ii) pretrained conv frozen + new head, Adam 1e-3',
    target: { mean: 82.9, std: 0.3 },
    build: (seed, pre) => {
      const m = model(seed, pre);
      freeze(m, BACKBONE);
      return { model: m, optimizer: adam({ lr: 1e-3 }), plugins: [] };
    },
  },
  {
    name: 'finetune',
    title: '(iii) fine-tune everything, Adam 1e-4',
    target: { mean: 79.6, std: 0.3 },
    build: (seed, pre) => ({ model: model(seed, pre), optimizer: adam({ lr: 1e-4 }), plugins: [] }),
  },
  {
    name: 'staged',
    title: '(iv) staged unfreezing + per-group lr',
    target: null,
    build: (seed, pre, o) => {
      const plugins: Plugin[] = o.unfreezeAt < 30 ? [stagedUnfreeze([{ epoch: o.unfreezeAt, params: unfrozen(o) }])] : [];
      if (o.cosine) plugins.push(scheduler(cosineAnnealing({ tMax: 30 })));
      if (o.translate > 0) plugins.push(augment(randomTranslate({ max: o.translate })));
      const m = model(seed, pre);
      freeze(m, BACKBONE);
      return { model: m, optimizer: adam({ lr: o.headLr, groups: [{ params: BACKBONE, lr: o.backboneLr }] }), plugins };
    },
  },
];

/** A one-line description of the staged recipe's options. */
export function describeStaged(o: StagedOptions): string {
  const which = o.keepFrozen === '' ? 'the backbone' : `the backbone but ${o.keepFrozen}`;
  return `head alone for ${o.unfreezeAt} epochs, then ${which} at ${o.backboneLr} (head ${o.headLr})${o.cosine ? ', cosine schedule' : ''}${o.translate ? `, random translation ±${o.translate} px` : ''}`;
}
