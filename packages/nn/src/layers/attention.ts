import {
  type Rng, ShapeError, Tensor, ValueError, add, div, formatShape, linear, matmul, permute, reshape, sameDeviceAs, sameShape, slice, softmax, transpose,
} from '@trainkit/tensor';
import { getDefaultRng, xavierUniform } from '../init';
import { Module } from '../module';
import { Parameter } from '../parameter';
import { Linear } from './linear';
import { checkOptions } from './options';

/** Options of {@link MultiheadAttention}. */
export interface MultiheadAttentionOptions {
  /** Biases on the input and output projections (default true). */
  bias?: boolean;
  /** Mask out future positions in `forward` (token t attends to tokens ≤ t); default false. */
  causal?: boolean;
  /** Generator for the initial weights (default: the one seeded by `manualSeed`). */
  rng?: Rng;
}

/** Options of one {@link MultiheadAttention.attend} call. */
export interface AttendOptions {
  /**
   * Added to the attention scores before the softmax: −Infinity where a query may not look
   * (PyTorch's float `attn_mask`), [T, S] for every sample and head or [B·heads, T, S].
   */
  mask?: Tensor | null;
  /** Mask out key positions after each query's (in addition to `mask`). */
  causal?: boolean;
}

/**
 * Multi-head scaled dot-product attention, batch first (PyTorch's
 * `nn.MultiheadAttention(embedDim, numHeads, batch_first=True)` without dropout): queries,
 * keys and values are projected by the rows of `in_proj_weight` [3E, E] (q, k, v in that order)
 * and `in_proj_bias` [3E], split into heads of E/heads features, softmax(q·kᵀ/√(E/heads) + mask)·v
 * per head, and the heads joined and projected by `out_proj`. Parameter names and init follow
 * PyTorch, so its state dicts load.
 *
 * `call(x)` is self-attention over x [B, T, E]; {@link MultiheadAttention.attend} takes
 * separate query, key and value and a mask.
 */
export class MultiheadAttention extends Module {
  readonly embedDim: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly causal: boolean;
  in_proj_weight: Parameter;
  in_proj_bias: Parameter | null;
  out_proj: Linear;

  constructor(embedDim: number, numHeads: number, options: MultiheadAttentionOptions = {}) {
    super();
    checkOptions('MultiheadAttention', options, ['bias', 'causal', 'rng']);
    for (const [k, v] of [['embedDim', embedDim], ['numHeads', numHeads]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new ValueError(`MultiheadAttention: ${k} must be a positive integer, got ${v}`);
    }
    if (embedDim % numHeads !== 0) {
      throw new ValueError(`MultiheadAttention: embedDim (${embedDim}) must be divisible by numHeads (${numHeads}); each head gets embedDim / numHeads features`);
    }
    this.embedDim = embedDim;
    this.numHeads = numHeads;
    this.headDim = embedDim / numHeads;
    this.causal = options.causal ?? false;
    const rng = options.rng ?? getDefaultRng();
    const bias = options.bias ?? true;
    this.in_proj_weight = new Parameter([3 * embedDim, embedDim]);
    this.in_proj_bias = bias ? new Parameter([3 * embedDim]) : null;
    this.out_proj = new Linear(embedDim, embedDim, { bias, rng });
    xavierUniform(this.in_proj_weight, rng); // as torch: xavier for the packed projection, zero biases
    this.out_proj.bias?.data.fill(0);
  }

  forward(x: Tensor): Tensor {
    return this.attend(x, x, x, { causal: this.causal });
  }

  /** Attention of `query` [B, T, E] over `key` and `value` [B, S, E] → [B, T, E]. */
  attend(query: Tensor, key: Tensor, value: Tensor, options: AttendOptions = {}): Tensor {
    checkOptions('MultiheadAttention.attend', options, ['mask', 'causal']);
    const E = this.embedDim;
    for (const [name, t] of [['query', query], ['key', key], ['value', value]] as const) {
      if (t.rank !== 3 || t.shape[2] !== E) throw new ShapeError(`MultiheadAttention: ${name} must be [batch, length, ${E}], got ${formatShape(t.shape)}`);
    }
    const [B, T] = query.shape;
    const S = key.shape[1];
    if (key.shape[0] !== B || !sameShape(key.shape, value.shape)) {
      throw new ShapeError(`MultiheadAttention: key ${formatShape(key.shape)} and value ${formatShape(value.shape)} must have the same shape, with query's batch ${B}`);
    }
    const q = div(this.project(query, 0), Math.sqrt(this.headDim)); // scaled first, as torch does
    const k = this.project(key, 1);
    const v = this.project(value, 2);
    let scores = matmul(q, transpose(k)); // [B, H, T, S]
    const mask = this.maskFor(options, B, T, S);
    if (mask !== null) scores = add(scores, sameDeviceAs(mask, scores)); // a mask made on the cpu joins scores on a device
    const heads = matmul(softmax(scores, -1), v); // [B, H, T, headDim]
    const joined = reshape(permute(heads, [0, 2, 1, 3]), [B * T, E]);
    return reshape(this.out_proj.call(joined), [B, T, E]);
  }

  /** Projection `which` (0: q, 1: k, 2: v) of x [B, L, E], split into heads: [B, H, L, headDim]. */
  private project(x: Tensor, which: number): Tensor {
    const E = this.embedDim;
    const [B, L] = x.shape;
    const w = slice(this.in_proj_weight, 0, which * E, (which + 1) * E);
    const b = this.in_proj_bias === null ? null : slice(this.in_proj_bias, 0, which * E, (which + 1) * E);
    const y = linear(reshape(x, [B * L, E]), w, b);
    return permute(reshape(y, [B, L, this.numHeads, this.headDim]), [0, 2, 1, 3]);
  }

  /** The additive mask, [T, S] or [B, H, T, S], or null for none. */
  private maskFor(options: AttendOptions, B: number, T: number, S: number): Tensor | null {
    const H = this.numHeads;
    let mask: Tensor | null = null;
    const m = options.mask;
    if (m !== undefined && m !== null) {
      if (sameShape(m.shape, [T, S])) mask = m;
      else if (sameShape(m.shape, [B * H, T, S])) mask = reshape(m, [B, H, T, S]);
      else {
        throw new ShapeError(
          `MultiheadAttention: mask must be [T, S] = ${formatShape([T, S])} or [batch·heads, T, S] = ${formatShape([B * H, T, S])}, got ${formatShape(m.shape)}`,
        );
      }
    }
    if (options.causal ?? false) {
      const c = new Float32Array(T * S);
      for (let i = 0; i < T; i++) c.fill(-Infinity, i * S + i + 1, (i + 1) * S);
      const causal = new Tensor(c, [T, S]);
      mask = mask === null ? causal : add(mask, sameDeviceAs(causal, mask));
    }
    return mask;
  }

  protected override extraRepr(): string {
    return `embedDim=${this.embedDim}, numHeads=${this.numHeads}${this.causal ? ', causal' : ''}`;
  }
}
