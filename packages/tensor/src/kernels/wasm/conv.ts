import type { ConvGeometry } from '../im2col';
import { gemmWork } from './gemm';
import { type WasmKernels, layout } from './runtime';

function unfold(k: WasmKernels, g: ConvGeometry, xPtr: number, colsPtr: number): void {
  k.im2col(xPtr, g.C, g.H, g.W, g.KH, g.KW, g.OH, g.OW, g.strideH, g.strideW, g.padH, g.padW, g.dilationH, g.dilationW, colsPtr);
}

/**
 * @internal conv2d's forward pass on the wasm kernels: the whole batch is copied in once,
 * each image is unfolded (im2col) and multiplied by the weight matrix in wasm memory, and
 * the result [N, OC, OH·OW] is copied out into `out`.
 */
export function wasmConv2dForward(k: WasmKernels, x: Float32Array, weight: Float32Array, bias: Float32Array | null, g: ConvGeometry, N: number, OC: number, out: Float32Array): void {
  const chw = g.C * g.H * g.W;
  const ckk = g.C * g.KH * g.KW;
  const ohw = g.OH * g.OW;
  const { at, heap } = layout(k, [N * chw, OC * ckk, ckk * ohw, N * OC * ohw]);
  const [xI, wI, colsI, outI] = at;
  heap.set(x, xI);
  heap.set(weight, wI);
  const work = gemmWork(k);
  for (let n = 0; n < N; n++) {
    unfold(k, g, (xI + n * chw) * 4, colsI * 4);
    const o = outI + n * OC * ohw;
    if (bias) for (let c = 0; c < OC; c++) heap.fill(bias[c], o + c * ohw, o + (c + 1) * ohw);
    k.gemm(0, 0, OC, ohw, ckk, wI * 4, colsI * 4, o * 4, ohw, bias ? 1 : 0, work);
  }
  out.set(heap.subarray(outI, outI + N * OC * ohw));
}

/**
 * @internal conv2d's backward pass on the wasm kernels: accumulates dW += Σₙ dOut[n]·colsₙᵀ
 * into `gw` and dX += col2im(Wᵀ·dOut[n]) into `gx` (either may be null when not needed).
 */
export function wasmConv2dBackward(
  k: WasmKernels,
  x: Float32Array,
  weight: Float32Array,
  gout: Float32Array,
  g: ConvGeometry,
  N: number,
  OC: number,
  gw: Float32Array | null,
  gx: Float32Array | null,
): void {
  const chw = g.C * g.H * g.W;
  const ckk = g.C * g.KH * g.KW;
  const ohw = g.OH * g.OW;
  const { at, heap } = layout(k, [gw ? N * chw : 0, OC * ckk, N * OC * ohw, ckk * ohw, gw ? OC * ckk : 0, gx ? N * chw : 0]);
  const [xI, wI, goutI, colsI, gwI, gxI] = at;
  const work = gemmWork(k);
  heap.set(gout, goutI);
  if (gw) {
    heap.set(x, xI);
    heap.set(gw, gwI);
    for (let n = 0; n < N; n++) {
      unfold(k, g, (xI + n * chw) * 4, colsI * 4);
      // dW += dOut[n] · colsᵀ
      k.gemm(0, 1, OC, ckk, ohw, (goutI + n * OC * ohw) * 4, colsI * 4, gwI * 4, ckk, 1, work);
    }
    gw.set(heap.subarray(gwI, gwI + OC * ckk));
  }
  if (gx) {
    heap.set(weight, wI);
    heap.set(gx, gxI);
    for (let n = 0; n < N; n++) {
      // dcols = Wᵀ · dOut[n], folded back onto the image
      k.gemm(1, 0, ckk, ohw, OC, wI * 4, (goutI + n * OC * ohw) * 4, colsI * 4, ohw, 0, work);
      k.col2im(colsI * 4, g.C, g.H, g.W, g.KH, g.KW, g.OH, g.OW, g.strideH, g.strideW, g.padH, g.padW, g.dilationH, g.dilationW, (gxI + n * chw) * 4);
    }
    gx.set(heap.subarray(gxI, gxI + N * chw));
  }
}
