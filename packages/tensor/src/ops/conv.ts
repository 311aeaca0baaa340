import { gemm } from '../kernels/gemm';
import { type ConvGeometry, col2im, im2col } from '../kernels/im2col';
import { wasmConv2dBackward, wasmConv2dForward } from '../kernels/wasm/conv';
import { wasmKernels } from '../kernels/wasm/runtime';
import { ShapeError, ValueError, formatShape } from '../shape';
import { Tensor, fromOp, gradOf } from '../tensor';

/** A size given once for both dimensions or as [height, width]. */
export type Pair = number | readonly [number, number];

/** Stride, padding and dilation of {@link conv2d} (each a number or [height, width]), and a fused activation. */
export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  /**
   * `'relu'` applies ReLU to the output inside the convolution (each image's output while
   * it is in cache) and masks the gradient there, saving relu's own pass over memory in
   * each direction; the result equals `relu(conv2d(...))` exactly. Default: none.
   */
  activation?: 'relu';
}

/** Expands a {@link Pair}, checking each entry is an integer ≥ min. */
export function pair(op: string, name: string, v: Pair, min: number): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!p.every((x) => Number.isInteger(x) && x >= min)) {
    throw new ValueError(`${op}: ${name} must be an integer ≥ ${min} (or a pair of them), got ${JSON.stringify(v)}`);
  }
  return p;
}

/** Checks a [N, C, H, W] input; the message names the op. */
export function assertNCHW(op: string, x: Tensor): void {
  if (x.rank !== 4) {
    throw new ShapeError(`${op}: input must be 4-D [N, C, H, W], got ${formatShape(x.shape)}` + (x.rank === 2 ? ' (reshape flat images to [N, 1, 28, 28] first)' : ''));
  }
}

let colsScratch = new Float32Array(0);
let dcolsScratch = new Float32Array(0);

function scratch(which: 'cols' | 'dcols', size: number): Float32Array {
  if (which === 'cols') {
    if (colsScratch.length < size) colsScratch = new Float32Array(size);
    return colsScratch;
  }
  if (dcolsScratch.length < size) dcolsScratch = new Float32Array(size);
  return dcolsScratch;
}

/**
 * 2-D cross-correlation (PyTorch's conv2d): x [N, C, H, W], weight [OC, C, KH, KW],
 * bias [OC] → [N, OC, OH, OW]. Each image is unfolded (im2col, into a reused buffer) and
 * multiplied by the weight matrix with the packed GEMM; the backward pass does the same
 * for the weight gradient and folds the input gradient back with col2im. With the wasm
 * kernels the whole batch runs in WebAssembly memory: copied in once, copied out once.
 *
 * @example
 * const y = conv2d(x, w, b, { padding: 2, activation: 'relu' }); // = relu(conv2d(x, w, b, { padding: 2 }))
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv2dOptions = {}): Tensor {
  assertNCHW('conv2d', x);
  if (weight.rank !== 4) throw new ShapeError(`conv2d: weight must be 4-D [OC, C, KH, KW], got ${formatShape(weight.shape)}`);
  const [N, C, H, W] = x.shape;
  const [OC, WC, KH, KW] = weight.shape;
  if (WC !== C) {
    throw new ShapeError(`conv2d: input has ${C} channels (shape ${formatShape(x.shape)}) but weight ${formatShape(weight.shape)} expects ${WC}`);
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== OC)) throw new ShapeError(`conv2d: bias must be [${OC}], got ${formatShape(bias.shape)}`);
  const [strideH, strideW] = pair('conv2d', 'stride', options.stride ?? 1, 1);
  const [padH, padW] = pair('conv2d', 'padding', options.padding ?? 0, 0);
  const [dilationH, dilationW] = pair('conv2d', 'dilation', options.dilation ?? 1, 1);
  const fuseRelu = options.activation === 'relu';
  if (options.activation !== undefined && !fuseRelu) {
    throw new ValueError(`conv2d: activation must be 'relu' or omitted, got ${JSON.stringify(options.activation)}`);
  }
  const OH = Math.floor((H + 2 * padH - dilationH * (KH - 1) - 1) / strideH) + 1;
  const OW = Math.floor((W + 2 * padW - dilationW * (KW - 1) - 1) / strideW) + 1;
  if (OH <= 0 || OW <= 0) {
    throw new ShapeError(`conv2d: kernel ${KH}x${KW} (dilation ${dilationH}, padding ${padH}) does not fit input ${formatShape(x.shape)}`);
  }
  const g: ConvGeometry = { C, H, W, KH, KW, OH, OW, strideH, strideW, padH, padW, dilationH, dilationW };
  const ckk = C * KH * KW;
  const ohw = OH * OW;
  const out = new Float32Array(N * OC * ohw);
  const wasm = wasmKernels();
  if (wasm !== null) wasmConv2dForward(wasm, x.data, weight.data, bias ? bias.data : null, g, N, OC, out, fuseRelu);
  else {
    const cols = scratch('cols', ckk * ohw);
    for (let n = 0; n < N; n++) {
      im2col(x.data, n * C * H * W, g, cols);
      const o = n * OC * ohw;
      if (bias) for (let c = 0; c < OC; c++) out.fill(bias.data[c], o + c * ohw, o + (c + 1) * ohw);
      gemm({ transA: false, transB: false, M: OC, N: ohw, K: ckk, A: weight.data, B: cols, C: out, cOffset: o, accumulate: !!bias });
    }
    if (fuseRelu) {
      for (let i = 0; i < out.length; i++) {
        const v = out[i];
        out[i] = v > 0 || v !== v ? v : 0; // relu's rule: NaN propagates
      }
    }
  }
  const parents = bias ? [x, weight, bias] : [x, weight];
  return fromOp(fuseRelu ? 'conv2d+relu' : 'conv2d', out, [N, OC, OH, OW], parents, (res) => () => {
    const wasmB = wasmKernels();
    const needB = bias !== null && bias !== undefined && bias.requiresGrad;
    const needW = weight.requiresGrad;
    const needX = x.requiresGrad;
    if (!needB && !needW && !needX) return;
    if (wasmB !== null) {
      const gb = needB ? gradOf(bias as Tensor) : null;
      const gw = needW ? gradOf(weight) : null;
      const gx = needX ? gradOf(x) : null;
      return wasmConv2dBackward(wasmB, x.data, weight.data, res.grad as Float32Array, fuseRelu ? out : null, g, N, OC, gb, gw, gx);
    }
    let gout = res.grad as Float32Array;
    if (fuseRelu) {
      const masked = new Float32Array(gout.length);
      for (let i = 0; i < gout.length; i++) if (out[i] > 0) masked[i] = 0 + gout[i]; // relu's backward into zeros
      gout = masked;
    }
    if (needB) {
      const gb = gradOf(bias as Tensor);
      const o4 = ohw & ~3;
      for (let n = 0; n < N; n++) {
        for (let c = 0; c < OC; c++) {
          // four partial sums: a single chain of additions runs at one per add latency
          let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
          const base = (n * OC + c) * ohw;
          for (let i = base; i < base + o4; i += 4) {
            s0 += gout[i];
            s1 += gout[i + 1];
            s2 += gout[i + 2];
            s3 += gout[i + 3];
          }
          for (let i = base + o4; i < base + ohw; i++) s0 += gout[i];
          gb[c] += s0 + s1 + (s2 + s3);
        }
      }
    }
    if (!needW && !needX) return;
    const gw = needW ? gradOf(weight) : null;
    const gx = needX ? gradOf(x) : null;
    const colsB = scratch('cols', ckk * ohw);
    const dcols = scratch('dcols', ckk * ohw);
    for (let n = 0; n < N; n++) {
      const o = n * OC * ohw;
      if (gw) {
        im2col(x.data, n * C * H * W, g, colsB);
        // dW += dOut[n] · colsᵀ
        gemm({ transA: false, transB: true, M: OC, N: ckk, K: ohw, A: gout, aOffset: o, B: colsB, C: gw, accumulate: true });
      }
      if (gx) {
        // dcols = Wᵀ · dOut[n], folded back onto the image
        gemm({ transA: true, transB: false, M: ckk, N: ohw, K: OC, A: weight.data, B: gout, bOffset: o, C: dcols });
        col2im(dcols, g, gx, n * C * H * W);
      }
    }
  });
}
