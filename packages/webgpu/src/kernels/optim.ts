import { INDEX_1D, type KernelDef, MAIN_1D } from '../kernel';

// The optimizers' fused updates, in the same float32 arithmetic as their CPU loops. Each reads
// FLAGS[flag], set by the finite checks below when a gradient is NaN or infinite, and then
// updates nothing, as the CPU optimizers throw before updating anything.
//
// (core/sgd, optim-momentum/momentum, optim-adam/adam and adamw): where the CPU rounds a
// double product plus a float once, the kernel uses fma, which also rounds once.

/** torch.optim.SGD with momentum 0: p ← p − lr·(g + wd·p). */
export const sgdKernel: KernelDef = {
  name: 'sgd',
  buffers: [['PARAM', 'read_write', 'f32'], ['GRAD', 'read', 'f32'], ['FLAGS', 'read', 'u32']],
  uniforms: [['n', 'u32'], ['flag', 'u32'], ['alpha', 'f32'], ['weightDecay', 'f32']],
  body: `${MAIN_1D} {
  ${INDEX_1D('p.n')}
  if (FLAGS[p.flag] != 0u) { return; } // a non-finite gradient in this step or before: update nothing
  let v = PARAM[i];
  var d = GRAD[i];
  if (p.weightDecay != 0.0) { d = fma(p.weightDecay, v, d); }
  PARAM[i] = fma(p.alpha, d, v);
}`,
};

/** torch.optim.SGD with momentum: buf ← μ·buf + (1 − dampening)·d (buf ← d on the first step); p ← p − lr·buf, or with Nesterov p ← p − lr·(d + μ·buf). */
export const momentumKernel: KernelDef = {
  name: 'momentum',
  buffers: [['PARAM', 'read_write', 'f32'], ['GRAD', 'read', 'f32'], ['BUF', 'read_write', 'f32'], ['FLAGS', 'read', 'u32']],
  uniforms: [['n', 'u32'], ['flag', 'u32'], ['alpha', 'f32'], ['momentum', 'f32'], ['keep', 'f32'], ['weightDecay', 'f32'], ['first', 'u32'], ['nesterov', 'u32']],
  body: `${MAIN_1D} {
  ${INDEX_1D('p.n')}
  if (FLAGS[p.flag] != 0u) { return; } // a non-finite gradient in this step or before: update nothing
  let v = PARAM[i];
  var d = GRAD[i];
  if (p.weightDecay != 0.0) { d = fma(p.weightDecay, v, d); }
  var b = d;
  if (p.first == 0u) { b = fma(d, p.keep, BUF[i] * p.momentum); }
  BUF[i] = b;
  var step = b;
  if (p.nesterov != 0u) { step = fma(b, p.momentum, d); }
  PARAM[i] = fma(p.alpha, step, v);
}`,
};

/**
 * torch.optim.Adam / AdamW: m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², (AMSGrad: vmax ← max(vmax, v)),
 * p ← p + stepSize·m / (√v / √(1−β2ᵗ) + eps) with stepSize = −lr/(1−β1ᵗ); coupled weight decay adds
 * wd·p to g, decoupled (AdamW) multiplies p by `shrink` = 1 − lr·wd first. VMAX is read only with AMSGrad.
 */
export const adamKernel: KernelDef = {
  name: 'adam',
  buffers: [['PARAM', 'read_write', 'f32'], ['GRAD', 'read', 'f32'], ['M', 'read_write', 'f32'], ['V', 'read_write', 'f32'], ['VMAX', 'read_write', 'f32'], ['FLAGS', 'read', 'u32']],
  uniforms: [
    ['n', 'u32'], ['flag', 'u32'], ['beta1', 'f32'], ['beta2', 'f32'], ['oneMinusBeta1', 'f32'], ['oneMinusBeta2', 'f32'], ['eps', 'f32'],
    ['weightDecay', 'f32'], ['stepSize', 'f32'], ['biasCorrection2', 'f32'], ['shrink', 'f32'], ['amsgrad', 'u32'],
  ],
  body: `${MAIN_1D} {
  ${INDEX_1D('p.n')}
  if (FLAGS[p.flag] != 0u) { return; } // a non-finite gradient in this step or before: update nothing
  var v0 = PARAM[i];
  if (p.shrink != 1.0) { v0 = v0 * p.shrink; }
  var g = GRAD[i];
  if (p.weightDecay != 0.0) { g = fma(p.weightDecay, v0, g); }
  let m = fma(g, p.oneMinusBeta1, M[i] * p.beta1);
  let v = fma(p.oneMinusBeta2 * g, g, V[i] * p.beta2);
  M[i] = m;
  V[i] = v;
  var s = v;
  if (p.amsgrad != 0u) {
    s = max(VMAX[i], v);
    VMAX[i] = s;
  }
  let denom = sqrt(s) / p.biasCorrection2 + p.eps;
  PARAM[i] = v0 + (p.stepSize * m) / denom;
}`,
};

/** torch.optim.Adagrad: sum ← sum + g² (sum starts at `init` on the first step), p ← p + clr·g / (√sum + eps) with clr = −lr/(1 + (t−1)·lrDecay). */
export const adagradKernel: KernelDef = {
  name: 'adagrad',
  buffers: [['PARAM', 'read_write', 'f32'], ['GRAD', 'read', 'f32'], ['SUM', 'read_write', 'f32'], ['FLAGS', 'read', 'u32']],
  uniforms: [['n', 'u32'], ['flag', 'u32'], ['clr', 'f32'], ['weightDecay', 'f32'], ['eps', 'f32'], ['first', 'u32'], ['init', 'f32']],
  body: `${MAIN_1D} {
  ${INDEX_1D('p.n')}
  if (FLAGS[p.flag] != 0u) { return; } // a non-finite gradient in this step or before: update nothing
  let v = PARAM[i];
  var g = GRAD[i];
  if (p.weightDecay != 0.0) { g = fma(p.weightDecay, v, g); }
  var s0 = SUM[i];
  if (p.first != 0u) { s0 = p.init; }
  let s = fma(g, g, s0);
  SUM[i] = s;
  PARAM[i] = v + (p.clr * g) / (sqrt(s) + p.eps);
}`,
};

/**
 * torch.optim.RMSprop: sq ← α·sq + (1−α)·g²; centered: ḡ ← α·ḡ + (1−α)·g and avg = √(sq − ḡ²) + eps,
 * else avg = √sq + eps; p ← p − lr·g/avg, or with momentum buf ← μ·buf + g/avg, p ← p − lr·buf.
 * GAVG is read only when centered, BUF only with momentum.
 */
export const rmspropKernel: KernelDef = {
  name: 'rmsprop',
  buffers: [['PARAM', 'read_write', 'f32'], ['GRAD', 'read', 'f32'], ['SQ', 'read_write', 'f32'], ['GAVG', 'read_write', 'f32'], ['BUF', 'read_write', 'f32'], ['FLAGS', 'read', 'u32']],
  uniforms: [['n', 'u32'], ['flag', 'u32'], ['alpha', 'f32'], ['oneMinusAlpha', 'f32'], ['eps', 'f32'], ['weightDecay', 'f32'], ['momentum', 'f32'], ['negLr', 'f32'], ['centered', 'u32']],
  body: `${MAIN_1D} {
  ${INDEX_1D('p.n')}
  if (FLAGS[p.flag] != 0u) { return; } // a non-finite gradient in this step or before: update nothing
  let v = PARAM[i];
  var g = GRAD[i];
  if (p.weightDecay != 0.0) { g = fma(p.weightDecay, v, g); }
  let sq = fma(p.oneMinusAlpha * g, g, SQ[i] * p.alpha);
  SQ[i] = sq;
  var avg: f32;
  if (p.centered != 0u) {
    let ga = fma(g, p.oneMinusAlpha, GAVG[i] * p.alpha);
    GAVG[i] = ga;
    avg = sqrt(fma(-ga, ga, sq)) + p.eps;
  } else {
    avg = sqrt(sq) + p.eps;
  }
  if (p.momentum > 0.0) {
    let b = BUF[i] * p.momentum + g / avg;
    BUF[i] = b;
    PARAM[i] = fma(b, p.negLr, v);
  } else {
    PARAM[i] = v + (p.negLr * g) / avg;
  }
}`,
};

/**
 * Marks a non-finite gradient: FLAGS[slot] ← the smallest index i where GRAD[i] is NaN or ±∞
 * (tested on the bits: WGSL may assume finite math in comparisons). FLAGS[slot] starts at 0xFFFFFFFF.
 */
export const checkFiniteKernel: KernelDef = {
  name: 'checkFinite',
  buffers: [['GRAD', 'read', 'f32'], ['FLAGS', 'read_write', 'atomic<u32>']],
  uniforms: [['n', 'u32'], ['slot', 'u32']],
  body: `${MAIN_1D} {
  ${INDEX_1D('p.n')}
  if ((bitcast<u32>(GRAD[i]) & 0x7f800000u) == 0x7f800000u) { atomicMin(&FLAGS[p.slot], i); }
}`,
};

/**
 * After the checks, in parameter order: the first parameter with a non-finite gradient sets
 * FLAGS[flag] = 1 and records the step, its slot, and the bits of the value (FLAGS[flag + 1…3]).
 */
export const finishCheckKernel: KernelDef = {
  name: 'finishCheck',
  buffers: [['GRAD', 'read', 'f32'], ['FLAGS', 'read_write', 'u32']],
  uniforms: [['slot', 'u32'], ['flag', 'u32'], ['step', 'u32']],
  body: `@compute @workgroup_size(1)
fn main() {
  let at = FLAGS[p.slot];
  if (at == 0xffffffffu || FLAGS[p.flag] != 0u) { return; }
  FLAGS[p.flag] = 1u;
  FLAGS[p.flag + 1u] = p.step;
  FLAGS[p.flag + 2u] = p.slot;
  FLAGS[p.flag + 3u] = bitcast<u32>(GRAD[at]);
}`,
};
