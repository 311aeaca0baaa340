// Packed, cache-blocked single-precision GEMM with a WebAssembly SIMD micro-kernel.
//
// C = op(A)·op(B) (+ C), row-major, every pointer a byte offset into linear memory. The
// JS side owns the memory layout: it copies operands in, passes a `work` area of
// gemmWorkBytes() bytes for the packed panels, and copies the result out.
//
// Blocking follows BLIS: B is packed into KC×NR column panels, A into MC×KC row panels
// (MR rows interleaved per k; pack.ts), and an MR×NR register tile accumulates in v128 locals: MR = 6
// with relaxed SIMD (fused multiply-adds need no temporary register), 5 with plain SIMD.

import { madd } from './fma';
import { packA, packB, tileHeight } from './pack';

export { packA, packB };

export const MR: i32 = ASC_FEATURE_RELAXED_SIMD ? 6 : 5;
export const NR: i32 = 8;
export const KC: i32 = 256;
export const MC: i32 = 120;
export const NC: i32 = 2048;

/** Bytes of scratch the caller must pass as `work` to {@link gemm}. */
export function gemmWorkBytes(): i32 {
  return (MC * KC + KC * NC + MR * NR) * 4;
}

@inline
function storeRow(c: usize, lo: v128, hi: v128, add: bool): void {
  if (add) {
    v128.store(c, f32x4.add(v128.load(c), lo));
    v128.store(c, f32x4.add(v128.load(c, 16), hi), 16);
  } else {
    v128.store(c, lo);
    v128.store(c, hi, 16);
  }
}

/** The MR×NR register tile: C[0:h, 0:w] (+)= Apanel · Bpanel over kc. */
function microKernel(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize, add: bool, h: i32, w: i32, tile: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  let c50 = f32x4.splat(0), c51 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load32_splat(pa, 4);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load32_splat(pa, 8);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load32_splat(pa, 12);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    a = v128.load32_splat(pa, 16);
    c40 = madd(a, b0, c40);
    c41 = madd(a, b1, c41);
    a = v128.load32_splat(pa, 20);
    c50 = madd(a, b0, c50);
    c51 = madd(a, b1, c51);
    pa += MR << 2;
    pb += NR << 2;
  }
  if (h == MR && w == NR) {
    storeRow(c, c00, c01, add);
    storeRow(c + ldc, c10, c11, add);
    storeRow(c + 2 * ldc, c20, c21, add);
    storeRow(c + 3 * ldc, c30, c31, add);
    storeRow(c + 4 * ldc, c40, c41, add);
    storeRow(c + 5 * ldc, c50, c51, add);
    return;
  }
  // partial tile: spill to `tile`, then copy the valid h×w corner
  v128.store(tile, c00); v128.store(tile, c01, 16);
  v128.store(tile, c10, 32); v128.store(tile, c11, 48);
  v128.store(tile, c20, 64); v128.store(tile, c21, 80);
  v128.store(tile, c30, 96); v128.store(tile, c31, 112);
  v128.store(tile, c40, 128); v128.store(tile, c41, 144);
  v128.store(tile, c50, 160); v128.store(tile, c51, 176);
  for (let i = 0; i < h; i++) {
    const row = c + <usize>i * ldc;
    const t = tile + ((<usize>i * NR) << 2);
    for (let j = 0; j < w; j++) {
      const p = row + (j << 2);
      const v = load<f32>(t + (j << 2));
      store<f32>(p, add ? load<f32>(p) + v : v);
    }
  }
}

/**
 * The bottom panel of A when it has at most 4 valid rows (M = 8, 16, 64… leave 2 or 4): the
 * same sums as {@link microKernel} over the same MR-strided packing, without the zero rows.
 */
function microKernel4(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize, add: bool, h: i32, w: i32, tile: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load32_splat(pa, 4);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load32_splat(pa, 8);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load32_splat(pa, 12);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    pa += MR << 2;
    pb += NR << 2;
  }
  if (h == 4 && w == NR) {
    storeRow(c, c00, c01, add);
    storeRow(c + ldc, c10, c11, add);
    storeRow(c + 2 * ldc, c20, c21, add);
    storeRow(c + 3 * ldc, c30, c31, add);
    return;
  }
  v128.store(tile, c00); v128.store(tile, c01, 16);
  v128.store(tile, c10, 32); v128.store(tile, c11, 48);
  v128.store(tile, c20, 64); v128.store(tile, c21, 80);
  v128.store(tile, c30, 96); v128.store(tile, c31, 112);
  for (let i = 0; i < h; i++) {
    const row = c + <usize>i * ldc;
    const t = tile + ((<usize>i * NR) << 2);
    for (let j = 0; j < w; j++) {
      const p = row + (j << 2);
      const v = load<f32>(t + (j << 2));
      store<f32>(p, add ? load<f32>(p) + v : v);
    }
  }
}

/**
 * The plain SIMD build's full tile (MR = 5): six rows need 16 vector registers with a separate
 * multiply and add, one more than V8 allocates on x64, and spill; five rows do not.
 */
function microKernel5(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize, add: bool, h: i32, w: i32, tile: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load32_splat(pa, 4);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load32_splat(pa, 8);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load32_splat(pa, 12);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    a = v128.load32_splat(pa, 16);
    c40 = madd(a, b0, c40);
    c41 = madd(a, b1, c41);
    pa += MR << 2;
    pb += NR << 2;
  }
  if (h == 5 && w == NR) {
    storeRow(c, c00, c01, add);
    storeRow(c + ldc, c10, c11, add);
    storeRow(c + 2 * ldc, c20, c21, add);
    storeRow(c + 3 * ldc, c30, c31, add);
    storeRow(c + 4 * ldc, c40, c41, add);
    return;
  }
  v128.store(tile, c00); v128.store(tile, c01, 16);
  v128.store(tile, c10, 32); v128.store(tile, c11, 48);
  v128.store(tile, c20, 64); v128.store(tile, c21, 80);
  v128.store(tile, c30, 96); v128.store(tile, c31, 112);
  v128.store(tile, c40, 128); v128.store(tile, c41, 144);
  for (let i = 0; i < h; i++) {
    const row = c + <usize>i * ldc;
    const t = tile + ((<usize>i * NR) << 2);
    for (let j = 0; j < w; j++) {
      const p = row + (j << 2);
      const v = load<f32>(t + (j << 2));
      store<f32>(p, add ? load<f32>(p) + v : v);
    }
  }
}

export function macroKernel(mc: i32, nc: i32, kc: i32, pa: usize, pb: usize, c: usize, ldc: i32, add: bool, tile: usize): void {
  const ldcBytes = <usize>ldc << 2;
  for (let jr = 0; jr < nc; jr += NR) {
    const w = min(NR, nc - jr);
    const bp = pb + ((<usize>jr * kc) << 2);
    let ap = pa;
    for (let ir = 0, h = 0; ir < mc; ir += h) {
      h = tileHeight(mc, ir);
      const cp = c + <usize>ir * ldcBytes + (<usize>jr << 2);
      if (h <= 4) microKernel4(kc, ap, bp, cp, ldcBytes, add, h, w, tile);
      else if (MR == 5 || h == 5) microKernel5(kc, ap, bp, cp, ldcBytes, add, h, w, tile);
      else microKernel(kc, ap, bp, cp, ldcBytes, add, h, w, tile);
      ap += (<usize>kc * MR) << 2;
    }
  }
}

/**
 * C[M×N] (+)= op(A)·op(B). With transA, A is stored K×M; with transB, B is stored N×K.
 * `ldc` is C's row stride in elements (N for a dense C).
 */
export function gemm(transA: bool, transB: bool, M: i32, N: i32, K: i32, a: usize, b: usize, c: usize, ldc: i32, accumulate: bool, work: usize): void {
  gemmStrided(transA, transB, M, N, K, a, transA ? M : K, b, transB ? K : N, c, ldc, accumulate, work);
}

/**
 * Columns [j0, j1) of {@link gemm}'s C (C's row stride stays N): a thread pool's unit of work.
 */
export function gemmCols(transA: bool, transB: bool, M: i32, N: i32, K: i32, a: usize, b: usize, c: usize, accumulate: bool, work: usize, j0: i32, j1: i32): void {
  const bj = b + ((transB ? <usize>j0 * K : <usize>j0) << 2);
  gemmStrided(transA, transB, M, j1 - j0, K, a, transA ? M : K, bj, transB ? K : N, c + (<usize>j0 << 2), N, accumulate, work);
}

/**
 * Rows [i0, i1) of {@link gemm}'s C: a thread pool's unit of work for a tall, narrow product
 * (a transformer's linear layers: thousands of tokens, 64 features), where column blocks would be
 * too few to share. Each entry of C is summed in the same order whatever the block: no bit changes.
 */
export function gemmRows(transA: bool, transB: bool, M: i32, N: i32, K: i32, a: usize, b: usize, c: usize, accumulate: bool, work: usize, i0: i32, i1: i32): void {
  const ai = a + ((transA ? <usize>i0 : <usize>i0 * K) << 2);
  gemmStrided(transA, transB, i1 - i0, N, K, ai, transA ? M : K, b, transB ? K : N, c + ((<usize>i0 * N) << 2), N, accumulate, work);
}

/**
 * Products [i0, i1) of a batch of equal-shape products whose operands lie one after another
 * (op(A_i) M×K, op(B_i) K×N, C_i M×N): a thread pool's unit of batched work, and one call
 * instead of one per product on a single thread. Each product is {@link gemm}'s, bit for bit.
 */
export function gemmBatchRange(transA: bool, transB: bool, M: i32, N: i32, K: i32, a: usize, b: usize, c: usize, accumulate: bool, work: usize, i0: i32, i1: i32): void {
  const sa = (<usize>M * K) << 2;
  const sb = (<usize>K * N) << 2;
  const sc = (<usize>M * N) << 2;
  for (let i = i0; i < i1; i++) gemm(transA, transB, M, N, K, a + <usize>i * sa, b + <usize>i * sb, c + <usize>i * sc, N, accumulate, work);
}

/**
 * {@link gemm} with explicit row strides of the stored A and B (in elements), so a block of
 * columns of C can be computed on its own: each entry of C is summed in the same order
 * whatever the block, so splitting the columns across threads changes no bit.
 */
export function gemmStrided(transA: bool, transB: bool, M: i32, N: i32, K: i32, a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, accumulate: bool, work: usize): void {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (!accumulate) for (let i = 0; i < M; i++) memory.fill(c + ((<usize>i * ldc) << 2), 0, <usize>N << 2);
    return;
  }
  const pa = work;
  const pb = work + ((<usize>MC * KC) << 2);
  const tile = pb + ((<usize>KC * NC) << 2);
  for (let jc = 0; jc < N; jc += NC) {
    const nc = min(NC, N - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = min(KC, K - pc);
      packB(b, ldb, transB, pc, jc, kc, nc, pb);
      rowBlocks(M, nc, kc, a, lda, transA, pc, pa, pb, c + (<usize>jc << 2), ldc, accumulate || pc > 0, tile);
    }
  }
}

/**
 * The row blocks of one packed B panel (kc × nc, at `pb`): each MC rows of A (columns pc…pc+kc)
 * packed into `pa`, then multiplied into C's rows (`c` points at the panel's first column).
 */
export function rowBlocks(M: i32, nc: i32, kc: i32, a: usize, lda: i32, transA: bool, pc: i32, pa: usize, pb: usize, c: usize, ldc: i32, add: bool, tile: usize): void {
  for (let ic = 0; ic < M; ic += MC) {
    const mc = min(MC, M - ic);
    packA(a, lda, transA, ic, pc, mc, kc, pa);
    macroKernel(mc, nc, kc, pa, pb, c + ((<usize>ic * ldc) << 2), ldc, add, tile);
  }
}
