// The convolution GEMMs with B read straight from a zero-padded image (im2col.ts's padPlanes),
// with no im2col matrix: entry (k, j) of B is xp[kTab[k] + jTab[j]], where one table holds the
// float offsets of the kernel taps (the im2col rows) and the other those of the output positions
// (its columns). The forward pass has B = cols (k: taps, j: positions), the weight gradient
// B = colsᵀ (k: positions, j: taps). Each panel of B is packed exactly as pack.ts's packB would
// pack it from cols and run through the same macro-kernel in the same order, so every entry of
// C is the same sum, bit for bit, as unfold-then-gemm; only the im2col pass and its re-read are gone.
import { KC, MC, NC, NR, macroKernel, packA, rowBlocks } from './gemm';

/** Offsets of each im2col row (c, kh, kw) in the padded image [C, Hp, Wp]: (c·Hp + kh·dH)·Wp + kw·dW. */
export function tapOffsets(C: i32, KH: i32, KW: i32, Hp: i32, Wp: i32, dilationH: i32, dilationW: i32, dst: usize): void {
  for (let c = 0; c < C; c++) {
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++) {
        store<i32>(dst, (c * Hp + kh * dilationH) * Wp + kw * dilationW);
        dst += 4;
      }
    }
  }
}

/** Offsets of each output position (oh, ow) in a padded plane Wp wide: oh·strideH·Wp + ow·strideW. */
export function positionOffsets(OH: i32, OW: i32, Wp: i32, strideH: i32, strideW: i32, dst: usize): void {
  for (let oh = 0; oh < OH; oh++) {
    for (let ow = 0; ow < OW; ow++) {
      store<i32>(dst, oh * strideH * Wp + ow * strideW);
      dst += 4;
    }
  }
}

/** Byte offset of lane j of a panel `w` wide: the last valid lane's for the lanes past it (masked to 0 after). */
@inline function laneBytes(jTab: usize, j: i32, w: i32): usize {
  return <usize>load<i32>(jTab + (<usize>min(j, w - 1) << 2)) << 2;
}

/**
 * Byte offset of lane j of a panel `w` wide, with the lanes past the panel continuing its last
 * run (the last valid lane's offset plus 4 bytes a lane): they then need no window of their own.
 */
@inline function virtualBytes(jTab: usize, j: i32, w: i32): usize {
  return j < w ? laneBytes(jTab, j, w) : laneBytes(jTab, w - 1, w) + (<usize>(j - w + 1) << 2);
}

// The two windows of a half panel (4 lanes, {@link halfWindows}): each is 4 consecutive floats
// of a row of B, and the half is window 0 on the lanes of `halfMask`, window 1 on the rest.
// Wasm globals belong to one instance, so each thread of the pool has its own.
let window0: usize = 0;
let window1: usize = 0;
let halfMask: v128 = i32x4.splat(0);

/**
 * Splits lanes with byte offsets a, b, c, d (increasing) into at most two runs of consecutive
 * floats and sets window0 / window1 / halfMask so that lane j of the half is
 * window0[j] where halfMask is set, else window1[j]; false (nothing set) where it takes three
 * runs: a run of one or two lanes between two others, which runs of three or more floats (rows
 * of the output, a kernel's rows of taps) never make.
 */
function halfWindows(a: usize, b: usize, c: usize, d: usize): bool {
  const brk = b != a + 4 ? 1 : c != b + 4 ? 2 : d != c + 4 ? 3 : 4;
  window0 = a;
  if (brk == 4) {
    window1 = a;
    halfMask = i32x4.splat(-1);
    return true;
  }
  if ((brk < 2 && c != b + 4) || (brk < 3 && d != c + 4)) return false;
  window1 = (brk == 1 ? b : brk == 2 ? c : d) - (<usize>brk << 2);
  halfMask = i32x4(-1, brk > 1 ? -1 : 0, brk > 2 ? -1 : 0, 0);
  return true;
}

/**
 * One NR-wide panel of B, as packB lays it out: dst[k][j] = xp[kTab[k] + jTab[j]] for k < kc and
 * j < w, 0 for j ≥ w. Both tables increase strictly, so a span of 7 over 8 lanes means 8
 * consecutive floats (two vector loads a row). A panel whose lanes make at most two runs of
 * consecutive floats in each half (a row of the output broken by the end of the row, a kernel's
 * row of taps) takes two vector loads per half and blends them; other panels are gathered lane
 * by lane. The blended loads read up to 7 floats past the last lane's: the callers leave that
 * much room after the padded image (CONV_SLACK in src/kernels/wasm/heap.ts), and those lanes are
 * masked out.
 */
function packPanel(xp: usize, kTab: usize, jTab: usize, kc: i32, w: i32, dst: usize): void {
  if (w == NR && load<i32>(jTab, 28) - load<i32>(jTab) == 7) {
    const src = xp + (<usize>load<i32>(jTab) << 2);
    for (let k = 0; k < kc; k++) {
      const p = src + (<usize>load<i32>(kTab + (<usize>k << 2)) << 2);
      v128.store(dst, v128.load(p));
      v128.store(dst, v128.load(p, 16), 16);
      dst += NR << 2;
    }
    return;
  }
  // all ones on the valid lanes: and-ing keeps their bits and makes the rest +0, as packB's zeros
  const maskLo = i32x4(w > 0 ? -1 : 0, w > 1 ? -1 : 0, w > 2 ? -1 : 0, w > 3 ? -1 : 0);
  const maskHi = i32x4(w > 4 ? -1 : 0, w > 5 ? -1 : 0, w > 6 ? -1 : 0, w > 7 ? -1 : 0);
  if (halfWindows(virtualBytes(jTab, 0, w), virtualBytes(jTab, 1, w), virtualBytes(jTab, 2, w), virtualBytes(jTab, 3, w))) {
    const l0 = window0, l1 = window1, ml = v128.and(halfMask, maskLo), nl = v128.andnot(maskLo, halfMask);
    if (halfWindows(virtualBytes(jTab, 4, w), virtualBytes(jTab, 5, w), virtualBytes(jTab, 6, w), virtualBytes(jTab, 7, w))) {
      const h0 = window0, h1 = window1, mh = v128.and(halfMask, maskHi), nh = v128.andnot(maskHi, halfMask);
      // lane = window0 & m | window1 & n, where m and n are the two windows' valid lanes: +0 past w
      for (let k = 0; k < kc; k++) {
        const p = xp + (<usize>load<i32>(kTab + (<usize>k << 2)) << 2);
        v128.store(dst, v128.or(v128.and(v128.load(p + l0), ml), v128.and(v128.load(p + l1), nl)));
        v128.store(dst, v128.or(v128.and(v128.load(p + h0), mh), v128.and(v128.load(p + h1), nh)), 16);
        dst += NR << 2;
      }
      return;
    }
  }
  const o0 = laneBytes(jTab, 0, w), o1 = laneBytes(jTab, 1, w), o2 = laneBytes(jTab, 2, w), o3 = laneBytes(jTab, 3, w);
  const o4 = laneBytes(jTab, 4, w), o5 = laneBytes(jTab, 5, w), o6 = laneBytes(jTab, 6, w), o7 = laneBytes(jTab, 7, w);
  for (let k = 0; k < kc; k++) {
    const p = xp + (<usize>load<i32>(kTab + (<usize>k << 2)) << 2);
    let lo = v128.load32_zero(p + o0);
    lo = v128.load32_lane(p + o1, lo, 1);
    lo = v128.load32_lane(p + o2, lo, 2);
    lo = v128.load32_lane(p + o3, lo, 3);
    let hi = v128.load32_zero(p + o4);
    hi = v128.load32_lane(p + o5, hi, 1);
    hi = v128.load32_lane(p + o6, hi, 2);
    hi = v128.load32_lane(p + o7, hi, 3);
    v128.store(dst, v128.and(lo, maskLo));
    v128.store(dst, v128.and(hi, maskHi), 16);
    dst += NR << 2;
  }
}

/**
 * C[M×N] (+)= A·B with A stored M×K (row stride `lda`) and B[k][j] = xp[kTab[k] + jTab[j]]:
 * gemmStrided's blocking and macro-kernel. With at most MC rows (every A block packed once per
 * k block) each B panel is packed right before its tiles run, so it is still in L1 cache.
 */
export function convGemm(M: i32, N: i32, K: i32, a: usize, lda: i32, xp: usize, kTab: usize, jTab: usize, c: usize, ldc: i32, accumulate: bool, work: usize): void {
  if (M <= 0 || N <= 0 || K <= 0) return;
  const pa = work;
  const pb = work + ((<usize>MC * KC) << 2);
  const tile = pb + ((<usize>KC * NC) << 2);
  for (let jc = 0; jc < N; jc += NC) {
    const nc = min(NC, N - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = min(KC, K - pc);
      const kt = kTab + (<usize>pc << 2);
      const add = accumulate || pc > 0;
      if (M <= MC) {
        packA(a, lda, false, 0, pc, M, kc, pa);
        for (let jr = 0; jr < nc; jr += NR) {
          const w = min(NR, nc - jr);
          packPanel(xp, kt, jTab + (<usize>(jc + jr) << 2), kc, w, pb);
          macroKernel(M, w, kc, pa, pb, c + (<usize>(jc + jr) << 2), ldc, add, tile);
        }
        continue;
      }
      for (let jr = 0; jr < nc; jr += NR) packPanel(xp, kt, jTab + (<usize>(jc + jr) << 2), kc, min(NR, nc - jr), pb + ((<usize>jr * kc) << 2));
      rowBlocks(M, nc, kc, a, lda, false, pc, pa, pb, c + (<usize>jc << 2), ldc, add, tile);
    }
  }
}
