import { INDEX_1D, type KernelDef, MAIN_1D } from '../kernel';

// The ops of a vision transformer that the other kernel files lack: LayerNorm over the last
// dimension, the patch tokens with the class token and position embedding, multi-head
// self-attention on the packed q/k/v projection, and picking the class token. Tokens are rows
// [N·T, E]; attention probabilities are [N, H, T, T]. One thread per output value or per row:
// T and the head width are small, and the software adapter has no use for workgroup tiling here.

/**
 * LayerNorm of rows of D values: XHAT = (x − mean)/√(biased var + eps) (two passes, as the CPU
 * op), INV[r] = 1/√(var + eps), Y = XHAT·γ + β (γ = 1, β = 0 without `affine`).
 */
export const layerNormKernel: KernelDef = {
  name: 'layerNorm',
  buffers: [['X', 'read', 'f32'], ['G', 'read', 'f32'], ['B', 'read', 'f32'], ['XHAT', 'read_write', 'f32'], ['INV', 'read_write', 'f32'], ['Y', 'read_write', 'f32']],
  uniforms: [['rows', 'u32'], ['D', 'u32'], ['eps', 'f32'], ['affine', 'u32']],
  body: `${MAIN_1D} {
  ${INDEX_1D('p.rows')}
  let base = i * p.D;
  var s = 0.0;
  for (var k = 0u; k < p.D; k++) { s += X[base + k]; }
  let mu = s / f32(p.D);
  var v = 0.0;
  for (var k = 0u; k < p.D; k++) { let d = X[base + k] - mu; v += d * d; }
  let inv = 1.0 / sqrt(v / f32(p.D) + p.eps);
  INV[i] = inv;
  for (var k = 0u; k < p.D; k++) {
    let h = (X[base + k] - mu) * inv;
    XHAT[base + k] = h;
    var y = h;
    if (p.affine != 0u) { y = h * G[k] + B[k]; }
    Y[base + k] = y;
  }
}`,
};

/** LayerNorm's input gradient per row: with g = dy·γ, dx = (g − mean(g) − x̂·mean(g·x̂))·inv. */
export const layerNormBackwardKernel: KernelDef = {
  name: 'layerNormBackward',
  buffers: [['XHAT', 'read', 'f32'], ['INV', 'read', 'f32'], ['DY', 'read', 'f32'], ['G', 'read', 'f32'], ['DX', 'read_write', 'f32']],
  uniforms: [['rows', 'u32'], ['D', 'u32'], ['affine', 'u32']],
  body: `${MAIN_1D} {
  ${INDEX_1D('p.rows')}
  let base = i * p.D;
  var sg = 0.0;
  var sgy = 0.0;
  for (var k = 0u; k < p.D; k++) {
    var g = DY[base + k];
    if (p.affine != 0u) { g *= G[k]; }
    sg += g;
    sgy += g * XHAT[base + k];
  }
  let mg = sg / f32(p.D);
  let mgy = sgy / f32(p.D);
  for (var k = 0u; k < p.D; k++) {
    var g = DY[base + k];
    if (p.affine != 0u) { g *= G[k]; }
    DX[base + k] = (g - mg - XHAT[base + k] * mgy) * INV[i];
  }
}`,
};

/** LayerNorm's γ and β gradients, one thread per feature: DG = Σ_rows dy·x̂, DB = Σ_rows dy. */
export const layerNormParamGradKernel: KernelDef = {
  name: 'layerNormParamGrad',
  buffers: [['XHAT', 'read', 'f32'], ['DY', 'read', 'f32'], ['DG', 'read_write', 'f32'], ['DB', 'read_write', 'f32']],
  uniforms: [['rows', 'u32'], ['D', 'u32']],
  body: `${MAIN_1D} {
  ${INDEX_1D('p.D')}
  var sg = 0.0;
  var sb = 0.0;
  for (var r = 0u; r < p.rows; r++) {
    let g = DY[r * p.D + i];
    sg += g * XHAT[r * p.D + i];
    sb += g;
  }
  DG[i] = sg;
  DB[i] = sb;
}`,
};

/**
 * Tokens [N, T = P + 1, E] from patch features CONV [N, E, P]: token 0 is the class token, token
 * 1 + p patch p, each plus its row of the position embedding POS [T, E].
 */
export const tokensKernel: KernelDef = {
  name: 'tokens',
  buffers: [['CONV', 'read', 'f32'], ['CLS', 'read', 'f32'], ['POS', 'read', 'f32'], ['Y', 'read_write', 'f32']],
  uniforms: [['N', 'u32'], ['P', 'u32'], ['E', 'u32']],
  body: `${MAIN_1D} {
  let T = p.P + 1u;
  ${INDEX_1D('p.N * T * p.E')}
  let d = i % p.E;
  let t = (i / p.E) % T;
  let n = i / (p.E * T);
  var v = CLS[d];
  if (t > 0u) { v = CONV[(n * p.E + d) * p.P + t - 1u]; }
  Y[i] = v + POS[t * p.E + d];
}`,
};

/** The patch features' gradient: DCONV[n, e, p] = DY[n, 1 + p, e]. */
export const tokensBackwardKernel: KernelDef = {
  name: 'tokensBackward',
  buffers: [['DY', 'read', 'f32'], ['DCONV', 'read_write', 'f32']],
  uniforms: [['N', 'u32'], ['P', 'u32'], ['E', 'u32']],
  body: `${MAIN_1D} {
  ${INDEX_1D('p.N * p.E * p.P')}
  let q = i % p.P;
  let e = (i / p.P) % p.E;
  let n = i / (p.P * p.E);
  DCONV[i] = DY[(n * (p.P + 1u) + 1u + q) * p.E + e];
}`,
};

/** The position embedding's gradient Σ_n DY[n, t, e], and the class token's (its row 0). */
export const tokensParamGradKernel: KernelDef = {
  name: 'tokensParamGrad',
  buffers: [['DY', 'read', 'f32'], ['DPOS', 'read_write', 'f32'], ['DCLS', 'read_write', 'f32']],
  uniforms: [['N', 'u32'], ['T', 'u32'], ['E', 'u32']],
  body: `${MAIN_1D} {
  ${INDEX_1D('p.T * p.E')}
  var s = 0.0;
  for (var n = 0u; n < p.N; n++) { s += DY[n * p.T * p.E + i]; }
  DPOS[i] = s;
  if (i < p.E) { DCLS[i] = s; }
}`,
};

/** WGSL helpers of the attention kernels: where q, k and v of token t, head h, feature d sit in the packed projection QKV [N·T, 3E]. */
const QKV_AT = `
fn qkvAt(n: u32, t: u32, which: u32, h: u32, d: u32) -> u32 {
  return (n * p.T + t) * 3u * p.E + which * p.E + h * p.hd + d;
}`;
const ATTN_UNIFORMS = [['N', 'u32'], ['T', 'u32'], ['E', 'u32'], ['H', 'u32'], ['hd', 'u32'], ['scale', 'f32'], ['causal', 'u32']] as const;

/** Scores S[n, h, i, j] = scale · q_i·k_j of head h (the mask is applied by the softmax). */
export const attentionScoresKernel: KernelDef = {
  name: 'attentionScores',
  buffers: [['QKV', 'read', 'f32'], ['S', 'read_write', 'f32']],
  uniforms: ATTN_UNIFORMS,
  body: `${QKV_AT}
${MAIN_1D} {
  ${INDEX_1D('p.N * p.H * p.T * p.T')}
  let j = i % p.T;
  let q = (i / p.T) % p.T;
  let h = (i / (p.T * p.T)) % p.H;
  let n = i / (p.T * p.T * p.H);
  var s = 0.0;
  for (var d = 0u; d < p.hd; d++) { s += QKV[qkvAt(n, q, 0u, h, d)] * QKV[qkvAt(n, j, 1u, h, d)]; }
  S[i] = s * p.scale;
}`,
};

/** Softmax of each row of S in place (keys after the query masked out when causal, to 0). */
export const attentionSoftmaxKernel: KernelDef = {
  name: 'attentionSoftmax',
  buffers: [['S', 'read_write', 'f32']],
  uniforms: ATTN_UNIFORMS,
  body: `${MAIN_1D} {
  ${INDEX_1D('p.N * p.H * p.T')}
  let base = i * p.T;
  var last = p.T;
  if (p.causal != 0u) { last = i % p.T + 1u; }
  var m = S[base];
  for (var j = 1u; j < last; j++) { m = max(m, S[base + j]); }
  var sum = 0.0;
  for (var j = 0u; j < last; j++) { let e = exp(S[base + j] - m); S[base + j] = e; sum += e; }
  for (var j = 0u; j < p.T; j++) { S[base + j] = select(0.0, S[base + j] / sum, j < last); }
}`,
};

/** The heads' outputs joined per token: O[n·T + i, h·hd + d] = Σ_j P[n, h, i, j]·v_j. */
export const attentionValuesKernel: KernelDef = {
  name: 'attentionValues',
  buffers: [['P_', 'read', 'f32'], ['QKV', 'read', 'f32'], ['O', 'read_write', 'f32']],
  uniforms: ATTN_UNIFORMS,
  body: `${QKV_AT}
${MAIN_1D} {
  ${INDEX_1D('p.N * p.T * p.E')}
  let c = i % p.E;
  let q = (i / p.E) % p.T;
  let n = i / (p.E * p.T);
  let h = c / p.hd;
  let d = c % p.hd;
  let row = ((n * p.H + h) * p.T + q) * p.T;
  var s = 0.0;
  for (var j = 0u; j < p.T; j++) { s += P_[row + j] * QKV[qkvAt(n, j, 2u, h, d)]; }
  O[i] = s;
}`,
};

/** dP[n, h, i, j] = dO_i·v_j of head h, then in place the softmax's backward: dS = P·(dP − Σ_j P·dP)·scale. */
export const attentionProbGradKernel: KernelDef = {
  name: 'attentionProbGrad',
  buffers: [['DO', 'read', 'f32'], ['QKV', 'read', 'f32'], ['DS', 'read_write', 'f32']],
  uniforms: ATTN_UNIFORMS,
  body: `${QKV_AT}
${MAIN_1D} {
  ${INDEX_1D('p.N * p.H * p.T * p.T')}
  let j = i % p.T;
  let q = (i / p.T) % p.T;
  let h = (i / (p.T * p.T)) % p.H;
  let n = i / (p.T * p.T * p.H);
  var s = 0.0;
  for (var d = 0u; d < p.hd; d++) { s += DO[(n * p.T + q) * p.E + h * p.hd + d] * QKV[qkvAt(n, j, 2u, h, d)]; }
  DS[i] = s;
}`,
};

/** The softmax's backward per row, in place on dP: dS = P·(dP − Σ_j P·dP)·scale (scale: q's, folded in). */
export const attentionSoftmaxBackwardKernel: KernelDef = {
  name: 'attentionSoftmaxBackward',
  buffers: [['P_', 'read', 'f32'], ['DS', 'read_write', 'f32']],
  uniforms: ATTN_UNIFORMS,
  body: `${MAIN_1D} {
  ${INDEX_1D('p.N * p.H * p.T')}
  let base = i * p.T;
  var dot = 0.0;
  for (var j = 0u; j < p.T; j++) { dot += P_[base + j] * DS[base + j]; }
  for (var j = 0u; j < p.T; j++) { DS[base + j] = P_[base + j] * (DS[base + j] - dot) * p.scale; }
}`,
};

/**
 * The packed projection's gradient DQKV [N·T, 3E]: dq_i = Σ_j dS_ij·k_j, dk_j = Σ_i dS_ij·q_i,
 * dv_j = Σ_i P_ij·dO_i, per head (scale already in dS).
 */
export const attentionQkvGradKernel: KernelDef = {
  name: 'attentionQkvGrad',
  buffers: [['P_', 'read', 'f32'], ['DS', 'read', 'f32'], ['DO', 'read', 'f32'], ['QKV', 'read', 'f32'], ['DQKV', 'read_write', 'f32']],
  uniforms: ATTN_UNIFORMS,
  body: `${QKV_AT}
${MAIN_1D} {
  ${INDEX_1D('p.N * p.T * 3u * p.E')}
  let c = i % (3u * p.E);
  let t = (i / (3u * p.E)) % p.T;
  let n = i / (3u * p.E * p.T);
  let which = c / p.E;
  let h = (c % p.E) / p.hd;
  let d = c % p.hd;
  let head = (n * p.H + h) * p.T * p.T;
  var s = 0.0;
  if (which == 0u) {
    for (var j = 0u; j < p.T; j++) { s += DS[head + t * p.T + j] * QKV[qkvAt(n, j, 1u, h, d)]; }
  } else if (which == 1u) {
    for (var q = 0u; q < p.T; q++) { s += DS[head + q * p.T + t] * QKV[qkvAt(n, q, 0u, h, d)]; }
  } else {
    for (var q = 0u; q < p.T; q++) { s += P_[head + q * p.T + t] * DO[(n * p.T + q) * p.E + h * p.hd + d]; }
  }
  DQKV[i] = s;
}`,
};

/** Y[n, e] = X[n, 0, e]: the class token of each sample's T tokens. */
export const pickFirstKernel: KernelDef = {
  name: 'pickFirst',
  buffers: [['X', 'read', 'f32'], ['Y', 'read_write', 'f32']],
  uniforms: [['N', 'u32'], ['T', 'u32'], ['E', 'u32']],
  body: `${MAIN_1D} {
  ${INDEX_1D('p.N * p.E')}
  Y[i] = X[(i / p.E) * p.T * p.E + i % p.E];
}`,
};

/** DX[n, t, e] = DY[n, e] for t = 0, else 0. */
export const pickFirstBackwardKernel: KernelDef = {
  name: 'pickFirstBackward',
  buffers: [['DY', 'read', 'f32'], ['DX', 'read_write', 'f32']],
  uniforms: [['N', 'u32'], ['T', 'u32'], ['E', 'u32']],
  body: `${MAIN_1D} {
  ${INDEX_1D('p.N * p.T * p.E')}
  let e = i % p.E;
  let t = (i / p.E) % p.T;
  let n = i / (p.E * p.T);
  DX[i] = select(0.0, DY[n * p.E + e], t == 0u);
}`,
};
