import { ShapeError, type Tensor, formatShape, sameShape, shapeSize, stridesOf } from '@trainkit/tensor';
import { OPS, deviceResult, emptyStorage, gpu, releaseStorage, runDispatches } from './backend';
import { unsupported } from './eagerOps';
import { Dispatch, grid1d } from './kernel';
import { MAX_RANK, UNARY, batchedMatmulKernel, softmaxRowsBackwardKernel, softmaxRowsKernel, stridedCopyKernel, unaryBackwardKernel, unaryKernel } from './kernels/eagerShape';
import { fillKernel } from './kernels/loss';
import type { GpuTensor } from './tensor';

// Axis reordering, slicing and joining, batched matmul, softmax over the last axis and the
// remaining element-wise functions of 'webgpu' tensors, forward and backward. Errors follow the
// cpu ops' (packages/tensor/src/ops), so a model fails the same way on either device.

const axisOf = (op: string, axis: number, rank: number): number => {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(axis) || a < 0 || a >= rank) throw new ShapeError(`${op}: axis ${axis} is out of range for a tensor of rank ${rank}`);
  return a;
};

/** DST[dstBase + idx·dstStrides] (+)= SRC[srcBase + idx·srcStrides] for every idx of `grid`. */
function stridedCopy(op: string, src: GpuTensor, dst: GpuTensor, grid: readonly number[], srcStrides: readonly number[], dstStrides: readonly number[], bases: { src?: number; dst?: number; accumulate?: boolean } = {}): void {
  if (grid.length > MAX_RANK) throw unsupported(op, `tensors of rank ${grid.length} (at most ${MAX_RANK})`);
  const pad = MAX_RANK - grid.length;
  const u: Record<string, number> = { n: shapeSize(grid), srcBase: bases.src ?? 0, dstBase: bases.dst ?? 0, accumulate: +!!bases.accumulate };
  for (let k = 0; k < MAX_RANK; k++) {
    u[`d${k}`] = k < pad ? 1 : grid[k - pad];
    u[`s${k}`] = k < pad ? 0 : srcStrides[k - pad];
    u[`t${k}`] = k < pad ? 0 : dstStrides[k - pad];
  }
  if (u.n > 0) runDispatches([new Dispatch(src.ctx, stridedCopyKernel, [src.buffer, dst.buffer], u, grid1d(u.n))], op);
}

function zeros(shape: readonly number[]): GpuTensor {
  const t = emptyStorage(shape);
  runDispatches([new Dispatch(t.ctx, fillKernel, [t.buffer], { n: t.size, value: 0 }, grid1d(t.size))], 'zeros');
  return t;
}

function permute(a: Tensor, axes: readonly number[]): Tensor {
  const rank = a.rank;
  const perm = axes.map((p) => (Number.isInteger(p) && p < 0 && p >= -rank ? p + rank : p));
  if (perm.length !== rank || [...perm].sort((x, y) => x - y).some((p, i) => p !== i)) throw new ShapeError(`permute: ${formatShape(axes)} is not a permutation of the ${rank} axes of ${formatShape(a.shape)}`);
  const outShape = perm.map((p) => a.shape[p]);
  const inStrides = stridesOf(a.shape);
  const st = perm.map((p) => inStrides[p]);
  const y = emptyStorage(outShape);
  stridedCopy('permute', gpu(a), y, outShape, st, stridesOf(outShape));
  return deviceResult('permute', y, [a], (dy) => {
    const dx = emptyStorage(a.shape);
    stridedCopy('permute backward', dy, dx, outShape, stridesOf(outShape), st);
    return [dx];
  });
}

function transpose(a: Tensor, axis0 = -2, axis1 = -1): Tensor {
  if (a.rank < 2) throw new ShapeError(`transpose: needs rank ≥ 2, got ${formatShape(a.shape)}`);
  const [i, j] = [axisOf('transpose', axis0, a.rank), axisOf('transpose', axis1, a.rank)];
  const perm = a.shape.map((_, k) => k);
  [perm[i], perm[j]] = [j, i];
  return permute(a, perm);
}

function slice(a: Tensor, axis: number, start: number, end?: number): Tensor {
  const ax = axisOf('slice', axis, a.rank);
  const dim = a.shape[ax];
  const s = start < 0 ? start + dim : start;
  const e = end === undefined ? dim : end < 0 ? end + dim : end;
  if (!Number.isInteger(s) || !Number.isInteger(e) || s < 0 || e > dim || s > e) throw new ShapeError(`slice: range [${start}, ${end ?? dim}) is invalid for axis ${axis} of size ${dim} (shape ${formatShape(a.shape)})`);
  const outShape = [...a.shape];
  outShape[ax] = e - s;
  const inStrides = stridesOf(a.shape);
  const base = s * inStrides[ax];
  const y = emptyStorage(outShape);
  stridedCopy('slice', gpu(a), y, outShape, inStrides, stridesOf(outShape), { src: base });
  return deviceResult('slice', y, [a], (dy) => {
    const dx = zeros(a.shape);
    stridedCopy('slice backward', dy, dx, outShape, stridesOf(outShape), inStrides, { dst: base });
    return [dx];
  });
}

function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  if (tensors.length === 0) throw new ShapeError('concat: needs at least one tensor');
  const first = tensors[0];
  const ax = axisOf('concat', axis, first.rank);
  if (tensors.some((t) => t.rank !== first.rank || t.shape.some((d, i) => i !== ax && d !== first.shape[i]))) {
    throw new ShapeError(`concat: shapes ${tensors.map((x) => formatShape(x.shape)).join(', ')} differ outside axis ${axis}`);
  }
  const outShape = [...first.shape];
  outShape[ax] = tensors.reduce((s, t) => s + t.shape[ax], 0);
  const outStrides = stridesOf(outShape);
  const y = emptyStorage(outShape);
  const offsets: number[] = [];
  let offset = 0;
  for (const t of tensors) {
    offsets.push(offset * outStrides[ax]);
    stridedCopy('concat', gpu(t), y, t.shape, stridesOf(t.shape), outStrides, { dst: offset * outStrides[ax] });
    offset += t.shape[ax];
  }
  return deviceResult('concat', y, tensors, (dy) =>
    tensors.map((t, k) => {
      if (!t.requiresGrad) return null;
      const dx = emptyStorage(t.shape);
      stridedCopy('concat backward', dy, dx, t.shape, outStrides, stridesOf(t.shape), { src: offsets[k] });
      return dx;
    }),
  );
}

/** C[b] = op(A[b])·op(B[b]) over `batch` matrices (a stride of 0 repeats one matrix). */
function bmm(A: GpuTensor, B: GpuTensor, C: GpuTensor, g: { M: number; N: number; K: number; batch: number; strideA: number; strideB: number; transA?: boolean; transB?: boolean }): void {
  const u = { ...g, transA: +!!g.transA, transB: +!!g.transB };
  runDispatches([new Dispatch(A.ctx, batchedMatmulKernel, [A.buffer, B.buffer, C.buffer], u, grid1d(g.batch * g.M * g.N))], 'batched matmul');
}

/** Σ over the batch of [batch, R, C] into [R, C] (the gradient of an operand shared by every batch). */
function sumBatches(t: GpuTensor, batch: number, shape: readonly number[]): GpuTensor {
  const out = zeros(shape);
  const m = shapeSize(shape);
  for (let b = 0; b < batch; b++) stridedCopy('matmul backward', t, out, [m], [1], [1], { src: b * m, accumulate: true });
  releaseStorage(t);
  return out;
}

/** matmul over the last two axes with equal batch dimensions, or one operand 2-D (shared by every batch). */
function batchedMatmul(a: Tensor, b: Tensor): Tensor {
  if (a.rank < 2 || b.rank < 2) throw new ShapeError(`matmul: both operands need rank ≥ 2, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  const [M, K] = a.shape.slice(-2);
  const [K2, N] = b.shape.slice(-2);
  if (K !== K2) throw new ShapeError(`matmul: inner dimensions differ: ${formatShape(a.shape)} · ${formatShape(b.shape)} (${K} vs ${K2})`);
  const [batchA, batchB] = [a.shape.slice(0, -2), b.shape.slice(0, -2)];
  if (batchA.length > 0 && batchB.length > 0 && !sameShape(batchA, batchB)) {
    throw unsupported('matmul', `batch dimensions ${formatShape(batchA)} and ${formatShape(batchB)} must be equal, or one operand 2-D`);
  }
  const batchShape = batchA.length > 0 ? batchA : batchB;
  const batch = shapeSize(batchShape);
  const [sa, sb] = [batchA.length > 0 ? M * K : 0, batchB.length > 0 ? K * N : 0];
  const [A, B] = [gpu(a), gpu(b)];
  const C = emptyStorage([...batchShape, M, N]);
  bmm(A, B, C, { M, N, K, batch, strideA: sa, strideB: sb });
  return deviceResult('matmul', C, [a, b], (dy) => {
    let da: GpuTensor | null = null;
    let db: GpuTensor | null = null;
    if (a.requiresGrad) {
      da = emptyStorage([...batchShape, M, K]); // dA[b] = dC[b]·B[b]ᵀ
      bmm(dy, B, da, { M, N: K, K: N, batch, strideA: M * N, strideB: sb, transB: true });
      if (sa === 0) da = sumBatches(da, batch, a.shape);
    }
    if (b.requiresGrad) {
      db = emptyStorage([...batchShape, K, N]); // dB[b] = A[b]ᵀ·dC[b]
      bmm(A, dy, db, { M: K, N, K: M, batch, strideA: sa, strideB: M * N, transA: true });
      if (sb === 0) db = sumBatches(db, batch, b.shape);
    }
    return [da, db];
  });
}

function softmax(a: Tensor, axis = -1): Tensor {
  if (axisOf('softmax', axis, a.rank) !== a.rank - 1) throw unsupported('softmax', `only the last axis is implemented (got axis ${axis} of ${formatShape(a.shape)})`);
  const D = a.shape[a.rank - 1];
  const rows = a.size / Math.max(D, 1);
  const X = gpu(a);
  const y = emptyStorage(a.shape);
  if (a.size > 0) runDispatches([new Dispatch(X.ctx, softmaxRowsKernel, [X.buffer, y.buffer], { rows, D }, grid1d(rows))], 'softmax');
  return deviceResult('softmax', y, [a], (dy) => {
    const dx = emptyStorage(a.shape);
    if (a.size > 0) runDispatches([new Dispatch(X.ctx, softmaxRowsBackwardKernel, [y.buffer, dy.buffer, dx.buffer], { rows, D }, grid1d(rows))], 'softmax backward');
    return [dx];
  });
}

function unary(name: keyof typeof UNARY, a: Tensor, power = 0): Tensor {
  const X = gpu(a);
  const y = emptyStorage(a.shape);
  const u = { n: a.size, op: UNARY[name], power };
  if (a.size > 0) runDispatches([new Dispatch(X.ctx, unaryKernel, [X.buffer, y.buffer], u, grid1d(a.size))], name);
  return deviceResult(name, y, [a], (dy) => {
    const dx = emptyStorage(a.shape);
    if (a.size > 0) runDispatches([new Dispatch(X.ctx, unaryBackwardKernel, [X.buffer, y.buffer, dy.buffer, dx.buffer], u, grid1d(a.size))], `${name} backward`);
    return [dx];
  });
}

const matmul2d = OPS.matmul as (a: Tensor, b: Tensor) => Tensor;

Object.assign(OPS, {
  matmul: (a: Tensor, b: Tensor) => (a.rank === 2 && b.rank === 2 ? matmul2d(a, b) : batchedMatmul(a, b)),
  permute,
  transpose,
  slice,
  concat,
  softmax,
  exp: (a: Tensor) => unary('exp', a),
  log: (a: Tensor) => unary('log', a),
  sqrt: (a: Tensor) => unary('sqrt', a),
  abs: (a: Tensor) => unary('abs', a),
  square: (a: Tensor) => unary('square', a),
  pow: (a: Tensor, p: number) => {
    if (!Number.isFinite(p)) throw unsupported('pow', `a finite exponent is needed, got ${p}`);
    return unary('pow', a, p);
  },
});
