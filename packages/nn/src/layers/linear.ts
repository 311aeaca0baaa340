import { type Rng, ShapeError, type Tensor, ValueError, formatShape, linear, reshape } from '@trainkit/tensor';
import { getDefaultRng, pytorchDefaultInit } from '../init';
import { Module } from '../module';
import { Parameter } from '../parameter';
import { checkOptions } from './options';

/** Options of {@link Linear}. */
export interface LinearOptions {
  /** Add a learnable bias (default true). */
  bias?: boolean;
  /** Generator for the initial weights (default: the one seeded by `manualSeed`). */
  rng?: Rng;
}

/** y = x·Wᵀ + b with W of shape [out, in] (PyTorch layout), initialized like `nn.Linear`. */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  weight: Parameter;
  bias: Parameter | null;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    checkOptions('Linear', options, ['bias', 'rng']);
    for (const [k, v] of [['inFeatures', inFeatures], ['outFeatures', outFeatures]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new ValueError(`Linear: ${k} must be a positive integer, got ${v}`);
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = new Parameter([outFeatures, inFeatures]);
    this.bias = options.bias === false ? null : new Parameter([outFeatures]);
    this.resetParameters(options.rng ?? getDefaultRng());
  }

  resetParameters(rng: Rng): void {
    pytorchDefaultInit(this.weight, this.bias, rng);
  }

  /** x: [N, in], or any [*, in] (PyTorch's rule: the leading axes are kept, [in] gives [out]). */
  forward(x: Tensor): Tensor {
    if (x.rank === 2) return linear(x, this.weight, this.bias);
    if (x.rank === 0 || x.shape[x.rank - 1] !== this.inFeatures) {
      throw new ShapeError(`Linear(${this.inFeatures}, ${this.outFeatures}): input must end in ${this.inFeatures} features ([*, ${this.inFeatures}]), got ${formatShape(x.shape)}`);
    }
    const lead = x.shape.slice(0, -1);
    const y = linear(reshape(x, [x.size / this.inFeatures, this.inFeatures]), this.weight, this.bias);
    return reshape(y, [...lead, this.outFeatures]);
  }

  protected override extraRepr(): string {
    return `${this.inFeatures}, ${this.outFeatures}, bias=${this.bias !== null}`;
  }
}
