import { allocDoubles, allocFloats } from '../arena';
import { ValueError } from '../shape';
import { type Tensor, fromOp, gradOf } from '../tensor';
import { unary } from './elementwise';
import { isOnDevice, onDeviceOp } from '../device';
import { wasmGelu, wasmMulAdd } from '../kernels/wasm/elementwise';
import { kernelsAt } from '../kernels/wasm/resident';
import { localKernels, wasmFor } from '../kernels/wasm/runtime';

// Activations beyond relu/sigmoid/tanh, as PyTorch defines them. Each is computed in float64
// from the float32 input and rounded once; the derivative is written in terms of x and y.

/** leakyRelu: x for x > 0, slope·x otherwise. The gradient at exactly 0 is the slope, as in PyTorch. */
export function leakyRelu(a: Tensor, negativeSlope = 0.01): Tensor {
  if (!Number.isFinite(negativeSlope)) throw new ValueError(`leakyRelu: negativeSlope must be a finite number, got ${negativeSlope}`);
  if (isOnDevice(a)) return onDeviceOp('leakyRelu', [a, negativeSlope]);
  return unary('leakyRelu', a, (x) => (x > 0 ? x : x * negativeSlope), (x) => (x > 0 ? 1 : negativeSlope));
}

/**
 * hardtanh: x clamped to [minVal, maxVal] (PyTorch's `hardtanh`; default [−1, 1]); `relu6` is
 * hardtanh(x, 0, 6). ±∞ clamp to the bounds and NaN stays NaN. The gradient is 1 strictly inside
 * the interval and 0 at and beyond its ends, as PyTorch's `hardtanh_backward`.
 */
export function hardtanh(a: Tensor, minVal = -1, maxVal = 1): Tensor {
  if (!Number.isFinite(minVal) || !Number.isFinite(maxVal) || !(minVal < maxVal)) {
    throw new ValueError(`hardtanh: minVal and maxVal must be finite numbers with minVal < maxVal, got [${minVal}, ${maxVal}]`);
  }
  if (isOnDevice(a)) return onDeviceOp('hardtanh', [a, minVal, maxVal]);
  return unary('hardtanh', a, (x) => (x < minVal ? minVal : x > maxVal ? maxVal : x), (x) => (x <= minVal || x >= maxVal ? 0 : 1));
}

/** min(max(x, 0), 6) (PyTorch's `relu6`): {@link hardtanh} on [0, 6]. */
export function relu6(a: Tensor): Tensor {
  if (isOnDevice(a)) return onDeviceOp('relu6', [a]);
  return hardtanh(a, 0, 6);
}

/** ELU: x for x > 0, α·(eˣ − 1) otherwise (PyTorch's `elu`, default α = 1). */
export function elu(a: Tensor, alpha = 1): Tensor {
  if (!Number.isFinite(alpha)) throw new ValueError(`elu: alpha must be a finite number, got ${alpha}`);
  if (isOnDevice(a)) return onDeviceOp('elu', [a, alpha]);
  return unary('elu', a, (x) => (x > 0 ? x : alpha * Math.expm1(x)), (x) => (x > 0 ? 1 : alpha * Math.exp(x)));
}

/** SiLU (swish): x·σ(x). */
export function silu(a: Tensor): Tensor {
  if (isOnDevice(a)) return onDeviceOp('silu', [a]);
  const sig = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
  return unary('silu', a, (x) => x * sig(x), (x) => {
    const s = sig(x);
    return s * (1 + x * (1 - s)); // d(x·σ)/dx = σ + x·σ·(1 − σ)
  });
}

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/**
 * erfc(x) for x ≥ 0 to about 5e-14 relative: the Maclaurin series of erf below 1.7, Laplace's
 * continued fraction (60 terms, evaluated from its tail) above, where it is within 5e-15 and
 * converges faster the larger x (e^{−x²} underflows to 0 past 27). Measured against 40-digit
 * erfc: the series loses up to 2e-11 relative between 1.8 and 2.5 (1 − erf cancels), the
 * continued fraction 3e-9 below 1.2.
 */
function erfcPositive(x: number): number {
  if (x < 1.7) {
    // erf(x) = 2/√π · Σ (−1)ⁿ x^(2n+1) / (n!·(2n+1))
    const x2 = x * x;
    let term = x;
    let s = x;
    for (let n = 1; n < 60; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      s += add;
      if (Math.abs(add) < 1e-17 * Math.abs(s)) break;
    }
    return 1 - TWO_OVER_SQRT_PI * s;
  }
  // erfc(x) = e^{−x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …)))))
  let f = x;
  for (let k = 60; k >= 1; k--) f = x + k / 2 / f;
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

/** Φ from the series and continued fraction: accurate everywhere, but up to ~60 terms per value. */
function normalCdfSeries(x: number): number {
  const z = x * SQRT1_2;
  return z >= 0 ? 1 - 0.5 * erfcPositive(z) : 0.5 * erfcPositive(-z);
}

/**
 * Per point of a grid of step 1/128 over [−8, 8], eight numbers (built on first use): Φ(x₀) from
 * the series, φ(x₀), the Taylor coefficients below that depend on x₀ alone: a = −x₀/2,
 * b = (x₀² − 1)/6, c = (3x₀ − x₀³)/24 and d = (x₀⁴ − 6x₀² + 3)/120, then 2a and 3b for φ's
 * expansion. No division is left per value (each cost more than the rest of the polynomial).
 */
const GRID = 128;
const LIMIT = 8;
let table: Float64Array | null = null;

function cdfTable(): Float64Array {
  if (table !== null) return table;
  const n = 2 * LIMIT * GRID + 1;
  const t = new Float64Array(8 * n);
  for (let i = 0; i < n; i++) {
    const x0 = i / GRID - LIMIT;
    const x2 = x0 * x0;
    const [a, b] = [-x0 / 2, (x2 - 1) / 6];
    t.set([normalCdfSeries(x0), INV_SQRT_2PI * Math.exp(-0.5 * x0 * x0), a, b, (3 * x0 - x2 * x0) / 24, (x2 * x2 - 6 * x2 + 3) / 120, 2 * a, 3 * b], 8 * i);
  }
  return (table = t);
}

/** 1.5·2^52: (v + ROUND) − ROUND rounds v to the nearest integer (ties to even) without calling Math.round, which V8 does not inline here. */
const ROUND = 1.5 * 2 ** 52;
/** 1/GRID, exact (a power of two). */
const STEP = 1 / 128;

/**
 * The standard normal CDF Φ(x) = erfc(−x/√2)/2, accurate in both tails (about 1e-12 relative
 * or better). Inside [−8, 8] it is a degree-5 Taylor expansion around the nearest grid point
 * x₀ (|h| ≤ 1/256), with the derivatives of φ written out: φ′ = −xφ, φ″ = (x² − 1)φ,
 * φ‴ = (3x − x³)φ, φ⁗ = (x⁴ − 6x² + 3)φ. GELU evaluates Φ once per activation, and the series
 * made it the slowest op of a ViT step (302 ms of forward pass against PyTorch's 8 ms); the
 * coefficients that depend on x₀ alone come from the table (divisions included), and the
 * nearest grid point is found by the 1.5·2^52 rounding trick (V8 did not inline Math.round).
 */
export function normalCdf(x: number): number {
  if (!(x > -LIMIT && x < LIMIT)) return normalCdfSeries(x);
  const t = cdfTable();
  const g = x * GRID + ROUND - ROUND; // the nearest grid point, in steps from 0
  const h = x - g * STEP;
  const k = 8 * ((g | 0) + LIMIT * GRID);
  const poly = 1 + h * (t[k + 2] + h * (t[k + 3] + h * (t[k + 4] + h * t[k + 5])));
  return t[k] + t[k + 1] * h * poly;
}

/**
 * The standard normal density φ(x) = e^(−x²/2)/√(2π), as the derivative of {@link normalCdf}'s
 * expansion around the same grid point (the same table): φ(x₀)·(1 + 2a·h + 3b·h² + 4c·h³ +
 * 5d·h⁴/120) for Φ's coefficients a, b, c, d: within 3e-10 relative inside [−8, 8] (worst
 * near ±8; a float32 result rounds at 6e-8), Math.exp outside. GELU's backward evaluates it once per activation, and Math.exp cost ~12 ns a value.
 */
export function normalPdf(x: number): number {
  if (!(x > -LIMIT && x < LIMIT)) return INV_SQRT_2PI * Math.exp(-0.5 * x * x);
  const t = cdfTable();
  const g = x * GRID + ROUND - ROUND; // as in normalCdf
  const h = x - g * STEP;
  const k = 8 * ((g | 0) + LIMIT * GRID);
  return t[k + 1] * (1 + h * (t[k + 6] + h * (t[k + 7] + h * (4 * t[k + 4] + 5 * h * t[k + 5]))));
}

/** @internal the series form of {@link normalCdf}, the reference its fast form is tested against */
export const normalCdfReference = normalCdfSeries;

const TANH_C = Math.sqrt(2 / Math.PI);
const TANH_K = 0.044715;

/**
 * GELU, PyTorch's `gelu`: x·Φ(x) with the exact normal CDF (default), or with `'tanh'` the
 * approximation ½x·(1 + tanh(√(2/π)·(x + 0.044715x³))).
 */
export function gelu(a: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
  if (isOnDevice(a)) return onDeviceOp('gelu', [a, approximate]);
  if (approximate === 'tanh') {
    return unary('gelu', a, (x) => 0.5 * x * (1 + Math.tanh(TANH_C * (x + TANH_K * x * x * x))), (x) => {
      const t = Math.tanh(TANH_C * (x + TANH_K * x * x * x));
      return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * TANH_C * (1 + 3 * TANH_K * x * x);
    });
  }
  if (approximate !== 'none') throw new ValueError(`gelu: approximate must be 'none' or 'tanh', got ${JSON.stringify(approximate)}`);
  // d(x·Φ(x))/dx = Φ(x) + x·φ(x) is computed in the forward pass (float64, the same bits the
  // backward would compute), so the backward is one multiply-add per element
  const X = a.data;
  const Y = allocFloats(a.size);
  const k = kernelsAt(localKernels(), X); // any size: a value's result does not depend on the tensor it is in
  // the SIMD kernel computes Φ in float32 (as PyTorch's float GELU); the loop below in float64
  const slope = k !== null ? allocFloats(a.size) : allocDoubles(a.size);
  if (k !== null) wasmGelu(k, X, Y, slope as Float32Array);
  else geluForward(X, Y, slope as Float64Array);
  return fromOp('gelu', Y, a.shape, [a], (res) => () => geluBackward(slope, res.grad as Float32Array, gradOf(a)));
}

/** Y = x·Φ(x) and slope = Φ(x) + x·φ(x); at module level so V8 keeps it optimized across steps (see adaptivePool.ts). */
function geluForward(X: Float32Array, Y: Float32Array, slope: Float64Array): void {
  const t = cdfTable();
  for (let j = 0; j < X.length; j++) {
    const x = X[j];
    if (!(x > -LIMIT && x < LIMIT)) {
      const c = normalCdf(x);
      Y[j] = x * c;
      slope[j] = c + x * normalPdf(x);
      continue;
    }
    // normalCdf and normalPdf written out on one grid point (the same operations, the same bits)
    const g = x * GRID + ROUND - ROUND;
    const h = x - g * STEP;
    const k = 8 * ((g | 0) + LIMIT * GRID);
    const c = t[k] + t[k + 1] * h * (1 + h * (t[k + 2] + h * (t[k + 3] + h * (t[k + 4] + h * t[k + 5]))));
    const d = t[k + 1] * (1 + h * (t[k + 6] + h * (t[k + 7] + h * (4 * t[k + 4] + 5 * h * t[k + 5]))));
    Y[j] = x * c;
    slope[j] = c + x * d;
  }
}

/** ga += g·(Φ(x) + x·φ(x)), the slope kept by the forward pass (float32 from the SIMD kernel: the same multiply-add there, in float64). */
function geluBackward(slope: Float64Array | Float32Array, g: Float32Array, ga: Float32Array): void {
  const k = slope instanceof Float32Array ? kernelsAt(wasmFor(g.length), g) : null;
  if (k !== null) return wasmMulAdd(k, g, slope as Float32Array, ga);
  for (let i = 0; i < slope.length; i++) ga[i] += g[i] * slope[i];
}
