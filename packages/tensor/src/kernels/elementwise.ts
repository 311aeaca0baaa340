import { wasmAddArrays, wasmDivScalar, wasmRelu, wasmReluBackward, wasmScaleAdd } from './wasm/elementwise';
import { kernelsAt } from './wasm/resident';
import { wasmFor } from './wasm/runtime';

// The element-wise kernels with a WebAssembly twin: each picks its backend here, per call (see
// wasmFor: wasm once the arrays are large enough to repay the copies; kernelsAt: on the thread
// pool's memory when the arrays are there), so the ops need not (the fused kernels of matmul.ts,
// shape.ts and activation.ts pick theirs next to the op).

/** Y = max(X, 0); NaN propagates, as in PyTorch. */
export function reluKernel(X: Float32Array, Y: Float32Array): void {
  const n = X.length;
  const k = kernelsAt(wasmFor(n), X);
  if (k !== null) return wasmRelu(k, X, Y);
  for (let i = 0; i < n; i++) {
    const x = X[i];
    Y[i] = x > 0 || x !== x ? x : 0;
  }
}

/** ga += g where Y > 0: relu's backward from its output (the gradient at exactly 0 is 0); a `fresh` ga (arbitrary contents) is zeroed first. */
export function reluBackwardKernel(Y: Float32Array, g: Float32Array, ga: Float32Array, fresh = false): void {
  const n = Y.length;
  const k = kernelsAt(wasmFor(n), Y);
  if (k !== null) return wasmReluBackward(k, Y, g, ga, fresh);
  if (fresh) ga.fill(0);
  for (let i = 0; i < n; i++) if (Y[i] > 0) ga[i] += g[i];
}

/** ga += g, element by element (the backward of every op that passes its gradient through unchanged). */
export function accumulateKernel(g: Float32Array, ga: Float32Array): void {
  const n = g.length;
  const k = ga.length === n ? kernelsAt(wasmFor(n), g) : null;
  if (k !== null) return wasmAddArrays(k, g, ga, ga);
  for (let i = 0; i < n; i++) ga[i] += g[i];
}

/** out = A + B, element by element: a residual sum. */
export function addKernel(A: Float32Array, B: Float32Array, out: Float32Array): void {
  const n = out.length;
  const k = A.length === n && B.length === n ? kernelsAt(wasmFor(n), A) : null;
  if (k !== null) return wasmAddArrays(k, A, B, out);
  for (let i = 0; i < n; i++) out[i] = A[i] + B[i];
}

/** out = A / b for one float32 value b: a division by a number (attention's 1/√d). */
export function divScalarKernel(A: Float32Array, b: number, out: Float32Array): void {
  const n = out.length;
  const k = A.length === n ? kernelsAt(wasmFor(n), A) : null;
  if (k !== null) return wasmDivScalar(k, A, b, out);
  for (let i = 0; i < n; i++) out[i] = A[i] / b;
}

/** ga += g·(1/b) in float64, one rounding: the dividend's gradient of a division by one float32 value b. */
export function divScalarBackwardKernel(g: Float32Array, b: number, ga: Float32Array): void {
  const n = g.length;
  const k = ga.length === n ? kernelsAt(wasmFor(n), g) : null;
  if (k !== null) return wasmScaleAdd(k, g, 1 / b, ga);
  for (let i = 0; i < n; i++) ga[i] += g[i] * (1 / b);
}
