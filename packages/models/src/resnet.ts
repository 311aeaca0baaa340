import { BatchNorm2d, Conv2d, Linear, Module, Sequential, getDefaultRng, kaimingNormal } from '@trainkit/nn';
import { type Rng, type Tensor, ValueError, add, globalAvgPool2d, relu } from '@trainkit/tensor';
import { checkImages, checkOptions, positiveInt } from './checks';

/** The CIFAR depths of He et al. (2016, §4.2): 6n + 2 layers, n BasicBlocks in each of 3 stages. */
export type ResNetDepth = 8 | 20 | 32 | 44 | 56 | 110;

const DEPTHS: readonly number[] = [8, 20, 32, 44, 56, 110];

/** Options of {@link resnet}. */
export interface ResNetOptions {
  /** 8, 20, 32, 44, 56 or 110 weight layers: 3 stages of (depth − 2) / 6 BasicBlocks. */
  depth: ResNetDepth;
  /** Channels of the input images (default 3; 1 for MNIST-like data). */
  inChannels?: number;
  /** Number of classes, the logits' width (default 10). */
  numClasses?: number;
  /** Channels of the first stage; the second and third have 2× and 4× (default 16, the paper's). */
  width?: number;
  /** Generator for the initial weights (default: the one seeded by `manualSeed`). */
  rng?: Rng;
  /**
   * Start each BasicBlock's last BatchNorm scale (`bn2.weight`) at 0, so every block begins as the
   * identity (torchvision's `zero_init_residual`; Goyal et al. 2017). Default false.
   */
  zeroInitResidual?: boolean;
}

/** A 3×3 convolution without bias, the building brick of a BasicBlock. */
function conv3x3(inChannels: number, outChannels: number, stride: number, rng: Rng): Conv2d {
  return new Conv2d(inChannels, outChannels, 3, { stride, padding: 1, bias: false, rng });
}

/**
 * torchvision's `BasicBlock`: conv3×3 → BN → ReLU → conv3×3 → BN, plus the input, then ReLU.
 * Where the stride or the channels change, the shortcut is `downsample`, a 1×1 strided
 * convolution and a BatchNorm (He et al.'s option B); elsewhere it is the identity.
 */
export class BasicBlock extends Module {
  conv1: Conv2d;
  bn1: BatchNorm2d;
  conv2: Conv2d;
  bn2: BatchNorm2d;
  /** The projection shortcut, or null for the identity. */
  downsample: Sequential | null = null;

  constructor(inChannels: number, outChannels: number, stride = 1, rng: Rng = getDefaultRng()) {
    super();
    this.conv1 = conv3x3(inChannels, outChannels, stride, rng);
    this.bn1 = new BatchNorm2d(outChannels);
    this.conv2 = conv3x3(outChannels, outChannels, 1, rng);
    this.bn2 = new BatchNorm2d(outChannels);
    if (stride !== 1 || inChannels !== outChannels) {
      this.downsample = new Sequential(new Conv2d(inChannels, outChannels, 1, { stride, bias: false, rng }), new BatchNorm2d(outChannels));
    }
  }

  forward(x: Tensor): Tensor {
    const out = this.bn2.call(this.conv2.call(this.bn1.callRelu(this.conv1.call(x))));
    const identity = this.downsample === null ? x : this.downsample.call(x);
    return relu(add(out, identity));
  }
}

/**
 * A CIFAR-style residual network (He et al. 2016, §4.2), built by {@link resnet}: a 3×3 stem
 * with BatchNorm and ReLU, three stages of BasicBlocks (`layer1`–`layer3`, widths w, 2w, 4w,
 * the first block of stages 2 and 3 halving the image), global average pooling and `fc`.
 * Parameter names follow torchvision (`conv1`, `bn1`, `layer2.0.downsample.0`, `fc`).
 */
export class ResNet extends Module {
  readonly inChannels: number;
  conv1: Conv2d;
  bn1: BatchNorm2d;
  layer1: Sequential;
  layer2: Sequential;
  layer3: Sequential;
  fc: Linear;

  constructor(options: ResNetOptions) {
    super();
    checkOptions('resnet', options, ['depth', 'inChannels', 'numClasses', 'width', 'rng', 'zeroInitResidual']);
    const depth = options.depth as number;
    if (!DEPTHS.includes(depth)) {
      throw new ValueError(`resnet: depth must be one of ${DEPTHS.join(', ')} (6n + 2: 3 stages of n BasicBlocks, two convolutions each, plus the stem and fc), got ${String(depth)}`);
    }
    const n = (depth - 2) / 6;
    const inChannels = positiveInt('resnet', 'inChannels', options.inChannels ?? 3);
    const numClasses = positiveInt('resnet', 'numClasses', options.numClasses ?? 10);
    const w = positiveInt('resnet', 'width', options.width ?? 16);
    // every option is checked before any weight is drawn: a refused build leaves the generator alone
    if (options.zeroInitResidual !== undefined && typeof options.zeroInitResidual !== 'boolean') {
      throw new ValueError(`resnet: zeroInitResidual must be true or false, got ${JSON.stringify(options.zeroInitResidual)}`);
    }
    const rng = options.rng ?? getDefaultRng();
    this.inChannels = inChannels;
    this.conv1 = conv3x3(inChannels, w, 1, rng);
    this.bn1 = new BatchNorm2d(w);
    const stage = (from: number, to: number, stride: number) =>
      new Sequential(...Array.from({ length: n }, (_, i) => new BasicBlock(i === 0 ? from : to, to, i === 0 ? stride : 1, rng)));
    this.layer1 = stage(w, w, 1);
    this.layer2 = stage(w, 2 * w, 2);
    this.layer3 = stage(2 * w, 4 * w, 2);
    this.fc = new Linear(4 * w, numClasses, { rng });
    // torchvision's init: He normal (fan out) for the convolutions; BatchNorm starts at 1 and 0
    for (const [, m] of this.namedModules()) if (m instanceof Conv2d) kaimingNormal(m.weight, rng, { mode: 'fanOut', nonlinearity: 'relu' });
    if (options.zeroInitResidual === true) for (const [, m] of this.namedModules()) if (m instanceof BasicBlock) m.bn2.weight?.data.fill(0);
  }

  forward(x: Tensor): Tensor {
    checkImages('ResNet', x, this.inChannels);
    let y = this.bn1.callRelu(this.conv1.call(x));
    y = this.layer3.call(this.layer2.call(this.layer1.call(y)));
    return this.fc.call(globalAvgPool2d(y));
  }
}

/**
 * A CIFAR-style ResNet of the given depth (He et al. 2016, §4.2), named like torchvision so
 * its state dict loads into the PyTorch definition in `tools/compare/torch_models.py` and back.
 *
 * @param options - `depth` (8, 20, 32, …), `inChannels`, `numClasses`, `width`, `zeroInitResidual` and `rng`.
 * @see https://arxiv.org/abs/1512.03385
 * @example
 * const model = resnet({ depth: 20, inChannels: 3, numClasses: 10 }); // 0.27 M parameters
 * const logits = model.call(images); // images [N, 3, 32, 32] → [N, 10]
 */
export function resnet(options: ResNetOptions): ResNet {
  return new ResNet(options);
}
