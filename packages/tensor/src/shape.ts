/** A tensor's dimensions, outermost first (row-major / C order). */
export type Shape = readonly number[];

/** Thrown when an op receives shapes it cannot work with; the message names the op and the shapes. */
export class ShapeError extends Error {
  override name = 'ShapeError';
}

/** Thrown when an op receives values it cannot work with (NaN, out-of-range labels, bad options). */
export class ValueError extends Error {
  override name = 'ValueError';
}

/** `[2, 3]` → `"[2, 3]"`, for error messages. */
export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** Number of elements of a tensor with this shape. */
export function shapeSize(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides: `[2, 3, 4]` → `[12, 4, 1]`. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/** True when two shapes have the same rank and dimensions. */
export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Checks that every dimension is a non-negative integer. */
export function assertValidShape(op: string, shape: Shape): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new ShapeError(`${op}: invalid shape ${formatShape(shape)}; dimensions must be non-negative integers`);
    }
  }
}

/** NumPy broadcasting: align trailing dimensions; each pair must be equal or contain a 1. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(
        `${op}: shapes ${formatShape(a)} and ${formatShape(b)} cannot be broadcast together (dimension ${i}: ${da} vs ${db})`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * For each element of a tensor of shape `out`, the flat index of the element of a tensor of
 * shape `from` that broadcasting maps onto it. Returns null when `from` equals `out`
 * (the identity map), so callers can take a fast path. `alloc` makes the map (an op passes the
 * step arena's; every element is written).
 */
export function broadcastIndex(from: Shape, out: Shape, alloc: (n: number) => Int32Array = (n) => new Int32Array(n)): Int32Array | null {
  if (sameShape(from, out)) return null;
  const size = shapeSize(out);
  const map = alloc(size);
  const rank = out.length;
  const offset = rank - from.length;
  const fromStrides = stridesOf(from);
  // stride of `from` along each output dimension, 0 where it is broadcast
  const st = new Array<number>(rank).fill(0);
  for (let i = 0; i < from.length; i++) st[i + offset] = from[i] === 1 ? 0 : fromStrides[i];
  // suffix fast path: `from` repeats with period size(from) (e.g. a bias row)
  const fromSize = shapeSize(from);
  let suffix = true;
  for (let i = 0; i < from.length; i++) if (from[i] !== out[i + offset]) suffix = false;
  if (suffix) {
    for (let i = 0; i < size; i++) map[i] = i % fromSize;
    return map;
  }
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let i = 0; i < size; i++) {
    map[i] = src;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      src += st[d];
      if (idx[d] < out[d]) break;
      src -= st[d] * idx[d];
      idx[d] = 0;
    }
  }
  return map;
}

/** Normalizes a possibly negative axis against `rank`, with a clear error when out of range. */
export function normalizeAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(axis) || a < 0 || a >= rank) {
    throw new ShapeError(`${op}: axis ${axis} is out of range for a tensor of rank ${rank}`);
  }
  return a;
}
