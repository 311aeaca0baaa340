// The weight gradient of Winograd's F(2×2, 3×3) (winograd.ts): the adjoint of its forward pass.
// With dM = A·dY·Aᵀ per tile (A = (Aᵀ)ᵀ) and V the input's transformed tiles, the filters'
// gradient in the transformed domain is dU[ξ] = Σ over images and tiles of dM[ξ]·V[ξ]ᵀ, and
// dW = Gᵀ·dU·G. Exact algebra, so it equals the direct weight gradient up to float32 rounding.

import { dots } from './dots';
import { inputTransform, padChannels, tiles, tilesRow4 } from './winograd';

/**
 * dM[ξ][oc][t] = (A·dY·Aᵀ)[ξ] for every tile t of dY [OC, OH, OW] (the adjoint of
 * outputTransform, A = [[1,0],[1,1],[1,−1],[0,−1]]), four tiles at a time: `yp` holds dY copied
 * into zero-padded planes [OC, 2·TH, 2·TW4], so tiles past the image's edge see zeros.
 */
function gradTransform(yp: usize, OC: i32, TH: i32, TW: i32, Wd: i32, Tp: i32, dm: usize): void {
  const plane = (<usize>OC * Tp) << 2;
  for (let oc = 0; oc < OC; oc++) {
    for (let th = 0; th < TH; th++) {
      const row = yp + ((<usize>(oc * 2 * TH + 2 * th) * Wd) << 2);
      for (let tw = 0; tw < TW; tw += 4) {
        const p = row + (<usize>(2 * tw) << 2);
        const a0 = v128.load(p), a1 = v128.load(p, 16);
        const b0 = v128.load(p + (<usize>Wd << 2)), b1 = v128.load(p + (<usize>Wd << 2), 16);
        // the tiles' two output rows a, b, each as (column 0, column 1) across the four lanes
        const ae = i32x4.shuffle(a0, a1, 0, 2, 4, 6), ao = i32x4.shuffle(a0, a1, 1, 3, 5, 7);
        const be = i32x4.shuffle(b0, b1, 0, 2, 4, 6), bo = i32x4.shuffle(b0, b1, 1, 3, 5, 7);
        // rows of A·dY: a, a + b, a − b, −b; then each row (p, q) ·Aᵀ: p, p + q, p − q, −q
        let d = dm + ((<usize>oc * Tp + th * TW + tw) << 2);
        gradRow(d, plane, ae, ao);
        gradRow(d + 4 * plane, plane, f32x4.add(ae, be), f32x4.add(ao, bo));
        gradRow(d + 8 * plane, plane, f32x4.sub(ae, be), f32x4.sub(ao, bo));
        gradRow(d + 12 * plane, plane, f32x4.neg(be), f32x4.neg(bo));
      }
    }
  }
}

/** Stores (p, q)·Aᵀ = p, p + q, p − q, −q at ξ = 4i + 0…3 (`d` points at ξ = 4i). */
@inline function gradRow(d: usize, plane: usize, p: v128, q: v128): void {
  v128.store(d, p);
  v128.store(d + plane, f32x4.add(p, q));
  v128.store(d + 2 * plane, f32x4.sub(p, q));
  v128.store(d + 3 * plane, f32x4.neg(q));
}

/** dw[k][l] += (Gᵀ·du·G)[k][l] for one filter: du's 16 entries lie `plane` bytes apart, dw's 9 are consecutive. */
function filterGrad(du: usize, plane: usize, dw: usize): void {
  // H = Gᵀ·du (3×4): rows du0 + (du1 + du2)/2, (du1 − du2)/2, (du1 + du2)/2 + du3
  for (let k = 0; k < 3; k++) {
    let h0: f32 = 0, h1: f32 = 0, h2: f32 = 0, h3: f32 = 0;
    for (let j = 0; j < 4; j++) {
      const u0 = load<f32>(du + plane * <usize>j), u1 = load<f32>(du + plane * <usize>(4 + j));
      const u2 = load<f32>(du + plane * <usize>(8 + j)), u3 = load<f32>(du + plane * <usize>(12 + j));
      const h = k == 0 ? u0 + (u1 + u2) * 0.5 : k == 1 ? (u1 - u2) * 0.5 : (u1 + u2) * 0.5 + u3;
      if (j == 0) h0 = h;
      else if (j == 1) h1 = h;
      else if (j == 2) h2 = h;
      else h3 = h;
    }
    const d = dw + (<usize>(3 * k) << 2);
    store<f32>(d, load<f32>(d) + (h0 + (h1 + h2) * 0.5));
    store<f32>(d, load<f32>(d, 4) + (h1 - h2) * 0.5, 4);
    store<f32>(d, load<f32>(d, 8) + ((h1 + h2) * 0.5 + h3), 8);
  }
}

/**
 * Images transformed together for the weight gradient's dot products: enough that their tiles
 * number about 128 (a 7×7 output has 16 tiles a image: eight images), so the horizontal sums
 * that end each dot product are few next to its multiply-adds (src/kernels/wasm/conv.ts: the same).
 */
@inline export function imagesPerGroup(T: i32): i32 {
  return T >= 128 ? 1 : (128 + T - 1) / T;
}

/**
 * dW[:, c0:c1] += the weight gradient of input channels [c0, c1) over the batch of N images,
 * in the Winograd domain (the adjoint of winogradImage): dU[ξ] = Σ dM[ξ]·V[ξ]ᵀ over the images'
 * tiles, in order (images in groups of {@link imagesPerGroup}, their tiles one after another),
 * then dW = Gᵀ·dU·G. `s` is the scratch src/kernels/wasm/conv.ts sizes for it.
 */
export function winogradWeightGrad(x: usize, gout: usize, gw: usize, C: i32, H: i32, W: i32, padH: i32, padW: i32, OH: i32, OW: i32, OC: i32, N: i32, c0: i32, c1: i32, s: usize): void {
  const cc = c1 - c0;
  const TH = tiles(OH), TW = tiles(OW), T = TH * TW;
  const G = imagesPerGroup(T);
  const Tr = (G * T + 7) & ~3; // a row of the group's tiles, with room for the last one's spill
  const Hq = 2 * TH + 2, Wq = 2 * tilesRow4(OW) + 4, Wd = 2 * tilesRow4(OW);
  const v = s + ((<usize>cc * Hq * Wq) << 2);
  const dm = v + ((<usize>16 * cc * Tr) << 2);
  const du = dm + ((<usize>16 * OC * Tr) << 2);
  const yp = du + ((<usize>16 * OC * cc) << 2);
  const tmp = yp + ((<usize>OC * 2 * TH * Wd) << 2);
  memory.fill(du, 0, (<usize>16 * OC * cc) << 2);
  memory.fill(yp, 0, (<usize>OC * 2 * TH * Wd) << 2);
  memory.fill(s, 0, (<usize>cc * Hq * Wq) << 2);
  for (let n0 = 0; n0 < N; n0 += G) {
    const g1 = min(G, N - n0);
    // each image's tiles follow the previous image's; a spill into the next image's slots is overwritten by it
    for (let i = 0; i < g1; i++) {
      padChannels(x, n0 + i, C, H, W, c0, cc, padH, padW, Hq, Wq, s);
      padChannels(gout, n0 + i, OC, OH, OW, 0, OC, 0, 0, 2 * TH, Wd, yp); // dY, zeros past its edges
      inputTransform(s, cc, Hq, Wq, TH, TW, Tr, v + ((<usize>i * T) << 2), tmp);
      gradTransform(yp, OC, TH, TW, Wd, Tr, dm + ((<usize>i * T) << 2));
    }
    for (let xi = 0; xi < 16; xi++) dots(dm + ((<usize>xi * OC * Tr) << 2), Tr, v + ((<usize>xi * cc * Tr) << 2), Tr, OC, cc, g1 * T, du + ((<usize>xi * OC * cc) << 2), cc);
  }
  const plane = (<usize>OC * cc) << 2;
  for (let oc = 0; oc < OC; oc++) {
    for (let c = 0; c < cc; c++) filterGrad(du + ((<usize>(oc * cc + c)) << 2), plane, gw + ((<usize>(oc * C + c0 + c) * 9) << 2));
  }
}
