import { INDEX_1D, type KernelDef, MAIN_1D, SPECIALS } from '../kernel';

/** Most axes {@link stridedCopyKernel} handles. */
export const MAX_RANK = 6;

const axes = Array.from({ length: MAX_RANK }, (_, k) => k);



/**
 * For each index i of an n-element grid of shape (d0…d5) (unused axes 1): DST[dstBase + Σ idx·dstStride]
 * (+)= SRC[srcBase + Σ idx·srcStride]. One kernel for permute, transpose, slice and concat, and
 * their gradients (the same copy with the roles of the strides swapped).
 */
export const stridedCopyKernel: KernelDef = {
  name: 'stridedCopy',
  buffers: [['SRC', 'read', 'f32'], ['DST', 'read_write', 'f32']],
  uniforms: [
    ['n', 'u32'], ['srcBase', 'u32'], ['dstBase', 'u32'], ['accumulate', 'u32'],
    ...axes.map((k) => [`d${k}`, 'u32'] as const),
    ...axes.map((k) => [`s${k}`, 'u32'] as const),
    ...axes.map((k) => [`t${k}`, 'u32'] as const),
  ],
  body: `${MAIN_1D} {
  ${INDEX_1D('p.n')}
  var rest = i;
  var src = p.srcBase;
  var dst = p.dstBase;
${[...axes].reverse().map((k) => `  { let q = rest % p.d${k}; rest = rest / p.d${k}; src += q * p.s${k}; dst += q * p.t${k}; }`).join('\n')}
  if (p.accumulate != 0u) { DST[dst] += SRC[src]; } else { DST[dst] = SRC[src]; }
}`,
};

/**
 * C[b] = op(A[b])·op(B[b]) for `batch` matrices, A[b] at b·strideA (0: one A for every b), B[b] at
 * b·strideB; one thread per element of C (batched attention products, which are small).
 */
export const batchedMatmulKernel: KernelDef = {
  name: 'batchedMatmul',
  buffers: [['A', 'read', 'f32'], ['B', 'read', 'f32'], ['C', 'read_write', 'f32']],
  uniforms: [['M', 'u32'], ['N', 'u32'], ['K', 'u32'], ['batch', 'u32'], ['strideA', 'u32'], ['strideB', 'u32'], ['transA', 'u32'], ['transB', 'u32']],
  body: `${MAIN_1D} {
  ${INDEX_1D('p.batch * p.M * p.N')}
  let b = i / (p.M * p.N);
  let r = (i / p.N) % p.M;
  let c = i % p.N;
  let a0 = b * p.strideA;
  let b0 = b * p.strideB;
  var s = 0.0;
  for (var k = 0u; k < p.K; k++) {
    let av = select(A[a0 + r * p.K + k], A[a0 + k * p.M + r], p.transA != 0u);
    let bv = select(B[b0 + k * p.N + c], B[b0 + c * p.K + k], p.transB != 0u);
    s += av * bv;
  }
  C[i] = s;
}`,
};

/** Y = softmax over rows of D values (the last axis): one thread per row, max-shifted. */
export const softmaxRowsKernel: KernelDef = {
  name: 'softmaxRows',
  buffers: [['X', 'read', 'f32'], ['Y', 'read_write', 'f32']],
  uniforms: [['rows', 'u32'], ['D', 'u32']],
  body: `${SPECIALS}
${MAIN_1D} {
  ${INDEX_1D('p.rows')}
  let base = i * p.D;
  var m = X[base];
  var nan = isNan(m);
  for (var c = 1u; c < p.D; c++) { m = max(m, X[base + c]); nan = nan || isNan(X[base + c]); }
  if (nan || isInf(m)) {
    // a NaN, or a maximum of ±∞ (x − m is ∞ − ∞ somewhere): a row of NaN, as on the cpu (WGSL's max and exp may drop a NaN)
    for (var c = 0u; c < p.D; c++) { Y[base + c] = special(NAN_BITS, m); }
    return;
  }
  var s = 0.0;
  for (var c = 0u; c < p.D; c++) { let v = X[base + c]; let e = select(exp(v - m), 0.0, isInf(v)); Y[base + c] = e; s += e; } // m is finite: an infinite v is −∞ (a mask)
  for (var c = 0u; c < p.D; c++) { Y[base + c] = Y[base + c] / s; }
}`,
};

/** dX = y · (dy − Σ dy·y) per row: softmax's backward pass. */
export const softmaxRowsBackwardKernel: KernelDef = {
  name: 'softmaxRowsBackward',
  buffers: [['Y', 'read', 'f32'], ['DY', 'read', 'f32'], ['DX', 'read_write', 'f32']],
  uniforms: [['rows', 'u32'], ['D', 'u32']],
  body: `${MAIN_1D} {
  ${INDEX_1D('p.rows')}
  let base = i * p.D;
  var dot = 0.0;
  for (var c = 0u; c < p.D; c++) { dot += DY[base + c] * Y[base + c]; }
  for (var c = 0u; c < p.D; c++) { DX[base + c] = Y[base + c] * (DY[base + c] - dot); }
}`,
};

/** Operation codes of {@link unaryKernel}. */
export const UNARY = { exp: 0, log: 1, sqrt: 2, abs: 3, square: 4, pow: 5 } as const;

/** The cpu's Math.exp, Math.log, Math.sqrt and `x ** q` (NaN in, NaN out; −0 counts as negative where JS says so). */
const FUNCTIONS = `${SPECIALS}
fn expf(x: f32) -> f32 {
  if (isNan(x) || isInf(x)) { return select(x, 0.0, x < 0.0); } // NaN, e^∞ = ∞, e^−∞ = 0
  return exp(x);
}
fn logf(x: f32) -> f32 {
  if (isNan(x) || x < 0.0) { return special(NAN_BITS, x); }
  if (x == 0.0) { return -special(INF_BITS, x); }
  return select(log(x), x, isInf(x));
}
fn sqrtf(x: f32) -> f32 {
  if (isNan(x) || x < 0.0) { return special(NAN_BITS, x); }
  return select(sqrt(x), x, x == 0.0 || isInf(x)); // √±0 = ±0, √∞ = ∞
}
fn powf(x: f32, q: f32) -> f32 {
  if (q == 0.0) { return 1.0; }
  if (isNan(x)) { return x; }
  let negative = bitcast<u32>(x) >= 0x80000000u;
  let odd = fract(q) == 0.0 && fract(q * 0.5) != 0.0;
  var m = 0.0;
  if (x == 0.0) { m = select(special(INF_BITS, x), 0.0, q > 0.0); } // |0|^q
  else if (isInf(x)) { m = select(0.0, special(INF_BITS, x), q > 0.0); } // |∞|^q
  else if (negative && fract(q) != 0.0) { return special(NAN_BITS, x); } // a negative base to a fractional power
  else { m = pow(abs(x), q); }
  return select(m, -m, negative && odd);
}`;

/** Y = f(X) element-wise for the codes of {@link UNARY} (`pow` raises to `power`). */
export const unaryKernel: KernelDef = {
  name: 'unary',
  buffers: [['X', 'read', 'f32'], ['Y', 'read_write', 'f32']],
  uniforms: [['n', 'u32'], ['op', 'u32'], ['power', 'f32']],
  body: `${FUNCTIONS}
${MAIN_1D} {
  ${INDEX_1D('p.n')}
  let x = X[i];
  var y = 0.0;
  switch p.op {
    case 0u: { y = expf(x); }
    case 1u: { y = logf(x); }
    case 2u: { y = sqrtf(x); }
    case 3u: { y = abs(x); }
    case 4u: { y = x * x; }
    default: { y = powf(x, p.power); }
  }
  Y[i] = y;
}`,
};

/** dX = dY · f′(X, Y) for {@link unaryKernel}'s codes; pow's derivative is 0 for power 0, as on the cpu. */
export const unaryBackwardKernel: KernelDef = {
  name: 'unaryBackward',
  buffers: [['X', 'read', 'f32'], ['Y', 'read', 'f32'], ['DY', 'read', 'f32'], ['DX', 'read_write', 'f32']],
  uniforms: [['n', 'u32'], ['op', 'u32'], ['power', 'f32']],
  body: `${FUNCTIONS}
${MAIN_1D} {
  ${INDEX_1D('p.n')}
  let x = X[i];
  let y = Y[i];
  var d = 0.0;
  switch p.op {
    case 0u: { d = y; }
    case 1u: { d = 1.0 / x; }
    case 2u: { d = 0.5 / y; }
    case 3u: { d = select(select(0.0, -1.0, x < 0.0), 1.0, x > 0.0); }
    case 4u: { d = 2.0 * x; }
    default: { d = select(p.power * powf(x, p.power - 1.0), 0.0, p.power == 0.0); }
  }
  DX[i] = DY[i] * d;
}`,
};
