import type { ChannelLayout } from '../batchNorm';
import type { WasmKernels } from './abi';
import { place, residentAt } from './resident';

/** A Float64Array view of `n` doubles at float index `at` of the heap (a multiple of 4, so 16-byte aligned). */
function doubles(heap: Float32Array, at: number, n: number): Float64Array {
  return new Float64Array(heap.buffer, at * 4, n);
}

/**
 * @internal BatchNorm's forward pass on the wasm kernels, with one copy in (x) and one copy out
 * (y), or none for arrays already in the kernels' memory. Training: the kernel fills `sums`
 * (zeroed, [2C]) with each channel's Σd and Σd² around its first value. Then `coefficients` (given `sums`, or null in evaluation) returns y = x·scale +
 * offset's per-channel [scale…, offset…] (float64, [2C]), and y is written in wasm memory,
 * then with `relu` cut at 0 there (relu's kernel, in place) before it is copied out.
 */
export function wasmBatchNormForward(
  k: WasmKernels,
  X: Float32Array,
  Y: Float32Array,
  d: ChannelLayout,
  sums: Float64Array | null,
  coefficients: (sums: Float64Array | null) => Float64Array,
  relu = false,
): void {
  const { C } = d;
  // X and Y where they are when already in the kernels' memory (see place); else copied in and out
  const p = place(k, [X, Y, 4 * C, 4 * C]);
  const [xP, yP, sP, cP] = p.ptr;
  p.copyIn(0, X);
  if (sums !== null) {
    const s = doubles(p.heap, sP >> 2, 2 * C);
    s.fill(0);
    k.bnMoments(xP, d.N, C, d.inner, sP);
    sums.set(s);
  }
  doubles(p.heap, cP >> 2, 2 * C).set(coefficients(sums));
  k.bnNormalize(xP, yP, d.N, C, d.inner, cP);
  if (relu) k.relu(yP, yP, X.length);
  p.copyOut(1, Y);
}

/**
 * @internal BatchNorm's backward pass on the wasm kernels: g and x are copied in once (and dx,
 * when given, in and out once; a fresh `dx`, `dxFresh`, whose contents are arbitrary, only out),
 * except arrays already in the kernels' memory. Fills `sums` ([2C]) with each channel's Σg and Σg·(x − mean);
 * then, when `dx` is given, `coefficients(sums)` returns the per-channel [a…, b…, o…] (float64,
 * [3C]) of dx += a·g − b·x + o. With a fused ReLU (`Y`, its output, given), g is first masked
 * where Y ≤ 0, exactly as relu's backward would pass it on: in the copy of g, or when g is
 * already in the kernels' memory (the caller's array) into a scratch region.
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
  Y: Float32Array | null = null,
): void {
  const { C } = d;
  const n = X.length;
  const scratch = Y !== null && residentAt(k, G) >= 0;
  const p = place(k, [G, X, dx, 2 * C, 4 * C, 6 * C, Y, scratch ? n : null]);
  const [, xP, dP, mP, sP, cP, yP, mgP] = p.ptr;
  let gP = p.ptr[0];
  p.copyIn(0, G);
  p.copyIn(1, X);
  if (Y !== null) {
    p.copyIn(6, Y);
    if (scratch) {
      k.zeroFill(mgP, n);
      k.reluBackward(yP, gP, mgP, n);
      gP = mgP;
    } else {
      k.reluMask(yP, gP, n);
    }
  }
  doubles(p.heap, mP >> 2, C).set(mean);
  const s = doubles(p.heap, sP >> 2, 2 * C);
  s.fill(0);
  k.bnGradSums(gP, xP, d.N, C, d.inner, mP, sP);
  sums.set(s);
  if (dx === null) return;
  if (dxFresh) k.zeroFill(dP, n);
  else p.copyIn(2, dx);
  doubles(p.heap, cP >> 2, 3 * C).set(coefficients(sums));
  k.bnInputGrad(dP, gP, xP, d.N, C, d.inner, cP);
  p.copyOut(2, dx);
}
