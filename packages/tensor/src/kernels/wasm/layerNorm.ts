import type { WasmKernels } from './abi';
import { layout } from './heap';

/**
 * @internal LayerNorm with weight and bias over `rows` rows of `len` floats on the wasm kernel
 * (float32 statistics): x̂ into `xhat`, 1/σ per row into `inv`, x̂·w + b into `Y`.
 */
export function wasmLayerNorm(k: WasmKernels, X: Float32Array, W: Float32Array, B: Float32Array, rows: number, len: number, eps: number, xhat: Float32Array, inv: Float32Array, Y: Float32Array): void {
  const n = X.length;
  const { at, heap } = layout(k, [n, len, len, n, rows, n]);
  heap.set(X, at[0]);
  heap.set(W, at[1]);
  heap.set(B, at[2]);
  k.layerNormRows(at[0] * 4, at[1] * 4, at[2] * 4, rows, len, eps, at[3] * 4, at[4] * 4, at[5] * 4);
  xhat.set(heap.subarray(at[3], at[3] + n));
  inv.set(heap.subarray(at[4], at[4] + rows));
  Y.set(heap.subarray(at[5], at[5] + n));
}

/** @internal The backward of {@link wasmLayerNorm}: adds into whichever of gx, gw and gb is given. */
export function wasmLayerNormBackward(k: WasmKernels, g: Float32Array, xhat: Float32Array, W: Float32Array, inv: Float32Array, rows: number, len: number, gx: Float32Array | null, gw: Float32Array | null, gb: Float32Array | null): void {
  const n = g.length;
  const { at, heap } = layout(k, [n, n, len, rows, n, len, len]);
  heap.set(g, at[0]);
  heap.set(xhat, at[1]);
  heap.set(W, at[2]);
  heap.set(inv, at[3]);
  if (gx !== null) heap.set(gx, at[4]);
  // a frozen weight or bias still gets its sums computed here, into zeros that are not copied back
  if (gw !== null) heap.set(gw, at[5]);
  else heap.fill(0, at[5], at[5] + len);
  if (gb !== null) heap.set(gb, at[6]);
  else heap.fill(0, at[6], at[6] + len);
  const dw = gw !== null || gb !== null;
  k.layerNormRowsBackward(at[0] * 4, at[1] * 4, at[2] * 4, at[3] * 4, rows, len, at[4] * 4, at[5] * 4, at[6] * 4, +(gx !== null), +dw);
  if (gx !== null) gx.set(heap.subarray(at[4], at[4] + n));
  if (gw !== null) gw.set(heap.subarray(at[5], at[5] + len));
  if (gb !== null) gb.set(heap.subarray(at[6], at[6] + len));
}
