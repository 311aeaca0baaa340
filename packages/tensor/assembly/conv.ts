// conv2d's three passes over a range of the batch (or of the weight gradient's columns), one
// call each, so a thread pool can hand each thread one range. Geometry `g` points at 16 i32:
// C, H, W, KH, KW, OH, OW, strideH, strideW, padH, padW, dilationH, dilationW, the fused
// activation (0 none, 1 ReLU, applied to each image's output while it is in cache), and for a
// fused 2×2 max pooling after it the byte pointers of the pooled output and of the winners'
// flat indices (0: no pooling).
import { maxPool2x2, relu } from './elementwise';
import { col2im, im2colPadded, im2colRows, padPlanes } from './im2col';
import { gemm, gemmStrided } from './gemm';
import { directForward, directWeightGrad, padImage } from './direct';

@inline function gi(g: usize, i: i32): i32 {
  return load<i32>(g + (<usize>i << 2));
}

/**
 * Rows [r0, r1) of image x's im2col into `cols`. Stride 1 and dilation 1 unfold from a padded
 * copy of the image, kept after the whole im2col's C·KH·KW·OH·OW + 4 floats (src/kernels/wasm/conv.ts
 * sizes the scratch the same way).
 */
function unfold(g: usize, x: usize, r0: i32, r1: i32, cols: usize): void {
  if (gi(g, 7) == 1 && gi(g, 8) == 1 && gi(g, 11) == 1 && gi(g, 12) == 1) {
    const C = gi(g, 0), H = gi(g, 1), W = gi(g, 2), KH = gi(g, 3), KW = gi(g, 4), OH = gi(g, 5), OW = gi(g, 6), padH = gi(g, 9), padW = gi(g, 10);
    const xp = cols + ((<usize>(C * KH * KW * OH * OW + 4)) << 2);
    padPlanes(x, C, H, W, padH, padW, xp);
    im2colPadded(xp, H + 2 * padH, W + 2 * padW, KH, KW, OH, OW, r0, r1, cols);
    return;
  }
  im2colRows(x, gi(g, 0), gi(g, 1), gi(g, 2), gi(g, 3), gi(g, 4), gi(g, 5), gi(g, 6), gi(g, 7), gi(g, 8), gi(g, 9), gi(g, 10), gi(g, 11), gi(g, 12), r0, r1, cols);
}

/**
 * Whether the direct kernels (direct.ts) run this layer: stride 1, dilation 1, at most 4
 * input channels and C·KH·KW ≤ 256 (src/kernels/wasm/conv.ts sizes the scratch the same way).
 */
function isDirect(g: usize): bool {
  return gi(g, 7) == 1 && gi(g, 8) == 1 && gi(g, 11) == 1 && gi(g, 12) == 1 && gi(g, 0) <= 4 && gi(g, 0) * gi(g, 3) * gi(g, 4) <= 256;
}

/** The fused activation and pooling of image n's output `o` (OC planes of OH×OW), if any. */
@inline function finishImage(g: usize, o: usize, n: i32, OC: i32): void {
  const OH = gi(g, 5), OW = gi(g, 6);
  if (gi(g, 13) == 1) relu(o, o, OC * OH * OW);
  const pooled = <usize>gi(g, 14);
  if (pooled != 0) {
    const at = <usize>(n * OC * (OH >> 1) * (OW >> 1)) << 2;
    maxPool2x2(o, OC, OH, OW, pooled + at, <usize>gi(g, 15) + at, n * OC * OH * OW);
  }
}

/**
 * out[n] = W·im2col(x[n]) (+ bias) for images n in [n0, n1). `bias` 0 means none.
 * `cols` holds C·KH·KW × OH·OW floats; `work` is the GEMM's packing area.
 */
export function convForward(g: usize, x: usize, w: usize, bias: usize, OC: i32, n0: i32, n1: i32, out: usize, cols: usize, work: usize): void {
  const chw = gi(g, 0) * gi(g, 1) * gi(g, 2);
  const ckk = gi(g, 0) * gi(g, 3) * gi(g, 4);
  const ohw = gi(g, 5) * gi(g, 6);
  if (isDirect(g)) {
    const Hp = gi(g, 1) + 2 * gi(g, 9);
    for (let n = n0; n < n1; n++) {
      const Wp = padImage(x + ((<usize>n * chw) << 2), gi(g, 0), gi(g, 1), gi(g, 2), gi(g, 9), gi(g, 10), cols);
      const o = out + ((<usize>n * OC * ohw) << 2);
      directForward(cols, Wp, gi(g, 0), Hp, gi(g, 3), gi(g, 4), gi(g, 5), gi(g, 6), w, bias, OC, o);
      finishImage(g, o, n, OC);
    }
    return;
  }
  for (let n = n0; n < n1; n++) {
    unfold(g, x + ((<usize>n * chw) << 2), 0, ckk, cols);
    const o = out + ((<usize>n * OC * ohw) << 2);
    if (bias != 0) {
      for (let c = 0; c < OC; c++) {
        const v = f32x4.splat(load<f32>(bias + (<usize>c << 2)));
        const row = o + ((<usize>c * ohw) << 2);
        let j = 0;
        for (; j + 4 <= ohw; j += 4) v128.store(row + (<usize>j << 2), v);
        for (; j < ohw; j++) store<f32>(row + (<usize>j << 2), load<f32>(bias + (<usize>c << 2)));
      }
    }
    gemm(false, false, OC, ohw, ckk, w, cols, o, ohw, bias != 0, work);
    finishImage(g, o, n, OC);
  }
}

/**
 * dW[:, r0:r1] += Σₙ dOut[n] · im2col(x[n])[r0:r1]ᵀ over the whole batch N: columns r0..r1
 * of the [OC, C·KH·KW] weight gradient, each entry summed over n in order.
 */
export function convWeightGrad(g: usize, x: usize, gout: usize, gw: usize, OC: i32, N: i32, r0: i32, r1: i32, cols: usize, work: usize): void {
  const chw = gi(g, 0) * gi(g, 1) * gi(g, 2);
  const ckk = gi(g, 0) * gi(g, 3) * gi(g, 4);
  const ohw = gi(g, 5) * gi(g, 6);
  if (isDirect(g)) {
    // partial sums per (tap, output channel) over the whole batch, then one add into dW
    const Hp = gi(g, 1) + 2 * gi(g, 9);
    const acc = cols + ((<usize>gi(g, 0) * Hp * (gi(g, 2) + 2 * gi(g, 10) + 8) + 16) << 2) & ~15;
    memory.fill(acc, 0, <usize>(r1 - r0) * OC << 4);
    for (let n = 0; n < N; n++) {
      const Wp = padImage(x + ((<usize>n * chw) << 2), gi(g, 0), gi(g, 1), gi(g, 2), gi(g, 9), gi(g, 10), cols);
      directWeightGrad(cols, Wp, Hp, gi(g, 3), gi(g, 4), gi(g, 5), gi(g, 6), gout + ((<usize>n * OC * ohw) << 2), OC, r0, r1, acc);
    }
    for (let r = r0; r < r1; r++) {
      for (let oc = 0; oc < OC; oc++) {
        const a = v128.load(acc + ((<usize>((r - r0) * OC + oc)) << 4));
        const d = gw + ((<usize>(oc * ckk + r)) << 2);
        const sum = f32x4.extract_lane(a, 0) + f32x4.extract_lane(a, 1) + f32x4.extract_lane(a, 2) + f32x4.extract_lane(a, 3);
        store<f32>(d, load<f32>(d) + sum);
      }
    }
    return;
  }
  for (let n = 0; n < N; n++) {
    unfold(g, x + ((<usize>n * chw) << 2), r0, r1, cols);
    gemmStrided(false, true, OC, r1 - r0, ohw, gout + ((<usize>n * OC * ohw) << 2), ohw, cols, ohw, gw + (<usize>r0 << 2), ckk, true, work);
  }
}

/** dX[n] += col2im(Wᵀ · dOut[n]) for images n in [n0, n1); `dcols` holds C·KH·KW × OH·OW floats. */
export function convInputGrad(g: usize, w: usize, gout: usize, gx: usize, OC: i32, n0: i32, n1: i32, dcols: usize, work: usize): void {
  const chw = gi(g, 0) * gi(g, 1) * gi(g, 2);
  const ckk = gi(g, 0) * gi(g, 3) * gi(g, 4);
  const ohw = gi(g, 5) * gi(g, 6);
  for (let n = n0; n < n1; n++) {
    gemm(true, false, ckk, ohw, OC, w, gout + ((<usize>n * OC * ohw) << 2), dcols, ohw, false, work);
    col2im(dcols, gi(g, 0), gi(g, 1), gi(g, 2), gi(g, 3), gi(g, 4), gi(g, 5), gi(g, 6), gi(g, 7), gi(g, 8), gi(g, 9), gi(g, 10), gi(g, 11), gi(g, 12), gx + ((<usize>n * chw) << 2));
  }
}
