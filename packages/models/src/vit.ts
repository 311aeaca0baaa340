import { Conv2d, GELU, LayerNorm, Linear, Module, MultiheadAttention, Parameter, Sequential, getDefaultRng } from '@trainkit/nn';
import { type Rng, ShapeError, type Tensor, ValueError, add, concat, formatShape, matmul, permute, reshape, sameDeviceAs, zeros } from '@trainkit/tensor';
import { checkOptions, positiveInt, roundHalfEven } from './checks';

/** Options of {@link vitTiny}. */
export interface ViTOptions {
  /** Side of the square input images, in pixels. */
  imageSize: number;
  /** Side of the square patches; must divide `imageSize`. */
  patchSize: number;
  /** Channels of the input images (default 3). */
  inChannels?: number;
  /** Width of every token (the embedding dimension); must be divisible by `heads`. */
  dim: number;
  /** Number of transformer blocks. */
  depth: number;
  /** Attention heads per block. */
  heads: number;
  /** Number of classes. */
  numClasses: number;
  /** Hidden width of each block's MLP as a multiple of `dim` (default 4). */
  mlpRatio?: number;
  /** Generator for the initial weights (default: the one seeded by `manualSeed`). */
  rng?: Rng;
}

/** Applies a Linear-ending module to every token of x [B, T, E] (Linear takes 2-D input). */
function perToken(m: Module, x: Tensor): Tensor {
  const [B, T, E] = x.shape;
  const y = m.call(reshape(x, [B * T, E]));
  return reshape(y, [B, T, y.shape[1]]);
}

/**
 * A pre-norm transformer encoder block: x + attn(norm1(x)), then x + mlp(norm2(x)), the MLP
 * being `fc1` → GELU → `fc2` (timm's block names: `norm1`, `attn`, `norm2`, `mlp.fc1`, `mlp.fc2`; `attn` is
 * PyTorch's `nn.MultiheadAttention`, `in_proj_weight` / `out_proj`, not timm's `qkv` / `proj`).
 */
export class TransformerBlock extends Module {
  norm1: LayerNorm;
  attn: MultiheadAttention;
  norm2: LayerNorm;
  mlp: Sequential;

  constructor(dim: number, heads: number, hidden: number, rng: Rng = getDefaultRng()) {
    super();
    this.norm1 = new LayerNorm(dim);
    this.attn = new MultiheadAttention(dim, heads, { rng });
    this.norm2 = new LayerNorm(dim);
    this.mlp = new Sequential({ fc1: new Linear(dim, hidden, { rng }), act: new GELU(), fc2: new Linear(hidden, dim, { rng }) });
  }

  forward(x: Tensor): Tensor {
    const h = add(x, this.attn.call(this.norm1.call(x)));
    return add(h, perToken(this.mlp, this.norm2.call(h)));
  }
}

/**
 * A small vision transformer (Dosovitskiy et al. 2021), built by {@link vitTiny}: the image cut
 * into patches by `patch_embed` (a convolution with kernel = stride = patch), a learned
 * `cls_token` in front, a learned `pos_embed` added, pre-norm {@link TransformerBlock}s
 * (`blocks.0`, …), a final LayerNorm `norm` and the linear `head` on the class token.
 */
export class VisionTransformer extends Module {
  readonly imageSize: number;
  readonly inChannels: number;
  readonly dim: number;
  patch_embed: Conv2d;
  cls_token: Parameter;
  pos_embed: Parameter;
  blocks: Sequential;
  norm: LayerNorm;
  head: Linear;
  /** The constant rows of forward (see constantRows). */
  private rows: { P: number; device: string; zero: Tensor; first: Tensor } | null = null;

  constructor(options: ViTOptions) {
    super();
    const b = 'vitTiny';
    checkOptions(b, options, ['imageSize', 'patchSize', 'inChannels', 'dim', 'depth', 'heads', 'numClasses', 'mlpRatio', 'rng']);
    const imageSize = positiveInt(b, 'imageSize', options.imageSize);
    const patchSize = positiveInt(b, 'patchSize', options.patchSize);
    const dim = positiveInt(b, 'dim', options.dim);
    const heads = positiveInt(b, 'heads', options.heads);
    const depth = positiveInt(b, 'depth', options.depth);
    const inChannels = positiveInt(b, 'inChannels', options.inChannels ?? 3);
    const numClasses = positiveInt(b, 'numClasses', options.numClasses);
    const mlpRatio = options.mlpRatio ?? 4;
    if (!(mlpRatio > 0) || !Number.isFinite(mlpRatio) || roundHalfEven(dim * mlpRatio) < 1) {
      throw new ValueError(`vitTiny: mlpRatio must be a finite number > 0 with dim · mlpRatio ≥ 1, got ${mlpRatio}`);
    }
    if (imageSize % patchSize !== 0) {
      throw new ValueError(`vitTiny: imageSize (${imageSize}) must be divisible by patchSize (${patchSize}) so the patches tile the image; try patchSize ${divisorsNear(imageSize, patchSize)}`);
    }
    if (dim % heads !== 0) throw new ValueError(`vitTiny: dim (${dim}) must be divisible by heads (${heads}); each head gets dim / heads features`);
    const hidden = roundHalfEven(dim * mlpRatio);
    const rng = options.rng ?? getDefaultRng();
    const tokens = (imageSize / patchSize) ** 2 + 1;
    this.imageSize = imageSize;
    this.inChannels = inChannels;
    this.dim = dim;
    this.patch_embed = new Conv2d(inChannels, dim, patchSize, { stride: patchSize, rng });
    this.cls_token = new Parameter([1, 1, dim]); // zeros, as in timm
    this.pos_embed = new Parameter(rng.fillNormal(new Float32Array(tokens * dim), 0, 0.02), [1, tokens, dim]);
    this.blocks = new Sequential(...Array.from({ length: depth }, () => new TransformerBlock(dim, heads, hidden, rng)));
    this.norm = new LayerNorm(dim);
    this.head = new Linear(dim, numClasses, { rng });
  }

  forward(x: Tensor): Tensor {
    const s = this.imageSize;
    if (x.rank !== 4 || x.shape[1] !== this.inChannels || x.shape[2] !== s || x.shape[3] !== s) {
      throw new ShapeError(`VisionTransformer: expected images [N, ${this.inChannels}, ${s}, ${s}], got ${formatShape(x.shape)}`);
    }
    const B = x.shape[0];
    const p = this.patch_embed.call(x); // [B, dim, s/patch, s/patch]
    const patches = permute(reshape(p, [B, this.dim, -1]), [0, 2, 1]); // [B, P, dim]
    const P = patches.shape[1];
    // Row selections are products with constant rows rather than slices: a traced graph (the
    // ONNX export) maps MatMul with the batch size left symbolic. 0·patches is [B, 1, dim] of
    // zeros, so the class token appears once per image.
    const rows = this.constantRows(P, patches);
    const cls = add(matmul(rows.zero, patches), this.cls_token);
    let t = add(concat([cls, patches], 1), this.pos_embed); // [B, P + 1, dim]
    t = this.norm.call(this.blocks.call(t));
    return this.head.call(reshape(matmul(rows.first, t), [B, this.dim]));
  }

  /** The constant rows of forward, made once per device: zeros [1, P] and e₀ [1, P + 1] (picks the class token), where `like` lives. */
  private constantRows(P: number, like: Tensor): { zero: Tensor; first: Tensor } {
    if (this.rows === null || this.rows.P !== P || this.rows.device !== like.device) {
      const first = zeros([1, P + 1]);
      first.data[0] = 1;
      this.rows = { P, device: like.device, zero: sameDeviceAs(zeros([1, P]), like), first: sameDeviceAs(first, like) };
    }
    return this.rows;
  }
}

/** The divisors of n closest to `near`, for an error message. */
function divisorsNear(n: number, near: number): string {
  const ds = Array.from({ length: n }, (_, i) => i + 1).filter((d) => n % d === 0);
  return ds.sort((a, c) => Math.abs(a - near) - Math.abs(c - near) || a - c).slice(0, 2).sort((a, c) => a - c).join(' or ');
}

/**
 * A small vision transformer for classification, defined like the PyTorch `ViT` in
 * `tools/compare/torch_models.py` (parameter names `patch_embed`, `cls_token`, `pos_embed`,
 * `blocks.i.attn.in_proj_weight`, `head`, …), so its state dict moves to PyTorch and back.
 *
 * @param options - `imageSize`, `patchSize`, `inChannels`, `dim`, `depth`, `heads`, `numClasses`, `mlpRatio`, `rng`.
 * @see https://arxiv.org/abs/2010.11929
 * @example
 * const model = vitTiny({ imageSize: 28, patchSize: 4, inChannels: 1, dim: 64, depth: 4, heads: 4, numClasses: 10 });
 * const logits = model.call(digits); // [N, 1, 28, 28] → [N, 10]
 */
export function vitTiny(options: ViTOptions): VisionTransformer {
  return new VisionTransformer(options);
}
