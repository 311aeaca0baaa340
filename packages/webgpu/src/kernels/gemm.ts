import type { KernelDef } from '../kernel';

/** Rows and columns of C one workgroup computes (16×16 threads, 4×4 outputs each). */
export const GEMM_TILE = 64;

/**
 * C[M, N] = op(A)·op(B) (+ bias) (+ C when accumulating), op = transpose when the flag is set:
 * A is [M, K] or, transposed, [K, M]; B is [K, N] or [N, K]. The bias is per column of C
 * (`biasMode` 1, a linear layer) or per row (2, a convolution's output channels); 0 reads none
 * (bind any buffer). Tiles of A and B go through workgroup memory, 16 values of K at a time;
 * each thread keeps a 4×4 block of C in registers. Bounds are checked, so any size works; column
 * tiles past the device's workgroup limit continue in z ({@link gemmGrid}).
 */
export const gemmKernel: KernelDef = {
  name: 'gemm',
  buffers: [['A', 'read', 'f32'], ['B', 'read', 'f32'], ['bias', 'read', 'f32'], ['C', 'read_write', 'f32']],
  uniforms: [['M', 'u32'], ['N', 'u32'], ['K', 'u32'], ['transA', 'u32'], ['transB', 'u32'], ['accumulate', 'u32'], ['biasMode', 'u32']],
  body: /* wgsl */ `
const TS = 64u;
const TK = 16u;
var<workgroup> As: array<f32, 1024>; // [TK][TS]: As[k * TS + m]
var<workgroup> Bs: array<f32, 1024>; // [TK][TS]: Bs[k * TS + n]

fn loadA(m: u32, k: u32) -> f32 {
  if (m >= p.M || k >= p.K) { return 0.0; }
  if (p.transA != 0u) { return A[k * p.M + m]; }
  return A[m * p.K + k];
}
fn loadB(k: u32, n: u32) -> f32 {
  if (k >= p.K || n >= p.N) { return 0.0; }
  if (p.transB != 0u) { return B[n * p.K + k]; }
  return B[k * p.N + n];
}

@compute @workgroup_size(16, 16)
fn main(@builtin(local_invocation_id) l: vec3<u32>, @builtin(workgroup_id) w: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row0 = w.y * TS;
  let col0 = (w.x + w.z * nwg.x) * TS; // no early return past N: every thread must reach the barriers
  let t = l.y * 16u + l.x; // 0..255
  var acc: array<f32, 16>;
  for (var i = 0u; i < 16u; i++) { acc[i] = 0.0; }
  for (var k0 = 0u; k0 < p.K; k0 += TK) {
    // 256 threads load 1024 values of each tile: 4 each
    for (var r = 0u; r < 4u; r++) {
      let e = t + r * 256u;
      let kk = e / TS;
      let mm = e % TS;
      As[kk * TS + mm] = loadA(row0 + mm, k0 + kk);
      Bs[kk * TS + mm] = loadB(k0 + kk, col0 + mm);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      var a: array<f32, 4>;
      var b: array<f32, 4>;
      for (var i = 0u; i < 4u; i++) {
        a[i] = As[kk * TS + l.y + i * 16u];
        b[i] = Bs[kk * TS + l.x + i * 16u];
      }
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) { acc[i * 4u + j] = fma(a[i], b[j], acc[i * 4u + j]); }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let r = row0 + l.y + i * 16u;
    if (r >= p.M) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let c = col0 + l.x + j * 16u;
      if (c >= p.N) { continue; }
      var v = acc[i * 4u + j];
      if (p.biasMode == 1u) { v += bias[c]; }
      if (p.biasMode == 2u) { v += bias[r]; }
      if (p.accumulate != 0u) { v += C[r * p.N + c]; }
      C[r * p.N + c] = v;
    }
  }
}
`,
};

/**
 * Workgroups for an M×N result in tiles of `tile`: column tiles in x, folded into z past `max`
 * per dimension (a convolution's N·OH·OW columns grow with the batch); row tiles in y.
 */
export function gemmTiles(M: number, N: number, tile: number, max: number): [number, number, number] {
  const cols = Math.max(1, Math.ceil(N / tile));
  const x = Math.min(cols, max);
  return [x, Math.max(1, Math.ceil(M / tile)), Math.ceil(cols / x)];
}

/** Workgroups of {@link gemmKernel} for an M×N result, at most `max` per dimension along the columns. */
export function gemmGrid(M: number, N: number, max = 65535): [number, number, number] {
  return gemmTiles(M, N, GEMM_TILE, max);
}
