// Direct convolution for layers with few input channels (the first layer of an image model:
// C·KH·KW is small, so im2col + GEMM spends its time packing). Stride 1, dilation 1. The
// image is copied once into a zero-padded scratch plane; outputs are computed four columns
// at a time for eight output channels at once.

import { madd } from './fma';

/** Copies image `x` [C, H, W] into `xp` [C, H + 2·padH, W + 2·padW + 8], zero-padded. */
export function padImage(x: usize, C: i32, H: i32, W: i32, padH: i32, padW: i32, xp: usize): i32 {
  const Hp = H + 2 * padH;
  const Wp = W + 2 * padW + 8;
  memory.fill(xp, 0, (<usize>C * Hp * Wp + 8) << 2);
  for (let c = 0; c < C; c++) {
    for (let h = 0; h < H; h++) {
      memory.copy(xp + ((<usize>(c * Hp + h + padH) * Wp + padW) << 2), x + ((<usize>(c * H + h) * W) << 2), <usize>W << 2);
    }
  }
  return Wp;
}

@inline
function storeLanes(p: usize, v: v128, n: i32): void {
  if (n >= 4) {
    v128.store(p, v);
    return;
  }
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (n > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

/**
 * out[oc, oh, ow] = (bias[oc] +) Σ_{c,kh,kw} w[oc, c, kh, kw]·x[c, oh+kh−padH, ow+kw−padW], summed
 * over (c, kh, kw) in that order from 0 and added to the bias last: the same float32
 * operations, in the same order, as im2col + GEMM (for C·KH·KW ≤ 256, one GEMM block).
 */
export function directForward(xp: usize, Wp: i32, C: i32, Hp: i32, KH: i32, KW: i32, OH: i32, OW: i32, w: usize, bias: usize, OC: i32, out: usize): void {
  const ckk = C * KH * KW;
  const ohw = OH * OW;
  const wStride = <usize>ckk << 2;
  let oc0 = 0;
  for (; oc0 + 8 <= OC; oc0 += 8) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow += 4) {
        let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
        let a4 = f32x4.splat(0), a5 = f32x4.splat(0), a6 = f32x4.splat(0), a7 = f32x4.splat(0);
        for (let c = 0; c < C; c++) {
          for (let kh = 0; kh < KH; kh++) {
            const row = xp + ((<usize>((c * Hp + oh + kh) * Wp + ow)) << 2);
            let wp = w + ((<usize>(oc0 * ckk + (c * KH + kh) * KW)) << 2);
            for (let kw = 0; kw < KW; kw++) {
              const xv = v128.load(row + (<usize>kw << 2));
              a0 = madd(xv, v128.load32_splat(wp), a0);
              a1 = madd(xv, v128.load32_splat(wp + wStride), a1);
              a2 = madd(xv, v128.load32_splat(wp + 2 * wStride), a2);
              a3 = madd(xv, v128.load32_splat(wp + 3 * wStride), a3);
              a4 = madd(xv, v128.load32_splat(wp + 4 * wStride), a4);
              a5 = madd(xv, v128.load32_splat(wp + 5 * wStride), a5);
              a6 = madd(xv, v128.load32_splat(wp + 6 * wStride), a6);
              a7 = madd(xv, v128.load32_splat(wp + 7 * wStride), a7);
              wp += 4;
            }
          }
        }
        const n = min(4, OW - ow);
        const o = out + ((<usize>(oc0 * ohw + oh * OW + ow)) << 2);
        const step = <usize>ohw << 2;
        if (bias != 0) {
          const b = bias + (<usize>oc0 << 2);
          a0 = f32x4.add(v128.load32_splat(b), a0);
          a1 = f32x4.add(v128.load32_splat(b, 4), a1);
          a2 = f32x4.add(v128.load32_splat(b, 8), a2);
          a3 = f32x4.add(v128.load32_splat(b, 12), a3);
          a4 = f32x4.add(v128.load32_splat(b, 16), a4);
          a5 = f32x4.add(v128.load32_splat(b, 20), a5);
          a6 = f32x4.add(v128.load32_splat(b, 24), a6);
          a7 = f32x4.add(v128.load32_splat(b, 28), a7);
        }
        storeLanes(o, a0, n);
        storeLanes(o + step, a1, n);
        storeLanes(o + 2 * step, a2, n);
        storeLanes(o + 3 * step, a3, n);
        storeLanes(o + 4 * step, a4, n);
        storeLanes(o + 5 * step, a5, n);
        storeLanes(o + 6 * step, a6, n);
        storeLanes(o + 7 * step, a7, n);
      }
    }
  }
  for (; oc0 < OC; oc0++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow += 4) {
        let a = f32x4.splat(0);
        for (let c = 0; c < C; c++) {
          for (let kh = 0; kh < KH; kh++) {
            const row = xp + ((<usize>((c * Hp + oh + kh) * Wp + ow)) << 2);
            const wp = w + ((<usize>(oc0 * ckk + (c * KH + kh) * KW)) << 2);
            for (let kw = 0; kw < KW; kw++) a = madd(v128.load(row + (<usize>kw << 2)), v128.load32_splat(wp + (<usize>kw << 2)), a);
          }
        }
        if (bias != 0) a = f32x4.add(v128.load32_splat(bias + (<usize>oc0 << 2)), a);
        storeLanes(out + ((<usize>(oc0 * ohw + oh * OW + ow)) << 2), a, min(4, OW - ow));
      }
    }
  }
}

/** Adds v to the four partial sums at p. */
@inline
function addTo(p: usize, v: v128): void {
  v128.store(p, f32x4.add(v128.load(p), v));
}

/**
 * acc[r − r0][oc] (four partial sums each) += Σ_{oh,ow} g[oc, oh, ow]·x[c, oh+kh−padH, ow+kw−padW]
 * for taps r = (c, kh, kw) in [r0, r1): one image's share of the weight gradient. Eight
 * output channels at a time share each load of the image.
 */
export function directWeightGrad(xp: usize, Wp: i32, Hp: i32, KH: i32, KW: i32, OH: i32, OW: i32, g: usize, OC: i32, r0: i32, r1: i32, acc: usize): void {
  const ohw = OH * OW;
  const gs = <usize>ohw << 2;
  const keep = i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(OW & 3));
  const OW4 = OW & ~3;
  for (let r = r0; r < r1; r++) {
    const c = r / (KH * KW);
    const kh = (r / KW) % KH;
    const kw = r % KW;
    const ar = acc + ((<usize>((r - r0) * OC)) << 4);
    let oc0 = 0;
    for (; oc0 + 8 <= OC; oc0 += 8) {
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      let a4 = f32x4.splat(0), a5 = f32x4.splat(0), a6 = f32x4.splat(0), a7 = f32x4.splat(0);
      for (let oh = 0; oh < OH; oh++) {
        const row = xp + ((<usize>((c * Hp + oh + kh) * Wp + kw)) << 2);
        const gp = g + ((<usize>(oc0 * ohw + oh * OW)) << 2);
        for (let ow = 0; ow < OW4; ow += 4) {
          const o = <usize>ow << 2;
          const xv = v128.load(row + o);
          a0 = madd(xv, v128.load(gp + o), a0);
          a1 = madd(xv, v128.load(gp + o + gs), a1);
          a2 = madd(xv, v128.load(gp + o + 2 * gs), a2);
          a3 = madd(xv, v128.load(gp + o + 3 * gs), a3);
          a4 = madd(xv, v128.load(gp + o + 4 * gs), a4);
          a5 = madd(xv, v128.load(gp + o + 5 * gs), a5);
          a6 = madd(xv, v128.load(gp + o + 6 * gs), a6);
          a7 = madd(xv, v128.load(gp + o + 7 * gs), a7);
        }
        if (OW4 < OW) {
          // the last, partial block: lanes past the row (the next row's values) are masked off
          const o = <usize>OW4 << 2;
          const xv = v128.load(row + o);
          a0 = f32x4.add(a0, v128.and(f32x4.mul(xv, v128.load(gp + o)), keep));
          a1 = f32x4.add(a1, v128.and(f32x4.mul(xv, v128.load(gp + o + gs)), keep));
          a2 = f32x4.add(a2, v128.and(f32x4.mul(xv, v128.load(gp + o + 2 * gs)), keep));
          a3 = f32x4.add(a3, v128.and(f32x4.mul(xv, v128.load(gp + o + 3 * gs)), keep));
          a4 = f32x4.add(a4, v128.and(f32x4.mul(xv, v128.load(gp + o + 4 * gs)), keep));
          a5 = f32x4.add(a5, v128.and(f32x4.mul(xv, v128.load(gp + o + 5 * gs)), keep));
          a6 = f32x4.add(a6, v128.and(f32x4.mul(xv, v128.load(gp + o + 6 * gs)), keep));
          a7 = f32x4.add(a7, v128.and(f32x4.mul(xv, v128.load(gp + o + 7 * gs)), keep));
        }
      }
      const p = ar + (<usize>oc0 << 4);
      addTo(p, a0);
      addTo(p + 16, a1);
      addTo(p + 32, a2);
      addTo(p + 48, a3);
      addTo(p + 64, a4);
      addTo(p + 80, a5);
      addTo(p + 96, a6);
      addTo(p + 112, a7);
    }
    for (; oc0 < OC; oc0++) {
      let a = f32x4.splat(0);
      for (let oh = 0; oh < OH; oh++) {
        const row = xp + ((<usize>((c * Hp + oh + kh) * Wp + kw)) << 2);
        const gp = g + ((<usize>(oc0 * ohw + oh * OW)) << 2);
        for (let ow = 0; ow < OW4; ow += 4) {
          const o = <usize>ow << 2;
          a = madd(v128.load(row + o), v128.load(gp + o), a);
        }
        if (OW4 < OW) {
          const o = <usize>OW4 << 2;
          a = f32x4.add(a, v128.and(f32x4.mul(v128.load(row + o), v128.load(gp + o)), keep));
        }
      }
      addTo(ar + (<usize>oc0 << 4), a);
    }
  }
}
