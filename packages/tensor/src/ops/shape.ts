import { allocFloats } from '../arena';
import { ShapeError, formatShape, normalizeAxis, shapeSize, stridesOf } from '../shape';
import { passGrad } from '../autograd';
import { Tensor, fromOp, gradOf } from '../tensor';
import { isOnDevice, onDeviceOp } from '../device';
import { wasmPermute } from '../kernels/wasm/elementwise';
import { kernelsAt } from '../kernels/wasm/resident';
import { wasmFor } from '../kernels/wasm/runtime';

/**
 * Same data, new shape (no copy). One dimension may be -1 and is inferred.
 * @example reshape(x, [x.shape[0], -1])  // flatten all but the batch dimension
 */
export function reshape(a: Tensor, shape: readonly number[]): Tensor {
  if (isOnDevice(a)) return onDeviceOp('reshape', [a, shape]);
  const inferred = [...shape];
  const hole = inferred.indexOf(-1);
  if (hole !== -1) {
    if (inferred.indexOf(-1, hole + 1) !== -1) throw new ShapeError(`reshape: at most one -1 allowed, got ${formatShape(shape)}`);
    const rest = shapeSize(inferred.filter((_, i) => i !== hole));
    if (rest === 0 || a.size % rest !== 0) {
      throw new ShapeError(`reshape: cannot reshape ${formatShape(a.shape)} (${a.size} elements) into ${formatShape(shape)}`);
    }
    inferred[hole] = a.size / rest;
  }
  if (shapeSize(inferred) !== a.size || inferred.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ShapeError(`reshape: cannot reshape ${formatShape(a.shape)} (${a.size} elements) into ${formatShape(shape)}`);
  }
  return fromOp('reshape', a.data, inferred, [a], (res) => () => passGrad(res, a));
}

/** Flattens every dimension from `startAxis` on: [N, C, H, W] → [N, C·H·W] (C, H, W order). */
export function flatten(a: Tensor, startAxis = 1): Tensor {
  if (isOnDevice(a)) return onDeviceOp('flatten', [a, startAxis]);
  const s = normalizeAxis('flatten', startAxis, a.rank);
  return reshape(a, [...a.shape.slice(0, s), shapeSize(a.shape.slice(s))]);
}

/** Reorders the axes: output axis i is input axis axes[i] (a negative axis counts from the end). */
export function permute(a: Tensor, axes: readonly number[]): Tensor {
  if (isOnDevice(a)) return onDeviceOp('permute', [a, axes]);
  const rank = a.rank;
  const bad = () => new ShapeError(`permute: ${formatShape(axes)} is not a permutation of the ${rank} axes of ${formatShape(a.shape)}`);
  // negative axes count from the end, as in PyTorch (x.permute(-1, 0))
  const perm = axes.map((p) => (Number.isInteger(p) && p < 0 && p >= -rank ? p + rank : p));
  if (perm.length !== rank || [...perm].sort((x, y) => x - y).some((p, i) => p !== i)) throw bad();
  const outShape = perm.map((p) => a.shape[p]);
  const inStrides = stridesOf(a.shape);
  const st = perm.map((p) => inStrides[p]);
  const X = a.data;
  const out = allocFloats(a.size);
  movePermuted(outShape, st, X, out, false);
  return fromOp('permute', out, outShape, [a], (res) => () => movePermuted(outShape, st, res.grad as Float32Array, gradOf(a), true));
}

/** {@link walkPermuted}, or the same walk on the SIMD kernel (same bits: copies, and float32 adds in the same order). */
function movePermuted(outShape: readonly number[], st: readonly number[], src: Float32Array, dst: Float32Array, back: boolean): void {
  const k = kernelsAt(wasmFor(src.length), src); // small ones stay in JavaScript, as every element-wise op's
  if (k !== null) wasmPermute(k, outShape, st, src, dst, back);
  else walkPermuted(outShape, st, src, dst, back);
}

/** walkPermuted's odometer over the output's outer axes, reused (a training step permutes many times). */
let walkIndex = new Int32Array(8);

/**
 * Visits the output of a permutation in order, one run of its last dimension at a time: output
 * elements i … i + len − 1 belong to the input elements base, base + step, … (a strided loop, not
 * an index table). Forward it copies `src` (the input) into `dst` (the output); `back` adds the
 * output's gradient `src` into the input's `dst`. One module-level function with the loops written
 * out: a callback per run (16 elements in a head split) cost most of the time of a ViT's permutes.
 */
function walkPermuted(outShape: readonly number[], st: readonly number[], src: Float32Array, dst: Float32Array, back: boolean): void {
  const rank = outShape.length;
  const size = outShape.reduce((x, y) => x * y, 1);
  if (size === 0) return;
  const len = rank === 0 ? 1 : outShape[rank - 1];
  const step = rank === 0 ? 0 : st[rank - 1];
  if (walkIndex.length < rank) walkIndex = new Int32Array(rank);
  const idx = walkIndex.fill(0, 0, Math.max(rank - 1, 0));
  let base = 0;
  for (let i = 0; i < size; i += len) {
    if (back) for (let k = 0, j = base; k < len; k++, j += step) dst[j] += src[i + k];
    else for (let k = 0, j = base; k < len; k++, j += step) dst[i + k] = src[j];
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]++;
      base += st[d];
      if (idx[d] < outShape[d]) break;
      base -= st[d] * idx[d];
      idx[d] = 0;
    }
  }
}

/** Swaps two axes (default: the last two, i.e. a matrix transpose). */
export function transpose(a: Tensor, axis0 = -2, axis1 = -1): Tensor {
  if (isOnDevice(a)) return onDeviceOp('transpose', [a, axis0, axis1]);
  if (a.rank < 2) throw new ShapeError(`transpose: needs rank ≥ 2, got ${formatShape(a.shape)}`);
  const i = normalizeAxis('transpose', axis0, a.rank);
  const j = normalizeAxis('transpose', axis1, a.rank);
  const perm = a.shape.map((_, k) => k);
  perm[i] = j;
  perm[j] = i;
  return permute(a, perm);
}

/** Joins tensors along `axis`; all other dimensions must match. */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  if (tensors.some(isOnDevice)) return onDeviceOp('concat', [tensors, axis]);
  if (tensors.length === 0) throw new ShapeError('concat: needs at least one tensor');
  const first = tensors[0];
  const ax = normalizeAxis('concat', axis, first.rank);
  for (const t of tensors) {
    if (t.rank !== first.rank || t.shape.some((d, i) => i !== ax && d !== first.shape[i])) {
      throw new ShapeError(`concat: shapes ${tensors.map((x) => formatShape(x.shape)).join(', ')} differ outside axis ${axis}`);
    }
  }
  const outer = shapeSize(first.shape.slice(0, ax));
  const inner = shapeSize(first.shape.slice(ax + 1));
  const total = tensors.reduce((s, t) => s + t.shape[ax], 0);
  const outShape = [...first.shape];
  outShape[ax] = total;
  const out = allocFloats(outer * total * inner);
  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    offsets.push(offset);
    const w = t.shape[ax] * inner;
    for (let o = 0; o < outer; o++) out.set(t.data.subarray(o * w, (o + 1) * w), o * total * inner + offset * inner);
    offset += t.shape[ax];
  }
  return fromOp('concat', out, outShape, tensors, (res) => () => {
    const g = res.grad as Float32Array;
    tensors.forEach((t, k) => {
      if (!t.requiresGrad) return;
      const gt = gradOf(t);
      const w = t.shape[ax] * inner;
      for (let o = 0; o < outer; o++) {
        const base = o * total * inner + offsets[k] * inner;
        for (let i = 0; i < w; i++) gt[o * w + i] += g[base + i];
      }
    });
  });
}

/** Elements `start` (inclusive) to `end` (exclusive) along `axis`. Negative indices count from the end. */
export function slice(a: Tensor, axis: number, start: number, end?: number): Tensor {
  if (isOnDevice(a)) return onDeviceOp('slice', [a, axis, start, end]);
  const ax = normalizeAxis('slice', axis, a.rank);
  const dim = a.shape[ax];
  const s = start < 0 ? start + dim : start;
  const e = end === undefined ? dim : end < 0 ? end + dim : end;
  if (!Number.isInteger(s) || !Number.isInteger(e) || s < 0 || e > dim || s > e) {
    throw new ShapeError(`slice: range [${start}, ${end ?? dim}) is invalid for axis ${axis} of size ${dim} (shape ${formatShape(a.shape)})`);
  }
  const outer = shapeSize(a.shape.slice(0, ax));
  const inner = shapeSize(a.shape.slice(ax + 1));
  const outShape = [...a.shape];
  outShape[ax] = e - s;
  const w = (e - s) * inner;
  const out = allocFloats(outer * w);
  for (let o = 0; o < outer; o++) out.set(a.data.subarray(o * dim * inner + s * inner, o * dim * inner + s * inner + w), o * w);
  return fromOp('slice', out, outShape, [a], (res) => () => {
    const g = res.grad as Float32Array;
    const ga = gradOf(a);
    for (let o = 0; o < outer; o++) {
      const base = o * dim * inner + s * inner;
      for (let i = 0; i < w; i++) ga[base + i] += g[o * w + i];
    }
  });
}
