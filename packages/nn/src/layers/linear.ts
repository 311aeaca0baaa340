import { type Rng, type Tensor, ValueError, linear } from '@trainkit/tensor';
import { getDefaultRng, pytorchDefaultInit } from '../init';
import { Module } from '../module';
import { Parameter } from '../parameter';

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

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  protected override extraRepr(): string {
    return `${this.inFeatures}, ${this.outFeatures}, bias=${this.bias !== null}`;
  }
}
