import type { ConvGeometry } from '../im2col';
import type { WasmKernels } from './abi';
import { type Pass, pass, run } from './convPass';
import { CONV_SLACK, align4, layout } from './heap';
import { residentAll } from './resident';
import { getThreads } from './runtime';

/** The integers assembly/conv.ts reads for a layer's geometry. */
const GEOMETRY_INTS = 20;

/**
 * Writes the integers assembly/conv.ts reads at float index `at`: the geometry, 1 for a fused
 * ReLU, the byte pointers of a fused 2×2 max pooling's output and indices (0: none), and 1 when
 * the layer runs Winograd's F(2×2, 3×3) with `OC` output channels ({@link isWinograd}), and 1
 * for a 1×1 layer without padding ({@link isPointwise}).
 */
function writeGeometry(heap: Float32Array, at: number, g: ConvGeometry, OC: number, relu = false, pooledPtr = 0, argPtr = 0): number {
  const ints = new Int32Array(heap.buffer, at * 4, GEOMETRY_INTS);
  ints.set([g.C, g.H, g.W, g.KH, g.KW, g.OH, g.OW, g.strideH, g.strideW, g.padH, g.padW, g.dilationH, g.dilationW, relu ? 1 : 0, pooledPtr, argPtr, isWinograd(g, OC) ? 1 : 0, isPointwise(g) ? 1 : 0, 0, 0]);
  return at * 4;
}

/**
 * Whether a layer's forward pass (and, as a forward convolution of dOut, its stride-1 input
 * gradient) runs Winograd's F(2×2, 3×3) (assembly/winograd.ts): a 3×3 kernel, stride 1,
 * dilation 1, and at least 8 input and 8 output channels (the inner size of its 16 GEMMs; with
 * fewer, the transforms cost more than the multiplications they save).
 */
export function isWinograd(g: ConvGeometry, OC: number): boolean {
  return g.KH === 3 && g.KW === 3 && g.strideH === 1 && g.strideW === 1 && g.dilationH === 1 && g.dilationW === 1 && g.C >= 8 && OC >= 8;
}

/**
 * Whether a layer is 1×1 without padding: its weight gradient runs as dot products of rows
 * along the positions (assembly/dots.ts), input channels split across threads, no packing.
 */
export function isPointwise(g: ConvGeometry): boolean {
  return g.KH === 1 && g.KW === 1 && g.padH === 0 && g.padW === 0;
}

/**
 * Floats of a Winograd layer's transformed filters (16 of [OC, C]) followed by each one packed
 * for the GEMM (assembly/winograd.ts's winogradFilter: at most ⌈OC/4⌉ panels of up to 6 rows).
 */
function winogradFilterFloats(OC: number, C: number): number {
  return 16 * OC * C + 16 * Math.ceil(OC / 4) * 6 * C;
}

/**
 * Floats of Winograd scratch (assembly/winograd.ts): for one image's convolution (winogradImage)
 * the padded image, V, M and temporaries; for the weight gradient (winogradWeightGrad, all C
 * channels at most) also dU and dOut's padded planes.
 */
function winogradFloats(g: ConvGeometry, OC: number, weightGrad: boolean): number {
  const TH = (g.OH + 1) >> 1;
  const TW = (g.OW + 1) >> 1;
  const TW4 = (TW + 3) & ~3;
  const planes = g.C * (2 * TH + 2) * (2 * TW4 + 4);
  const image = planes + 16 * (g.C + OC) * ((TH * TW + 7) & ~3) + 64;
  if (!weightGrad) return image;
  // the weight gradient transforms images in groups (imagesPerGroup in assembly/winogradGrad.ts)
  const T = TH * TW;
  const group = T >= 128 ? 1 : Math.ceil(128 / T);
  return Math.max(image, planes + 16 * (g.C + OC) * ((group * T + 7) & ~3) + 16 * OC * g.C + OC * 2 * TH * 2 * TW4 + 64);
}

/** A fused 2×2 max pooling's output and the flat indices (into the conv output) of its winners. */
export interface PooledOutput {
  values: Float32Array;
  arg: Int32Array;
}

/** Whether assembly/conv.ts runs the direct kernels for this geometry (its isDirect rule). */
function isDirect(g: ConvGeometry): boolean {
  return g.strideH === 1 && g.strideW === 1 && g.dilationH === 1 && g.dilationW === 1 && g.C <= 4 && g.C * g.KH * g.KW <= 256;
}

/**
 * Floats of per-thread scratch: for the direct kernels (the same rule as isDirect in
 * assembly/conv.ts) a zero-padded image plus the weight gradient's partial sums; else the input
 * gradient's columns (C·KH·KW × OH·OW), or for the forward pass and the weight gradient the
 * offsets of the taps and of the output positions then a zero-padded image (tables in
 * assembly/conv.ts), whichever is larger; for a Winograd layer also its scratch
 * (winogradFloats), and for a 1×1 strided layer's weight gradient the subsampled image
 * (C·OH·OW, within the first bound).
 */
function scratchFloats(g: ConvGeometry, OC: number): number {
  const ckk = g.C * g.KH * g.KW;
  const padded = g.C * (g.H + 2 * g.padH) * (g.W + 2 * g.padW);
  if (isWinograd(g, OC)) return Math.max(ckk * g.OH * g.OW, align4(ckk) + align4(g.OH * g.OW) + padded + CONV_SLACK, winogradFloats(g, OC, true));
  if (isDirect(g)) return Math.max(ckk * g.OH * g.OW, g.C * (g.H + 2 * g.padH) * (g.W + 2 * g.padW + 8) + 24 + ckk * OC * 4);
  return Math.max(ckk * g.OH * g.OW, align4(ckk) + align4(g.OH * g.OW) + padded + CONV_SLACK);
}

/**
 * The geometry of a stride-1, dilation-1 convolution's input gradient as a forward convolution
 * of dOut (see convInputGradT in assembly/conv.ts), or null where that does not apply: another
 * stride or dilation, a padding ≥ the kernel, fewer than 8 input channels (the GEMM's rows:
 * a few rows waste most of each register tile), or dOut with ≤ 4 channels (the direct
 * kernels' case); the col2im path serves those.
 */
export function transposed(g: ConvGeometry, OC: number): ConvGeometry | null {
  if (g.C < 8 || g.strideH !== 1 || g.strideW !== 1 || g.dilationH !== 1 || g.dilationW !== 1 || g.padH >= g.KH || g.padW >= g.KW) return null;
  const t: ConvGeometry = { C: OC, H: g.OH, W: g.OW, KH: g.KH, KW: g.KW, OH: g.H, OW: g.W, strideH: 1, strideW: 1, padH: g.KH - 1 - g.padH, padW: g.KW - 1 - g.padW, dilationH: 1, dilationW: 1 };
  return isDirect(t) ? null : t;
}

/** The weights [OC, C, KH, KW] flipped in both spatial axes and transposed to [C, OC, KH, KW], into `heap` at float `at`. */
export function flipTransposed(heap: Float32Array, at: number, w: Float32Array, OC: number, C: number, KH: number, KW: number): void {
  const kk = KH * KW;
  for (let oc = 0; oc < OC; oc++) {
    for (let c = 0; c < C; c++) {
      const src = (oc * C + c) * kk;
      const dst = at + (c * OC + oc) * kk;
      for (let t = 0; t < kk; t++) heap[dst + kk - 1 - t] = w[src + t];
    }
  }
}

/** The byte pointer a kernel gets for an array: where it is when resident (≥ 0), else its laid-out region at float `index`. */
function ptr(resident: number, index: number): number {
  return resident < 0 ? index * 4 : resident;
}

/**
 * @internal conv2d's forward pass on the wasm kernels: the whole batch is copied in once,
 * each image is multiplied by the weight matrix as im2col would unfold it (the GEMM packs its
 * panels straight from the zero-padded image, assembly/convGemm.ts), or for a Winograd layer
 * ({@link isWinograd}) transformed, multiplied and transformed back, in wasm memory (images
 * split across the pool's threads, if any), a fused ReLU applied while the image's output is
 * in cache, and the result [N, OC, OH·OW] is copied out.
 */
export function wasmConv2dForward(
  k: WasmKernels,
  x: Float32Array,
  weight: Float32Array,
  bias: Float32Array | null,
  g: ConvGeometry,
  N: number,
  OC: number,
  out: Float32Array | PooledOutput,
  relu: boolean,
): void {
  const T = getThreads();
  const ohw = g.OH * g.OW;
  const pool = out instanceof Float32Array ? null : out;
  const pooledLen = pool ? pool.values.length : 0;
  const wino = isWinograd(g, OC);
  // arrays already in the kernels' memory (a thread pool's, holding the step arena) are used in place
  const [xR, wR, bR, outR, pR, aR] = residentAll(k, [x, wino ? null : weight, bias, pool ? null : (out as Float32Array), pool?.values ?? null, pool?.arg ?? null]);
  const sizes = [GEOMETRY_INTS, xR < 0 ? x.length : 0, wR < 0 ? weight.length : 0, bR < 0 ? OC : 0, outR < 0 ? N * OC * ohw : 0, pR < 0 ? pooledLen : 0, aR < 0 ? pooledLen : 0];
  const { at, heap } = layout(k, [...sizes, wino ? winogradFilterFloats(OC, g.C) : 0, ...Array<number>(T).fill(scratchFloats(g, OC))]);
  const [gI, xI, wI, bI, outI, pI, aI, uI] = at;
  const [xP, wP, bP, outP, pP, aP] = [ptr(xR, xI), ptr(wR, wI), ptr(bR, bI), ptr(outR, outI), ptr(pR, pI), ptr(aR, aI)];
  const geo = writeGeometry(heap, gI, g, OC, relu, pool ? pP : 0, pool ? aP : 0);
  if (xR < 0) heap.set(x, xI);
  if (wR < 0) heap.set(weight, wI);
  if (wino) k.winogradFilter(wP, OC, g.C, uI * 4);
  if (bias && bR < 0) heap.set(bias, bI);
  const scratch = Array.from({ length: T }, (_, t) => at[sizes.length + 1 + t] * 4);
  run(k, scratch, pass('convForward', [geo, xP, wino ? uI * 4 : wP, bias ? bP : 0, OC, 0, 0, outP, 0, 0], 5, N, 1));
  if (pool === null) {
    if (outR < 0) (out as Float32Array).set(heap.subarray(outI, outI + N * OC * ohw));
  } else {
    if (pR < 0) pool.values.set(heap.subarray(pI, pI + pooledLen));
    if (aR < 0) pool.arg.set(new Int32Array(heap.buffer, aI * 4, pooledLen));
  }
}

/**
 * @internal conv2d's backward pass on the wasm kernels. With a fused ReLU (`y`, the forward
 * output, given) dOut is first masked where y ≤ 0; with a fused ReLU and max pooling, dOut is
 * built from the pooled gradient (`gout.pooled`, `gout.grad`); either way images split across
 * threads (assembly/convGradPrep.ts). Then accumulates the bias gradient (channels split) into
 * `gb`, dW += Σₙ dOut[n]·colsₙᵀ into `gw` (columns of dW split across threads; for a Winograd
 * layer, {@link isWinograd}, in the transformed domain, its input channels split) and
 * dX += col2im(Wᵀ·dOut[n]) into `gx` (images split across threads; for stride 1, a forward
 * convolution of dOut with the flipped weights instead, Winograd's where it applies); each may
 * be null when not needed. `gxFresh`: gx's contents are arbitrary and it is written whole.
 */
export function wasmConv2dBackward(
  k: WasmKernels,
  x: Float32Array,
  weight: Float32Array,
  gout: Float32Array | { pooled: PooledOutput; grad: Float32Array },
  y: Float32Array | null,
  g: ConvGeometry,
  N: number,
  OC: number,
  gb: Float32Array | null,
  gw: Float32Array | null,
  gx: Float32Array | null,
  gxFresh = false,
): void {
  const T = getThreads();
  const ckk = g.C * g.KH * g.KW;
  const outLen = N * OC * g.OH * g.OW;
  const pooled = gout instanceof Float32Array ? null : gout;
  const pLen = pooled ? pooled.grad.length : 0;
  const gt = gx ? transposed(g, OC) : null;
  const winoT = gt !== null && isWinograd(gt, g.C);
  // arrays already in the kernels' memory (a thread pool's, holding the step arena) are used in
  // place: dOut only when nothing masks it (the ReLU's mask writes it), the gradients accumulate there
  const unmasked = pooled === null && y === null ? (gout as Float32Array) : null;
  const [xR, goutR, gwR, gxR, yR, gbR, pgR, paR, pvR] = residentAll(k, [gw ? x : null, unmasked, gw, gx, y, gb, pooled?.grad ?? null, pooled?.pooled.arg ?? null, pooled?.pooled.values ?? null]);
  const need = (resident: number, n: number) => (resident < 0 ? n : 0);
  const sizes = [
    GEOMETRY_INTS,
    gw ? need(xR, x.length) : 0,
    weight.length,
    need(goutR, outLen),
    gw ? need(gwR, gw.length) : 0,
    gx ? need(gxR, gx.length) : 0,
    y ? need(yR, y.length) : 0,
    gb ? need(gbR, gb.length) : 0,
    need(pgR, pLen),
    need(paR, pLen),
    need(pvR, pLen),
    GEOMETRY_INTS,
    winoT ? winogradFilterFloats(g.C, OC) : 0,
  ];
  const perThread = Math.max(scratchFloats(g, OC), gt ? scratchFloats(gt, g.C) : 0);
  const { at, heap } = layout(k, [...sizes, ...Array<number>(T).fill(perThread)]);
  const [gI, xI, wI, goutI, gwI, gxI, yI, gbI, pgI, paI, pvI, gtI, uI] = at;
  const [xP, goutP, gwP, gxP, yP, gbP, pgP, paP, pvP] = [ptr(xR, xI), ptr(goutR, goutI), ptr(gwR, gwI), ptr(gxR, gxI), ptr(yR, yI), ptr(gbR, gbI), ptr(pgR, pgI), ptr(paR, paI), ptr(pvR, pvI)];
  const scratch = Array.from({ length: T }, (_, t) => at[sizes.length + t] * 4);
  const geo = writeGeometry(heap, gI, g, OC);
  if (pooled) {
    if (pgR < 0) heap.set(pooled.grad, pgI);
    if (paR < 0) new Int32Array(heap.buffer, paI * 4, pLen).set(pooled.pooled.arg);
    if (pvR < 0) heap.set(pooled.pooled.values, pvI);
  } else if (goutR < 0) {
    heap.set(gout as Float32Array, goutI);
  }
  if (y && yR < 0) heap.set(y, yI);
  if (pooled || y) {
    // dOut of the conv, images split across threads: each pooled gradient goes to its window's
    // winner unless the ReLU cut it (every other entry 0), then masked where a fused ReLU's y ≤ 0
    const prep = [pooled ? pgP : 0, pooled ? paP : 0, pooled ? pvP : 0, y ? yP : 0, goutP, OC, g.OH, g.OW, 0, 0, 0, 0];
    run(k, scratch, pass('convGradPrep', prep, 8, N, 1, 2));
  }
  if (gb) {
    if (gbR < 0) heap.set(gb, gbI);
    // each channel's sum over the batch in the same order whatever the split
    run(k, scratch, pass('channelSums', [goutP, N, OC, g.OH * g.OW, gbP, 0, 0, 0, 0], 5, OC, 1, 1));
    if (gbR < 0) gb.set(heap.subarray(gbI, gbI + gb.length));
  }
  // dW (columns split) and dX (images split) are independent: one pool task runs both
  let dW: Pass | undefined;
  let dX: Pass | undefined;
  if (gw) {
    if (xR < 0) heap.set(x, xI);
    if (gwR < 0) heap.set(gw, gwI);
    const dwArgs = [geo, xP, goutP, gwP, OC, N, 0, 0, 0, 0];
    // Winograd and 1×1: the units are input channels, one block per thread (a Winograd block
    // transforms every image's dOut again, so finer blocks would repeat that work); else dW's
    // columns (kernel taps) in blocks of 8 for the GEMM's register tiles, or for the direct
    // kernel (no tiles) of 4, which balance its few taps (25 for 1×5×5) better
    dW = isWinograd(g, OC) || isPointwise(g) ? pass('convWeightGrad', dwArgs, 6, g.C, Math.ceil(g.C / T)) : pass('convWeightGrad', dwArgs, 6, ckk, isDirect(g) ? 4 : 8);
  }
  if (gx) {
    if (gxFresh) k.zeroFill(gxP, gx.length);
    else if (gxR < 0) heap.set(gx, gxI);
    if (gt !== null) {
      // stride 1: dX is a forward convolution of dOut with the flipped, transposed weights
      flipTransposed(heap, wI, weight, OC, g.C, g.KH, g.KW);
      if (winoT) k.winogradFilter(wI * 4, g.C, OC, uI * 4);
      dX = pass('convInputGradT', [writeGeometry(heap, gtI, gt, g.C), goutP, (winoT ? uI : wI) * 4, gxP, g.C, 0, 0, 0, 0], 5, N, 1);
    } else {
      heap.set(weight, wI);
      dX = pass('convInputGrad', [geo, wI * 4, goutP, gxP, OC, 0, 0, 0, 0], 5, N, 1);
    }
  }
  if (dW ?? dX) run(k, scratch, (dW ?? dX) as Pass, dW ? dX : undefined);
  if (gw && gwR < 0) gw.set(heap.subarray(gwI, gwI + gw.length));
  if (gx && gxR < 0) gx.set(heap.subarray(gxI, gxI + gx.length));
}
