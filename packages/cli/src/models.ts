import { Conv2d, Flatten, Linear, MaxPool2d, type Module, ReLU, Sequential, manualSeed } from '@trainkit/nn';
import { mobilenetV2, resnet, vitTiny } from '@trainkit/models';
import { UsageError } from './errors';

/** The models `--model` accepts. */
export const MODEL_NAMES = ['cnn', 'mlp', 'resnet8', 'resnet20', 'resnet32', 'mobilenet', 'vit'] as const;
/** One of {@link MODEL_NAMES}. */
export type ModelName = (typeof MODEL_NAMES)[number];

/** Everything that rebuilds a model (saved in run.json): its name, the input shape and the number of classes. */
export interface ModelSpec {
  name: ModelName;
  /** One sample's shape: `[C, H, W]` for images, `[features]` for tables. */
  inputShape: number[];
  numClasses: number;
  /** Hidden units of the MLP. */
  hidden?: number;
}

/**
 * The model of `spec`, initialised from `seed`. `cnn` is trainkit's reference CNN (`mnistCnn`:
 * conv 5×5 → 8, pool, conv 5×5 → 16, pool, linear) sized to the input and classes, so on
 * 1×28×28 images with 10 classes it is exactly `mnistCnn()`; `mlp` is flatten → `hidden`
 * (default 256) → ReLU → classes; `resnet8/20/32`, `mobilenet` and `vit` come from @trainkit/models.
 */
export function buildModel(spec: ModelSpec, seed: number): Module {
  manualSeed(seed);
  const { inputShape: shape, numClasses } = spec;
  const image = shape.length === 3;
  if (spec.name !== 'mlp' && !image) {
    throw new UsageError(`trainkit train: --model ${spec.name} needs images [channels, height, width], but the data's samples have shape [${shape.join(', ')}]; use --model mlp for tables`);
  }
  const [c, h, w] = shape;
  switch (spec.name) {
    case 'mlp': {
      const hidden = spec.hidden ?? 256;
      const inputs = shape.reduce((a, b) => a * b, 1);
      return new Sequential({ flatten: new Flatten(), fc1: new Linear(inputs, hidden), relu: new ReLU(), fc2: new Linear(hidden, numClasses) });
    }
    case 'cnn':
      if (h < 4 || w < 4) throw new UsageError(`trainkit train: --model cnn needs images of at least 4×4 (it halves them twice), got ${h}×${w}; pass --size 4 or more`);
      return new Sequential({
        conv1: new Conv2d(c, 8, 5, { padding: 2 }),
        relu1: new ReLU(),
        pool1: new MaxPool2d(2),
        conv2: new Conv2d(8, 16, 5, { padding: 2 }),
        relu2: new ReLU(),
        pool2: new MaxPool2d(2),
        flatten: new Flatten(),
        fc: new Linear(16 * Math.floor(Math.floor(h / 2) / 2) * Math.floor(Math.floor(w / 2) / 2), numClasses),
      });
    case 'resnet8':
    case 'resnet20':
    case 'resnet32':
      return resnet({ depth: Number(spec.name.slice('resnet'.length)) as 8 | 20 | 32, inChannels: c, numClasses });
    case 'mobilenet':
      return mobilenetV2({ inChannels: c, numClasses, widthMult: 0.5 });
    case 'vit': {
      if (h !== w) throw new UsageError(`trainkit train: --model vit needs square images, got ${h}×${w}; pass --size ${Math.max(h, w)}`);
      const patchSize = [4, 2, 1].find((p) => h % p === 0 && h / p <= 16) ?? (h % 4 === 0 ? 4 : 1);
      return vitTiny({ imageSize: h, patchSize, inChannels: c, dim: 64, depth: 4, heads: 4, numClasses });
    }
  }
}
