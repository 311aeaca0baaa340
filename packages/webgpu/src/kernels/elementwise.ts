import { INDEX_1D, type KernelDef, MAIN_1D, SPECIALS } from '../kernel';

/** y = max(x, 0), NaN propagating (as the CPU relu; the test is on the bits, since a compiler may fold `v != v` to false). */
export const reluKernel: KernelDef = {
  name: 'relu',
  buffers: [['X', 'read', 'f32'], ['Y', 'read_write', 'f32']],
  uniforms: [['n', 'u32']],
  body: `${SPECIALS}
${MAIN_1D} {
  ${INDEX_1D('p.n')}
  let v = X[i];
  Y[i] = select(0.0, v, v > 0.0 || isNan(v));
}`,
};

/** dx = dy where the relu's output y > 0, else 0. */
export const reluBackwardKernel: KernelDef = {
  name: 'reluBackward',
  buffers: [['Y', 'read', 'f32'], ['DY', 'read', 'f32'], ['DX', 'read_write', 'f32']],
  uniforms: [['n', 'u32']],
  body: `${MAIN_1D} {
  ${INDEX_1D('p.n')}
  DX[i] = select(0.0, DY[i], Y[i] > 0.0);
}`,
};

/** out[c] (+)= Σ_r X[r, c] over a [rows, cols] matrix: one thread per column (a linear layer's bias gradient). */
export const sumColsKernel: KernelDef = {
  name: 'sumCols',
  buffers: [['X', 'read', 'f32'], ['OUT', 'read_write', 'f32']],
  uniforms: [['rows', 'u32'], ['cols', 'u32'], ['accumulate', 'u32']],
  body: `${MAIN_1D} {
  ${INDEX_1D('p.cols')}
  var s = 0.0;
  for (var r = 0u; r < p.rows; r++) { s += X[r * p.cols + i]; }
  if (p.accumulate != 0u) { s += OUT[i]; }
  OUT[i] = s;
}`,
};

/**
 * out[r] (+)= scale · Σ_c X[r, c] over a [rows, cols] matrix: one 256-thread workgroup per row,
 * a strided pass then a tree in workgroup memory (a convolution's bias gradient; with one row, the sum of a vector).
 */
export const sumRowsKernel: KernelDef = {
  name: 'sumRows',
  buffers: [['X', 'read', 'f32'], ['OUT', 'read_write', 'f32']],
  uniforms: [['rows', 'u32'], ['cols', 'u32'], ['accumulate', 'u32'], ['scale', 'f32']],
  body: `
var<workgroup> part: array<f32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) l: vec3<u32>, @builtin(workgroup_id) w: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = w.x + w.y * nwg.x;
  var s = 0.0;
  if (row < p.rows) {
    for (var c = l.x; c < p.cols; c += 256u) { s += X[row * p.cols + c]; }
  }
  part[l.x] = s;
  workgroupBarrier();
  for (var half = 128u; half > 0u; half >>= 1u) {
    if (l.x < half) { part[l.x] += part[l.x + half]; }
    workgroupBarrier();
  }
  if (l.x == 0u && row < p.rows) {
    var v = part[0] * p.scale;
    if (p.accumulate != 0u) { v += OUT[row]; }
    OUT[row] = v;
  }
}`,
};

/** Workgroups of {@link sumRowsKernel}: one per row, folded into y past 65535. */
export function rowsGrid(rows: number): [number, number, number] {
  const x = Math.min(Math.max(rows, 1), 65535);
  return [x, Math.ceil(Math.max(rows, 1) / x), 1];
}

/** Swaps the first two axes of [A, B, P] → [B, A, P] (a convolution's [OC, N·HW] ⇄ [N, OC, HW]). */
export const swap01Kernel: KernelDef = {
  name: 'swap01',
  buffers: [['X', 'read', 'f32'], ['Y', 'read_write', 'f32']],
  uniforms: [['A', 'u32'], ['B', 'u32'], ['P', 'u32']],
  body: `${MAIN_1D} {
  ${INDEX_1D('p.A * p.B * p.P')}
  let q = i % p.P;
  let b = (i / p.P) % p.B;
  let a = i / (p.P * p.B);
  Y[(b * p.A + a) * p.P + q] = X[i];
}`,
};

/** The element-wise activations besides ReLU, by `kind`: 1 sigmoid, 2 tanh, 3 leaky ReLU (slope for x ≤ 0), 4 GELU (exact, erf form). */
export const ACTIVATIONS = { sigmoid: 1, tanh: 2, leakyRelu: 3, gelu: 4, hardtanh: 5 } as const;

/**
 * Φ(x), the standard normal CDF, as 0.5·(1 + erf(x/√2)) with erf from Abramowitz and Stegun 7.1.26
 * (absolute error below 1.5e-7, under float32's resolution of Φ near 1; WGSL has no erf).
 */
const NORMAL_CDF = `
fn normalCdf(x: f32) -> f32 {
  let z = abs(x) * 0.70710678118654752;
  let t = 1.0 / (1.0 + 0.3275911 * z);
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  // erfc(z) ≈ poly·e^(−z²): Φ(x) = erfc(z)/2 below 0 (no cancellation in the far tail), 1 − erfc(z)/2 above
  let half = 0.5 * poly * exp(-z * z);
  return select(1.0 - half, half, x < 0.0);
}`;

/**
 * y = f(x) for an activation of {@link ACTIVATIONS} (sigmoid in the overflow-free form of the CPU op;
 * hardtanh clamps to [lo, hi]);
 * NaN stays NaN and tanh(±∞) = ±1, as on the CPU (WGSL leaves exp and tanh of NaN and ±∞ undefined).
 */
export const activationKernel: KernelDef = {
  name: 'activation',
  buffers: [['X', 'read', 'f32'], ['Y', 'read_write', 'f32']],
  uniforms: [['n', 'u32'], ['kind', 'u32'], ['slope', 'f32'], ['lo', 'f32'], ['hi', 'f32']],
  body: `${SPECIALS}
${NORMAL_CDF}
${MAIN_1D} {
  ${INDEX_1D('p.n')}
  let x = X[i];
  var y = x;
  if (p.kind == 1u) {
    if (x >= 0.0) { y = 1.0 / (1.0 + exp(-x)); } else { let e = exp(x); y = e / (1.0 + e); }
  } else if (p.kind == 2u) {
    y = tanh(clamp(x, -15.0, 15.0)); // tanh(15) is 1 in float32
  } else if (p.kind == 3u && !(x > 0.0)) {
    y = x * p.slope;
  } else if (p.kind == 4u) {
    y = x * normalCdf(x);
  } else if (p.kind == 5u) {
    y = min(max(x, p.lo), p.hi);
  }
  if (isNan(x)) { y = x; }
  Y[i] = y;
}`,
};

/** dx = f′(x)·dy, from the input x (leaky ReLU; GELU: Φ(x) + x·φ(x); hardtanh: 1 inside (lo, hi)) or the output y (sigmoid: y(1 − y), tanh: 1 − y²). */
export const activationBackwardKernel: KernelDef = {
  name: 'activationBackward',
  buffers: [['X', 'read', 'f32'], ['Y', 'read', 'f32'], ['DY', 'read', 'f32'], ['DX', 'read_write', 'f32']],
  uniforms: [['n', 'u32'], ['kind', 'u32'], ['slope', 'f32'], ['lo', 'f32'], ['hi', 'f32']],
  body: `${NORMAL_CDF}
${MAIN_1D} {
  ${INDEX_1D('p.n')}
  let y = Y[i];
  var d = 1.0;
  if (p.kind == 1u) { d = y * (1.0 - y); }
  else if (p.kind == 2u) { d = 1.0 - y * y; }
  else if (p.kind == 3u) { d = select(p.slope, 1.0, X[i] > 0.0); }
  else if (p.kind == 4u) { let x = X[i]; d = normalCdf(x) + x * 0.39894228040143268 * exp(-0.5 * x * x); }
  else if (p.kind == 5u) { let x = X[i]; d = select(1.0, 0.0, x <= p.lo || x >= p.hi); }
  DX[i] = d * DY[i];
}`,
};
