import { allocFloats, allocInts, allocZeros } from '../arena';
import { wasmMaxPool2x2, wasmScatterAdd } from '../kernels/wasm/elementwise';
import { kernelsAt } from '../kernels/wasm/resident';
import { wasmFor } from '../kernels/wasm/runtime';
import { ShapeError, formatShape } from '../shape';
import { Tensor, fromOp, gradOf } from '../tensor';
import { type Pair, assertNCHW, pair } from './geometry';
import { isOnDevice, onDeviceOp } from '../device';

/** Stride and padding of {@link maxPool2d} and {@link avgPool2d}. */
export interface Pool2dOptions {
  /** Defaults to the kernel size (non-overlapping windows). */
  stride?: Pair;
  padding?: Pair;
}

interface PoolGeometry {
  N: number; C: number; H: number; W: number;
  KH: number; KW: number; SH: number; SW: number; PH: number; PW: number;
  OH: number; OW: number;
}

function geometry(op: string, x: Tensor, kernel: Pair, options: Pool2dOptions): PoolGeometry {
  assertNCHW(op, x);
  const [N, C, H, W] = x.shape;
  const [KH, KW] = pair(op, 'kernel size', kernel, 1);
  const [SH, SW] = pair(op, 'stride', options.stride ?? kernel, 1);
  const [PH, PW] = pair(op, 'padding', options.padding ?? 0, 0);
  if (PH * 2 > KH || PW * 2 > KW) throw new ShapeError(`${op}: padding must be at most half the kernel size, got padding ${PH}x${PW} for kernel ${KH}x${KW}`);
  const OH = Math.floor((H + 2 * PH - KH) / SH) + 1;
  const OW = Math.floor((W + 2 * PW - KW) / SW) + 1;
  if (OH <= 0 || OW <= 0) throw new ShapeError(`${op}: window ${KH}x${KW} does not fit input ${formatShape(x.shape)}`);
  return { N, C, H, W, KH, KW, SH, SW, PH, PW, OH, OW };
}

/** Max over KH×KW windows of an [N, C, H, W] tensor (padding counts as −Inf). */
export function maxPool2d(x: Tensor, kernel: Pair, options: Pool2dOptions = {}): Tensor {
  if (isOnDevice(x)) return onDeviceOp('maxPool2d', [x, kernel, options]);
  const { N, C, H, W, KH, KW, SH, SW, PH, PW, OH, OW } = geometry('maxPool2d', x, kernel, options);
  const X = x.data;
  const out = allocFloats(N * C * OH * OW);
  const arg = allocInts(out.length);
  const k = KH === 2 && KW === 2 && SH === 2 && SW === 2 && PH === 0 && PW === 0 ? kernelsAt(wasmFor(X.length), X) : null;
  if (k !== null) wasmMaxPool2x2(k, X, N * C, H, W, out, arg);
  else maxPoolJs(X, N * C, H, W, KH, KW, SH, SW, PH, PW, OH, OW, out, arg);
  return fromOp('maxPool2d', out, [N, C, OH, OW], [x], (res) => () => {
    const g = res.grad as Float32Array;
    const gx = gradOf(x);
    const kb = kernelsAt(wasmFor(gx.length), g);
    if (kb !== null) wasmScatterAdd(kb, g, arg, gx);
    else for (let i = 0; i < g.length; i++) gx[arg[i]] += g[i];
  });
}

/** The general max-pooling scan: values into `out`, the flat index of each window's winner into `arg`. */
function maxPoolJs(
  X: Float32Array, planes: number, H: number, W: number, KH: number, KW: number, SH: number, SW: number,
  PH: number, PW: number, OH: number, OW: number, out: Float32Array, arg: Int32Array,
): void {
  let o = 0;
  for (let p = 0; p < planes; p++) {
    const plane = p * H * W;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = oh * SH - PH;
      for (let ow = 0; ow < OW; ow++, o++) {
        const w0 = ow * SW - PW;
        let best = -Infinity;
        let bi = -1;
        for (let kh = 0; kh < KH; kh++) {
          const ih = h0 + kh;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < KW; kw++) {
            const iw = w0 + kw;
            if (iw < 0 || iw >= W) continue;
            const idx = plane + ih * W + iw;
            const v = X[idx];
            if (bi === -1 || v > best || v !== v) {
              best = v;
              bi = idx;
            }
          }
        }
        out[o] = best;
        arg[o] = bi;
      }
    }
  }
}

/** Mean over KH×KW windows; zero padding counts toward the mean (PyTorch's count_include_pad=True). */
export function avgPool2d(x: Tensor, kernel: Pair, options: Pool2dOptions = {}): Tensor {
  if (isOnDevice(x)) return onDeviceOp('avgPool2d', [x, kernel, options]);
  const { N, C, H, W, KH, KW, SH, SW, PH, PW, OH, OW } = geometry('avgPool2d', x, kernel, options);
  const X = x.data;
  const out = allocZeros(N * C * OH * OW);
  const inv = 1 / (KH * KW);
  const each = (fn: (o: number, idx: number) => void): void => {
    let o = 0;
    for (let p = 0; p < N * C; p++) {
      const plane = p * H * W;
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++, o++) {
          for (let kh = 0; kh < KH; kh++) {
            const ih = oh * SH - PH + kh;
            if (ih < 0 || ih >= H) continue;
            for (let kw = 0; kw < KW; kw++) {
              const iw = ow * SW - PW + kw;
              if (iw >= 0 && iw < W) fn(o, plane + ih * W + iw);
            }
          }
        }
      }
    }
  };
  each((o, idx) => (out[o] += X[idx] * inv));
  return fromOp('avgPool2d', out, [N, C, OH, OW], [x], (res) => () => {
    const g = res.grad as Float32Array;
    const gx = gradOf(x);
    each((o, idx) => (gx[idx] += g[o] * inv));
  });
}
