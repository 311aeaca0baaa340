import { allocDoubles, allocFloats } from '../arena';
import { ShapeError, ValueError, formatShape } from '../shape';
import { type Tensor, fromOp, gradOf } from '../tensor';
import { isOnDevice, onDeviceOp } from '../device';

/** Options of {@link batchNorm}. */
export interface BatchNormOpOptions {
  /** Normalize with the batch statistics and update the running ones (true), or use the running ones (false). */
  training: boolean;
  /** Weight of this batch in the running statistics: running = (1 − m)·running + m·batch. Default 0.1. */
  momentum?: number;
  /** Added to the variance before the square root. Default 1e-5. */
  eps?: number;
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
 * Per-channel mean and biased variance of x [N, C, inner] in one pass, accumulated in float64
 * around the channel's first value (a shift that keeps Σd² − (Σd)²/M free of cancellation).
 */
function batchMoments(X: Float32Array, N: number, C: number, inner: number): { mean: Float64Array; variance: Float64Array } {
  const M = N * inner;
  const sum = allocDoubles(C, true);
  const sumSq = allocDoubles(C, true);
  const shift = allocDoubles(C);
  for (let c = 0; c < C; c++) shift[c] = X[c * inner];
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const base = (n * C + c) * inner;
      const k = shift[c];
      // two independent chains per sum: one chain of float64 additions runs at one per add latency
      let s0 = 0, s1 = 0, q0 = 0, q1 = 0;
      const end2 = base + (inner & ~1);
      for (let i = base; i < end2; i += 2) {
        const d0 = X[i] - k;
        const d1 = X[i + 1] - k;
        s0 += d0;
        q0 += d0 * d0;
        s1 += d1;
        q1 += d1 * d1;
      }
      if (end2 < base + inner) {
        const d = X[end2] - k;
        s0 += d;
        q0 += d * d;
      }
      sum[c] += s0 + s1;
      sumSq[c] += q0 + q1;
    }
  }
  const mean = allocDoubles(C);
  const variance = allocDoubles(C);
  for (let c = 0; c < C; c++) {
    const m = sum[c] / M;
    mean[c] = shift[c] + m;
    variance[c] = Math.max(0, sumSq[c] / M - m * m);
  }
  return { mean, variance };
}

/** running = (1 − m)·running + m·batch, with the unbiased batch variance (PyTorch's rule). */
function updateRunning(rm: Tensor, rv: Tensor, mean: Float64Array, biasedVar: Float64Array, count: number, m: number): void {
  const unbias = count / (count - 1);
  for (let c = 0; c < mean.length; c++) {
    rm.data[c] = (1 - m) * rm.data[c] + m * mean[c];
    rv.data[c] = (1 - m) * rv.data[c] + m * biasedVar[c] * unbias;
  }
}

/** y = x̂·γ + β written as y = x·scale + offset per channel (float64 coefficients). */
function normalize(X: Float32Array, N: number, C: number, inner: number, stats: Stats, weight: Tensor | null, bias: Tensor | null): Float32Array {
  const Y = allocFloats(X.length);
  const scale = allocDoubles(C);
  const offset = allocDoubles(C);
  for (let c = 0; c < C; c++) {
    scale[c] = stats.invStd[c] * (weight === null ? 1 : weight.data[c]);
    offset[c] = (bias === null ? 0 : bias.data[c]) - stats.mean[c] * scale[c];
  }
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const base = (n * C + c) * inner;
      const a = scale[c];
      const b = offset[c];
      for (let i = base; i < base + inner; i++) Y[i] = X[i] * a + b;
    }
  }
  return Y;
}

/** Σ dy and Σ dy·x̂ per channel, in float64. */
function gradSums(G: Float32Array, X: Float32Array, N: number, C: number, inner: number, stats: Stats): { sumG: Float64Array; sumGXhat: Float64Array } {
  const sumG = allocDoubles(C, true);
  const sumGXhat = allocDoubles(C, true);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const base = (n * C + c) * inner;
      const mu = stats.mean[c];
      let sg0 = 0, sg1 = 0, sgx0 = 0, sgx1 = 0;
      const end2 = base + (inner & ~1);
      for (let i = base; i < end2; i += 2) {
        sg0 += G[i];
        sgx0 += G[i] * (X[i] - mu);
        sg1 += G[i + 1];
        sgx1 += G[i + 1] * (X[i + 1] - mu);
      }
      if (end2 < base + inner) {
        sg0 += G[end2];
        sgx0 += G[end2] * (X[end2] - mu);
      }
      sumG[c] += sg0 + sg1;
      sumGXhat[c] += sgx0 + sgx1;
    }
  }
  for (let c = 0; c < C; c++) sumGXhat[c] *= stats.invStd[c];
  return { sumG, sumGXhat };
}

/**
 * dx += γ·invstd·(dy − [Σdy + x̂·Σ(dy·x̂)]/M) in training mode (the batch statistics depend on x),
 * dx += γ·invstd·dy in evaluation mode; written as dx += a·dy − b·x + o per channel.
 */
function inputGrad(dx: Float32Array, G: Float32Array, X: Float32Array, shape: readonly number[], stats: Stats, weight: Tensor | null, sums: ReturnType<typeof gradSums>, training: boolean): void {
  const [N, C] = shape;
  const inner = X.length / Math.max(N * C, 1);
  const M = N * inner;
  for (let c = 0; c < C; c++) {
    const inv = stats.invStd[c];
    const a = inv * (weight === null ? 1 : weight.data[c]);
    const b = training ? (a * inv * sums.sumGXhat[c]) / M : 0;
    const o = training ? -(a * sums.sumG[c]) / M + b * stats.mean[c] : 0;
    for (let n = 0; n < N; n++) {
      const base = (n * C + c) * inner;
      for (let i = base; i < base + inner; i++) dx[i] += a * G[i] - b * X[i] + o;
    }
  }
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
  if ((runningMean === null) !== (runningVar === null)) throw new ValueError(`${OP}: give both runningMean and runningVar, or neither`);
  if (!o.training && runningMean === null) throw new ValueError(`${OP}: evaluation mode (training: false) needs runningMean and runningVar`);
  if (o.training && x.size / Math.max(C, 1) <= 1) {
    throw new ValueError(`${OP}: expected more than 1 value per channel when training, got input ${formatShape(x.shape)}`);
  }
}

/**
 * Batch normalization over the channel axis 1 of x [N, C, *] (PyTorch's `batch_norm`), fused:
 * one pass for the statistics, one for the output, and a hand-written backward.
 *
 * Training: each channel is standardized with its batch mean and biased variance (float64
 * sums), and `runningMean`/`runningVar` (when given) are updated in place with the unbiased
 * variance: running = (1 − momentum)·running + momentum·batch. Evaluation: the running
 * statistics normalize. Then y = x̂·weight + bias (each optional). Gradients flow to x,
 * weight and bias, never to the running statistics.
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
  if (isOnDevice(x) || isOnDevice(runningMean) || isOnDevice(runningVar) || isOnDevice(weight) || isOnDevice(bias)) return onDeviceOp('batchNorm', [x, runningMean, runningVar, weight, bias, options]);
  const eps = options.eps ?? 1e-5;
  const training = options.training;
  const [N, C] = x.shape;
  const inner = x.size / Math.max(N * C, 1);
  let stats: Stats;
  if (training) {
    const { mean, variance } = batchMoments(x.data, N, C, inner);
    const invStd = allocDoubles(C);
    for (let c = 0; c < C; c++) invStd[c] = 1 / Math.sqrt(variance[c] + eps);
    stats = { mean, invStd };
    if (runningMean !== null && runningVar !== null) updateRunning(runningMean, runningVar, mean, variance, N * inner, options.momentum ?? 0.1);
  } else {
    const rm = (runningMean as Tensor).data;
    const rv = (runningVar as Tensor).data;
    stats = { mean: Float64Array.from(rm), invStd: Float64Array.from(rv, (v) => 1 / Math.sqrt(v + eps)) };
  }
  const Y = normalize(x.data, N, C, inner, stats, weight, bias);
  const parents = [x, weight, bias].filter((t): t is Tensor => t !== null);
  return fromOp(OP, Y, x.shape, parents, (out) => () => {
    const G = out.grad as Float32Array;
    const sums = gradSums(G, x.data, N, C, inner, stats);
    if (weight?.requiresGrad) {
      const gw = gradOf(weight);
      for (let c = 0; c < C; c++) gw[c] += sums.sumGXhat[c];
    }
    if (bias?.requiresGrad) {
      const gb = gradOf(bias);
      for (let c = 0; c < C; c++) gb[c] += sums.sumG[c];
    }
    if (x.requiresGrad) inputGrad(gradOf(x), G, x.data, x.shape, stats, weight, sums, training);
  });
}
