import type { GpuContext } from './context';
import { Dispatch, grid1d } from './kernel';
import * as K from './kernels/transformer';
import { linearBackward, linearForward } from './layers';

// The dispatches of a vision transformer's layers on given buffers (see layers.ts for the rest).
// Tokens are rows [N·T, E]. Parameter gradients are overwritten, as every layer's are; a caller
// without a gradient buffer (a frozen parameter) passes a scratch buffer of the same size.

/** LayerNorm over the last dimension D of `rows` rows; `xhat` [rows·D] and `inv` [rows] are kept for the backward pass. */
export function layerNormForward(
  ctx: GpuContext, rows: number, D: number, eps: number,
  b: { x: GPUBuffer; gamma: GPUBuffer | null; beta: GPUBuffer | null; xhat: GPUBuffer; inv: GPUBuffer; y: GPUBuffer },
): Dispatch[] {
  const affine = b.gamma !== null && b.beta !== null;
  return [new Dispatch(ctx, K.layerNormKernel, [b.x, b.gamma ?? ctx.dummy, b.beta ?? ctx.dummy, b.xhat, b.inv, b.y], { rows, D, eps, affine: +affine }, grid1d(rows))];
}

/** LayerNorm's backward pass: γ's and β's gradients (when given) and the input's (when `dx` is given). */
export function layerNormBackward(
  ctx: GpuContext, rows: number, D: number,
  b: { xhat: GPUBuffer; inv: GPUBuffer; dy: GPUBuffer; gamma: GPUBuffer | null; dgamma: GPUBuffer | null; dbeta: GPUBuffer | null; dx: GPUBuffer | null },
): Dispatch[] {
  const out: Dispatch[] = [];
  if (b.dgamma !== null && b.dbeta !== null) out.push(new Dispatch(ctx, K.layerNormParamGradKernel, [b.xhat, b.dy, b.dgamma, b.dbeta], { rows, D }, grid1d(D)));
  if (b.dx !== null) out.push(new Dispatch(ctx, K.layerNormBackwardKernel, [b.xhat, b.inv, b.dy, b.gamma ?? ctx.dummy, b.dx], { rows, D, affine: +(b.gamma !== null) }, grid1d(rows)));
  return out;
}

/** The tokens of a ViT: the class token, then the patch features [N, E, P] as rows, plus the position embedding [P + 1, E]. */
export function tokensForward(ctx: GpuContext, N: number, P: number, E: number, b: { conv: GPUBuffer; cls: GPUBuffer; pos: GPUBuffer; y: GPUBuffer }): Dispatch[] {
  return [new Dispatch(ctx, K.tokensKernel, [b.conv, b.cls, b.pos, b.y], { N, P, E }, grid1d(N * (P + 1) * E))];
}

export function tokensBackward(
  ctx: GpuContext, N: number, P: number, E: number,
  b: { dy: GPUBuffer; dconv: GPUBuffer | null; dpos: GPUBuffer; dcls: GPUBuffer },
): Dispatch[] {
  const out = [new Dispatch(ctx, K.tokensParamGradKernel, [b.dy, b.dpos, b.dcls], { N, T: P + 1, E }, grid1d((P + 1) * E))];
  if (b.dconv !== null) out.push(new Dispatch(ctx, K.tokensBackwardKernel, [b.dy, b.dconv], { N, P, E }, grid1d(N * E * P)));
  return out;
}

/** The sizes of a self-attention: N samples of T tokens of E features in H heads, causal or not. */
export interface AttentionGeometry { N: number; T: number; E: number; H: number; causal: boolean }

const uniformsOf = (g: AttentionGeometry) => ({ N: g.N, T: g.T, E: g.E, H: g.H, hd: g.E / g.H, scale: 1 / Math.sqrt(g.E / g.H), causal: +g.causal });

/** The buffers of a self-attention layer: the packed projection, probabilities, joined heads and their gradients. */
export interface AttentionBuffers {
  x: GPUBuffer; y: GPUBuffer;
  inW: GPUBuffer; inB: GPUBuffer | null; outW: GPUBuffer; outB: GPUBuffer | null;
  /** [N·T, 3E]: q, k and v of every token; its gradient reuses nothing. */
  qkv: GPUBuffer; dqkv: GPUBuffer;
  /** [N, H, T, T]: the attention probabilities, and the scores' gradient. */
  probs: GPUBuffer; dscores: GPUBuffer;
  /** [N·T, E]: the heads joined per token (the output projection's input), and its gradient. */
  joined: GPUBuffer; djoined: GPUBuffer;
}

/** PyTorch's MultiheadAttention (batch first, self-attention): qkv = x·W_inᵀ + b_in, softmax(q·kᵀ/√hd)·v per head, joined, then out_proj. */
export function attentionForward(ctx: GpuContext, g: AttentionGeometry, b: AttentionBuffers): Dispatch[] {
  const rows = g.N * g.T;
  const u = uniformsOf(g);
  return [
    ...linearForward(ctx, { x: b.x, w: b.inW, bias: b.inB, y: b.qkv }, rows, g.E, 3 * g.E),
    new Dispatch(ctx, K.attentionScoresKernel, [b.qkv, b.probs], u, grid1d(g.N * g.H * g.T * g.T)),
    new Dispatch(ctx, K.attentionSoftmaxKernel, [b.probs], u, grid1d(g.N * g.H * g.T)),
    new Dispatch(ctx, K.attentionValuesKernel, [b.probs, b.qkv, b.joined], u, grid1d(rows * g.E)),
    ...linearForward(ctx, { x: b.joined, w: b.outW, bias: b.outB, y: b.y }, rows, g.E, g.E),
  ];
}

/** Its backward pass: the four parameter gradients (those given) and the input's (when `dx` is given). */
export function attentionBackward(
  ctx: GpuContext, g: AttentionGeometry, b: AttentionBuffers,
  d: { dy: GPUBuffer; dx: GPUBuffer | null; dInW: GPUBuffer | null; dInB: GPUBuffer | null; dOutW: GPUBuffer | null; dOutB: GPUBuffer | null },
): Dispatch[] {
  const rows = g.N * g.T;
  const u = uniformsOf(g);
  return [
    ...linearBackward(ctx, { x: b.joined, w: b.outW, dy: d.dy, dx: b.djoined, dw: d.dOutW, db: d.dOutB }, rows, g.E, g.E),
    new Dispatch(ctx, K.attentionProbGradKernel, [b.djoined, b.qkv, b.dscores], u, grid1d(g.N * g.H * g.T * g.T)),
    new Dispatch(ctx, K.attentionSoftmaxBackwardKernel, [b.probs, b.dscores], u, grid1d(g.N * g.H * g.T)),
    new Dispatch(ctx, K.attentionQkvGradKernel, [b.probs, b.dscores, b.djoined, b.qkv, b.dqkv], u, grid1d(rows * 3 * g.E)),
    ...linearBackward(ctx, { x: b.x, w: b.inW, dy: b.dqkv, dx: d.dx, dw: d.dInW, db: d.dInB }, rows, g.E, 3 * g.E),
  ];
}

/** [N, T, E] → [N, E]: the class token (token 0) of each sample. */
export function pickFirstForward(ctx: GpuContext, N: number, T: number, E: number, b: { x: GPUBuffer; y: GPUBuffer }): Dispatch[] {
  return [new Dispatch(ctx, K.pickFirstKernel, [b.x, b.y], { N, T, E }, grid1d(N * E))];
}

export function pickFirstBackward(ctx: GpuContext, N: number, T: number, E: number, b: { dy: GPUBuffer; dx: GPUBuffer }): Dispatch[] {
  return [new Dispatch(ctx, K.pickFirstBackwardKernel, [b.dy, b.dx], { N, T, E }, grid1d(N * T * E))];
}
