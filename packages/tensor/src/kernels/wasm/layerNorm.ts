import type { WasmKernels } from './abi';
import { place } from './resident';

/**
 * @internal LayerNorm with weight and bias over `rows` rows of `len` floats on the wasm kernel
 * (float32 statistics): x̂ into `xhat`, 1/σ per row into `inv`, x̂·w + b into `Y`. Arrays already
 * in the kernels' memory are used in place (see place), the others copied in and out.
 */
export function wasmLayerNorm(k: WasmKernels, X: Float32Array, W: Float32Array, B: Float32Array, rows: number, len: number, eps: number, xhat: Float32Array, inv: Float32Array, Y: Float32Array): void {
  const p = place(k, [X, W, B, xhat, inv, Y]);
  p.copyIn(0, X);
  p.copyIn(1, W);
  p.copyIn(2, B);
  const [x, w, b, xh, iv, y] = p.ptr;
  k.layerNormRows(x, w, b, rows, len, eps, xh, iv, y);
  p.copyOut(3, xhat);
  p.copyOut(4, inv);
  p.copyOut(5, Y);
}

/** @internal The backward of {@link wasmLayerNorm}: adds into whichever of gx, gw and gb is given. */
export function wasmLayerNormBackward(k: WasmKernels, g: Float32Array, xhat: Float32Array, W: Float32Array, inv: Float32Array, rows: number, len: number, gx: Float32Array | null, gw: Float32Array | null, gb: Float32Array | null): void {
  // a frozen weight or bias still gets its sums computed here, into zeros that are not copied back
  const p = place(k, [g, xhat, W, inv, gx, gw ?? len, gb ?? len]);
  p.copyIn(0, g);
  p.copyIn(1, xhat);
  p.copyIn(2, W);
  p.copyIn(3, inv);
  if (gx !== null) p.copyIn(4, gx);
  if (gw !== null) p.copyIn(5, gw);
  else k.zeroFill(p.ptr[5], len);
  if (gb !== null) p.copyIn(6, gb);
  else k.zeroFill(p.ptr[6], len);
  const dw = gw !== null || gb !== null;
  k.layerNormRowsBackward(p.ptr[0], p.ptr[1], p.ptr[2], p.ptr[3], rows, len, p.ptr[4], p.ptr[5], p.ptr[6], +(gx !== null), +dw);
  if (gx !== null) p.copyOut(4, gx);
  if (gw !== null) p.copyOut(5, gw);
  if (gb !== null) p.copyOut(6, gb);
}
