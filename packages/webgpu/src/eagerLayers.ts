import { type Conv2dOptions, type LossOptions, type Pair, type Pool2dOptions, type BatchNormOpOptions, ShapeError, type Target, Tensor, ValueError, formatShape, isOnDevice, sameDeviceAs } from '@trainkit/tensor';
import { OPS, deviceResult, emptyStorage, gpu, releaseStorage, runDispatches } from './backend';
import { binary, relu, unsupported } from './eagerOps';
import { Dispatch, grid1d } from './kernel';
import { BINARY } from './kernels/eager';
import { sumRowsKernel } from './kernels/elementwise';
import { softCrossEntropyKernel, softmaxCrossEntropyKernel } from './kernels/loss';
import * as L from './layers';
import { checkedLabels, convGeometry } from './ops';
import { GpuTensor } from './tensor';
import { layerNormBackward, layerNormForward } from './transformerLayers';

// Convolution, pooling, normalization and the losses of 'webgpu' tensors, forward and backward,
// on the dispatches of layers.ts (the ones a compiled training step replays).

function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv2dOptions = {}): Tensor {
  if (options.groups !== undefined && options.groups !== 1) throw unsupported('conv2d', `groups > 1 is not implemented (got groups ${options.groups})`);
  checkConvOptions(options);
  const g = convGeometry('conv2d', x.shape, weight.shape, options);
  if (bias && (bias.rank !== 1 || bias.shape[0] !== g.OC)) throw new ShapeError(`conv2d: bias must be [${g.OC}], got ${formatShape(bias.shape)}`);
  const [X, Wt, B] = [gpu(x), gpu(weight), bias ? gpu(bias) : null];
  const ctx = X.ctx;
  const cols = emptyStorage([L.colsSize(g)]);
  const ycm = GpuTensor.empty(ctx, [g.OC, g.N * g.OH * g.OW]);
  const y = emptyStorage([g.N, g.OC, g.OH, g.OW]);
  runDispatches(L.convForward(ctx, g, { x: X.buffer, w: Wt.buffer, bias: B?.buffer ?? null, cols: cols.buffer, ycm: ycm.buffer, y: y.buffer }), 'conv2d');
  ycm.dispose();
  const parents = bias ? [x, weight, bias] : [x, weight];
  const out = deviceResult('conv2d', y, parents, (dy) => {
    const dx = x.requiresGrad ? emptyStorage(x.shape) : null;
    const dw = weight.requiresGrad ? emptyStorage(weight.shape) : null;
    const db = bias?.requiresGrad ? emptyStorage([g.OC]) : null;
    const dycm = GpuTensor.empty(ctx, [g.OC, g.N * g.OH * g.OW]);
    const dcols = dx ? GpuTensor.empty(ctx, [L.colsSize(g)]) : null;
    runDispatches(L.convBackward(ctx, g, { dy: dy.buffer, dycm: dycm.buffer, cols: cols.buffer, w: Wt.buffer, dw: dw?.buffer ?? null, db: db?.buffer ?? null, dcols: dcols?.buffer ?? null, dx: dx?.buffer ?? null }), 'conv2d backward');
    dycm.dispose();
    dcols?.dispose();
    return [dx, dw, db];
  });
  if (!out.requiresGrad) releaseStorage(cols); // no backward pass will need the columns
  return options.activation === 'relu' ? relu(out) : out;
}

/** The cpu op's checks of the options (a fractional, zero or negative size would reach the kernels as garbage). */
function checkConvOptions(o: Conv2dOptions): void {
  for (const [name, v, min] of [['stride', o.stride ?? 1, 1], ['padding', o.padding ?? 0, 0], ['dilation', o.dilation ?? 1, 1]] as const) {
    const p = typeof v === 'number' ? [v, v] : [v[0], v[1]];
    if (!p.every((d) => Number.isInteger(d) && d >= min)) throw new ValueError(`conv2d: ${name} must be an integer ≥ ${min} (or a pair of them), got ${JSON.stringify(v)}`);
  }
  if (o.activation !== undefined && o.activation !== 'relu') throw new ValueError(`conv2d: activation must be 'relu' or omitted, got ${JSON.stringify(o.activation)}`);
}

const size2 = (v: Pair | undefined, d: number): [number, number] => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : [v[0], v[1]]);

function maxPool2d(x: Tensor, kernel: Pair, options: Pool2dOptions = {}): Tensor {
  const [kh, kw] = size2(kernel, 0);
  const [sh, sw] = size2(options.stride, kh);
  const [ph, pw] = size2(options.padding, 0);
  if (kh !== 2 || kw !== 2 || sh !== 2 || sw !== 2 || ph !== 0 || pw !== 0) throw unsupported('maxPool2d', `only 2×2 windows with stride 2 and no padding are implemented (got kernel ${kh}×${kw}, stride ${sh}×${sw}, padding ${ph}×${pw})`);
  if (x.rank !== 4 || x.shape[2] < 2 || x.shape[3] < 2) throw new ShapeError(`maxPool2d: input must be [N, C, H ≥ 2, W ≥ 2], got ${formatShape(x.shape)}`);
  const [N, C, H, W] = x.shape;
  const g = { planes: N * C, H, W, OH: Math.floor(H / 2), OW: Math.floor(W / 2) };
  const X = gpu(x);
  const y = emptyStorage([N, C, g.OH, g.OW]);
  const arg = emptyStorage(y.shape);
  runDispatches(L.poolForward(X.ctx, g, { x: X.buffer, y: y.buffer, arg: arg.buffer }), 'maxPool2d');
  return deviceResult('maxPool2d', y, [x], (dy) => {
    const dx = emptyStorage(x.shape);
    runDispatches(L.poolBackward(X.ctx, g, { arg: arg.buffer, dy: dy.buffer, dx: dx.buffer }), 'maxPool2d backward');
    return [dx];
  });
}

function conv2dReluPool(x: Tensor, weight: Tensor, bias?: Tensor | null, options: Omit<Conv2dOptions, 'activation'> = {}): Tensor {
  return maxPool2d(conv2d(x, weight, bias, { ...options, activation: 'relu' }), 2);
}

function crossEntropy(logits: Tensor, target: Target, options: LossOptions = {}): Tensor {
  const reduction = options.reduction ?? 'mean';
  if (reduction !== 'mean' && reduction !== 'sum') throw unsupported('crossEntropy', `reduction '${String(reduction)}' is not implemented (use 'mean' or 'sum')`);
  if (logits.rank !== 2) throw new ShapeError(`crossEntropy: logits must be 2-D [batch, classes], got ${formatShape(logits.shape)}`);
  const [N, C] = logits.shape;
  if (target instanceof Tensor && target.rank === 2) return softCrossEntropy(logits, target, reduction);
  if (isOnDevice(target)) throw unsupported('crossEntropy', 'class indices on the device are not implemented; pass them as an Int32Array or a number[] (soft targets [N, C] may live there)');
  const labels = (target as { data?: Float32Array }).data ?? (target as ArrayLike<number>);
  if (N === 0) throw new ShapeError('crossEntropy: empty batch');
  if (labels.length !== N) throw new ShapeError(`crossEntropy: ${labels.length} labels for a batch of ${N}`);
  const X = gpu(logits);
  const lab = GpuTensor.empty(X.ctx, [N]);
  X.ctx.write(lab.buffer, checkedLabels('crossEntropy', labels, C));
  const out = lossOfRows(logits, softmaxCrossEntropyKernel, lab.buffer, reduction);
  lab.dispose();
  return out;
}

/**
 * A cross-entropy kernel's rows (its STATS, the row losses first) summed into the loss, and its
 * gradient of the logits kept for backward: `target` is the kernel's second buffer (the labels, or soft targets).
 */
function lossOfRows(logits: Tensor, kernel: typeof softmaxCrossEntropyKernel, target: GPUBuffer, reduction: 'mean' | 'sum'): Tensor {
  const [N] = logits.shape;
  const X = gpu(logits);
  const ctx = X.ctx;
  const stats = GpuTensor.empty(ctx, [2 * N]);
  const dlogits = emptyStorage(logits.shape);
  const scale = reduction === 'mean' ? 1 / N : 1;
  const loss = emptyStorage([]);
  runDispatches([
    new Dispatch(ctx, kernel, [X.buffer, target, dlogits.buffer, stats.buffer], { N, C: logits.shape[1], scale }, grid1d(N)),
    new Dispatch(ctx, sumRowsKernel, [stats.buffer, loss.buffer], { rows: 1, cols: N, accumulate: 0, scale }, [1, 1, 1]),
  ], 'crossEntropy');
  stats.dispose();
  const out = deviceResult('crossEntropy', loss, [logits], (dy) => [binary(dlogits, dy, BINARY.mul)]);
  if (!out.requiresGrad) releaseStorage(dlogits);
  return out;
}

/** Cross-entropy against probabilities [N, C] (soft labels: mixup, distillation), on the device or uploaded there. */
function softCrossEntropy(logits: Tensor, target: Tensor, reduction: 'mean' | 'sum'): Tensor {
  const [N, C] = logits.shape;
  if (target.shape[0] !== N || target.shape[1] !== C) throw new ShapeError(`crossEntropy: soft targets ${formatShape(target.shape)} must match logits ${formatShape(logits.shape)}`);
  if (target.requiresGrad) throw unsupported('crossEntropy', 'soft targets that require gradients are not implemented (pass target.detach())');
  if (N === 0) throw new ShapeError('crossEntropy: empty batch');
  return lossOfRows(logits, softCrossEntropyKernel, gpu(sameDeviceAs(target, logits)).buffer, reduction);
}

function mse(pred: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  const reduction = options.reduction ?? 'mean';
  if (pred.shape.length !== target.shape.length || pred.shape.some((d, i) => d !== target.shape[i])) throw new ShapeError(`mse: prediction ${formatShape(pred.shape)} and target ${formatShape(target.shape)} differ`);
  const d = OPS.sub(pred as never, target as never);
  const sq = OPS.mul(d as never, d as never);
  if (reduction === 'none') return sq;
  return reduction === 'sum' ? OPS.sum(sq as never) : OPS.mean(sq as never);
}

function globalAvgPool2d(x: Tensor): Tensor {
  if (x.rank !== 4) throw new ShapeError(`globalAvgPool2d: input must be [N, C, H, W], got ${formatShape(x.shape)}`);
  const [N, C, H, W] = x.shape;
  const X = gpu(x);
  const y = emptyStorage([N, C]);
  runDispatches(L.globalAvgPoolForward(X.ctx, N * C, H * W, { x: X.buffer, y: y.buffer }), 'globalAvgPool2d');
  return deviceResult('globalAvgPool2d', y, [x], (dy) => {
    const dx = emptyStorage(x.shape);
    runDispatches(L.globalAvgPoolBackward(X.ctx, N * C, H * W, { dy: dy.buffer, dx: dx.buffer }), 'globalAvgPool2d backward');
    return [dx];
  });
}

function batchNorm(x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, weight: Tensor | null, bias: Tensor | null, options: BatchNormOpOptions): Tensor {
  const [N, C] = x.shape;
  if (x.rank < 2) throw new ShapeError(`batchNorm: input must be [N, C, *], got ${formatShape(x.shape)}`);
  if ((runningMean === null) !== (runningVar === null) || (!options.training && runningMean === null)) throw unsupported('batchNorm', 'it needs both running statistics (evaluation mode uses them)');
  if ((weight === null) !== (bias === null)) throw unsupported('batchNorm', 'an affine transform needs both weight and bias');
  const inner = x.size / Math.max(N * C, 1);
  const geo = { N, C, inner, eps: options.eps ?? 1e-5, momentum: options.momentum ?? 0.1 };
  const X = gpu(x);
  const ctx = X.ctx;
  const [rm, rv] = runningMean && runningVar ? [gpu(runningMean).buffer, gpu(runningVar).buffer] : [ctx.dummy, ctx.dummy];
  const [gamma, beta] = weight && bias ? [gpu(weight).buffer, gpu(bias).buffer] : [null, null];
  const stats = emptyStorage([2 * C]);
  const y = emptyStorage(x.shape);
  runDispatches(L.batchNormForward(ctx, geo, options.training, runningMean !== null, { x: X.buffer, rm, rv, gamma, beta, stats: stats.buffer, y: y.buffer }), 'batchNorm');
  const parents = [x, weight, bias].filter((t): t is Tensor => t !== null);
  return deviceResult('batchNorm', y, parents, (dy) => {
    const sums = GpuTensor.empty(ctx, [2 * C]);
    const dw = emptyStorage([C]);
    const db = emptyStorage([C]);
    const dx = x.requiresGrad ? emptyStorage(x.shape) : null;
    runDispatches(L.batchNormBackward(ctx, geo, options.training, { x: X.buffer, dy: dy.buffer, stats: stats.buffer, sums: sums.buffer, gamma, dw: dw.buffer, db: db.buffer, dx: dx?.buffer ?? null }), 'batchNorm backward');
    sums.dispose();
    if (weight) return [dx, dw, db];
    releaseStorage(dw);
    releaseStorage(db);
    return [dx];
  });
}

function layerNorm(x: Tensor, normalizedShape: readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  if (normalizedShape.length !== 1) throw unsupported('layerNorm', `only a normalization over the last dimension is implemented (got normalizedShape ${formatShape(normalizedShape)})`);
  const D = normalizedShape[0];
  if (x.rank < 1 || x.shape[x.rank - 1] !== D) throw new ShapeError(`layerNorm: input ${formatShape(x.shape)} must end with the normalized shape [${D}]`);
  if (!weight !== !bias) throw unsupported('layerNorm', 'an affine transform needs both weight and bias');
  const rows = x.size / D;
  const X = gpu(x);
  const ctx = X.ctx;
  const [gamma, beta] = weight && bias ? [gpu(weight).buffer, gpu(bias).buffer] : [null, null];
  const xhat = emptyStorage(x.shape);
  const inv = emptyStorage([rows]);
  const y = emptyStorage(x.shape);
  runDispatches(layerNormForward(ctx, rows, D, eps, { x: X.buffer, gamma, beta, xhat: xhat.buffer, inv: inv.buffer, y: y.buffer }), 'layerNorm');
  const parents = [x, weight, bias].filter((t): t is Tensor => t !== null && t !== undefined);
  return deviceResult('layerNorm', y, parents, (dy) => {
    const dx = x.requiresGrad ? emptyStorage(x.shape) : null;
    const [dg, dbeta] = gamma ? [emptyStorage([D]), emptyStorage([D])] : [null, null];
    runDispatches(layerNormBackward(ctx, rows, D, { xhat: xhat.buffer, inv: inv.buffer, dy: dy.buffer, gamma, dgamma: dg?.buffer ?? null, dbeta: dbeta?.buffer ?? null, dx: dx?.buffer ?? null }), 'layerNorm backward');
    return [dx, dg, dbeta];
  });
}

Object.assign(OPS, { conv2d, conv2dReluPool, maxPool2d, crossEntropy, mse, globalAvgPool2d, batchNorm, layerNorm });
