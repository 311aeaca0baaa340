import { allocDoubles, allocFloats } from '../arena';
import { ShapeError, ValueError, formatShape, sameShape, shapeSize } from '../shape';
import { Tensor, fromOp, gradOf } from '../tensor';
import { add, mul } from './elementwise';
import { reshape } from './shape';
import { isOnDevice, onDeviceOp } from '../device';
import { wasmLayerNorm, wasmLayerNormBackward } from '../kernels/wasm/layerNorm';
import { kernelsAt } from '../kernels/wasm/resident';
import { localKernels } from '../kernels/wasm/runtime';

/**
 * x̂ = (x − mean) / √(var + eps) over each of `rows` contiguous runs of `len` elements (biased
 * variance, statistics in float64). Backward: dx = (g − mean(g) − x̂·mean(g·x̂)) / √(var + eps).
 */
function standardize(op: string, x: Tensor, rows: number, len: number, eps: number): Tensor {
  const Y = allocFloats(x.size);
  const invStd = normalizeRows(x.data, Y, rows, len, eps);
  return fromOp(op, Y, x.shape, [x], (res) => () => standardizeBackward(Y, invStd, res.grad as Float32Array, gradOf(x), rows, len));
}

/** x̂ of each row of X into Y (float32), statistics in float64; returns 1/σ per row. */
function normalizeRows(X: Float32Array, Y: Float32Array, rows: number, len: number, eps: number): Float64Array {
  const invStd = allocDoubles(rows);
  for (let r = 0; r < rows; r++) {
    const base = r * len;
    let s = 0;
    for (let i = base; i < base + len; i++) s += X[i];
    const mu = s / len;
    let v = 0;
    for (let i = base; i < base + len; i++) v += (X[i] - mu) * (X[i] - mu);
    const inv = 1 / Math.sqrt(v / len + eps);
    invStd[r] = inv;
    for (let i = base; i < base + len; i++) Y[i] = (X[i] - mu) * inv;
  }
  return invStd;
}

/** dx = (g − mean(g) − x̂·mean(g·x̂)) / σ per row, at module level so V8 keeps it optimized across steps (see adaptivePool.ts). */
function standardizeBackward(Y: Float32Array, invStd: Float64Array, g: Float32Array, gx: Float32Array, rows: number, len: number): void {
  for (let r = 0; r < rows; r++) {
    const base = r * len;
    let sg = 0;
    let sgy = 0;
    for (let i = base; i < base + len; i++) {
      sg += g[i];
      sgy += g[i] * Y[i];
    }
    const mg = sg / len;
    const mgy = sgy / len;
    for (let i = base; i < base + len; i++) gx[i] += (g[i] - mg - Y[i] * mgy) * invStd[r];
  }
}

function checkEps(op: string, eps: number): void {
  if (!(eps >= 0) || !Number.isFinite(eps)) throw new ValueError(`${op}: eps must be a finite number ≥ 0, got ${eps}`);
}

/** Checks that `weight` and `bias` (each optional) have the shape `expected`. */
function checkAffine(op: string, weight: Tensor | null | undefined, bias: Tensor | null | undefined, expected: readonly number[]): void {
  for (const [name, t] of [['weight', weight], ['bias', bias]] as const) {
    if (t && !sameShape(t.shape, expected)) throw new ShapeError(`${op}: ${name} must be ${formatShape(expected)}, got ${formatShape(t.shape)}`);
  }
}

/** x̂·weight + bias, each optional; `affineShape` is how weight and bias broadcast against x. */
function affine(op: string, xhat: Tensor, weight: Tensor | null | undefined, bias: Tensor | null | undefined, expected: readonly number[], affineShape: readonly number[]): Tensor {
  let y = xhat;
  checkAffine(op, weight, bias, expected);
  if (weight) y = mul(y, sameShape(expected, affineShape) ? weight : reshape(weight, affineShape));
  if (bias) y = add(y, sameShape(expected, affineShape) ? bias : reshape(bias, affineShape));
  return y;
}

/**
 * Layer normalization (PyTorch's `layer_norm`): each sample is standardized over its last
 * dimensions, those of `normalizedShape`, then scaled and shifted element-wise by `weight` and
 * `bias` (both of shape `normalizedShape`, optional).
 *
 * @example
 * layerNorm(x, [64], gamma, beta) // x [B, T, 64]: each token normalized over its 64 features
 */
export function layerNorm(x: Tensor, normalizedShape: readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  checkEps('layerNorm', eps);
  const k = normalizedShape.length;
  if (k === 0 || k > x.rank || !sameShape(x.shape.slice(x.rank - k), normalizedShape)) {
    throw new ShapeError(`layerNorm: input ${formatShape(x.shape)} does not end with the normalized shape ${formatShape(normalizedShape)}`);
  }
  checkAffine('layerNorm', weight, bias, normalizedShape); // before the dispatch: every device gets the same checks
  if (isOnDevice(x) || isOnDevice(weight) || isOnDevice(bias)) return onDeviceOp('layerNorm', [x, normalizedShape, weight, bias, eps]);
  const len = shapeSize(normalizedShape);
  const rows = x.size / Math.max(len, 1);
  if (weight && bias) return layerNormAffine(x, weight, bias, rows, len, eps);
  return affine('layerNorm', standardize('layerNorm', x, rows, len, eps), weight, bias, normalizedShape, normalizedShape);
}

/**
 * LayerNorm with weight and bias as one op (a transformer's every norm): one output and one
 * backward node instead of three. On the JavaScript kernel it gives the bits of standardize → mul
 * → add: x̂ and x̂·w are rounded to float32 where the chain stores them, and the gradients of w
 * and b add up row by row in the chain's order. On the SIMD kernel the statistics are float32.
 */
function layerNormAffine(x: Tensor, weight: Tensor, bias: Tensor, rows: number, len: number, eps: number): Tensor {
  const [X, W, B] = [x.data, weight.data, bias.data];
  const xhat = allocFloats(x.size);
  const Y = allocFloats(x.size);
  const k = len > 0 ? kernelsAt(localKernels(), X) : null; // any size: a row's result does not depend on its batch
  if (k !== null) {
    // the SIMD kernel, with float32 statistics (the JavaScript loop below keeps them in float64)
    const inv = allocFloats(rows);
    wasmLayerNorm(k, X, W, B, rows, len, eps, xhat, inv, Y);
    return fromOp('layerNorm', Y, x.shape, [x, weight, bias], (res) => () => {
      const [gx, gw, gb] = [x, weight, bias].map((t) => (t.requiresGrad ? gradOf(t) : null));
      wasmLayerNormBackward(k, res.grad as Float32Array, xhat, W, inv, rows, len, gx, gw, gb);
    });
  }
  // x̂ as standardize stores it, then x̂·w (rounded, as mul stores it) + b
  const invStd = normalizeRows(X, xhat, rows, len, eps);
  for (let i = 0; i < x.size; i += len) for (let j = 0; j < len; j++) Y[i + j] = Math.fround(xhat[i + j] * W[j]) + B[j];
  return fromOp('layerNorm', Y, x.shape, [x, weight, bias], (res) => () => {
    const g = res.grad as Float32Array;
    const gw = weight.requiresGrad ? gradOf(weight) : null;
    const gb = bias.requiresGrad ? gradOf(bias) : null;
    layerNormAffineBackward(g, xhat, W, invStd, x.requiresGrad ? gradOf(x) : null, gw, gb, rows, len);
  });
}

/** The backward of {@link layerNormAffine}, at module level so V8 keeps it optimized across steps (see adaptivePool.ts). */
function layerNormAffineBackward(g: Float32Array, xhat: Float32Array, W: Float32Array, invStd: Float64Array, gx: Float32Array | null, gw: Float32Array | null, gb: Float32Array | null, rows: number, len: number): void {
  for (let r = 0; r < rows; r++) {
    const base = r * len;
    let sg = 0;
    let sgy = 0;
    for (let i = base, j = 0; j < len; i++, j++) {
      if (gb !== null) gb[j] += g[i];
      if (gw !== null) gw[j] += g[i] * xhat[i];
      const gh = Math.fround(g[i] * W[j]); // x̂'s gradient, as the chain's mul stores it
      sg += gh;
      sgy += gh * xhat[i];
    }
    if (gx === null) continue;
    const [mg, mgy, inv] = [sg / len, sgy / len, invStd[r]];
    for (let i = base, j = 0; j < len; i++, j++) gx[i] += (Math.fround(g[i] * W[j]) - mg - xhat[i] * mgy) * inv;
  }
}

/**
 * Group normalization (PyTorch's `group_norm`): x [N, C, *] has its C channels split into
 * `numGroups` groups; each sample's group is standardized over its channels and positions,
 * then each channel scaled and shifted by `weight` and `bias` ([C], optional).
 */
export function groupNorm(x: Tensor, numGroups: number, weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  if (isOnDevice(x) || isOnDevice(weight) || isOnDevice(bias)) return onDeviceOp('groupNorm', [x, numGroups, weight, bias, eps]);
  checkEps('groupNorm', eps);
  if (x.rank < 2) throw new ShapeError(`groupNorm: input must be [N, C, *], got ${formatShape(x.shape)}`);
  const [N, C] = x.shape;
  if (!Number.isInteger(numGroups) || numGroups <= 0 || C % numGroups !== 0) {
    throw new ShapeError(`groupNorm: ${C} channels (input ${formatShape(x.shape)}) cannot be split into ${numGroups} groups`);
  }
  const len = x.size / Math.max(N * numGroups, 1);
  const xhat = standardize('groupNorm', x, N * numGroups, len, eps);
  return affine('groupNorm', xhat, weight, bias, [C], [C, ...x.shape.slice(2).map(() => 1)]);
}
