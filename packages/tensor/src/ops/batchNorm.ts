import { allocDoubles, allocFloats } from '../arena';
import { type ChannelLayout, channelGradSums, channelMoments, inputGradChannels, normalizeChannels } from '../kernels/batchNorm';
import { reluBackwardKernel, reluKernel } from '../kernels/elementwise';
import { wasmBatchNormBackward, wasmBatchNormForward } from '../kernels/wasm/batchNorm';
import { kernelsAt } from '../kernels/wasm/resident';
import { wasmFor } from '../kernels/wasm/runtime';
import { ShapeError, ValueError, formatShape } from '../shape';
import { type Tensor, fromOp, gradOf } from '../tensor';
import { gradForWrite } from '../autograd';
import { isOnDevice, onDeviceOp } from '../device';
import { relu } from './elementwise';

/** Options of {@link batchNorm}. */
export interface BatchNormOpOptions {
  /** Normalize with the batch statistics and update the running ones (true), or use the running ones (false). */
  training: boolean;
  /** Weight of this batch in the running statistics: running = (1 − m)·running + m·batch. Default 0.1. */
  momentum?: number;
  /** Added to the variance before the square root. Default 1e-5. */
  eps?: number;
  /**
   * `'relu'` fuses a ReLU after the normalization: relu(batchNorm(x)) in one op, the same
   * numbers with two fewer passes over memory each way (as Conv2dOptions' `activation`). Default none.
   */
  activation?: 'relu';
}

/** Per-channel statistics of one call: the mean used and 1/√(var + eps), both float64. */
interface Stats {
  mean: Float64Array;
  invStd: Float64Array;
}

const OP = 'batchNorm';

function checkVector(name: string, t: Tensor | null, C: number, x: Tensor): void {
  if (t !== null && (t.rank !== 1 || t.shape[0] !== C)) {
    throw new ShapeError(`${OP}: ${name} must be [${C}] for input ${formatShape(x.shape)} (channels on axis 1), got ${formatShape(t.shape)}`);
  }
}

/**
 * Mean and biased variance per channel from the shifted sums of {@link channelMoments} (M values
 * per channel), with 1/√(var + eps).
 */
function batchStats(X: Float32Array, sums: Float64Array, { C, inner }: ChannelLayout, M: number, eps: number): Stats & { variance: Float64Array } {
  const mean = allocDoubles(C);
  const variance = allocDoubles(C);
  const invStd = allocDoubles(C);
  for (let c = 0; c < C; c++) {
    const m = sums[c] / M;
    mean[c] = X[c * inner] + m;
    variance[c] = Math.max(0, sums[C + c] / M - m * m);
    invStd[c] = 1 / Math.sqrt(variance[c] + eps);
  }
  return { mean, invStd, variance };
}

/** running = (1 − m)·running + m·batch, with the unbiased batch variance (PyTorch's rule). */
function updateRunning(rm: Tensor, rv: Tensor, mean: Float64Array, biasedVar: Float64Array, count: number, m: number): void {
  const unbias = count / (count - 1);
  for (let c = 0; c < mean.length; c++) {
    rm.data[c] = (1 - m) * rm.data[c] + m * mean[c];
    rv.data[c] = (1 - m) * rv.data[c] + m * biasedVar[c] * unbias;
  }
}

/** y = x̂·γ + β written as y = x·scale + offset per channel: [scale…, offset…] in float64. */
function outputCoefficients(stats: Stats, weight: Tensor | null, bias: Tensor | null): Float64Array {
  const C = stats.mean.length;
  const coef = allocDoubles(2 * C);
  for (let c = 0; c < C; c++) {
    const scale = stats.invStd[c] * (weight === null ? 1 : weight.data[c]);
    coef[c] = scale;
    coef[C + c] = (bias === null ? 0 : bias.data[c]) - stats.mean[c] * scale;
  }
  return coef;
}

/**
 * dx += γ·invstd·(dy − [Σdy + x̂·Σ(dy·x̂)]/M) in training mode (the batch statistics depend on x),
 * dx += γ·invstd·dy in evaluation mode; written as dx += a·dy − b·x + o per channel: [a…, b…, o…]
 * from the sums Σdy and Σdy·(x − mean) of {@link channelGradSums}.
 */
function inputCoefficients(stats: Stats, weight: Tensor | null, sums: Float64Array, training: boolean, M: number): Float64Array {
  const C = stats.mean.length;
  const coef = allocDoubles(3 * C);
  for (let c = 0; c < C; c++) {
    const inv = stats.invStd[c];
    const a = inv * (weight === null ? 1 : weight.data[c]);
    const b = training ? (a * inv * (sums[C + c] * inv)) / M : 0;
    coef[c] = a;
    coef[C + c] = b;
    coef[2 * C + c] = training ? -(a * sums[c]) / M + b * stats.mean[c] : 0;
  }
  return coef;
}

function validate(x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, weight: Tensor | null, bias: Tensor | null, o: BatchNormOpOptions): void {
  if (x.rank < 2) throw new ShapeError(`${OP}: input must be [N, C, *] (channels on axis 1), got ${formatShape(x.shape)}`);
  const C = x.shape[1];
  checkVector('runningMean', runningMean, C, x);
  checkVector('runningVar', runningVar, C, x);
  checkVector('weight', weight, C, x);
  checkVector('bias', bias, C, x);
  const eps = o.eps ?? 1e-5;
  const momentum = o.momentum ?? 0.1;
  if (!(eps > 0) || !Number.isFinite(eps)) throw new ValueError(`${OP}: eps must be a finite number > 0, got ${eps}`);
  if (!(momentum >= 0 && momentum <= 1)) throw new ValueError(`${OP}: momentum must be in [0, 1], got ${momentum}`);
  if (o.activation !== undefined && o.activation !== 'relu') throw new ValueError(`${OP}: activation must be 'relu' or undefined, got ${JSON.stringify(o.activation)}`);
  if ((runningMean === null) !== (runningVar === null)) throw new ValueError(`${OP}: give both runningMean and runningVar, or neither`);
  if (!o.training && runningMean === null) throw new ValueError(`${OP}: evaluation mode (training: false) needs runningMean and runningVar`);
  if (o.training && x.size / Math.max(C, 1) <= 1) {
    throw new ValueError(`${OP}: expected more than 1 value per channel when training, got input ${formatShape(x.shape)}`);
  }
}

/**
 * y = x̂·γ + β into a new buffer with the batch statistics (training; the running ones updated)
 * or the running ones (evaluation): on the wasm kernels when x is large enough, else in JS.
 */
function forward(x: Tensor, d: ChannelLayout, rm: Tensor | null, rv: Tensor | null, weight: Tensor | null, bias: Tensor | null, o: BatchNormOpOptions): { Y: Float32Array; stats: Stats } {
  const eps = o.eps ?? 1e-5;
  const M = d.N * d.inner;
  let stats!: Stats; // set by coefficients(), which both paths call once
  const coefficients = (sums: Float64Array | null): Float64Array => {
    if (sums === null) {
      stats = { mean: Float64Array.from((rm as Tensor).data), invStd: Float64Array.from((rv as Tensor).data, (v) => 1 / Math.sqrt(v + eps)) };
    } else {
      const batch = batchStats(x.data, sums, d, M, eps);
      if (rm !== null && rv !== null) updateRunning(rm, rv, batch.mean, batch.variance, M, o.momentum ?? 0.1);
      stats = batch;
    }
    return outputCoefficients(stats, weight, bias);
  };
  const Y = allocFloats(x.size);
  const sums = o.training ? allocDoubles(2 * d.C, true) : null;
  const relu = o.activation === 'relu';
  const k = kernelsAt(wasmFor(x.size), x.data);
  if (k !== null) {
    wasmBatchNormForward(k, x.data, Y, d, sums, coefficients, relu);
  } else {
    if (sums !== null) channelMoments(x.data, d, sums);
    normalizeChannels(x.data, Y, d, coefficients(sums));
    if (relu) reluKernel(Y, Y); // relu's own kernel, in place (its JS loop: x.size is below the wasm kernels' size here)
  }
  return { Y, stats };
}

/**
 * Accumulates the gradients of x, weight and bias (those that need one) from dy = G; with a fused
 * ReLU (`Y`, the op's output, given), from G where Y > 0 and 0 elsewhere, as relu's backward.
 */
function backward(G: Float32Array, x: Tensor, weight: Tensor | null, bias: Tensor | null, d: ChannelLayout, stats: Stats, training: boolean, Y: Float32Array | null): void {
  const C = d.C;
  const sums = allocDoubles(2 * C, true); // Σdy, Σdy·(x − mean)
  const gx = x.requiresGrad ? gradForWrite(x) : null;
  const dx = gx?.grad ?? null;
  const coefficients = (s: Float64Array): Float64Array => inputCoefficients(stats, weight, s, training, d.N * d.inner);
  const k = kernelsAt(wasmFor(x.size), G);
  if (k !== null) {
    wasmBatchNormBackward(k, G, x.data, dx, d, stats.mean, sums, coefficients, gx?.fresh ?? false, Y);
  } else {
    if (Y !== null) {
      const masked = allocFloats(G.length);
      reluBackwardKernel(Y, G, masked, true); // relu's own backward, into a fresh buffer
      G = masked;
    }
    if (gx?.fresh) gx.grad.fill(0);
    channelGradSums(G, x.data, d, stats.mean, sums);
    if (dx !== null) inputGradChannels(dx, G, x.data, d, coefficients(sums));
  }
  if (weight?.requiresGrad) {
    const gw = gradOf(weight);
    for (let c = 0; c < C; c++) gw[c] += sums[C + c] * stats.invStd[c]; // Σdy·x̂
  }
  if (bias?.requiresGrad) {
    const gb = gradOf(bias);
    for (let c = 0; c < C; c++) gb[c] += sums[c];
  }
}

/**
 * Batch normalization over the channel axis 1 of x [N, C, *] (PyTorch's `batch_norm`), fused:
 * one pass for the statistics, one for the output, and a hand-written backward.
 *
 * Training: each channel is standardized with its batch mean and biased variance (float64
 * sums), and `runningMean`/`runningVar` (when given) are updated in place with the unbiased
 * variance: running = (1 − momentum)·running + momentum·batch. Evaluation: the running
 * statistics normalize. Then y = x̂·weight + bias (each optional), and with `activation: 'relu'`
 * max(y, 0) (relu's rule, fused). Gradients flow to x, weight and bias, never to the running statistics.
 *
 * The four passes (statistics, output, the backward's sums, the input gradient) run as
 * WebAssembly SIMD kernels on large inputs and as JavaScript loops otherwise (and on the 'js'
 * kernel backend). Both accumulate in float64 and round each output once, but add their sums in a
 * different order, so the two may differ in the last bits of a float32 result.
 *
 * @example
 * batchNorm(x, bn.runningMean, bn.runningVar, bn.weight, bn.bias, { training: true }) // x [N, C, H, W]
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null,
  bias: Tensor | null,
  options: BatchNormOpOptions,
): Tensor {
  validate(x, runningMean, runningVar, weight, bias, options); // shapes and options only: every device gets the same checks
  if (isOnDevice(x) || isOnDevice(runningMean) || isOnDevice(runningVar) || isOnDevice(weight) || isOnDevice(bias)) {
    const { activation, ...plain } = options; // a device runs the ReLU as its own op
    const y = onDeviceOp('batchNorm', [x, runningMean, runningVar, weight, bias, plain]);
    return activation === 'relu' ? relu(y) : y;
  }
  const [N, C] = x.shape;
  const d: ChannelLayout = { N, C, inner: x.size / Math.max(N * C, 1) };
  const { Y, stats } = forward(x, d, runningMean, runningVar, weight, bias, options);
  const parents = [x, weight, bias].filter((t): t is Tensor => t !== null);
  const fusedRelu = options.activation === 'relu' ? Y : null;
  return fromOp(fusedRelu ? `${OP}+relu` : OP, Y, x.shape, parents, (out) => () => backward(out.grad as Float32Array, x, weight, bias, d, stats, options.training, fusedRelu));
}
