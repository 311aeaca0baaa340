import { allocFloats, allocInts } from '../arena';
import { gemm } from '../kernels/gemm';
import { type ConvGeometry, col2im, im2col } from '../kernels/im2col';
import { type PooledOutput, wasmConv2dBackward, wasmConv2dForward } from '../kernels/wasm/conv';
import { wasmKernels } from '../kernels/wasm/runtime';
import { ShapeError, ValueError, formatShape } from '../shape';
import { Tensor, fromOp, gradOf } from '../tensor';
import { gradForWrite } from '../autograd';
import { type Pair, assertNCHW, pair } from './geometry';
import { maxPool2d } from './pool';
import { concat, slice } from './shape';
import { isOnDevice, onDeviceOp } from '../device';

export type { Pair } from './geometry';
export { assertNCHW, pair } from './geometry';

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
  /**
   * Split the C input channels and the OC output channels into this many groups, each group of
   * outputs seeing only its own group of inputs (PyTorch's `groups`): the weight is
   * [OC, C/groups, KH, KW]. `groups` = C is a depthwise convolution. Default 1.
   */
  groups?: number;
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

/** A checked convolution: its inputs, geometry and whether a ReLU is fused. */
interface Conv {
  x: Tensor;
  weight: Tensor;
  bias: Tensor | null;
  g: ConvGeometry;
  N: number;
  OC: number;
  relu: boolean;
}

/** Checks the inputs and options of `op` and works out the output geometry; errors name the op and the offending shape or option. */
function prepare(op: string, x: Tensor, weight: Tensor, bias: Tensor | null | undefined, options: Conv2dOptions): Conv {
  assertNCHW(op, x);
  if (weight.rank !== 4) throw new ShapeError(`${op}: weight must be 4-D [OC, C, KH, KW], got ${formatShape(weight.shape)}`);
  const [N, C, H, W] = x.shape;
  const [OC, WC, KH, KW] = weight.shape;
  if (WC !== C) {
    throw new ShapeError(`${op}: input has ${C} channels (shape ${formatShape(x.shape)}) but weight ${formatShape(weight.shape)} expects ${WC}`);
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== OC)) throw new ShapeError(`${op}: bias must be [${OC}], got ${formatShape(bias.shape)}`);
  const [strideH, strideW] = pair(op, 'stride', options.stride ?? 1, 1);
  const [padH, padW] = pair(op, 'padding', options.padding ?? 0, 0);
  const [dilationH, dilationW] = pair(op, 'dilation', options.dilation ?? 1, 1);
  const relu = options.activation === 'relu';
  if (options.activation !== undefined && !relu) {
    throw new ValueError(`${op}: activation must be 'relu' or omitted, got ${JSON.stringify(options.activation)}`);
  }
  const OH = Math.floor((H + 2 * padH - dilationH * (KH - 1) - 1) / strideH) + 1;
  const OW = Math.floor((W + 2 * padW - dilationW * (KW - 1) - 1) / strideW) + 1;
  if (OH <= 0 || OW <= 0) {
    throw new ShapeError(`${op}: kernel ${KH}x${KW} (dilation ${dilationH}, padding ${padH}) does not fit input ${formatShape(x.shape)}`);
  }
  const g: ConvGeometry = { C, H, W, KH, KW, OH, OW, strideH, strideW, padH, padW, dilationH, dilationW };
  return { x, weight, bias: bias ?? null, g, N, OC, relu };
}

/** The forward pass on the JS kernels into `out` [N, OC, OH·OW], rectified when the ReLU is fused. */
function forwardJs({ x, weight, bias, g, N, OC, relu }: Conv, out: Float32Array): void {
  const ckk = g.C * g.KH * g.KW;
  const ohw = g.OH * g.OW;
  const cols = scratch('cols', ckk * ohw);
  for (let n = 0; n < N; n++) {
    im2col(x.data, n * g.C * g.H * g.W, g, cols);
    const o = n * OC * ohw;
    if (bias) for (let c = 0; c < OC; c++) out.fill(bias.data[c], o + c * ohw, o + (c + 1) * ohw);
    gemm({ transA: false, transB: false, M: OC, N: ohw, K: ckk, A: weight.data, B: cols, C: out, cOffset: o, accumulate: !!bias });
  }
  if (relu) {
    for (let i = 0; i < out.length; i++) {
      const v = out[i];
      out[i] = v > 0 || v !== v ? v : 0; // relu's rule: NaN propagates
    }
  }
}

/**
 * Accumulates the gradients of the bias, weight and input that require them, from the gradient
 * of the conv's output: `gout` directly (masked where `y` ≤ 0 when a ReLU is fused), or, for a
 * fused ReLU + max pooling, the pooled gradient sent to each window's winner unless the ReLU cut
 * it. The same numbers on either kernel backend as the unfused ops.
 */
function backward(c: Conv, gout: Float32Array | { pooled: PooledOutput; grad: Float32Array }, y: Float32Array | null): void {
  const { x, weight, bias, g, N, OC } = c;
  const needB = bias !== null && bias.requiresGrad;
  const needW = weight.requiresGrad;
  const needX = x.requiresGrad;
  if (!needB && !needW && !needX) return;
  const wasm = wasmKernels();
  if (wasm !== null) {
    // a fresh input gradient is written whole (from zeros in wasm memory), not copied in and added
    // to; the weight's is taken first, so an input that is also the weight is never fresh
    const gb = needB ? gradOf(bias) : null;
    const gw = needW ? gradOf(weight) : null;
    const gx = needX ? gradForWrite(x) : null;
    return wasmConv2dBackward(wasm, x.data, weight.data, gout, y, g, N, OC, gb, gw, gx?.grad ?? null, gx?.fresh ?? false);
  }
  const ohw = g.OH * g.OW;
  let d: Float32Array;
  if (gout instanceof Float32Array) {
    d = gout;
    if (y !== null) {
      d = new Float32Array(gout.length);
      for (let i = 0; i < gout.length; i++) if (y[i] > 0) d[i] = 0 + gout[i]; // relu's backward into zeros
    }
  } else {
    d = new Float32Array(N * OC * ohw);
    const { values, arg } = gout.pooled;
    for (let i = 0; i < arg.length; i++) d[arg[i]] += values[i] > 0 ? gout.grad[i] : 0;
  }
  if (needB) {
    const gb = gradOf(bias);
    const o4 = ohw & ~3;
    for (let n = 0; n < N; n++) {
      for (let ch = 0; ch < OC; ch++) {
        // four partial sums: a single chain of additions runs at one per add latency
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        const base = (n * OC + ch) * ohw;
        for (let i = base; i < base + o4; i += 4) {
          s0 += d[i];
          s1 += d[i + 1];
          s2 += d[i + 2];
          s3 += d[i + 3];
        }
        for (let i = base + o4; i < base + ohw; i++) s0 += d[i];
        gb[ch] += s0 + s1 + (s2 + s3);
      }
    }
  }
  if (!needW && !needX) return;
  const gw = needW ? gradOf(weight) : null;
  const gx = needX ? gradOf(x) : null;
  const ckk = g.C * g.KH * g.KW;
  const colsB = scratch('cols', ckk * ohw);
  const dcols = scratch('dcols', ckk * ohw);
  for (let n = 0; n < N; n++) {
    const o = n * OC * ohw;
    if (gw) {
      im2col(x.data, n * g.C * g.H * g.W, g, colsB);
      // dW += dOut[n] · colsᵀ
      gemm({ transA: false, transB: true, M: OC, N: ckk, K: ohw, A: d, aOffset: o, B: colsB, C: gw, accumulate: true });
    }
    if (gx) {
      // dcols = Wᵀ · dOut[n], folded back onto the image
      gemm({ transA: true, transB: false, M: ckk, N: ohw, K: OC, A: weight.data, B: d, bOffset: o, C: dcols });
      col2im(dcols, g, gx, n * g.C * g.H * g.W);
    }
  }
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
  if (isOnDevice(x) || isOnDevice(weight) || isOnDevice(bias)) return onDeviceOp('conv2d', [x, weight, bias, options]);
  if (options.groups !== undefined && options.groups !== 1) return groupedConv2d(x, weight, bias, options);
  const c = prepare('conv2d', x, weight, bias, options);
  const { g, N, OC, relu } = c;
  const out = allocFloats(N * OC * g.OH * g.OW); // every kernel path writes all of it
  const wasm = wasmKernels();
  if (wasm !== null) wasmConv2dForward(wasm, x.data, weight.data, c.bias?.data ?? null, g, N, OC, out, relu);
  else forwardJs(c, out);
  const parents = c.bias ? [x, weight, c.bias] : [x, weight];
  return fromOp(relu ? 'conv2d+relu' : 'conv2d', out, [N, OC, g.OH, g.OW], parents, (res) => () => backward(c, res.grad as Float32Array, relu ? out : null));
}

/**
 * A convolution, a ReLU and a 2×2, stride-2 max pooling as one op: on the wasm kernels each
 * image is convolved, rectified and pooled while in cache, and the convolution's output never
 * leaves WebAssembly memory; the gradient goes straight from each pooling window's winner into
 * the convolution's backward pass. Equals
 * `maxPool2d(conv2d(x, weight, bias, { ...options, activation: 'relu' }), 2)` bit for bit (and
 * is that composition on the JS kernels). `Sequential` runs it for Conv2d → ReLU → MaxPool2d(2).
 *
 * @param options the convolution's stride, padding and dilation (`activation` is implied)
 * @example
 * const y = conv2dReluPool(x, w, b, { padding: 2 }); // [N, OC, OH/2, OW/2]
 */
export function conv2dReluPool(x: Tensor, weight: Tensor, bias?: Tensor | null, options: Omit<Conv2dOptions, 'activation'> = {}): Tensor {
  if (isOnDevice(x) || isOnDevice(weight) || isOnDevice(bias)) return onDeviceOp('conv2dReluPool', [x, weight, bias, options]);
  if (options.groups !== undefined && options.groups !== 1) return maxPool2d(conv2d(x, weight, bias, { ...options, activation: 'relu' }), 2);
  const c = prepare('conv2d', x, weight, bias, { ...options, activation: 'relu' }); // errors name the op the user wrote
  const { g, N, OC } = c;
  const PH = g.OH >> 1;
  const PW = g.OW >> 1;
  const wasm = wasmKernels();
  // too small to pool, or no wasm kernels: the ops one after the other (with their errors)
  if (wasm === null || PH === 0 || PW === 0) return maxPool2d(conv2d(x, weight, bias, { ...options, activation: 'relu' }), 2);
  const pooled: PooledOutput = { values: allocFloats(N * OC * PH * PW), arg: allocInts(N * OC * PH * PW) };
  wasmConv2dForward(wasm, x.data, weight.data, c.bias?.data ?? null, g, N, OC, pooled, true);
  const parents = c.bias ? [x, weight, c.bias] : [x, weight];
  return fromOp('conv2d+relu+maxPool2d', pooled.values, [N, OC, PH, PW], parents, (res) => () => backward(c, { pooled, grad: res.grad as Float32Array }, null));
}

/**
 * conv2d with `groups` > 1: each group's channels of the input, convolved with its rows of the
 * weight (and bias), the outputs joined along the channels. The same kernels as one convolution
 * per group, so every backend agrees with the ungrouped op on each group.
 */
function groupedConv2d(x: Tensor, weight: Tensor, bias: Tensor | null | undefined, options: Conv2dOptions): Tensor {
  const groups = options.groups as number;
  assertNCHW('conv2d', x);
  if (weight.rank !== 4) throw new ShapeError(`conv2d: weight must be 4-D [OC, C/groups, KH, KW], got ${formatShape(weight.shape)}`);
  const C = x.shape[1];
  const [OC, WC] = weight.shape;
  if (!Number.isInteger(groups) || groups < 1 || C % groups !== 0 || OC % groups !== 0) {
    throw new ValueError(`conv2d: groups must be a positive integer dividing both the ${C} input and ${OC} output channels, got ${groups}`);
  }
  const cg = C / groups;
  const og = OC / groups;
  if (WC !== cg) {
    throw new ShapeError(`conv2d: input has ${C} channels in ${groups} groups (shape ${formatShape(x.shape)}) but weight ${formatShape(weight.shape)} expects ${WC} per group, not ${cg}`);
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== OC)) throw new ShapeError(`conv2d: bias must be [${OC}], got ${formatShape(bias.shape)}`);
  const rest = { ...options, groups: 1 };
  const outs: Tensor[] = [];
  for (let k = 0; k < groups; k++) {
    const b = bias ? slice(bias, 0, k * og, (k + 1) * og) : null;
    outs.push(conv2d(slice(x, 1, k * cg, (k + 1) * cg), slice(weight, 0, k * og, (k + 1) * og), b, rest));
  }
  return concat(outs, 1);
}
