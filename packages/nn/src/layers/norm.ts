import { ShapeError, type Tensor, ValueError, formatShape, groupNorm, layerNorm, ones, sameShape } from '@trainkit/tensor';
import { Module } from '../module';
import { Parameter } from '../parameter';
import { checkOptions } from './options';

/** Options of {@link LayerNorm} and {@link GroupNorm}. */
export interface NormOptions {
  /** Added to the variance for stability (default 1e-5). */
  eps?: number;
  /** Learnable scale (ones) and shift (zeros), PyTorch's `elementwise_affine` / `affine` (default true). */
  affine?: boolean;
}

function checkEps(layer: string, eps: number): number {
  if (!(eps > 0) || !Number.isFinite(eps)) throw new ValueError(`${layer}: eps must be a finite number > 0, got ${eps}`);
  return eps;
}

/**
 * Layer normalization (PyTorch's `nn.LayerNorm`): each sample standardized over its last
 * dimensions, `normalizedShape`, then scaled by `weight` and shifted by `bias` (that shape).
 *
 * @example
 * new LayerNorm(64).call(tokens) // tokens [B, T, 64]
 */
export class LayerNorm extends Module {
  readonly normalizedShape: readonly number[];
  readonly eps: number;
  weight: Parameter | null;
  bias: Parameter | null;

  constructor(normalizedShape: number | readonly number[], options: NormOptions = {}) {
    super();
    checkOptions('LayerNorm', options, ['eps', 'affine']);
    const shape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    if (shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
      throw new ValueError(`LayerNorm: normalizedShape must be a positive integer or a non-empty list of them, got ${JSON.stringify(normalizedShape)}`);
    }
    this.normalizedShape = Object.freeze(shape);
    this.eps = checkEps('LayerNorm', options.eps ?? 1e-5);
    const affine = options.affine ?? true;
    this.weight = affine ? new Parameter(ones(shape).data, shape) : null;
    this.bias = affine ? new Parameter(shape) : null;
  }

  forward(x: Tensor): Tensor {
    const k = this.normalizedShape.length;
    if (x.rank < k || !sameShape(x.shape.slice(x.rank - k), this.normalizedShape)) {
      throw new ShapeError(`LayerNorm: input ${formatShape(x.shape)} must end with the normalized shape ${formatShape(this.normalizedShape)}`);
    }
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }

  protected override extraRepr(): string {
    return `${formatShape(this.normalizedShape)}, eps=${this.eps}, affine=${this.weight !== null}`;
  }
}

/**
 * Group normalization (PyTorch's `nn.GroupNorm`): the channels of [N, C, *] split into
 * `numGroups` groups, each standardized per sample over its channels and positions, then a
 * per-channel `weight` and `bias` ([C]). Independent of the batch size, unlike BatchNorm.
 */
export class GroupNorm extends Module {
  readonly numGroups: number;
  readonly numChannels: number;
  readonly eps: number;
  weight: Parameter | null;
  bias: Parameter | null;

  constructor(numGroups: number, numChannels: number, options: NormOptions = {}) {
    super();
    checkOptions('GroupNorm', options, ['eps', 'affine']);
    for (const [k, v] of [['numGroups', numGroups], ['numChannels', numChannels]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new ValueError(`GroupNorm: ${k} must be a positive integer, got ${v}`);
    }
    if (numChannels % numGroups !== 0) throw new ValueError(`GroupNorm: numChannels (${numChannels}) must be divisible by numGroups (${numGroups})`);
    this.numGroups = numGroups;
    this.numChannels = numChannels;
    this.eps = checkEps('GroupNorm', options.eps ?? 1e-5);
    const affine = options.affine ?? true;
    this.weight = affine ? new Parameter(ones([numChannels]).data, [numChannels]) : null;
    this.bias = affine ? new Parameter([numChannels]) : null;
  }

  forward(x: Tensor): Tensor {
    if (x.rank < 2 || x.shape[1] !== this.numChannels) {
      throw new ShapeError(`GroupNorm: expected input [N, ${this.numChannels}, *], got ${formatShape(x.shape)}`);
    }
    return groupNorm(x, this.numGroups, this.weight, this.bias, this.eps);
  }

  protected override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${this.eps}, affine=${this.weight !== null}`;
  }
}
