// conv2d's three passes over a range of the batch (or of the weight gradient's columns), one
// call each, so a thread pool can hand each thread one range. Geometry `g` points at 16 i32:
// C, H, W, KH, KW, OH, OW, strideH, strideW, padH, padW, dilationH, dilationW, the fused
// activation (0 none, 1 ReLU, applied to each image's output while it is in cache), and for a
// fused 2×2 max pooling after it the byte pointers of the pooled output and of the winners'
// flat indices (0: no pooling), then 1 where the layer runs Winograd's F(2×2, 3×3) (winograd.ts:
// the weights pointer is then the transformed filters), then 1 for a 1×1 layer without padding
// (its weight gradient as dot products of rows, dots.ts).
import { maxPool2x2, relu } from './elementwise';
import { col2im, padPlanes } from './im2col';
import { gemm } from './gemm';
import { convGemm, positionOffsets, tapOffsets } from './convGemm';
import { directForward, directWeightGrad, padImage } from './direct';
import { winogradImage } from './winograd';
import { winogradWeightGrad } from './winogradGrad';
import { dots } from './dots';

@inline function gi(g: usize, i: i32): i32 {
  return load<i32>(g + (<usize>i << 2));
}

/**
 * Lays out the GEMM path's scratch `s` (src/kernels/wasm/conv.ts sizes it the same way): the
 * offsets of the C·KH·KW taps, then of the OH·OW output positions, in a padded image (see
 * convGemm.ts), then room for that image; returns the image's byte pointer.
 */
function tables(g: usize, s: usize): usize {
  const ckk = gi(g, 0) * gi(g, 3) * gi(g, 4), ohw = gi(g, 5) * gi(g, 6);
  const Hp = gi(g, 1) + 2 * gi(g, 9), Wp = gi(g, 2) + 2 * gi(g, 10);
  const pos = s + (<usize>((ckk + 3) & ~3) << 2);
  tapOffsets(gi(g, 0), gi(g, 3), gi(g, 4), Hp, Wp, gi(g, 11), gi(g, 12), s);
  positionOffsets(gi(g, 5), gi(g, 6), Wp, gi(g, 7), gi(g, 8), pos);
  return pos + (<usize>((ohw + 3) & ~3) << 2);
}

/** Copies image n of `x` zero-padded into `xp` (its C planes of (H + 2·padH)×(W + 2·padW)). */
@inline function pad(g: usize, x: usize, n: i32, xp: usize): void {
  const chw = gi(g, 0) * gi(g, 1) * gi(g, 2);
  padPlanes(x + ((<usize>n * chw) << 2), gi(g, 0), gi(g, 1), gi(g, 2), gi(g, 9), gi(g, 10), xp);
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
 * out[n] = W·im2col(x[n]) (+ bias) for images n in [n0, n1). `bias` 0 means none. `cols` is
 * the scratch (the direct kernels' padded image, or {@link tables}); `work` the GEMM's packing area.
 */
export function convForward(g: usize, x: usize, w: usize, bias: usize, OC: i32, n0: i32, n1: i32, out: usize, cols: usize, work: usize): void {
  const chw = gi(g, 0) * gi(g, 1) * gi(g, 2);
  const ckk = gi(g, 0) * gi(g, 3) * gi(g, 4);
  const ohw = gi(g, 5) * gi(g, 6);
  if (gi(g, 16) == 1) {
    for (let n = n0; n < n1; n++) {
      const o = out + ((<usize>n * OC * ohw) << 2);
      winogradImage(x + ((<usize>n * chw) << 2), gi(g, 0), gi(g, 1), gi(g, 2), gi(g, 9), gi(g, 10), gi(g, 5), gi(g, 6), w, OC, o, bias, false, cols, work);
      finishImage(g, o, n, OC);
    }
    return;
  }
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
  const xp = tables(g, cols);
  const pos = cols + (<usize>((ckk + 3) & ~3) << 2);
  for (let n = n0; n < n1; n++) {
    pad(g, x, n, xp);
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
    convGemm(OC, ohw, ckk, w, ckk, xp, cols, pos, o, ohw, bias != 0, work);
    finishImage(g, o, n, OC);
  }
}

/**
 * dW[:, r0:r1] += Σₙ dOut[n] · im2col(x[n])[r0:r1]ᵀ over the whole batch N: columns r0..r1
 * of the [OC, C·KH·KW] weight gradient, each entry summed over n in order. For a Winograd or a
 * 1×1 layer (geometry words 16 and 17) r0..r1 are input channels instead: whole filters.
 */
export function convWeightGrad(g: usize, x: usize, gout: usize, gw: usize, OC: i32, N: i32, r0: i32, r1: i32, cols: usize, work: usize): void {
  const chw = gi(g, 0) * gi(g, 1) * gi(g, 2);
  const ckk = gi(g, 0) * gi(g, 3) * gi(g, 4);
  const ohw = gi(g, 5) * gi(g, 6);
  if (gi(g, 17) == 1) {
    pointwiseWeightGrad(g, x, gout, gw, OC, N, r0, r1, cols);
    return;
  }
  if (gi(g, 16) == 1) {
    // Winograd: r0…r1 are input channels (whole filters), not taps
    winogradWeightGrad(x, gout, gw, gi(g, 0), gi(g, 1), gi(g, 2), gi(g, 9), gi(g, 10), gi(g, 5), gi(g, 6), OC, N, r0, r1, cols);
    return;
  }
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
  const xp = tables(g, cols);
  const pos = cols + (<usize>((ckk + 3) & ~3) << 2);
  for (let n = 0; n < N; n++) {
    pad(g, x, n, xp);
    convGemm(OC, r1 - r0, ohw, gout + ((<usize>n * OC * ohw) << 2), ohw, xp, pos, cols + (<usize>r0 << 2), gw + (<usize>r0 << 2), ckk, true, work);
  }
}

/**
 * dW[:, c0:c1] += Σₙ dOut[n]·Xₙᵀ for a 1×1 convolution without padding, input channels [c0, c1):
 * Xₙ is image n taken at the stride (at stride 1 the image itself, else copied into `s`), and
 * both operands run along the OH·OW positions, so the products are dot products of rows.
 */
function pointwiseWeightGrad(g: usize, x: usize, gout: usize, gw: usize, OC: i32, N: i32, c0: i32, c1: i32, s: usize): void {
  const C = gi(g, 0), H = gi(g, 1), W = gi(g, 2), OH = gi(g, 5), OW = gi(g, 6), sh = gi(g, 7), sw = gi(g, 8);
  const ohw = OH * OW, cc = c1 - c0;
  for (let n = 0; n < N; n++) {
    let b = x + ((<usize>(n * C + c0) * H * W) << 2);
    if (sh != 1 || sw != 1) {
      for (let c = 0; c < cc; c++) {
        for (let oh = 0; oh < OH; oh++) {
          const src = b + ((<usize>((c * H + oh * sh) * W)) << 2);
          const dst = s + ((<usize>(c * ohw + oh * OW)) << 2);
          for (let ow = 0; ow < OW; ow++) store<f32>(dst + (<usize>ow << 2), load<f32>(src + (<usize>(ow * sw) << 2)));
        }
      }
      b = s;
    }
    dots(gout + ((<usize>n * OC * ohw) << 2), ohw, b, ohw, OC, cc, ohw, gw + (<usize>c0 << 2), C);
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

/**
 * dX[n] += Wf · im2col(dOut[n]) for images n in [n0, n1): the input gradient of a stride-1,
 * dilation-1 convolution as a forward convolution of dOut (geometry `g`: C = OC, H×W = OH×OW,
 * padding KH−1−padH, KW−1−padW, output H×W) with the weights flipped and transposed (`wf`,
 * [C, OC·KH·KW]). The GEMM's inner dimension is OC·KH·KW instead of OC, and there is no col2im
 * scatter; the GEMM adds into dX. `cols` is {@link tables}' scratch for `g` (for a Winograd
 * layer, winograd.ts's, and `wf` the transformed filters).
 */
export function convInputGradT(g: usize, gout: usize, wf: usize, gx: usize, C: i32, n0: i32, n1: i32, cols: usize, work: usize): void {
  const ckk = gi(g, 0) * gi(g, 3) * gi(g, 4);
  const hw = gi(g, 5) * gi(g, 6);
  if (gi(g, 16) == 1) {
    const chw = gi(g, 0) * gi(g, 1) * gi(g, 2);
    for (let n = n0; n < n1; n++) {
      winogradImage(gout + ((<usize>n * chw) << 2), gi(g, 0), gi(g, 1), gi(g, 2), gi(g, 9), gi(g, 10), gi(g, 5), gi(g, 6), wf, C, gx + ((<usize>n * C * hw) << 2), 0, true, cols, work);
    }
    return;
  }
  const xp = tables(g, cols);
  const pos = cols + (<usize>((ckk + 3) & ~3) << 2);
  for (let n = n0; n < n1; n++) {
    pad(g, gout, n, xp);
    convGemm(C, hw, ckk, wf, ckk, xp, cols, pos, gx + ((<usize>n * C * hw) << 2), hw, true, work);
  }
}
