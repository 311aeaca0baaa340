// Dot products of rows: d[i][j] += Σ_t a[i][t]·b[j][t], for weight gradients whose long axis (the
// positions, or Winograd's tiles) is contiguous in both operands, so nothing needs packing: the
// Winograd weight gradient (winogradGrad.ts) and the 1×1 convolutions' (conv.ts).

import { madd } from './fma';

/** Σ_t a[t]·b[t] for t < T from four-lane partial sums `acc` (of t < T & ~3), the lanes in a fixed order, then the tail. */
@inline function finish(acc: v128, a: usize, b: usize, T: i32): f32 {
  let s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
  for (let t = T & ~3; t < T; t++) s += load<f32>(a + (<usize>t << 2)) * load<f32>(b + (<usize>t << 2));
  return s;
}

/** d += Σ_t a[t]·b[t] (t < T) for one pair of rows. */
@inline function dot1(a: usize, b: usize, T: i32, d: usize): void {
  let acc = f32x4.splat(0);
  for (let t = 0; t + 4 <= T; t += 4) acc = madd(v128.load(a + (<usize>t << 2)), v128.load(b + (<usize>t << 2)), acc);
  store<f32>(d, load<f32>(d) + finish(acc, a, b, T));
}

/** Adds the sums of one block's eight partial-sum vectors (4 rows of a × 2 rows of b) into d (rows `dr` bytes apart). */
@inline function finishBlock(d: usize, dr: usize, a: usize, ra: usize, b: usize, rb: usize, T: i32, s00: v128, s01: v128, s10: v128, s11: v128, s20: v128, s21: v128, s30: v128, s31: v128): void {
  store<f32>(d, load<f32>(d) + finish(s00, a, b, T));
  store<f32>(d, load<f32>(d, 4) + finish(s01, a, b + rb, T), 4);
  store<f32>(d + dr, load<f32>(d + dr) + finish(s10, a + ra, b, T));
  store<f32>(d + dr, load<f32>(d + dr, 4) + finish(s11, a + ra, b + rb, T), 4);
  store<f32>(d + 2 * dr, load<f32>(d + 2 * dr) + finish(s20, a + 2 * ra, b, T));
  store<f32>(d + 2 * dr, load<f32>(d + 2 * dr, 4) + finish(s21, a + 2 * ra, b + rb, T), 4);
  store<f32>(d + 3 * dr, load<f32>(d + 3 * dr) + finish(s30, a + 3 * ra, b, T));
  store<f32>(d + 3 * dr, load<f32>(d + 3 * dr, 4) + finish(s31, a + 3 * ra, b + rb, T), 4);
}

/**
 * d[i][j] += Σ_t a[i][t]·b[j][t] for i < M, j < N, t < T: rows of a `lda` floats apart, of b
 * `ldb`, of d `ldd`. Four rows of a by two of b at a time, in four-lane partial sums; each
 * entry's sum runs in one fixed order.
 */
export function dots(a: usize, lda: i32, b: usize, ldb: i32, M: i32, N: i32, T: i32, d: usize, ldd: i32): void {
  const ra = <usize>lda << 2, rb = <usize>ldb << 2, dr = <usize>ldd << 2;
  let i = 0;
  for (; i + 4 <= M; i += 4) {
    const ai = a + <usize>i * ra;
    let j = 0;
    for (; j + 2 <= N; j += 2) {
      const bj = b + <usize>j * rb;
      let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s10 = f32x4.splat(0), s11 = f32x4.splat(0);
      let s20 = f32x4.splat(0), s21 = f32x4.splat(0), s30 = f32x4.splat(0), s31 = f32x4.splat(0);
      for (let t = 0; t + 4 <= T; t += 4) {
        const o = <usize>t << 2;
        const b0 = v128.load(bj + o), b1 = v128.load(bj + rb + o);
        const a0 = v128.load(ai + o), a1 = v128.load(ai + ra + o), a2 = v128.load(ai + 2 * ra + o), a3 = v128.load(ai + 3 * ra + o);
        s00 = madd(a0, b0, s00);
        s01 = madd(a0, b1, s01);
        s10 = madd(a1, b0, s10);
        s11 = madd(a1, b1, s11);
        s20 = madd(a2, b0, s20);
        s21 = madd(a2, b1, s21);
        s30 = madd(a3, b0, s30);
        s31 = madd(a3, b1, s31);
      }
      finishBlock(d + <usize>i * dr + (<usize>j << 2), dr, ai, ra, bj, rb, T, s00, s01, s10, s11, s20, s21, s30, s31);
    }
    for (; j < N; j++) {
      for (let r = 0; r < 4; r++) dot1(ai + <usize>r * ra, b + <usize>j * rb, T, d + <usize>(i + r) * dr + (<usize>j << 2));
    }
  }
  for (; i < M; i++) {
    for (let j = 0; j < N; j++) dot1(a + <usize>i * ra, b + <usize>j * rb, T, d + <usize>i * dr + (<usize>j << 2));
  }
}
