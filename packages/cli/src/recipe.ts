import { type Optimizer, sgd } from '@trainkit/core';
import { adam, adamw } from '@trainkit/optim-adam';
import { momentum } from '@trainkit/optim-momentum';
import { type Transform, colorJitter, compose, randomCrop, randomHorizontalFlip, randomRotation, randomTranslate, randomVerticalFlip } from '@trainkit/aug-image';
import { UsageError } from './errors';

/** The optimizers `--optimizer` accepts, with their default learning rates. */
export const OPTIMIZERS = {
  sgd: { lr: 0.1, make: (lr: number): Optimizer => sgd({ lr }), label: 'SGD' },
  momentum: { lr: 0.01, make: (lr: number): Optimizer => momentum({ lr, momentum: 0.9 }), label: 'SGD + momentum 0.9' },
  adam: { lr: 1e-3, make: (lr: number): Optimizer => adam({ lr }), label: 'Adam' },
  adamw: { lr: 1e-3, make: (lr: number): Optimizer => adamw({ lr, weightDecay: 0.01 }), label: 'AdamW (weight decay 0.01)' },
} as const;
export type OptimizerName = keyof typeof OPTIMIZERS;
export const OPTIMIZER_NAMES = Object.keys(OPTIMIZERS) as OptimizerName[];

/** The augmentations `--augment` accepts: `name` or `name:value`, with what the value means and its default. */
const AUGMENTS: Record<string, { value: string; fallback: number; make: (v: number, size: [number, number]) => Transform }> = {
  flip: { value: 'probability', fallback: 0.5, make: (p) => randomHorizontalFlip({ p }) },
  vflip: { value: 'probability', fallback: 0.5, make: (p) => randomVerticalFlip({ p }) },
  translate: { value: 'pixels', fallback: 2, make: (max) => randomTranslate({ max }) },
  rotate: { value: 'degrees', fallback: 10, make: (degrees) => randomRotation({ degrees }) },
  crop: { value: 'padding in pixels', fallback: 4, make: (padding, size) => randomCrop({ size, padding }) },
  jitter: { value: 'brightness and contrast factor', fallback: 0.2, make: (m) => colorJitter({ brightness: m, contrast: m }) },
};
export const AUGMENT_HELP = Object.entries(AUGMENTS).map(([k, a]) => `${k}[:${a.value}, default ${a.fallback}]`).join(', ');

/** The augmentation pipeline of `--augment flip,translate:3,…` for images of `size`, or null for none. */
export function augmentation(items: readonly string[], size: [number, number]): Transform | null {
  if (items.length === 0) return null;
  const transforms = items.map((item) => {
    const [name, raw] = item.split(':');
    const a = AUGMENTS[name];
    if (a === undefined) throw new UsageError(`trainkit train: --augment ${JSON.stringify(name)} is unknown; choose from ${Object.keys(AUGMENTS).join(', ')}`);
    const v = raw === undefined ? a.fallback : Number(raw);
    if (!(Number.isFinite(v) && v >= 0)) throw new UsageError(`trainkit train: --augment ${item}: the ${a.value} must be a number ≥ 0, got ${JSON.stringify(raw)}`);
    return a.make(v, size);
  });
  return transforms.length === 1 ? transforms[0] : compose(transforms);
}
