import { allocFloats, allocInts, toFloats } from '../arena';
import { type Shape, ShapeError, formatShape, normalizeAxis, stridesOf } from '../shape';
import { Tensor, fromOp, gradOf } from '../tensor';
import { isOnDevice, onDeviceOp } from '../device';

/** Which axes to reduce: one, several, or all (undefined). Negative axes count from the end. */
export type Axes = number | readonly number[] | undefined;

interface Plan {
  outShape: number[];
  keptShape: number[];
  /** for each input element, the flat index of the output element it reduces into; null when everything reduces into one value */
  map: Int32Array | null;
  outSize: number;
  count: number;
}

function plan(op: string, shape: Shape, axes: Axes, keepDims: boolean): Plan {
  const rank = shape.length;
  const list = axes === undefined ? shape.map((_, i) => i) : (typeof axes === 'number' ? [axes] : axes).map((a) => normalizeAxis(op, a, rank));
  const reduced = new Array<boolean>(rank).fill(false);
  for (const a of list) {
    if (reduced[a]) throw new ShapeError(`${op}: axes ${formatShape(axes as readonly number[])} name axis ${a} more than once (tensor of shape ${formatShape(shape)})`);
    reduced[a] = true;
  }
  const keptShape = shape.map((d, i) => (reduced[i] ? 1 : d));
  const outShape = keepDims ? keptShape : shape.filter((_, i) => !reduced[i]);
  const outStrides = stridesOf(keptShape);
  let outSize = 1;
  let count = 1;
  for (let i = 0; i < rank; i++) {
    if (reduced[i]) count *= shape[i];
    else outSize *= shape[i];
  }
  if (outSize === 1) return { outShape, keptShape, map: null, outSize, count };
  let size = 1;
  for (const d of shape) size *= d;
  const map = new Int32Array(size);
  const idx = new Array<number>(rank).fill(0);
  const st = outStrides.map((s, i) => (reduced[i] ? 0 : s));
  let dst = 0;
  for (let i = 0; i < size; i++) {
    map[i] = dst;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      dst += st[d];
      if (idx[d] < shape[d]) break;
      dst -= st[d] * idx[d];
      idx[d] = 0;
    }
  }
  return { outShape, keptShape, map, outSize, count };
}

/** Float64 sums of the groups of a plan, each in input order. */
function accumulate(X: Float32Array, p: Plan): Float64Array {
  const out = new Float64Array(p.outSize);
  const map = p.map;
  if (map === null) {
    let s = 0;
    for (let i = 0; i < X.length; i++) s += X[i];
    out[0] = s;
  } else {
    for (let i = 0; i < X.length; i++) out[map[i]] += X[i];
  }
  return out;
}

/**
 * Sum over `axes` (all axes when omitted).
 * @example sum(x, 1, true)  // [N, C] → [N, 1]
 */
export function sum(a: Tensor, axes?: Axes, keepDims = false): Tensor {
  if (isOnDevice(a)) return onDeviceOp('sum', [a, axes, keepDims]);
  const p = plan('sum', a.shape, axes, keepDims);
  const out = accumulate(a.data, p);
  const map = p.map;
  return fromOp('sum', toFloats(out), p.outShape, [a], (res) => () => {
    const g = res.grad as Float32Array;
    const ga = gradOf(a);
    if (map === null) for (let i = 0, g0 = g[0]; i < a.size; i++) ga[i] += g0;
    else for (let i = 0; i < a.size; i++) ga[i] += g[map[i]];
  });
}

/** Mean over `axes` (all axes when omitted). */
export function mean(a: Tensor, axes?: Axes, keepDims = false): Tensor {
  if (isOnDevice(a)) return onDeviceOp('mean', [a, axes, keepDims]);
  const p = plan('mean', a.shape, axes, keepDims);
  const acc = accumulate(a.data, p);
  const map = p.map;
  const out = allocFloats(p.outSize);
  for (let i = 0; i < p.outSize; i++) out[i] = acc[i] / p.count;
  const inv = 1 / p.count;
  return fromOp('mean', out, p.outShape, [a], (res) => () => {
    const g = res.grad as Float32Array;
    const ga = gradOf(a);
    if (map === null) for (let i = 0, gi = g[0] * inv; i < a.size; i++) ga[i] += gi;
    else for (let i = 0; i < a.size; i++) ga[i] += g[map[i]] * inv;
  });
}

/**
 * Maximum over `axes` (all axes when omitted); a NaN is the maximum of its group. The gradient
 * follows PyTorch: over one axis given as a number (`torch.max(x, dim)`) it goes to the first
 * maximal element of each group, the one `argmax` names; over all axes or an array of axes
 * (`torch.max(x)`, `torch.amax(x, dims)`) it is shared equally among the tied maxima.
 */
export function max(a: Tensor, axes?: Axes, keepDims = false): Tensor {
  if (isOnDevice(a)) return onDeviceOp('max', [a, axes, keepDims]);
  const p = plan('max', a.shape, axes, keepDims);
  if (p.count === 0 && p.outSize > 0) throw new ShapeError(`max: reduces over an axis of size 0 of ${formatShape(a.shape)}; an empty set has no maximum (as in PyTorch)`);
  const out = allocFloats(p.outSize).fill(-Infinity);
  const arg = new Int32Array(p.outSize).fill(-1);
  const X = a.data;
  const map = p.map;
  for (let i = 0; i < a.size; i++) {
    const o = map === null ? 0 : map[i];
    const x = X[i];
    // NaN propagates: a NaN element becomes the max and stays
    if (arg[o] === -1 || x > out[o] || (x !== x && out[o] === out[o])) {
      out[o] = x;
      arg[o] = i;
    }
  }
  const shared = typeof axes !== 'number';
  return fromOp('max', out, p.outShape, [a], (res) => () => {
    const g = res.grad as Float32Array;
    const ga = gradOf(a);
    if (shared) shareAmongTies(X, out, map, g, ga);
    else for (let o = 0; o < p.outSize; o++) ga[arg[o]] += g[o];
  });
}

/** True when x is the maximum m of its group: equal to it, or NaN where m is NaN. */
function isMax(x: number, m: number): boolean {
  return x === m || (x !== x && m !== m);
}

/** ga[i] += g[o] / (number of maxima of group o) for each maximal element i of group o (PyTorch's evenly_distribute_backward). */
function shareAmongTies(X: Float32Array, M: Float32Array, map: Int32Array | null, g: Float32Array, ga: Float32Array): void {
  const ties = allocInts(M.length);
  for (let i = 0; i < X.length; i++) {
    const o = map === null ? 0 : map[i];
    if (isMax(X[i], M[o])) ties[o]++;
  }
  for (let i = 0; i < X.length; i++) {
    const o = map === null ? 0 : map[i];
    if (isMax(X[i], M[o])) ga[i] += g[o] / ties[o];
  }
}

/**
 * Index of the maximum along the last axis (predicted classes); the first of equal maxima, and
 * a NaN counts as the maximum (PyTorch's rule, and `max`'s), so a NaN output never reads as a
 * plausible class. Not differentiable.
 */
export function argmax(a: Tensor): Int32Array {
  const cols = a.shape[a.rank - 1] ?? 1;
  if (cols === 0 && a.size === 0 && a.rank > 0 && a.shape.slice(0, -1).some((d) => d > 0)) {
    throw new ShapeError(`argmax: the last axis of ${formatShape(a.shape)} has size 0; an empty row has no maximum`);
  }
  const rows = cols === 0 ? 0 : a.size / cols;
  const out = new Int32Array(rows);
  const X = a.data;
  for (let r = 0; r < rows; r++) {
    let best = 0;
    let bv = X[r * cols];
    for (let c = 1; c < cols; c++) {
      const v = X[r * cols + c];
      if (v > bv || (v !== v && bv === bv)) {
        bv = v;
        best = c;
      }
    }
    out[r] = best;
  }
  return out;
}
