import type { ChannelLayout } from '../batchNorm';
import type { WasmKernels } from './abi';
import { layout } from './heap';

/** A Float64Array view of `n` doubles at float index `at` of the heap (a multiple of 4, so 16-byte aligned). */
function doubles(heap: Float32Array, at: number, n: number): Float64Array {
  return new Float64Array(heap.buffer, at * 4, n);
}

/**
 * @internal BatchNorm's forward pass on the wasm kernels, with one copy in (x) and one copy out
 * (y). Training: the kernel fills `sums` (zeroed, [2C]) with each channel's Σd and Σd² around its
 * first value. Then `coefficients` (given `sums`, or null in evaluation) returns y = x·scale +
 * offset's per-channel [scale…, offset…] (float64, [2C]), and y is written over x in wasm memory.
 */
export function wasmBatchNormForward(
  k: WasmKernels,
  X: Float32Array,
  Y: Float32Array,
  d: ChannelLayout,
  sums: Float64Array | null,
  coefficients: (sums: Float64Array | null) => Float64Array,
): void {
  const { C } = d;
  const { at, heap } = layout(k, [X.length, 4 * C, 4 * C]);
  const [xI, sI, cI] = at;
  heap.set(X, xI);
  if (sums !== null) {
    const s = doubles(heap, sI, 2 * C);
    s.fill(0);
    k.bnMoments(xI * 4, d.N, C, d.inner, sI * 4);
    sums.set(s);
  }
  doubles(heap, cI, 2 * C).set(coefficients(sums));
  k.bnNormalize(xI * 4, xI * 4, d.N, C, d.inner, cI * 4);
  Y.set(heap.subarray(xI, xI + X.length));
}

/**
 * @internal BatchNorm's backward pass on the wasm kernels: g and x are copied in once (and dx,
 * when given, in and out once; a fresh `dx`, `dxFresh`, whose contents are arbitrary, only out). Fills `sums` ([2C]) with each channel's Σg and Σg·(x − mean);
 * then, when `dx` is given, `coefficients(sums)` returns the per-channel [a…, b…, o…] (float64,
 * [3C]) of dx += a·g − b·x + o.
 */
export function wasmBatchNormBackward(
  k: WasmKernels,
  G: Float32Array,
  X: Float32Array,
  dx: Float32Array | null,
  d: ChannelLayout,
  mean: Float64Array,
  sums: Float64Array,
  coefficients: (sums: Float64Array) => Float64Array,
  dxFresh = false,
): void {
  const { C } = d;
  const n = X.length;
  const { at, heap } = layout(k, [n, n, dx === null ? 0 : n, 2 * C, 4 * C, 6 * C]);
  const [gI, xI, dI, mI, sI, cI] = at;
  heap.set(G, gI);
  heap.set(X, xI);
  doubles(heap, mI, C).set(mean);
  const s = doubles(heap, sI, 2 * C);
  s.fill(0);
  k.bnGradSums(gI * 4, xI * 4, d.N, C, d.inner, mI * 4, sI * 4);
  sums.set(s);
  if (dx === null) return;
  if (dxFresh) k.zeroFill(dI * 4, n);
  else heap.set(dx, dI);
  doubles(heap, cI, 3 * C).set(coefficients(sums));
  k.bnInputGrad(dI * 4, gI * 4, xI * 4, d.N, C, d.inner, cI * 4);
  dx.set(heap.subarray(dI, dI + n));
}
