import { type Pair, type Rng, type Tensor, ValueError, conv2d, conv2dReluPool } from '@trainkit/tensor';
import { getDefaultRng, pytorchDefaultInit } from '../init';
import { Module } from '../module';
import { Parameter } from '../parameter';
import { checkOptions } from './options';
import { checkPair } from './pair';

/** Options of the {@link Conv2d} layer. */
export interface Conv2dLayerOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  /** Add a learnable bias (default true). */
  bias?: boolean;
  /** Generator for the initial weights (default: the one seeded by `manualSeed`). */
  rng?: Rng;
  /** `'relu'` fuses a ReLU into the convolution (as Keras' `activation`); default none. */
  activation?: 'relu';
  /**
   * Split the channels into this many groups, each output group seeing only its input group
   * (PyTorch's `groups`; weight [out, in/groups, kh, kw]). `groups` = inChannels is a depthwise
   * convolution. Default 1.
   */
  groups?: number;
}

/** 2-D convolution layer over [N, C, H, W]; weight [out, in, kh, kw], initialized like `nn.Conv2d`. */
export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly options: Readonly<Pick<Conv2dLayerOptions, 'stride' | 'padding' | 'dilation' | 'activation' | 'groups'>>;
  weight: Parameter;
  bias: Parameter | null;

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, options: Conv2dLayerOptions = {}) {
    super();
    checkOptions('Conv2d', options, ['stride', 'padding', 'dilation', 'bias', 'rng', 'activation', 'groups']);
    for (const [k, v] of [['inChannels', inChannels], ['outChannels', outChannels]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new ValueError(`Conv2d: ${k} must be a positive integer, got ${v}`);
    }
    const [kh, kw] = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize;
    if (!Number.isInteger(kh) || !Number.isInteger(kw) || kh <= 0 || kw <= 0) {
      throw new ValueError(`Conv2d: kernelSize must be a positive integer or pair, got ${JSON.stringify(kernelSize)}`);
    }
    checkPair('Conv2d', 'stride', options.stride ?? 1, 1);
    checkPair('Conv2d', 'padding', options.padding ?? 0, 0);
    checkPair('Conv2d', 'dilation', options.dilation ?? 1, 1);
    if (options.activation !== undefined && options.activation !== 'relu') {
      throw new ValueError(`Conv2d: activation must be 'relu' or omitted, got ${JSON.stringify(options.activation)}`);
    }
    const groups = options.groups ?? 1;
    if (!Number.isInteger(groups) || groups <= 0 || inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new ValueError(`Conv2d: groups must be a positive integer dividing inChannels (${inChannels}) and outChannels (${outChannels}), got ${groups}`);
    }
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = [kh, kw];
    this.options = { stride: options.stride ?? 1, padding: options.padding ?? 0, dilation: options.dilation ?? 1, activation: options.activation, groups };
    this.weight = new Parameter([outChannels, inChannels / groups, kh, kw]);
    this.bias = options.bias === false ? null : new Parameter([outChannels]);
    this.resetParameters(options.rng ?? getDefaultRng());
  }

  resetParameters(rng: Rng): void {
    pytorchDefaultInit(this.weight, this.bias, rng);
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, this.options);
  }

  /** @internal forward with a ReLU fused in (what {@link Sequential} runs for Conv2d → ReLU). */
  forwardRelu(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, { ...this.options, activation: 'relu' });
  }

  /** @internal forward with a ReLU and a 2×2 max pooling fused in (what {@link Sequential} runs for Conv2d → ReLU → MaxPool2d(2)). */
  forwardReluPool(x: Tensor): Tensor {
    const { stride, padding, dilation, groups } = this.options;
    return conv2dReluPool(x, this.weight, this.bias, { stride, padding, dilation, groups });
  }

  protected override extraRepr(): string {
    const o = this.options;
    return `${this.inChannels}, ${this.outChannels}, kernel=${this.kernelSize.join('x')}, stride=${String(o.stride)}, padding=${String(o.padding)}${o.groups !== 1 ? `, groups=${o.groups}` : ''}${o.activation ? `, activation=${o.activation}` : ''}`;
  }
}
