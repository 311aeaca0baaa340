import { INDEX_1D, type KernelDef, MAIN_1D } from '../kernel';

// BatchNorm over x [N, C, inner] (inner = H·W), global average pooling, the residual sum, and
// the element-wise product and copy of dropout.
// The per-channel reductions run one 256-thread workgroup per channel: a strided pass, then a
// tree in workgroup memory, as sumRowsKernel does.

/** The workgroup reduction both per-channel kernels end with: sums a[] and b[] over the 256 threads. */
const TREE = `
  workgroupBarrier();
  for (var half = 128u; half > 0u; half >>= 1u) {
    if (l.x < half) { a[l.x] += a[l.x + half]; b[l.x] += b[l.x + half]; }
    workgroupBarrier();
  }`;

const CHANNEL_MAIN = `
var<workgroup> a: array<f32, 256>;
var<workgroup> b: array<f32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) l: vec3<u32>, @builtin(workgroup_id) w: vec3<u32>) {
  let c = w.x;
  let M = p.N * p.inner;`;

/** The flat index of the j-th value of channel c. */
const AT = 'let at = ((j / p.inner) * p.C + c) * p.inner + j % p.inner;';

/**
 * Training-mode statistics: STATS[c] = batch mean, STATS[C + c] = 1/√(biased variance + eps). Two
 * passes over the channel, the mean first, then Σ(x − mean)²: in float32 a one-pass sum around a
 * shift loses digits when the shift sits far from the mean (the CPU op does one pass in float64).
 * With `update`, the running statistics move by `momentum` towards the mean and the unbiased variance.
 */
export const bnStatsKernel: KernelDef = {
  name: 'bnStats',
  buffers: [['X', 'read', 'f32'], ['STATS', 'read_write', 'f32'], ['RM', 'read_write', 'f32'], ['RV', 'read_write', 'f32']],
  uniforms: [['N', 'u32'], ['C', 'u32'], ['inner', 'u32'], ['eps', 'f32'], ['momentum', 'f32'], ['update', 'u32']],
  body: `${CHANNEL_MAIN}
  var s = 0.0;
  for (var j = l.x; j < M; j += 256u) {
    ${AT}
    s += X[at];
  }
  a[l.x] = s;
  b[l.x] = 0.0;${TREE}
  let mean = a[0] / f32(M);
  workgroupBarrier(); // every thread has read the mean before a[] is reused
  var q = 0.0;
  for (var j = l.x; j < M; j += 256u) {
    ${AT}
    let d = X[at] - mean;
    q += d * d;
  }
  a[l.x] = 0.0;
  b[l.x] = q;${TREE}
  if (l.x == 0u) {
    let variance = b[0] / f32(M);
    STATS[c] = mean;
    STATS[p.C + c] = 1.0 / sqrt(variance + p.eps);
    if (p.update != 0u) {
      RM[c] = (1.0 - p.momentum) * RM[c] + p.momentum * mean;
      RV[c] = (1.0 - p.momentum) * RV[c] + p.momentum * variance * (f32(M) / f32(M - 1u));
    }
  }
}`,
};

/** Evaluation-mode statistics from the running ones: STATS[c] = RM[c], STATS[C + c] = 1/√(RV[c] + eps). */
export const bnEvalStatsKernel: KernelDef = {
  name: 'bnEvalStats',
  buffers: [['RM', 'read', 'f32'], ['RV', 'read', 'f32'], ['STATS', 'read_write', 'f32']],
  uniforms: [['C', 'u32'], ['eps', 'f32']],
  body: `${MAIN_1D} {
  ${INDEX_1D('p.C')}
  STATS[i] = RM[i];
  STATS[p.C + i] = 1.0 / sqrt(RV[i] + p.eps);
}`,
};

/** y = (x − mean)·invStd·γ + β per channel (γ = 1, β = 0 without `affine`). */
export const bnNormalizeKernel: KernelDef = {
  name: 'bnNormalize',
  buffers: [['X', 'read', 'f32'], ['STATS', 'read', 'f32'], ['G', 'read', 'f32'], ['B', 'read', 'f32'], ['Y', 'read_write', 'f32']],
  uniforms: [['N', 'u32'], ['C', 'u32'], ['inner', 'u32'], ['affine', 'u32']],
  body: `${MAIN_1D} {
  ${INDEX_1D('p.N * p.C * p.inner')}
  let c = (i / p.inner) % p.C;
  var scale = STATS[p.C + c];
  var offset = 0.0;
  if (p.affine != 0u) { scale *= G[c]; offset = B[c]; }
  Y[i] = (X[i] - STATS[c]) * scale + offset;
}`,
};

/**
 * Per channel: SUMS[c] = Σ dy (β's gradient, also written to DB) and SUMS[C + c] = invStd·Σ dy·(x − mean)
 * (γ's gradient, also written to DW). Gradients are overwritten, as every layer's are.
 */
export const bnGradSumsKernel: KernelDef = {
  name: 'bnGradSums',
  buffers: [['X', 'read', 'f32'], ['DY', 'read', 'f32'], ['STATS', 'read', 'f32'], ['SUMS', 'read_write', 'f32'], ['DW', 'read_write', 'f32'], ['DB', 'read_write', 'f32']],
  uniforms: [['N', 'u32'], ['C', 'u32'], ['inner', 'u32']],
  body: `${CHANNEL_MAIN}
  let mean = STATS[c];
  var s = 0.0;
  var q = 0.0;
  for (var j = l.x; j < M; j += 256u) {
    ${AT}
    let g = DY[at];
    s += g;
    q += g * (X[at] - mean);
  }
  a[l.x] = s;
  b[l.x] = q;${TREE}
  if (l.x == 0u) {
    let gx = b[0] * STATS[p.C + c];
    SUMS[c] = a[0];
    SUMS[p.C + c] = gx;
    DB[c] = a[0];
    DW[c] = gx;
  }
}`,
};

/**
 * dx = a·dy − b·x + o per channel with a = γ·invStd; in training mode (the statistics depend on x)
 * b = a·invStd·Σ(dy·x̂)/M and o = b·mean − a·Σdy/M, in evaluation mode b = o = 0 (the CPU op's form).
 */
export const bnInputGradKernel: KernelDef = {
  name: 'bnInputGrad',
  buffers: [['X', 'read', 'f32'], ['DY', 'read', 'f32'], ['STATS', 'read', 'f32'], ['SUMS', 'read', 'f32'], ['G', 'read', 'f32'], ['DX', 'read_write', 'f32']],
  uniforms: [['N', 'u32'], ['C', 'u32'], ['inner', 'u32'], ['affine', 'u32'], ['training', 'u32']],
  body: `${MAIN_1D} {
  ${INDEX_1D('p.N * p.C * p.inner')}
  let c = (i / p.inner) % p.C;
  let inv = STATS[p.C + c];
  var a = inv;
  if (p.affine != 0u) { a *= G[c]; }
  var v = a * DY[i];
  if (p.training != 0u) {
    let M = f32(p.N * p.inner);
    let b = a * inv * SUMS[p.C + c] / M;
    v += b * (STATS[c] - X[i]) - a * SUMS[c] / M;
  }
  DX[i] = v;
}`,
};

/** y[plane] = mean of x over the plane's `inner` values: [N·C, inner] → [N·C]. */
export const globalAvgPoolKernel: KernelDef = {
  name: 'globalAvgPool',
  buffers: [['X', 'read', 'f32'], ['Y', 'read_write', 'f32']],
  uniforms: [['planes', 'u32'], ['inner', 'u32']],
  body: `${MAIN_1D} {
  ${INDEX_1D('p.planes')}
  var s = 0.0;
  for (var k = 0u; k < p.inner; k++) { s += X[i * p.inner + k]; }
  Y[i] = s / f32(p.inner);
}`,
};

/** dx = dy[plane] / inner for every value of the plane. */
export const globalAvgPoolBackwardKernel: KernelDef = {
  name: 'globalAvgPoolBackward',
  buffers: [['DY', 'read', 'f32'], ['DX', 'read_write', 'f32']],
  uniforms: [['planes', 'u32'], ['inner', 'u32']],
  body: `${MAIN_1D} {
  ${INDEX_1D('p.planes * p.inner')}
  DX[i] = DY[i / p.inner] / f32(p.inner);
}`,
};

/** Z = X + Y, element-wise (a residual block's sum, and the sum of its two input gradients). */
export const addKernel: KernelDef = {
  name: 'add',
  buffers: [['X', 'read', 'f32'], ['Y', 'read', 'f32'], ['Z', 'read_write', 'f32']],
  uniforms: [['n', 'u32']],
  body: `${MAIN_1D} {
  ${INDEX_1D('p.n')}
  Z[i] = X[i] + Y[i];
}`,
};

/** Z = X · Y, element-wise (a dropout mask applied to activations or to their gradient). */
export const mulKernel: KernelDef = {
  name: 'mul',
  buffers: [['X', 'read', 'f32'], ['Y', 'read', 'f32'], ['Z', 'read_write', 'f32']],
  uniforms: [['n', 'u32']],
  body: `${MAIN_1D} {
  ${INDEX_1D('p.n')}
  Z[i] = X[i] * Y[i];
}`,
};

/** Y = X (a layer that is the identity in evaluation mode, such as dropout). */
export const copyKernel: KernelDef = {
  name: 'copy',
  buffers: [['X', 'read', 'f32'], ['Y', 'read_write', 'f32']],
  uniforms: [['n', 'u32']],
  body: `${MAIN_1D} {
  ${INDEX_1D('p.n')}
  Y[i] = X[i];
}`,
};
