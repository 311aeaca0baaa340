// The GEMM's packing (gemm.ts): op(B) into NR-wide column panels, op(A) into row panels of MR
// floats per k. Pure data movement, so any order of loads and stores gives the same bits. Where
// a panel is whole, four values of k move at a time as vectors, turned by a 4×4 transpose where
// the stored operand runs the other way; the rest goes value by value.

import { MR, NR } from './gemm';

/** Stores the transpose of the 4×4 block whose rows are a, b, c, d: its row r at dst + r·stride bytes. */
@inline
function storeTransposed(a: v128, b: v128, c: v128, d: v128, dst: usize, stride: usize): void {
  const ab01 = i32x4.shuffle(a, b, 0, 4, 1, 5);
  const cd01 = i32x4.shuffle(c, d, 0, 4, 1, 5);
  const ab23 = i32x4.shuffle(a, b, 2, 6, 3, 7);
  const cd23 = i32x4.shuffle(c, d, 2, 6, 3, 7);
  v128.store(dst, i32x4.shuffle(ab01, cd01, 0, 1, 4, 5));
  v128.store(dst + stride, i32x4.shuffle(ab01, cd01, 2, 3, 6, 7));
  v128.store(dst + 2 * stride, i32x4.shuffle(ab23, cd23, 0, 1, 4, 5));
  v128.store(dst + 3 * stride, i32x4.shuffle(ab23, cd23, 2, 3, 6, 7));
}

/** Packs op(B)[pc:pc+kc, jc:jc+nc] into NR-wide panels (zero-padded): dst[panel][k][0..NR). */
export function packB(b: usize, ldb: i32, trans: bool, pc: i32, jc: i32, kc: i32, nc: i32, dst: usize): void {
  const ld = <usize>ldb << 2;
  for (let j0 = 0; j0 < nc; j0 += NR) {
    const w = min(NR, nc - j0);
    if (!trans) {
      let src = b + ((<usize>pc * ldb + jc + j0) << 2);
      if (w == NR) {
        for (let k = 0; k < kc; k++) {
          v128.store(dst, v128.load(src));
          v128.store(dst, v128.load(src, 16), 16);
          src += ld;
          dst += NR << 2;
        }
      } else {
        for (let k = 0; k < kc; k++) {
          for (let j = 0; j < NR; j++) store<f32>(dst + (j << 2), j < w ? load<f32>(src + (j << 2)) : 0);
          src += ld;
          dst += NR << 2;
        }
      }
      continue;
    }
    // B stored N×K: each of the panel's columns is contiguous along k
    const col = b + ((<usize>(jc + j0) * ldb + pc) << 2);
    let k = 0;
    if (w == NR) {
      // four k of the eight columns, transposed into four rows of the panel
      for (; k + 4 <= kc; k += 4) {
        const s = col + (<usize>k << 2);
        const o = dst + ((<usize>k * NR) << 2);
        storeTransposed(v128.load(s), v128.load(s + ld), v128.load(s + 2 * ld), v128.load(s + 3 * ld), o, NR << 2);
        storeTransposed(v128.load(s + 4 * ld), v128.load(s + 5 * ld), v128.load(s + 6 * ld), v128.load(s + 7 * ld), o + 16, NR << 2);
      }
    }
    for (; k < kc; k++) {
      const o = dst + ((<usize>k * NR) << 2);
      for (let j = 0; j < NR; j++) store<f32>(o + (j << 2), j < w ? load<f32>(col + <usize>j * ld + (<usize>k << 2)) : 0);
    }
    dst += (<usize>kc * NR) << 2;
  }
}

/**
 * Rows of A's register tiles: the MR-row kernel where it fits exactly, otherwise tiles of MR − 1
 * (relaxed build) and 4 rows that add up to `mc` with no zero rows when they can (16 = 4·4 on
 * the plain build, 6 + 5 + 5 on the relaxed one; 32 = 4·5 + 3·4): a 16-channel layer's last
 * tile would otherwise compute 4 rows for 1. Falls back to MR-row tiles and one short tile.
 * Which rows share a tile never changes a sum: every entry of C is accumulated on its own.
 */
@inline
export function tileHeight(mc: i32, i0: i32): i32 {
  const r = mc % MR;
  let five = 0, four = 0;
  if (MR == 5) {
    four = (5 - r) % 5;
  } else if (r == 1) {
    five = 1; // 13 = 5 + 4 + 4 in place of 6 + 6 + 1
    four = 2;
  } else if (r == 2) {
    four = 2;
  } else if (r == 3) {
    five = 1;
    four = 1;
  } else if (r == 4) {
    four = 1;
  } else if (r == 5) {
    five = 1;
  }
  const rest = mc - 5 * five - 4 * four; // a multiple of MR when ≥ 0
  if (rest < 0) return min(MR, mc - i0); // too few rows for exact tiles
  if (i0 < rest) return MR;
  if (i0 < rest + 5 * five) return 5;
  return 4;
}

/**
 * Packs op(A)[ic:ic+mc, pc:pc+kc] into panels of {@link tileHeight} rows, each MR floats per k
 * (zero-padded): dst[panel][k][0..MR).
 */
export function packA(a: usize, lda: i32, trans: bool, ic: i32, pc: i32, mc: i32, kc: i32, dst: usize): void {
  const ld = <usize>lda << 2;
  const step = <usize>MR << 2;
  for (let i0 = 0, h = 0; i0 < mc; i0 += h) {
    h = tileHeight(mc, i0);
    let k = 0;
    if (!trans) {
      // A stored M×K: each row is contiguous along k
      const row = a + ((<usize>(ic + i0) * lda + pc) << 2);
      if (h >= 4) {
        // four k of rows 0–3 transposed into the panel, then the rows past 4 (or zeros)
        for (; k + 4 <= kc; k += 4) {
          const s = row + (<usize>k << 2);
          const o = dst + <usize>k * step;
          storeTransposed(v128.load(s), v128.load(s + ld), v128.load(s + 2 * ld), v128.load(s + 3 * ld), o, step);
          for (let i = 4; i < MR; i++) {
            const p = o + (<usize>i << 2);
            const q = s + <usize>i * ld;
            for (let r = 0; r < 4; r++) store<f32>(p + <usize>r * step, i < h ? load<f32>(q + (<usize>r << 2)) : 0);
          }
        }
      }
      for (; k < kc; k++) {
        const o = dst + <usize>k * step;
        for (let i = 0; i < MR; i++) store<f32>(o + (i << 2), i < h ? load<f32>(row + <usize>i * ld + (<usize>k << 2)) : 0);
      }
    } else {
      // A stored K×M: the tile's values of one k are contiguous
      let src = a + ((<usize>pc * lda + ic + i0) << 2);
      let out = dst;
      if (h >= 4) {
        for (; k < kc; k++) {
          v128.store(out, v128.load(src));
          for (let i = 4; i < MR; i++) store<f32>(out + (i << 2), i < h ? load<f32>(src + (i << 2)) : 0);
          src += ld;
          out += step;
        }
      }
      for (; k < kc; k++) {
        for (let i = 0; i < MR; i++) store<f32>(out + (i << 2), i < h ? load<f32>(src + (i << 2)) : 0);
        src += ld;
        out += step;
      }
    }
    dst += <usize>kc * step;
  }
}
