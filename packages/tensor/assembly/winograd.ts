// Winograd's minimal filtering F(2×2, 3×3) (Lavin & Gray, 2016) for 3×3, stride-1, dilation-1
// convolutions: each 2×2 block of outputs comes from a 4×4 block (tile) of the zero-padded input
// as Y = Aᵀ·[(G·g·Gᵀ) ⊙ (Bᵀ·d·B)]·A, so the channel sums become 16 matrix products with 4
// multiplications per output instead of 9, on transformed data:
//
//   U[ξ] = (G·g·Gᵀ)[ξ]  [OC × C]   the filters, transformed once per call (winogradFilter)
//   V[ξ] = (Bᵀ·d·B)[ξ]  [C × T]    the image's T tiles (inputTransform)
//   M[ξ] = U[ξ]·V[ξ]    [OC × T]   16 GEMMs (gemm.ts), ξ = 4i + j
//   Y    = Aᵀ·M·A                   2×2 outputs per tile (outputTransform)
//
// Bᵀ = [[1,0,−1,0],[0,1,1,0],[0,−1,1,0],[0,1,0,−1]], G = [[1,0,0],[½,½,½],[½,−½,½],[0,0,1]],
// Aᵀ = [[1,1,1,0],[0,1,−1,−1]]. The transforms are additions (and halvings, exact in binary), so
// the result equals the direct sum up to float32 rounding, in another order: the im2col path's
// bits are not kept. The transforms run four tiles of a tile row at a time, one per SIMD lane.

import { KC, MC, MR, NC, gemmStrided, macroKernel, packA, packB } from './gemm';

/** Tiles of 2 along a side of n outputs. */
@inline export function tiles(n: i32): i32 {
  return (n + 1) >> 1;
}

/** Tiles of a tile row rounded up to a whole group of four (the transforms run four at a time). */
@inline export function tilesRow4(OW: i32): i32 {
  return (tiles(OW) + 3) & ~3;
}

/** Tile slots per channel: T rounded up, with room for the last group's four lanes. */
@inline export function tileSlots(OH: i32, OW: i32): i32 {
  return (tiles(OH) * tiles(OW) + 7) & ~3;
}

/** Stores row i of a transformed filter, (h·Gᵀ) for the row h = (a, b, c) of G·g, at ξ = 4i + j. */
@inline function filterRow(d: usize, plane: usize, i: i32, a: f32, b: f32, c: f32): void {
  const at = d + plane * <usize>(4 * i);
  store<f32>(at, a);
  store<f32>(at + plane, (a + b + c) * 0.5);
  store<f32>(at + 2 * plane, (a - b + c) * 0.5);
  store<f32>(at + 3 * plane, c);
}

/** Whether the 16 products run on filters packed once per call (one GEMM block each: OC ≤ MC, C ≤ KC). */
@inline function prepacked(OC: i32, C: i32): bool {
  return OC <= MC && C <= KC;
}

/** Floats of one product's packed filter: panels of at most MR rows, at least 4 rows each. */
@inline function packedFloats(OC: i32, C: i32): i32 {
  return ((OC + 3) >> 2) * MR * C;
}

/**
 * u[ξ][oc][c] = (G·w[oc][c]·Gᵀ)[ξ] for the weights w [OC, C, 3, 3]: the 16 products' filters;
 * then, where {@link prepacked}, each product's filter packed as the GEMM packs A, after them
 * (src/kernels/wasm/conv.ts sizes the region for both).
 */
export function winogradFilter(w: usize, OC: i32, C: i32, u: usize): void {
  transformFilters(w, OC, C, u);
  if (!prepacked(OC, C)) return;
  const pu = u + ((<usize>16 * OC * C) << 2);
  for (let xi = 0; xi < 16; xi++) packA(u + ((<usize>xi * OC * C) << 2), C, false, 0, 0, OC, C, pu + ((<usize>xi * packedFloats(OC, C)) << 2));
}

function transformFilters(w: usize, OC: i32, C: i32, u: usize): void {
  const plane = (<usize>OC * C) << 2;
  for (let f = 0; f < OC * C; f++) {
    const s = w + ((<usize>f * 9) << 2);
    const d = u + (<usize>f << 2);
    const g00 = load<f32>(s), g01 = load<f32>(s, 4), g02 = load<f32>(s, 8);
    const g10 = load<f32>(s, 12), g11 = load<f32>(s, 16), g12 = load<f32>(s, 20);
    const g20 = load<f32>(s, 24), g21 = load<f32>(s, 28), g22 = load<f32>(s, 32);
    // the rows of G·g: g0, (g0 + g1 + g2)/2, (g0 − g1 + g2)/2, g2
    filterRow(d, plane, 0, g00, g01, g02);
    filterRow(d, plane, 1, (g00 + g10 + g20) * 0.5, (g01 + g11 + g21) * 0.5, (g02 + g12 + g22) * 0.5);
    filterRow(d, plane, 2, (g00 - g10 + g20) * 0.5, (g01 - g11 + g21) * 0.5, (g02 - g12 + g22) * 0.5);
    filterRow(d, plane, 3, g20, g21, g22);
  }
}

/**
 * The column half of Bᵀ·d·B for one row of four tiles: `p` points at the row's first input of
 * the first tile (tiles start 2 floats apart); stores (d·B)[j] for j = 0…3, one vector per j
 * (lane i: tile i), at `t`.
 */
@inline function rowTransform(p: usize, t: usize): void {
  const a = v128.load(p), b = v128.load(p, 16), q = v128.load(p, 32);
  const c0 = i32x4.shuffle(a, b, 0, 2, 4, 6), c1 = i32x4.shuffle(a, b, 1, 3, 5, 7);
  // columns 2 and 3 of the tiles are columns 0 and 1 of the next tile: a2 b0 b2 q0, a3 b1 b3 q1
  const c2 = i32x4.shuffle(c0, q, 1, 2, 3, 4), c3 = i32x4.shuffle(c1, q, 1, 2, 3, 5);
  v128.store(t, f32x4.sub(c0, c2));
  v128.store(t, f32x4.add(c1, c2), 16);
  v128.store(t, f32x4.sub(c2, c1), 32);
  v128.store(t, f32x4.sub(c1, c3), 48);
}

/**
 * V[ξ][c][t] = (Bᵀ·d·B)[ξ] for every tile t = th·TW + tw of the padded image `xp` [C, Hq, Wq],
 * four tiles at a time. A tile row's last group may spill up to three lanes into the next row's
 * slots (or past T): the next group overwrites them, and tileSlots leaves room at the end.
 */
export function inputTransform(xp: usize, C: i32, Hq: i32, Wq: i32, TH: i32, TW: i32, Tp: i32, v: usize, tmp: usize): void {
  const plane = (<usize>C * Tp) << 2;
  for (let c = 0; c < C; c++) {
    for (let th = 0; th < TH; th++) {
      const row = xp + ((<usize>(c * Hq + 2 * th) * Wq) << 2);
      for (let tw = 0; tw < TW; tw += 4) {
        const p = row + (<usize>(2 * tw) << 2);
        const w = <usize>Wq << 2;
        rowTransform(p, tmp);
        rowTransform(p + w, tmp + 64);
        rowTransform(p + 2 * w, tmp + 128);
        rowTransform(p + 3 * w, tmp + 192);
        let d = v + ((<usize>c * Tp + th * TW + tw) << 2);
        for (let j = 0; j < 4; j++) {
          const o = tmp + (<usize>j << 4);
          const r0 = v128.load(o), r1 = v128.load(o, 64), r2 = v128.load(o, 128), r3 = v128.load(o, 192);
          v128.store(d, f32x4.sub(r0, r2));
          v128.store(d + 4 * plane, f32x4.add(r1, r2));
          v128.store(d + 8 * plane, f32x4.sub(r2, r1));
          v128.store(d + 12 * plane, f32x4.sub(r1, r3));
          d += plane;
        }
      }
    }
  }
}

/**
 * Stores 8 outputs (`lo`, `hi`) of an output row at `d`, of which the first `n` lie inside the
 * image: each plus what is there (`acc`) or plus `base` (the bias, or zeros).
 */
@inline function putRow(d: usize, lo: v128, hi: v128, n: i32, acc: bool, base: v128, tmp: usize): void {
  if (n >= 8) {
    v128.store(d, f32x4.add(acc ? v128.load(d) : base, lo));
    v128.store(d, f32x4.add(acc ? v128.load(d, 16) : base, hi), 16);
    return;
  }
  let l = 0;
  if (n >= 4) {
    // the first four whole, the rest one by one
    v128.store(d, f32x4.add(acc ? v128.load(d) : base, lo));
    l = 4;
  }
  v128.store(tmp, lo);
  v128.store(tmp, hi, 16);
  const b = f32x4.extract_lane(base, 0);
  for (; l < n; l++) {
    const at = d + (<usize>l << 2);
    store<f32>(at, (acc ? load<f32>(at) : b) + load<f32>(tmp + (<usize>l << 2)));
  }
}

/**
 * out[oc] (+)= Aᵀ·M[·][oc]·A for every tile: the 2×2 outputs of four tiles at a time, cut to the
 * OH×OW image. `bias` 0: none; `acc`: add to out instead of writing it.
 */
function outputTransform(m: usize, OC: i32, OH: i32, OW: i32, TH: i32, TW: i32, Tp: i32, out: usize, bias: usize, acc: bool, tmp: usize): void {
  const plane = (<usize>OC * Tp) << 2;
  for (let oc = 0; oc < OC; oc++) {
    const base = bias != 0 ? v128.load32_splat(bias + (<usize>oc << 2)) : f32x4.splat(0);
    const o = out + ((<usize>oc * OH * OW) << 2);
    for (let th = 0; th < TH; th++) {
      for (let tw = 0; tw < TW; tw += 4) {
        const s = m + ((<usize>oc * Tp + th * TW + tw) << 2);
        // rows of Aᵀ·M: S0 = m0 + m1 + m2, S1 = m1 − m2 − m3 (mi: row i, four vectors j)
        const m00 = v128.load(s), m01 = v128.load(s + plane), m02 = v128.load(s + 2 * plane), m03 = v128.load(s + 3 * plane);
        const m10 = v128.load(s + 4 * plane), m11 = v128.load(s + 5 * plane), m12 = v128.load(s + 6 * plane), m13 = v128.load(s + 7 * plane);
        const m20 = v128.load(s + 8 * plane), m21 = v128.load(s + 9 * plane), m22 = v128.load(s + 10 * plane), m23 = v128.load(s + 11 * plane);
        const m30 = v128.load(s + 12 * plane), m31 = v128.load(s + 13 * plane), m32 = v128.load(s + 14 * plane), m33 = v128.load(s + 15 * plane);
        const s00 = f32x4.add(f32x4.add(m00, m10), m20), s01 = f32x4.add(f32x4.add(m01, m11), m21);
        const s02 = f32x4.add(f32x4.add(m02, m12), m22), s03 = f32x4.add(f32x4.add(m03, m13), m23);
        const s10 = f32x4.sub(f32x4.sub(m10, m20), m30), s11 = f32x4.sub(f32x4.sub(m11, m21), m31);
        const s12 = f32x4.sub(f32x4.sub(m12, m22), m32), s13 = f32x4.sub(f32x4.sub(m13, m23), m33);
        // then ·A: y_i0 = S_i0 + S_i1 + S_i2, y_i1 = S_i1 − S_i2 − S_i3
        const y00 = f32x4.add(f32x4.add(s00, s01), s02), y01 = f32x4.sub(f32x4.sub(s01, s02), s03);
        const y10 = f32x4.add(f32x4.add(s10, s11), s12), y11 = f32x4.sub(f32x4.sub(s11, s12), s13);
        const col = 2 * tw;
        const n = min(8, OW - col);
        const d = o + ((<usize>(2 * th * OW + col)) << 2);
        putRow(d, i32x4.shuffle(y00, y01, 0, 4, 1, 5), i32x4.shuffle(y00, y01, 2, 6, 3, 7), n, acc, base, tmp);
        if (2 * th + 1 < OH) putRow(d + (<usize>OW << 2), i32x4.shuffle(y10, y11, 0, 4, 1, 5), i32x4.shuffle(y10, y11, 2, 6, 3, 7), n, acc, base, tmp);
      }
    }
  }
}

/** Copies image n's channels [c0, c0 + cc) of x [N, C, H, W] into the planes `xp` [cc, Hq, Wq] at (padH, padW); the caller zeroed their borders once. */
export function padChannels(x: usize, n: i32, C: i32, H: i32, W: i32, c0: i32, cc: i32, padH: i32, padW: i32, Hq: i32, Wq: i32, xp: usize): void {
  for (let c = 0; c < cc; c++) {
    const src = x + ((<usize>((n * C + c0 + c) * H) * W) << 2);
    for (let h = 0; h < H; h++) memory.copy(xp + ((<usize>(c * Hq + h + padH) * Wq + padW) << 2), src + ((<usize>h * W) << 2), <usize>W << 2);
  }
}

/**
 * One image's convolution: out [OC, OH, OW] (+)= conv(x [C, H, W], padding padH, padW) with the
 * transformed filters `u` (winogradFilter), plus `bias` (0: none) or, with `acc`, added to out.
 * `s` is the scratch src/kernels/wasm/conv.ts sizes for it (winogradFloats); `work` the GEMM's packing area.
 */
export function winogradImage(x: usize, C: i32, H: i32, W: i32, padH: i32, padW: i32, OH: i32, OW: i32, u: usize, OC: i32, out: usize, bias: usize, acc: bool, s: usize, work: usize): void {
  const TH = tiles(OH), TW = tiles(OW), Tp = tileSlots(OH, OW);
  const Hq = 2 * TH + 2, Wq = 2 * tilesRow4(OW) + 4;
  const v = s + ((<usize>C * Hq * Wq) << 2);
  const m = v + ((<usize>16 * C * Tp) << 2);
  const tmp = m + ((<usize>16 * OC * Tp) << 2);
  memory.fill(s, 0, (<usize>C * Hq * Wq) << 2);
  padChannels(x, 0, C, H, W, 0, C, padH, padW, Hq, Wq, s);
  inputTransform(s, C, Hq, Wq, TH, TW, Tp, v, tmp);
  const T = TH * TW;
  if (prepacked(OC, C) && T <= NC) {
    // the filters were packed once per call: pack each V[ξ] and run the macro-kernel
    const pu = u + ((<usize>16 * OC * C) << 2);
    const pb = work + ((<usize>MC * KC) << 2);
    const tile = pb + ((<usize>KC * NC) << 2);
    for (let xi = 0; xi < 16; xi++) {
      packB(v + ((<usize>xi * C * Tp) << 2), Tp, false, 0, 0, C, T, pb);
      macroKernel(OC, T, C, pu + ((<usize>xi * packedFloats(OC, C)) << 2), pb, m + ((<usize>xi * OC * Tp) << 2), Tp, false, tile);
    }
  } else {
    for (let xi = 0; xi < 16; xi++) {
      gemmStrided(false, false, OC, T, C, u + ((<usize>xi * OC * C) << 2), C, v + ((<usize>xi * C * Tp) << 2), Tp, m + ((<usize>xi * OC * Tp) << 2), Tp, false, work);
    }
  }
  outputTransform(m, OC, OH, OW, TH, TW, Tp, out, bias, acc, tmp);
}
