import type { GpuContext } from './context';
import { Dispatch, grid1d } from './kernel';
import { col2imKernel, im2colKernel, maxPool2BackwardKernel, maxPool2Kernel } from './kernels/conv';
import { ACTIVATIONS, activationBackwardKernel, activationKernel, reluBackwardKernel, reluKernel, rowsGrid, sumColsKernel, sumRowsKernel, swap01Kernel } from './kernels/elementwise';
import { gemmGrid, gemmKernel } from './kernels/gemm';
import { gemmDirectGrid, gemmDirectKernel } from './kernels/gemmDirect';
import { softmaxCrossEntropyKernel } from './kernels/loss';
import { addKernel, copyKernel, mulKernel, bnEvalStatsKernel, bnGradSumsKernel, bnInputGradKernel, bnNormalizeKernel, bnStatsKernel, globalAvgPoolBackwardKernel, globalAvgPoolKernel } from './kernels/norm';

// The dispatches of each layer's forward and backward pass on given buffers. The eager ops
// (ops.ts) submit them once; a compiled training step (train.ts) records them once and
// replays them every step. Gradient buffers are overwritten, not accumulated: in a chain of
// layers each activation feeds exactly one layer.

/** A GEMM dispatch: C = op(A)·op(B) (+ bias per column (1) or row (2)) (+ C). */
export function gemm(
  ctx: GpuContext,
  b: { A: GPUBuffer; B: GPUBuffer; C: GPUBuffer; bias?: GPUBuffer | null },
  s: { M: number; N: number; K: number; transA?: boolean; transB?: boolean; accumulate?: boolean; biasMode?: 0 | 1 | 2 },
): Dispatch {
  const u = { M: s.M, N: s.N, K: s.K, transA: +!!s.transA, transB: +!!s.transB, accumulate: +!!s.accumulate, biasMode: s.biasMode ?? 0 };
  const direct = ctx.gemm === 'direct';
  return new Dispatch(ctx, direct ? gemmDirectKernel : gemmKernel, [b.A, b.B, b.bias ?? ctx.dummy, b.C], u, (direct ? gemmDirectGrid : gemmGrid)(s.M, s.N, ctx.maxWorkgroups));
}

/** y[N, OUT] = x[N, IN]·Wᵀ + b. */
export function linearForward(ctx: GpuContext, b: { x: GPUBuffer; w: GPUBuffer; bias: GPUBuffer | null; y: GPUBuffer }, N: number, IN: number, OUT: number): Dispatch[] {
  return [gemm(ctx, { A: b.x, B: b.w, C: b.y, bias: b.bias }, { M: N, N: OUT, K: IN, transB: true, biasMode: b.bias ? 1 : 0 })];
}

/** dW = dyᵀ·x, db = Σ_rows dy, dx = dy·W (each only when its buffer is given). */
export function linearBackward(
  ctx: GpuContext,
  b: { x: GPUBuffer; w: GPUBuffer; dy: GPUBuffer; dx: GPUBuffer | null; dw: GPUBuffer | null; db: GPUBuffer | null },
  N: number, IN: number, OUT: number,
): Dispatch[] {
  const out: Dispatch[] = [];
  if (b.dw) out.push(gemm(ctx, { A: b.dy, B: b.x, C: b.dw }, { M: OUT, N: IN, K: N, transA: true }));
  if (b.db) out.push(new Dispatch(ctx, sumColsKernel, [b.dy, b.db], { rows: N, cols: OUT, accumulate: 0 }, grid1d(OUT)));
  if (b.dx) out.push(gemm(ctx, { A: b.dy, B: b.w, C: b.dx }, { M: N, N: IN, K: OUT }));
  return out;
}

/** The geometry of a convolution (groups 1) on a batch, as PyTorch's conv2d arguments. */
export interface ConvGeometry {
  N: number; C: number; H: number; W: number; OC: number; KH: number; KW: number; OH: number; OW: number;
  strideH: number; strideW: number; padH: number; padW: number; dilationH: number; dilationW: number;
}

/** Floats of the im2col buffer: [C·KH·KW, N·OH·OW]. */
export const colsSize = (g: ConvGeometry): number => g.C * g.KH * g.KW * g.N * g.OH * g.OW;

/**
 * y[N, OC, OH, OW] = conv(x, W) + b as im2col, one GEMM over the whole batch into [OC, N·OH·OW]
 * (the bias added per row), and a transpose to NCHW. `cols` is kept for the backward pass.
 */
export function convForward(ctx: GpuContext, g: ConvGeometry, b: { x: GPUBuffer; w: GPUBuffer; bias: GPUBuffer | null; cols: GPUBuffer; ycm: GPUBuffer; y: GPUBuffer }): Dispatch[] {
  const ckk = g.C * g.KH * g.KW;
  const np = g.N * g.OH * g.OW;
  return [
    new Dispatch(ctx, im2colKernel, [b.x, b.cols], { ...g }, grid1d(ckk * np)),
    gemm(ctx, { A: b.w, B: b.cols, C: b.ycm, bias: b.bias }, { M: g.OC, N: np, K: ckk, biasMode: b.bias ? 2 : 0 }),
    new Dispatch(ctx, swap01Kernel, [b.ycm, b.y], { A: g.OC, B: g.N, P: g.OH * g.OW }, grid1d(g.OC * np)),
  ];
}

/** dW = dy·colsᵀ, db = Σ dy per channel, dx = col2im(Wᵀ·dy), with dy first transposed to [OC, N·OH·OW] (in `dycm`). */
export function convBackward(
  ctx: GpuContext, g: ConvGeometry,
  b: { dy: GPUBuffer; dycm: GPUBuffer; cols: GPUBuffer; w: GPUBuffer; dw: GPUBuffer | null; db: GPUBuffer | null; dcols: GPUBuffer | null; dx: GPUBuffer | null },
): Dispatch[] {
  const ckk = g.C * g.KH * g.KW;
  const np = g.N * g.OH * g.OW;
  const out = [new Dispatch(ctx, swap01Kernel, [b.dy, b.dycm], { A: g.N, B: g.OC, P: g.OH * g.OW }, grid1d(g.OC * np))];
  if (b.db) out.push(new Dispatch(ctx, sumRowsKernel, [b.dycm, b.db], { rows: g.OC, cols: np, accumulate: 0, scale: 1 }, rowsGrid(g.OC)));
  if (b.dw) out.push(gemm(ctx, { A: b.dycm, B: b.cols, C: b.dw }, { M: g.OC, N: ckk, K: np, transB: true }));
  if (b.dx && b.dcols) {
    out.push(gemm(ctx, { A: b.w, B: b.dycm, C: b.dcols }, { M: ckk, N: np, K: g.OC, transA: true }));
    out.push(new Dispatch(ctx, col2imKernel, [b.dcols, b.dx], { ...g }, grid1d(g.N * g.C * g.H * g.W)));
  }
  return out;
}

export function reluForward(ctx: GpuContext, b: { x: GPUBuffer; y: GPUBuffer }, n: number): Dispatch[] {
  return [new Dispatch(ctx, reluKernel, [b.x, b.y], { n }, grid1d(n))];
}

export function reluBackward(ctx: GpuContext, b: { y: GPUBuffer; dy: GPUBuffer; dx: GPUBuffer }, n: number): Dispatch[] {
  return [new Dispatch(ctx, reluBackwardKernel, [b.y, b.dy, b.dx], { n }, grid1d(n))];
}

/** An element-wise activation other than ReLU, and leaky ReLU's slope. */
export type Activation = keyof typeof ACTIVATIONS;

/** `bounds`: hardtanh's [lo, hi]. */
export function activationForward(ctx: GpuContext, fn: Activation, slope: number, b: { x: GPUBuffer; y: GPUBuffer }, n: number, bounds: readonly [number, number] = [0, 0]): Dispatch[] {
  return [new Dispatch(ctx, activationKernel, [b.x, b.y], { n, kind: ACTIVATIONS[fn], slope, lo: bounds[0], hi: bounds[1] }, grid1d(n))];
}

export function activationBackward(ctx: GpuContext, fn: Activation, slope: number, b: { x: GPUBuffer; y: GPUBuffer; dy: GPUBuffer; dx: GPUBuffer }, n: number, bounds: readonly [number, number] = [0, 0]): Dispatch[] {
  return [new Dispatch(ctx, activationBackwardKernel, [b.x, b.y, b.dy, b.dx], { n, kind: ACTIVATIONS[fn], slope, lo: bounds[0], hi: bounds[1] }, grid1d(n))];
}

/** The shape of a 2×2, stride-2 max pooling of [planes, H, W]. */
export interface PoolGeometry { planes: number; H: number; W: number; OH: number; OW: number }

export function poolForward(ctx: GpuContext, g: PoolGeometry, b: { x: GPUBuffer; y: GPUBuffer; arg: GPUBuffer }): Dispatch[] {
  return [new Dispatch(ctx, maxPool2Kernel, [b.x, b.y, b.arg], { ...g }, grid1d(g.planes * g.OH * g.OW))];
}

export function poolBackward(ctx: GpuContext, g: PoolGeometry, b: { arg: GPUBuffer; dy: GPUBuffer; dx: GPUBuffer }): Dispatch[] {
  return [new Dispatch(ctx, maxPool2BackwardKernel, [b.arg, b.dy, b.dx], { ...g }, grid1d(g.planes * g.H * g.W))];
}

/** Mean softmax cross-entropy over N rows of C logits: per-row losses and hits into `stats` [2N], the gradient into `dx`. */
export function crossEntropy(ctx: GpuContext, b: { x: GPUBuffer; labels: GPUBuffer; dx: GPUBuffer; stats: GPUBuffer }, N: number, C: number): Dispatch[] {
  return [new Dispatch(ctx, softmaxCrossEntropyKernel, [b.x, b.labels, b.dx, b.stats], { N, C, scale: 1 / N }, grid1d(N))];
}

/** out[0] = Σ x over n values. */
export function sumAll(ctx: GpuContext, b: { x: GPUBuffer; out: GPUBuffer }, n: number): Dispatch {
  return new Dispatch(ctx, sumRowsKernel, [b.x, b.out], { rows: 1, cols: n, accumulate: 0, scale: 1 }, [1, 1, 1]);
}

/** A BatchNorm on [N, C, inner]: its sizes and PyTorch's eps and momentum. */
export interface NormGeometry { N: number; C: number; inner: number; eps: number; momentum: number }

/**
 * BatchNorm's forward pass into `y`, its statistics into `stats` [2C] (mean, 1/std). Training mode
 * normalizes with the batch's statistics and, with `update`, moves the running ones (`rm`, `rv`);
 * evaluation mode normalizes with the running statistics. γ and β are null without affine.
 */
export function batchNormForward(
  ctx: GpuContext, g: NormGeometry, training: boolean, update: boolean,
  b: { x: GPUBuffer; rm: GPUBuffer; rv: GPUBuffer; gamma: GPUBuffer | null; beta: GPUBuffer | null; stats: GPUBuffer; y: GPUBuffer },
): Dispatch[] {
  const { N, C, inner } = g;
  const stats = training
    ? new Dispatch(ctx, bnStatsKernel, [b.x, b.stats, b.rm, b.rv], { N, C, inner, eps: g.eps, momentum: g.momentum, update: +update }, [C, 1, 1])
    : new Dispatch(ctx, bnEvalStatsKernel, [b.rm, b.rv, b.stats], { C, eps: g.eps }, grid1d(C));
  const affine = b.gamma !== null && b.beta !== null;
  const normalize = new Dispatch(ctx, bnNormalizeKernel, [b.x, b.stats, b.gamma ?? ctx.dummy, b.beta ?? ctx.dummy, b.y], { N, C, inner, affine: +affine }, grid1d(N * C * inner));
  return [stats, normalize];
}

/**
 * BatchNorm's backward pass: γ's and β's gradients (into `dw`/`db`, or the `sums` scratch when a
 * gradient is not wanted) and, when `dx` is given, the input's, through the batch statistics in
 * training mode. `sums` [2C] also keeps Σdy and Σdy·x̂ for the input gradient.
 */
export function batchNormBackward(
  ctx: GpuContext, g: NormGeometry, training: boolean,
  b: { x: GPUBuffer; dy: GPUBuffer; stats: GPUBuffer; sums: GPUBuffer; gamma: GPUBuffer | null; dw: GPUBuffer; db: GPUBuffer; dx: GPUBuffer | null },
): Dispatch[] {
  const { N, C, inner } = g;
  const out = [new Dispatch(ctx, bnGradSumsKernel, [b.x, b.dy, b.stats, b.sums, b.dw, b.db], { N, C, inner }, [C, 1, 1])];
  if (b.dx) {
    const u = { N, C, inner, affine: +(b.gamma !== null), training: +training };
    out.push(new Dispatch(ctx, bnInputGradKernel, [b.x, b.dy, b.stats, b.sums, b.gamma ?? ctx.dummy, b.dx], u, grid1d(N * C * inner)));
  }
  return out;
}

/** [planes, inner] → [planes]: each plane's mean (a ResNet's global average pooling). */
export function globalAvgPoolForward(ctx: GpuContext, planes: number, inner: number, b: { x: GPUBuffer; y: GPUBuffer }): Dispatch[] {
  return [new Dispatch(ctx, globalAvgPoolKernel, [b.x, b.y], { planes, inner }, grid1d(planes))];
}

export function globalAvgPoolBackward(ctx: GpuContext, planes: number, inner: number, b: { dy: GPUBuffer; dx: GPUBuffer }): Dispatch[] {
  return [new Dispatch(ctx, globalAvgPoolBackwardKernel, [b.dy, b.dx], { planes, inner }, grid1d(planes * inner))];
}

/** z = x + y over n values. */
export function add(ctx: GpuContext, b: { x: GPUBuffer; y: GPUBuffer; z: GPUBuffer }, n: number): Dispatch {
  return new Dispatch(ctx, addKernel, [b.x, b.y, b.z], { n }, grid1d(n));
}

/** z = x · y over n values. */
export function mul(ctx: GpuContext, b: { x: GPUBuffer; y: GPUBuffer; z: GPUBuffer }, n: number): Dispatch {
  return new Dispatch(ctx, mulKernel, [b.x, b.y, b.z], { n }, grid1d(n));
}

/** y = x over n values. */
export function copy(ctx: GpuContext, b: { x: GPUBuffer; y: GPUBuffer }, n: number): Dispatch {
  return new Dispatch(ctx, copyKernel, [b.x, b.y], { n }, grid1d(n));
}
