import { INDEX_1D, type KernelDef, MAIN_1D } from '../kernel';

/**
 * Softmax cross-entropy from logits [N, C] and integer labels [N], fused with its gradient:
 * per row the loss lse − x[y] and whether argmax = y (into STATS[row] and STATS[N + row]), and
 * dlogits = (softmax − onehot(y)) · scale, scale being 1/N for the mean loss. One thread per row.
 */
export const softmaxCrossEntropyKernel: KernelDef = {
  name: 'softmaxCrossEntropy',
  buffers: [['X', 'read', 'f32'], ['LABELS', 'read', 'u32'], ['DX', 'read_write', 'f32'], ['STATS', 'read_write', 'f32']],
  uniforms: [['N', 'u32'], ['C', 'u32'], ['scale', 'f32']],
  body: `${MAIN_1D} {
  ${INDEX_1D('p.N')}
  let base = i * p.C;
  var m = X[base];
  var arg = 0u;
  for (var c = 1u; c < p.C; c++) {
    let v = X[base + c];
    if (v > m) { m = v; arg = c; }
  }
  var s = 0.0;
  for (var c = 0u; c < p.C; c++) { s += exp(X[base + c] - m); }
  let lse = m + log(s);
  let y = LABELS[i];
  for (var c = 0u; c < p.C; c++) {
    var g = exp(X[base + c] - lse);
    if (c == y) { g -= 1.0; }
    DX[base + c] = g * p.scale;
  }
  STATS[i] = lse - X[base + y];
  STATS[p.N + i] = select(0.0, 1.0, arg == y);
}`,
};

/**
 * Cross-entropy against soft targets T [N, C] (probabilities): STATS[r] = Σ_c T·(lse − x_c), and
 * DX = (softmax·ΣT − T)·scale, as the CPU op computes them.
 */
export const softCrossEntropyKernel: KernelDef = {
  name: 'softCrossEntropy',
  buffers: [['X', 'read', 'f32'], ['T', 'read', 'f32'], ['DX', 'read_write', 'f32'], ['STATS', 'read_write', 'f32']],
  uniforms: [['N', 'u32'], ['C', 'u32'], ['scale', 'f32']],
  body: `${MAIN_1D} {
  ${INDEX_1D('p.N')}
  let base = i * p.C;
  var m = X[base];
  for (var c = 1u; c < p.C; c++) { m = max(m, X[base + c]); }
  var s = 0.0;
  var tsum = 0.0;
  for (var c = 0u; c < p.C; c++) { s += exp(X[base + c] - m); tsum += T[base + c]; }
  let lse = m + log(s);
  var row = 0.0;
  for (var c = 0u; c < p.C; c++) {
    let t = T[base + c];
    row += t * (lse - X[base + c]);
    DX[base + c] = (exp(X[base + c] - lse) * tsum - t) * p.scale;
  }
  STATS[i] = row;
}`,
};

/** totals[0] += Σ loss rows, totals[1] += Σ correct, totals[2] += N: the metrics of a run, read back once every so often. */
export const accumulateStatsKernel: KernelDef = {
  name: 'accumulateStats',
  buffers: [['STATS', 'read', 'f32'], ['TOTALS', 'read_write', 'f32']],
  uniforms: [['N', 'u32']],
  body: `
var<workgroup> loss: array<f32, 256>;
var<workgroup> hits: array<f32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) l: vec3<u32>) {
  var a = 0.0;
  var b = 0.0;
  for (var r = l.x; r < p.N; r += 256u) { a += STATS[r]; b += STATS[p.N + r]; }
  loss[l.x] = a;
  hits[l.x] = b;
  workgroupBarrier();
  for (var half = 128u; half > 0u; half >>= 1u) {
    if (l.x < half) { loss[l.x] += loss[l.x + half]; hits[l.x] += hits[l.x + half]; }
    workgroupBarrier();
  }
  if (l.x == 0u) {
    TOTALS[0] += loss[0];
    TOTALS[1] += hits[0];
    TOTALS[2] += f32(p.N);
  }
}`,
};

/** Sets n floats to a value (zeroing accumulators on the GPU, without an upload). */
export const fillKernel: KernelDef = {
  name: 'fill',
  buffers: [['X', 'read_write', 'f32']],
  uniforms: [['n', 'u32'], ['value', 'f32']],
  body: `${MAIN_1D} {
  ${INDEX_1D('p.n')}
  X[i] = p.value;
}`,
};
