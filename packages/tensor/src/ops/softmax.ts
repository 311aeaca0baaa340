import { allocDoubles, allocFloats } from '../arena';
import { normalizeAxis, shapeSize } from '../shape';
import { Tensor, fromOp, gradOf } from '../tensor';
import { isOnDevice, onDeviceOp } from '../device';
import { expNonPositive } from './fastExp';
import { wasmSoftmaxRows, wasmSoftmaxRowsBackward } from '../kernels/wasm/elementwise';
import { kernelsAt } from '../kernels/wasm/resident';
import { localKernels } from '../kernels/wasm/runtime';

/** Splits a shape around `axis` into (outer, length, inner) for strided loops. */
function around(t: Tensor, op: string, axis: number): [number, number, number] {
  const ax = normalizeAxis(op, axis, t.rank);
  return [shapeSize(t.shape.slice(0, ax)), t.shape[ax], shapeSize(t.shape.slice(ax + 1))];
}

/**
 * log(softmax(x)) along `axis` (default last), computed as x − max − log Σ exp(x − max),
 * so it stays finite for any finite input.
 */
export function logSoftmax(a: Tensor, axis = -1): Tensor {
  if (isOnDevice(a)) return onDeviceOp('logSoftmax', [a, axis]);
  const [outer, len, inner] = around(a, 'logSoftmax', axis);
  const X = a.data;
  const Y = allocFloats(a.size);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * len * inner + i;
      let m = -Infinity;
      for (let k = 0; k < len; k++) m = Math.max(m, X[base + k * inner]);
      let s = 0;
      for (let k = 0; k < len; k++) s += Math.exp(X[base + k * inner] - m);
      const lse = m + Math.log(s);
      for (let k = 0; k < len; k++) Y[base + k * inner] = X[base + k * inner] - lse;
    }
  }
  return fromOp('logSoftmax', Y, a.shape, [a], (res) => () => {
    // dx = g − softmax · Σ g
    const g = res.grad as Float32Array;
    const ga = gradOf(a);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * len * inner + i;
        let gs = 0;
        for (let k = 0; k < len; k++) gs += g[base + k * inner];
        for (let k = 0; k < len; k++) {
          const j = base + k * inner;
          ga[j] += g[j] - Math.exp(Y[j]) * gs;
        }
      }
    }
  });
}

/** softmax along `axis` (default last), shifted by the max for stability. */
export function softmax(a: Tensor, axis = -1): Tensor {
  if (isOnDevice(a)) return onDeviceOp('softmax', [a, axis]);
  const [outer, len, inner] = around(a, 'softmax', axis);
  const X = a.data;
  const Y = allocFloats(a.size);
  // rows along the last axis (attention's scores) on the SIMD kernel, e^x in float32; at any size,
  // so a row's probabilities do not depend on how many rows share its batch
  const k = inner === 1 && len > 0 ? kernelsAt(localKernels(), X) : null;
  if (k !== null) {
    wasmSoftmaxRows(k, X, Y, outer, len);
    return fromOp('softmax', Y, a.shape, [a], (res) => () => wasmSoftmaxRowsBackward(k, Y, res.grad as Float32Array, gradOf(a), outer, len));
  }
  // each e^(x − m) once, kept in float64 for the division (the same bits as computing it twice)
  const e = allocDoubles(len);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * len * inner + i;
      let m = -Infinity;
      for (let k = 0; k < len; k++) m = Math.max(m, X[base + k * inner]);
      let s = 0;
      for (let k = 0; k < len; k++) {
        e[k] = expNonPositive(X[base + k * inner] - m);
        s += e[k];
      }
      for (let k = 0; k < len; k++) Y[base + k * inner] = e[k] / s;
    }
  }
  return fromOp('softmax', Y, a.shape, [a], (res) => () => softmaxBackward(Y, res.grad as Float32Array, gradOf(a), outer, len, inner));
}

/** dx = y ⊙ (g − Σ g·y), at module level so V8 keeps it optimized across steps (see adaptivePool.ts). */
function softmaxBackward(Y: Float32Array, g: Float32Array, ga: Float32Array, outer: number, len: number, inner: number): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * len * inner + i;
      let dot = 0;
      for (let k = 0; k < len; k++) dot += g[base + k * inner] * Y[base + k * inner];
      for (let k = 0; k < len; k++) {
        const j = base + k * inner;
        ga[j] += Y[j] * (g[j] - dot);
      }
    }
  }
}
