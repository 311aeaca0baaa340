import type { WasmKernels } from './abi';
import { layout } from './heap';

/** @internal Y = relu(X) on the wasm kernel (copied in and out). */
export function wasmRelu(k: WasmKernels, X: Float32Array, Y: Float32Array): void {
  const n = X.length;
  const { at, heap } = layout(k, [n, n]);
  heap.set(X, at[0]);
  k.relu(at[0] * 4, at[1] * 4, n);
  Y.set(heap.subarray(at[1], at[1] + n));
}

/** @internal ga += g where Y > 0, on the wasm kernel; a `fresh` ga (arbitrary contents) is not copied in but zeroed there. */
export function wasmReluBackward(k: WasmKernels, Y: Float32Array, g: Float32Array, ga: Float32Array, fresh = false): void {
  const n = Y.length;
  const { at, heap } = layout(k, [n, n, n]);
  heap.set(Y, at[0]);
  heap.set(g, at[1]);
  if (fresh) k.zeroFill(at[2] * 4, n);
  else heap.set(ga, at[2]);
  k.reluBackward(at[0] * 4, at[1] * 4, at[2] * 4, n);
  ga.set(heap.subarray(at[2], at[2] + n));
}

/** @internal 2×2/stride-2 max pooling of `planes` H×W planes: values into `out`, winners' flat indices into `arg`. */
export function wasmMaxPool2x2(k: WasmKernels, X: Float32Array, planes: number, H: number, W: number, out: Float32Array, arg: Int32Array): void {
  const m = out.length;
  const { at, heap } = layout(k, [X.length, m, m]);
  heap.set(X, at[0]);
  k.maxPool2x2(at[0] * 4, planes, H, W, at[1] * 4, at[2] * 4, 0);
  out.set(heap.subarray(at[1], at[1] + m));
  arg.set(new Int32Array(heap.buffer, at[2] * 4, m));
}

/** @internal gx[arg[i]] += g[i], on the wasm kernel. */
export function wasmScatterAdd(k: WasmKernels, g: Float32Array, arg: Int32Array, gx: Float32Array): void {
  const m = g.length;
  const { at, heap } = layout(k, [m, m, gx.length]);
  heap.set(g, at[0]);
  new Int32Array(heap.buffer, at[1] * 4, m).set(arg);
  heap.set(gx, at[2]);
  k.scatterAdd(at[0] * 4, at[1] * 4, m, at[2] * 4, 0);
  gx.set(heap.subarray(at[2], at[2] + gx.length));
}

/** @internal Y = softmax of each of `rows` rows of `len` floats of X, on the wasm kernel (float32 e^x; copied in and out). */
export function wasmSoftmaxRows(k: WasmKernels, X: Float32Array, Y: Float32Array, rows: number, len: number): void {
  const n = X.length;
  const { at, heap } = layout(k, [n, n]);
  heap.set(X, at[0]);
  k.softmaxRows(at[0] * 4, at[1] * 4, rows, len);
  Y.set(heap.subarray(at[1], at[1] + n));
}

/** @internal ga += Y ⊙ (g − Σ g·Y) per row: softmax's backward on the wasm kernel. */
export function wasmSoftmaxRowsBackward(k: WasmKernels, Y: Float32Array, g: Float32Array, ga: Float32Array, rows: number, len: number): void {
  const n = Y.length;
  const { at, heap } = layout(k, [n, n, n]);
  heap.set(Y, at[0]);
  heap.set(g, at[1]);
  heap.set(ga, at[2]);
  k.softmaxRowsBackward(at[0] * 4, at[1] * 4, at[2] * 4, rows, len);
  ga.set(heap.subarray(at[2], at[2] + n));
}

/** @internal Y = gelu(X) and slope = gelu'(X) on the wasm kernel (float32 Φ; copied in and out). */
export function wasmGelu(k: WasmKernels, X: Float32Array, Y: Float32Array, slope: Float32Array): void {
  const n = X.length;
  const { at, heap } = layout(k, [n, n, n]);
  heap.set(X, at[0]);
  k.geluForward(at[0] * 4, at[1] * 4, at[2] * 4, n);
  Y.set(heap.subarray(at[1], at[1] + n));
  slope.set(heap.subarray(at[2], at[2] + n));
}
