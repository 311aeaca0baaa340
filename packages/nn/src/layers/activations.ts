import { type Tensor, ValueError, elu, gelu, hardtanh, leakyRelu, silu, softmax } from '@trainkit/tensor';
import { Module } from '../module';
import { checkOptions } from './options';

/** x for x > 0, negativeSlope·x otherwise (PyTorch's `nn.LeakyReLU`, default slope 0.01). */
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
    if (!Number.isFinite(negativeSlope)) throw new ValueError(`LeakyReLU: negativeSlope must be a finite number, got ${negativeSlope}`);
  }
  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }
  protected override extraRepr(): string {
    return `negativeSlope=${this.negativeSlope}`;
  }
}

/** Options of {@link GELU}. */
export interface GELUOptions {
  /** `'none'` (default): x·Φ(x) with the exact normal CDF; `'tanh'`: the tanh approximation. */
  approximate?: 'none' | 'tanh';
}

/** x·Φ(x) (PyTorch's `nn.GELU`), exact or with the tanh approximation. */
export class GELU extends Module {
  readonly approximate: 'none' | 'tanh';
  constructor(options: GELUOptions = {}) {
    super();
    checkOptions('GELU', options, ['approximate']);
    const a = options.approximate ?? 'none';
    if (a !== 'none' && a !== 'tanh') throw new ValueError(`GELU: approximate must be 'none' or 'tanh', got ${JSON.stringify(a)}`);
    this.approximate = a;
  }
  forward(x: Tensor): Tensor {
    return gelu(x, this.approximate);
  }
  protected override extraRepr(): string {
    return `approximate=${this.approximate}`;
  }
}

/** x·σ(x), also called swish (PyTorch's `nn.SiLU`). */
export class SiLU extends Module {
  forward(x: Tensor): Tensor {
    return silu(x);
  }
}

/**
 * x clamped to [minVal, maxVal] (PyTorch's `nn.Hardtanh`, default [−1, 1]); gradient 1 strictly
 * inside, 0 at the ends and beyond. Exports to ONNX as `Clip`.
 */
export class Hardtanh extends Module {
  constructor(readonly minVal = -1, readonly maxVal = 1) {
    super();
    if (!Number.isFinite(minVal) || !Number.isFinite(maxVal) || !(minVal < maxVal)) {
      throw new ValueError(`Hardtanh: minVal and maxVal must be finite numbers with minVal < maxVal, got [${minVal}, ${maxVal}]`);
    }
  }
  forward(x: Tensor): Tensor {
    return hardtanh(x, this.minVal, this.maxVal);
  }
  protected override extraRepr(): string {
    return `minVal=${this.minVal}, maxVal=${this.maxVal}`;
  }
}

/**
 * min(max(x, 0), 6) (PyTorch's `nn.ReLU6`, MobileNet's activation): {@link Hardtanh} on [0, 6],
 * exact for every float32 including ±∞ and huge values (6 above 6, 0 below 0, NaN stays NaN).
 */
export class ReLU6 extends Hardtanh {
  constructor() {
    super(0, 6);
  }
  protected override extraRepr(): string {
    return '';
  }
}

/** x for x > 0, α·(eˣ − 1) otherwise (PyTorch's `nn.ELU`, default α = 1). */
export class ELU extends Module {
  constructor(readonly alpha = 1) {
    super();
    if (!Number.isFinite(alpha)) throw new ValueError(`ELU: alpha must be a finite number, got ${alpha}`);
  }
  forward(x: Tensor): Tensor {
    return elu(x, this.alpha);
  }
  protected override extraRepr(): string {
    return `alpha=${this.alpha}`;
  }
}

/**
 * softmax along `dim` (PyTorch's `nn.Softmax`; default the last axis), shifted by the maximum so
 * it stays finite. For a classifier's training loss keep the logits and use `crossEntropy`.
 */
export class Softmax extends Module {
  constructor(readonly dim = -1) {
    super();
    if (!Number.isInteger(dim)) throw new ValueError(`Softmax: dim must be an integer, got ${dim}`);
  }
  forward(x: Tensor): Tensor {
    return softmax(x, this.dim);
  }
  protected override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}
