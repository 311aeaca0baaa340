import type { WasmKernels } from './abi';
import { place } from './resident';

// Each wrapper copies its arrays into the kernels' memory and the results out, except arrays
// already there (resident ones; with a thread pool, the step arena's buffers), used in place.

/**
 * Places `inputs` and the accumulator `acc` in the kernels' memory (copying in what is not
 * there), runs `call` on their pointers (acc's last), and copies `acc` back out.
 */
function intoAccumulator(k: WasmKernels, inputs: ReadonlyArray<Float32Array | Int32Array>, acc: Float32Array, call: (ptr: readonly number[]) => void): void {
  const p = place(k, [...inputs, acc]);
  inputs.forEach((a, i) => p.copyIn(i, a));
  p.copyIn(inputs.length, acc);
  call(p.ptr);
  p.copyOut(inputs.length, acc);
}

/** @internal Y = relu(X) on the wasm kernel. */
export function wasmRelu(k: WasmKernels, X: Float32Array, Y: Float32Array): void {
  const p = place(k, [X, Y]);
  p.copyIn(0, X);
  k.relu(p.ptr[0], p.ptr[1], X.length);
  p.copyOut(1, Y);
}

/** @internal ga += g where Y > 0, on the wasm kernel; a `fresh` ga (arbitrary contents) is not copied in but zeroed there. */
export function wasmReluBackward(k: WasmKernels, Y: Float32Array, g: Float32Array, ga: Float32Array, fresh = false): void {
  const n = Y.length;
  const p = place(k, [Y, g, ga]);
  p.copyIn(0, Y);
  p.copyIn(1, g);
  if (fresh) k.zeroFill(p.ptr[2], n);
  else p.copyIn(2, ga);
  k.reluBackward(p.ptr[0], p.ptr[1], p.ptr[2], n);
  p.copyOut(2, ga);
}

/** @internal 2×2/stride-2 max pooling of `planes` H×W planes: values into `out`, winners' flat indices into `arg`. */
export function wasmMaxPool2x2(k: WasmKernels, X: Float32Array, planes: number, H: number, W: number, out: Float32Array, arg: Int32Array): void {
  const p = place(k, [X, out, arg]);
  p.copyIn(0, X);
  k.maxPool2x2(p.ptr[0], planes, H, W, p.ptr[1], p.ptr[2], 0);
  p.copyOut(1, out);
  p.copyOut(2, arg);
}

/** @internal gx[arg[i]] += g[i], on the wasm kernel. */
export function wasmScatterAdd(k: WasmKernels, g: Float32Array, arg: Int32Array, gx: Float32Array): void {
  intoAccumulator(k, [g, arg], gx, (ptr) => k.scatterAdd(ptr[0], ptr[1], g.length, ptr[2], 0));
}

/** @internal Y = softmax of each of `rows` rows of `len` floats of X, on the wasm kernel (float32 e^x). */
export function wasmSoftmaxRows(k: WasmKernels, X: Float32Array, Y: Float32Array, rows: number, len: number): void {
  const p = place(k, [X, Y]);
  p.copyIn(0, X);
  k.softmaxRows(p.ptr[0], p.ptr[1], rows, len);
  p.copyOut(1, Y);
}

/** @internal ga += Y ⊙ (g − Σ g·Y) per row: softmax's backward on the wasm kernel. */
export function wasmSoftmaxRowsBackward(k: WasmKernels, Y: Float32Array, g: Float32Array, ga: Float32Array, rows: number, len: number): void {
  intoAccumulator(k, [Y, g], ga, (ptr) => k.softmaxRowsBackward(ptr[0], ptr[1], ptr[2], rows, len));
}

/** @internal Y = gelu(X) and slope = gelu'(X) on the wasm kernel (float32 Φ). */
export function wasmGelu(k: WasmKernels, X: Float32Array, Y: Float32Array, slope: Float32Array): void {
  const p = place(k, [X, Y, slope]);
  p.copyIn(0, X);
  k.geluForward(p.ptr[0], p.ptr[1], p.ptr[2], X.length);
  p.copyOut(1, Y);
  p.copyOut(2, slope);
}

/** @internal out[o] += Σ rows of g [rows, cols], row after row in float32 (a linear layer's bias gradient), on the wasm kernel. */
export function wasmAddRows(k: WasmKernels, g: Float32Array, rows: number, cols: number, out: Float32Array): void {
  intoAccumulator(k, [g], out, (ptr) => k.addRows(ptr[0], rows, cols, ptr[1]));
}

/** @internal ga += g·s as JavaScript computes it (float64, one rounding to float32), on the wasm kernel. */
export function wasmMulAdd(k: WasmKernels, g: Float32Array, s: Float32Array, ga: Float32Array): void {
  intoAccumulator(k, [g, s], ga, (ptr) => k.mulAdd(ptr[0], ptr[1], ptr[2], g.length));
}

/** wasmPermute's table of the output's shape and strides, by rank. */
const permuteDims: Int32Array[] = [];

/**
 * @internal A permutation of axes on the wasm kernel: forward copies the input `src` into the
 * output `dst`; `back` adds the output's gradient `src` into the input's `dst`. `outShape` and
 * `strides` (the input stride of each output axis) as permute computes them.
 */
export function wasmPermute(k: WasmKernels, outShape: readonly number[], strides: readonly number[], src: Float32Array, dst: Float32Array, back: boolean): void {
  const rank = outShape.length;
  // one table per rank, made once: a training step allocates no typed array after warm-up
  const dims = (permuteDims[rank] ??= new Int32Array(2 * rank));
  for (let d = 0; d < rank; d++) {
    dims[d] = outShape[d];
    dims[rank + d] = strides[d];
  }
  const p = place(k, [src, dst, dims, Math.max(rank, 1)]);
  p.copyIn(0, src);
  if (back) p.copyIn(1, dst);
  p.copyIn(2, dims);
  k.permuteRuns(p.ptr[0], p.ptr[1], p.ptr[2], rank, +back, p.ptr[3]);
  p.copyOut(1, dst);
}

/** @internal out = a + b element by element (float32), on the wasm kernel; `out` may be `b` (ga += g). */
export function wasmAddArrays(k: WasmKernels, a: Float32Array, b: Float32Array, out: Float32Array): void {
  if (out === b) return intoAccumulator(k, [a], b, (ptr) => k.addArrays(ptr[0], ptr[1], ptr[1], a.length));
  const p = place(k, [a, b, out]);
  p.copyIn(0, a);
  p.copyIn(1, b);
  k.addArrays(p.ptr[0], p.ptr[1], p.ptr[2], a.length);
  p.copyOut(2, out);
}

/** @internal out = a / b for a float32 number b (`b` as stored: JavaScript rounds nothing more), on the wasm kernel. */
export function wasmDivScalar(k: WasmKernels, a: Float32Array, b: number, out: Float32Array): void {
  const p = place(k, [a, out]);
  p.copyIn(0, a);
  k.divScalar(p.ptr[0], b, p.ptr[1], a.length);
  p.copyOut(1, out);
}

/** @internal ga += g·c for a float64 c (in float64, one rounding), on the wasm kernel. */
export function wasmScaleAdd(k: WasmKernels, g: Float32Array, c: number, ga: Float32Array): void {
  intoAccumulator(k, [g], ga, (ptr) => k.scaleAdd(ptr[0], c, ptr[1], g.length));
}
