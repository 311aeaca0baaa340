import type { KernelDef } from '../kernel';
import { gemmKernel, gemmTiles } from './gemm';

/** Rows and columns of C one workgroup of {@link gemmDirectKernel} computes (8×8 threads, 4×4 outputs each). */
export const GEMM_DIRECT_TILE = 32;

/**
 * The same product as {@link gemmKernel} without workgroup memory or barriers: each thread reads its
 * 4 rows of op(A) and 4 columns of op(B) straight from the buffers and keeps a 4×4 block of C.
 * On a software adapter (SwiftShader runs invocations as CPU threads, and a barrier switches
 * between them) this is faster than the tiled kernel (tools/bench/results/webgpu.md); on a real GPU
 * the tiled one is expected to win (not measured yet).
 */
export const gemmDirectKernel: KernelDef = {
  name: 'gemmDirect',
  buffers: gemmKernel.buffers,
  uniforms: gemmKernel.uniforms,
  body: /* wgsl */ `
fn loadA(m: u32, k: u32) -> f32 {
  if (m >= p.M) { return 0.0; }
  if (p.transA != 0u) { return A[k * p.M + m]; }
  return A[m * p.K + k];
}
fn loadB(k: u32, n: u32) -> f32 {
  if (n >= p.N) { return 0.0; }
  if (p.transB != 0u) { return B[n * p.K + k]; }
  return B[k * p.N + n];
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row0 = g.y * 4u;
  let col0 = (g.x + g.z * nwg.x * 8u) * 4u; // column tiles past the workgroup limit continue in z
  if (row0 >= p.M || col0 >= p.N) { return; }
  var c0 = vec4<f32>(0.0);
  var c1 = vec4<f32>(0.0);
  var c2 = vec4<f32>(0.0);
  var c3 = vec4<f32>(0.0);
  for (var k = 0u; k < p.K; k++) {
    let b = vec4<f32>(loadB(k, col0), loadB(k, col0 + 1u), loadB(k, col0 + 2u), loadB(k, col0 + 3u));
    c0 = fma(vec4<f32>(loadA(row0, k)), b, c0);
    c1 = fma(vec4<f32>(loadA(row0 + 1u, k)), b, c1);
    c2 = fma(vec4<f32>(loadA(row0 + 2u, k)), b, c2);
    c3 = fma(vec4<f32>(loadA(row0 + 3u, k)), b, c3);
  }
  let rows = array<vec4<f32>, 4>(c0, c1, c2, c3);
  for (var i = 0u; i < 4u; i++) {
    let r = row0 + i;
    if (r >= p.M) { break; }
    for (var j = 0u; j < 4u; j++) {
      let c = col0 + j;
      if (c >= p.N) { break; }
      var v = rows[i][j];
      if (p.biasMode == 1u) { v += bias[c]; }
      if (p.biasMode == 2u) { v += bias[r]; }
      if (p.accumulate != 0u) { v += C[r * p.N + c]; }
      C[r * p.N + c] = v;
    }
  }
}
`,
};

/** Workgroups of {@link gemmDirectKernel} for an M×N result, at most `max` per dimension along the columns. */
export function gemmDirectGrid(M: number, N: number, max = 65535): [number, number, number] {
  return gemmTiles(M, N, GEMM_DIRECT_TILE, max);
}
