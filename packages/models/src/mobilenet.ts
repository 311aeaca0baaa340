import { BatchNorm2d, Conv2d, Linear, Module, Sequential, getDefaultRng, kaimingNormal } from '@trainkit/nn';
import { type Rng, type Tensor, ValueError, add, globalAvgPool2d } from '@trainkit/tensor';
import { checkImages, checkOptions, positiveInt, roundHalfEven } from './checks';
import { ReLU6 } from './relu6';

/** One row of MobileNetV2's table: `blocks` inverted residuals of `channels` outputs, the first with `stride`. */
export interface InvertedResidualSetting {
  /** Expansion factor t: the hidden width is t × the block's input channels (1: no expansion convolution). */
  expansion: number;
  /** Output channels c, before the width multiplier. */
  channels: number;
  /** Number of blocks n. */
  blocks: number;
  /** Stride s of the first block (1 or 2); the others have stride 1. */
  stride: number;
}

/**
 * MobileNetV2's table (Sandler et al. 2018, Table 2) for small images: the stem and the second
 * row keep stride 1, so a 32×32 input leaves the last stage at 4×4 instead of 1×1.
 */
export const MOBILENET_V2_SMALL_CONFIG: readonly InvertedResidualSetting[] = Object.freeze([
  { expansion: 1, channels: 16, blocks: 1, stride: 1 },
  { expansion: 6, channels: 24, blocks: 2, stride: 1 },
  { expansion: 6, channels: 32, blocks: 3, stride: 2 },
  { expansion: 6, channels: 64, blocks: 4, stride: 2 },
  { expansion: 6, channels: 96, blocks: 3, stride: 1 },
  { expansion: 6, channels: 160, blocks: 3, stride: 2 },
  { expansion: 6, channels: 320, blocks: 1, stride: 1 },
]);

/** Options of {@link mobilenetV2}. */
export interface MobileNetV2Options {
  /** Channels of the input images (default 3). */
  inChannels?: number;
  /** Number of classes (default 10). */
  numClasses?: number;
  /** Multiplies every width (rounded to a multiple of 8, as torchvision does); default 1. */
  widthMult?: number;
  /** The stages (default {@link MOBILENET_V2_SMALL_CONFIG}). */
  config?: readonly InvertedResidualSetting[];
  /** Channels of the stem before the width multiplier (default 32). */
  stemChannels?: number;
  /** Channels of the last 1×1 convolution (default 1280; scaled only by a widthMult above 1). */
  lastChannels?: number;
  /** Generator for the initial weights (default: the one seeded by `manualSeed`). */
  rng?: Rng;
}

/** torchvision's `_make_divisible`: v rounded to the nearest multiple of 8, never below 8 nor more than 10% down. */
function makeDivisible(v: number, divisor = 8): number {
  const rounded = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  return rounded < 0.9 * v ? rounded + divisor : rounded;
}

/** torchvision's `ConvBNReLU`/`Conv2dNormActivation`: conv (no bias, "same" padding) → BatchNorm → ReLU6, children 0, 1, 2. */
function convBnRelu6(inChannels: number, outChannels: number, kernel: number, stride: number, groups: number, rng: Rng): Sequential {
  return new Sequential(
    new Conv2d(inChannels, outChannels, kernel, { stride, padding: (kernel - 1) / 2, groups, bias: false, rng }),
    new BatchNorm2d(outChannels),
    new ReLU6(),
  );
}

/**
 * MobileNetV2's block, named like torchvision's `InvertedResidual`: a 1×1 expansion (when the
 * expansion factor is not 1), a 3×3 depthwise convolution, each with BatchNorm and ReLU6, and a
 * linear 1×1 projection with BatchNorm, all in `conv`; the input is added back when the stride
 * is 1 and the channels are unchanged.
 */
export class InvertedResidual extends Module {
  /** Whether the block adds its input to its output. */
  readonly useResidual: boolean;
  conv: Sequential;

  constructor(inChannels: number, outChannels: number, stride: number, expansion: number, rng: Rng = getDefaultRng()) {
    super();
    const hidden = roundHalfEven(inChannels * expansion);
    this.useResidual = stride === 1 && inChannels === outChannels;
    const layers: Module[] = expansion === 1 ? [] : [convBnRelu6(inChannels, hidden, 1, 1, 1, rng)];
    layers.push(
      convBnRelu6(hidden, hidden, 3, stride, hidden, rng), // depthwise
      new Conv2d(hidden, outChannels, 1, { bias: false, rng }), // projection, no activation
      new BatchNorm2d(outChannels),
    );
    this.conv = new Sequential(...layers);
  }

  forward(x: Tensor): Tensor {
    const y = this.conv.call(x);
    return this.useResidual ? add(x, y) : y;
  }
}

function checkConfig(config: readonly InvertedResidualSetting[]): void {
  if (!Array.isArray(config) || config.length === 0) throw new ValueError('mobilenetV2: config must be a non-empty array of { expansion, channels, blocks, stride }');
  config.forEach((row, i) => {
    for (const k of ['expansion', 'channels', 'blocks'] as const) positiveInt('mobilenetV2', `config[${i}].${k}`, row[k]);
    if (row.stride !== 1 && row.stride !== 2) throw new ValueError(`mobilenetV2: config[${i}].stride must be 1 or 2, got ${String(row.stride)}`);
  });
}

/**
 * A MobileNetV2-style network for small images, built by {@link mobilenetV2}: `features` (a
 * ReLU6 stem, the inverted-residual stages, a 1×1 convolution to `lastChannels`), global average
 * pooling and the linear `classifier`. Names follow torchvision (`features.1.conv.0.0.weight`);
 * the classifier is a plain Linear, without torchvision's dropout.
 */
export class MobileNetV2 extends Module {
  readonly inChannels: number;
  features: Sequential;
  classifier: Linear;

  constructor(options: MobileNetV2Options = {}) {
    super();
    checkOptions('mobilenetV2', options, ['inChannels', 'numClasses', 'widthMult', 'config', 'stemChannels', 'lastChannels', 'rng']);
    const inChannels = positiveInt('mobilenetV2', 'inChannels', options.inChannels ?? 3);
    const numClasses = positiveInt('mobilenetV2', 'numClasses', options.numClasses ?? 10);
    const widthMult = options.widthMult ?? 1;
    if (!(widthMult > 0) || !Number.isFinite(widthMult)) throw new ValueError(`mobilenetV2: widthMult must be a finite number > 0, got ${widthMult}`);
    const config = options.config ?? MOBILENET_V2_SMALL_CONFIG;
    checkConfig(config);
    // every option is checked before any weight is drawn: a refused build leaves the generator alone
    const stemChannels = positiveInt('mobilenetV2', 'stemChannels', options.stemChannels ?? 32);
    const lastChannels = positiveInt('mobilenetV2', 'lastChannels', options.lastChannels ?? 1280);
    const rng = options.rng ?? getDefaultRng();
    this.inChannels = inChannels;
    let channels = makeDivisible(stemChannels * widthMult);
    const layers: Module[] = [convBnRelu6(inChannels, channels, 3, 1, 1, rng)];
    for (const { expansion, channels: c, blocks, stride } of config) {
      const out = makeDivisible(c * widthMult);
      for (let i = 0; i < blocks; i++) {
        layers.push(new InvertedResidual(channels, out, i === 0 ? stride : 1, expansion, rng));
        channels = out;
      }
    }
    const last = makeDivisible(lastChannels * Math.max(1, widthMult));
    layers.push(convBnRelu6(channels, last, 1, 1, 1, rng));
    this.features = new Sequential(...layers);
    this.classifier = new Linear(last, numClasses, { rng });
    // torchvision's init: He normal (fan out) for convolutions, N(0, 0.01²) and zero bias for the classifier
    for (const [, m] of this.namedModules()) if (m instanceof Conv2d) kaimingNormal(m.weight, rng, { mode: 'fanOut', nonlinearity: 'relu' });
    rng.fillNormal(this.classifier.weight.data, 0, 0.01);
    this.classifier.bias?.data.fill(0);
  }

  forward(x: Tensor): Tensor {
    checkImages('MobileNetV2', x, this.inChannels);
    return this.classifier.call(globalAvgPool2d(this.features.call(x)));
  }
}

/**
 * A MobileNetV2-style classifier for small images (Sandler et al. 2018): inverted residuals with
 * depthwise convolutions and linear bottlenecks. Matches the PyTorch definition in
 * `tools/compare/torch_models.py`, so state dicts move both ways.
 *
 * @param options - `inChannels`, `numClasses`, `widthMult`, `config` (the stages), `stemChannels`, `lastChannels`, `rng`.
 * @see https://arxiv.org/abs/1801.04381
 * @example
 * const model = mobilenetV2({ inChannels: 3, numClasses: 10, widthMult: 0.5 });
 * const logits = model.call(images); // [N, 3, 32, 32] → [N, 10]
 */
export function mobilenetV2(options: MobileNetV2Options = {}): MobileNetV2 {
  return new MobileNetV2(options);
}
