import { type Rng, type Tensor, ValueError, embedding } from '@trainkit/tensor';
import { getDefaultRng } from '../init';
import { Module } from '../module';
import { Parameter } from '../parameter';
import { checkOptions } from './options';

/** Options of {@link Embedding}. */
export interface EmbeddingOptions {
  /** An index whose row starts at zero and gets no gradient (PyTorch's `padding_idx`; negative counts from the end). */
  paddingIdx?: number;
  /** Generator for the initial weights (default: the one seeded by `manualSeed`). */
  rng?: Rng;
}

/**
 * A lookup table of `numEmbeddings` vectors of size `dim` (PyTorch's `nn.Embedding`, weight
 * [numEmbeddings, dim] drawn from N(0, 1)). Its input is a tensor of whole-number indices;
 * the output has one more axis, [...indices.shape, dim].
 *
 * @example
 * new Embedding(10, 4).call(tensor([[1, 2, 9]])) // [1, 3, 4]
 */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly dim: number;
  readonly paddingIdx: number | null;
  weight: Parameter;

  constructor(numEmbeddings: number, dim: number, options: EmbeddingOptions = {}) {
    super();
    checkOptions('Embedding', options, ['paddingIdx', 'rng']);
    for (const [k, v] of [['numEmbeddings', numEmbeddings], ['dim', dim]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new ValueError(`Embedding: ${k} must be a positive integer, got ${v}`);
    }
    const p = options.paddingIdx;
    if (p !== undefined && (!Number.isInteger(p) || p < -numEmbeddings || p >= numEmbeddings)) {
      throw new ValueError(`Embedding: paddingIdx must be a whole number in [${-numEmbeddings}, ${numEmbeddings}), got ${p}`);
    }
    this.numEmbeddings = numEmbeddings;
    this.dim = dim;
    this.paddingIdx = p === undefined ? null : p < 0 ? p + numEmbeddings : p;
    this.weight = new Parameter([numEmbeddings, dim]);
    this.resetParameters(options.rng ?? getDefaultRng());
  }

  resetParameters(rng: Rng): void {
    rng.fillNormal(this.weight.data, 0, 1);
    if (this.paddingIdx !== null) this.weight.data.fill(0, this.paddingIdx * this.dim, (this.paddingIdx + 1) * this.dim);
  }

  forward(indices: Tensor): Tensor {
    if (indices.requiresGrad) throw new ValueError('Embedding: indices must be a constant tensor of whole numbers (it has requiresGrad); pass token ids, not features');
    try {
      return embedding(this.weight, indices, this.paddingIdx ?? undefined);
    } catch (e) {
      if (e instanceof ValueError) throw new ValueError(`Embedding(${this.numEmbeddings}, ${this.dim}): ${e.message}`);
      throw e;
    }
  }

  protected override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.dim}${this.paddingIdx !== null ? `, paddingIdx=${this.paddingIdx}` : ''}`;
  }
}
