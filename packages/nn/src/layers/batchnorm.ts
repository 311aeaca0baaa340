import { ShapeError, type Tensor, ValueError, batchNorm, formatShape, zeros, ones, relu, scalar } from '@trainkit/tensor';
import { Module } from '../module';
import { Parameter } from '../parameter';
import { checkOptions } from './options';

/** Options of {@link BatchNorm1d} and {@link BatchNorm2d}. */
export interface BatchNormOptions {
  /** Added to the variance for stability (default 1e-5). */
  eps?: number;
  /**
   * Weight of the newest batch in the running statistics (default 0.1, PyTorch's convention);
   * `null`: a cumulative average of every batch so far (weight 1 / batches seen, PyTorch's `momentum=None`).
   */
  momentum?: number | null;
  /** Learnable scale and shift (default true). */
  affine?: boolean;
}

/**
 * Shared BatchNorm: normalizes each channel (axis 1) with batch statistics in training mode —
 * updating `running_mean`/`running_var` (unbiased) — and with the running statistics in
 * evaluation mode. Buffer names follow PyTorch so state dicts interoperate.
 */
export abstract class BatchNorm extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  weight: Parameter | null;
  bias: Parameter | null;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  readonly numBatchesTracked: Tensor;

  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super();
    checkOptions(this.constructor.name, options, ['eps', 'momentum', 'affine']);
    if (!Number.isInteger(numFeatures) || numFeatures <= 0) throw new ValueError(`${this.constructor.name}: numFeatures must be a positive integer, got ${numFeatures}`);
    const eps = options.eps ?? 1e-5;
    const momentum = options.momentum === undefined ? 0.1 : options.momentum;
    if (!(eps > 0) || !Number.isFinite(eps)) throw new ValueError(`${this.constructor.name}: eps must be a finite number > 0, got ${eps}`);
    if (momentum !== null && !(momentum >= 0 && momentum <= 1)) throw new ValueError(`${this.constructor.name}: momentum must be in [0, 1], or null for a cumulative average, got ${momentum}`);
    this.numFeatures = numFeatures;
    this.eps = eps;
    this.momentum = momentum;
    const affine = options.affine ?? true;
    this.weight = affine ? new Parameter(ones([numFeatures]).data, [numFeatures]) : null;
    this.bias = affine ? new Parameter([numFeatures]) : null;
    this.runningMean = this.registerBuffer('running_mean', zeros([numFeatures]));
    this.runningVar = this.registerBuffer('running_var', ones([numFeatures]));
    this.numBatchesTracked = this.registerBuffer('num_batches_tracked', scalar(0));
  }

  /** Ranks this layer accepts. */
  protected abstract readonly ranks: readonly number[];
  /** The accepted input layouts, for error messages. */
  protected abstract readonly layout: string;

  forward(x: Tensor): Tensor {
    return this.normalize(x);
  }

  /**
   * relu(this.call(x)), as one fused op (`batchNorm` with `activation: 'relu'`): the same numbers
   * with two fewer passes over memory each way. A layer with a forward hook (which must see the
   * layer's own output) or of a subclass (whose forward may differ) runs the two apart. What
   * {@link Sequential} runs for BatchNorm → ReLU, and the ResNet blocks for theirs.
   */
  callRelu(x: Tensor): Tensor {
    const plain = Object.getPrototypeOf(this) === BatchNorm1d.prototype || Object.getPrototypeOf(this) === BatchNorm2d.prototype;
    return plain && !this.hasForwardHooks ? this.normalize(x, 'relu') : relu(this.call(x));
  }

  private normalize(x: Tensor, activation?: 'relu'): Tensor {
    const name = this.constructor.name;
    if (!this.ranks.includes(x.rank)) {
      throw new ShapeError(`${name}: input must have rank ${this.ranks.join(' or ')} (${this.layout}), got ${formatShape(x.shape)}`);
    }
    const C = x.shape[1];
    if (C !== this.numFeatures) throw new ShapeError(`${name}: expected ${this.numFeatures} channels, got input ${formatShape(x.shape)}`);
    if (this.training && x.size / C === 1) {
      throw new ValueError(`${name}: expected more than 1 value per channel when training, got input ${formatShape(x.shape)}`);
    }
    // the fused op updates running_mean/running_var in place (PyTorch's rule, unbiased variance);
    // an empty batch has no statistics: its (empty) output comes without touching them, as in PyTorch
    const batchStats = this.training && x.size > 0;
    const momentum = this.momentum ?? 1 / (this.numBatchesTracked.data[0] + 1); // null: the mean of every batch so far, as torch
    const y = batchNorm(x, this.runningMean, this.runningVar, this.weight, this.bias, { training: batchStats, momentum, eps: this.eps, activation });
    if (this.training) this.numBatchesTracked.data[0] += 1;
    return y;
  }

  /** The batch counter stays on the cpu when the module moves to a device: each forward reads it for the momentum. */
  protected override hostBuffers(): readonly string[] {
    return ['num_batches_tracked'];
  }

  /** A state dict without `num_batches_tracked` loads and keeps the counter, as PyTorch's loader does for older checkpoints. */
  protected override optionalStateKeys(): readonly string[] {
    return ['num_batches_tracked'];
  }

  protected override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}`;
  }
}

/** BatchNorm over [N, C] or [N, C, L]. */
export class BatchNorm1d extends BatchNorm {
  protected readonly ranks = [2, 3] as const;
  protected readonly layout = '[N, C] or [N, C, L]';
}

/** BatchNorm over [N, C, H, W] (statistics per channel over N, H, W). */
export class BatchNorm2d extends BatchNorm {
  protected readonly ranks = [4] as const;
  protected readonly layout = '[N, C, H, W]';
}
