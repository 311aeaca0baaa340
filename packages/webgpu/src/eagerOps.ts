import { type Axes, type Shape, ShapeError, type Tensor, broadcastShapes, formatShape, shapeSize, shareStorage } from '@trainkit/tensor';
import { OPS, copyOf, deviceResult, emptyStorage, gpu, releaseStorage, runDispatches, track, webgpuContext } from './backend';
import { WebGpuUnsupportedError } from './errors';
import { Dispatch, grid1d } from './kernel';
import { BINARY, binaryKernel, broadcastKernel } from './kernels/eager';
import { sumColsKernel, sumRowsKernel } from './kernels/elementwise';
import * as L from './layers';
import { GpuTensor } from './tensor';

// The element-wise ops, reductions, activations, matmul/linear and reshapes of 'webgpu' tensors,
// forward and backward, on the kernels of ./kernels. Each refuses what it does not support with
// an error naming the op and the shapes.

export const unsupported = (op: string, what: string) => new WebGpuUnsupportedError(`${op} on webgpu: ${what}; bring the tensors to the cpu with \`await t.to('cpu')\` for it`);

/** Z = op(x, y broadcast over x's leading axes) · scale, into a new storage of x's size (shaped `shape`). */
export function binary(x: GpuTensor, y: GpuTensor, op: number, scale = 1, shape: Shape = x.shape): GpuTensor {
  const z = emptyStorage(shape);
  runDispatches([new Dispatch(x.ctx, binaryKernel, [x.buffer, y.buffer, z.buffer], { n: x.size, m: y.size, op, scale }, grid1d(x.size))], 'binary');
  return z;
}

/** y[i] = x[i mod x.size] · scale over `shape`. */
export function spread(x: GpuTensor, shape: Shape, scale = 1): GpuTensor {
  const y = emptyStorage(shape);
  runDispatches([new Dispatch(x.ctx, broadcastKernel, [x.buffer, y.buffer], { n: y.size, m: x.size, scale }, grid1d(y.size))], 'broadcast');
  return y;
}

/** Σ over the leading axes of g [rows·m] → [m] (the gradient of an operand broadcast over them), shaped `shape`. */
function sumLeading(g: GpuTensor, shape: Shape, owned: boolean): GpuTensor {
  const m = shapeSize(shape);
  if (m === g.size) return g;
  const out = emptyStorage(shape);
  runDispatches([new Dispatch(g.ctx, sumColsKernel, [g.buffer, out.buffer], { rows: g.size / m, cols: m, accumulate: 0 }, grid1d(m))], 'sum over broadcast axes');
  if (owned) releaseStorage(g); // tracked: dispose() alone would give it back again when collected
  return out;
}

/** A number as a one-value storage. */
function constant(v: number): GpuTensor {
  return track(GpuTensor.from(webgpuContext(), Float32Array.of(v), []));
}

/** Whether `small` broadcasts over `big` as this device does: same size, one value, or `big`'s trailing axes. */
function trails(small: Shape, big: Shape): boolean {
  if (shapeSize(small) === 1) return true;
  const s = small.slice(small.findIndex((d) => d !== 1) === -1 ? small.length : small.findIndex((d) => d !== 1));
  return s.length <= big.length && s.every((d, i) => d === big[big.length - s.length + i]);
}

type Operand = Tensor | number;

function binaryOp(name: 'add' | 'sub' | 'mul' | 'div', a: Operand, b: Operand): Tensor {
  if (typeof a === 'number') {
    if (name === 'add' || name === 'mul') return binaryOp(name, b, a);
    return scalarLeft(name, a, b as Tensor);
  }
  const bt = typeof b === 'number' ? null : b;
  if (bt !== null && !trails(bt.shape, a.shape)) {
    throw unsupported(name, `${formatShape(a.shape)} and ${formatShape(bt.shape)} do not broadcast as this device does (same shapes, a scalar, or the second operand matching the first's trailing axes)`);
  }
  const x = gpu(a);
  const y = bt === null ? constant(b as number) : gpu(bt);
  const z = binary(x, y, BINARY[name], 1, bt === null ? a.shape : broadcastShapes(name, a.shape, bt.shape)); // b's leading 1s count, as on the cpu
  const parents = bt === null ? [a] : [a, bt];
  return deviceResult(name, z, parents, (dy) => {
    const ga = name === 'add' || name === 'sub' ? dy : name === 'mul' ? binary(dy, y, BINARY.mul) : binary(dy, y, BINARY.div);
    if (bt === null || !bt.requiresGrad) return [ga, null];
    let gb: GpuTensor;
    if (name === 'add') gb = sumLeading(dy, bt.shape, false);
    else if (name === 'sub') gb = sumLeading(spread(dy, dy.shape, -1), bt.shape, true);
    else if (name === 'mul') gb = sumLeading(binary(dy, x, BINARY.mul), bt.shape, true);
    else gb = sumLeading(binaryInto(binary(dy, z, BINARY.mul), y, BINARY.div, -1), bt.shape, true); // −dy·(a/b)/b
    return [ga, gb === dy ? copyOf(dy, bt.shape) : gb];
  });
}

/** op(g, y) · scale, giving g back to the pool. */
function binaryInto(g: GpuTensor, y: GpuTensor, op: number, scale: number): GpuTensor {
  const out = binary(g, y, op, scale);
  releaseStorage(g);
  return out;
}

/** c − x and c ÷ x for a number c. */
function scalarLeft(name: 'sub' | 'div', c: number, b: Tensor): Tensor {
  const x = gpu(b);
  const k = constant(c);
  const z = binary(x, k, name === 'sub' ? BINARY.rsub : BINARY.rdiv);
  return deviceResult(name, z, [b], (dy) => [name === 'sub' ? spread(dy, dy.shape, -1) : binaryInto(binary(dy, z, BINARY.mul), x, BINARY.div, -1)]);
}

function reduce(name: 'sum' | 'mean', a: Tensor, axes: Axes | undefined, keepDims: boolean): Tensor {
  if (axes !== undefined) throw unsupported(name, `only the reduction over all axes is implemented (got axes ${JSON.stringify(axes)})`);
  const x = gpu(a);
  const out = emptyStorage(keepDims ? a.shape.map(() => 1) : []);
  const scale = name === 'mean' ? 1 / a.size : 1;
  runDispatches([new Dispatch(x.ctx, sumRowsKernel, [x.buffer, out.buffer], { rows: 1, cols: a.size, accumulate: 0, scale }, [1, 1, 1])], name);
  return deviceResult(name, out, [a], (dy) => [spread(dy, a.shape, scale)]);
}

function activation(name: L.Activation, a: Tensor, slope = 0.01, bounds: readonly [number, number] = [0, 0]): Tensor {
  const x = gpu(a);
  const y = emptyStorage(a.shape);
  runDispatches(L.activationForward(x.ctx, name, slope, { x: x.buffer, y: y.buffer }, a.size, bounds), name);
  return deviceResult(name, y, [a], (dy) => {
    const dx = emptyStorage(a.shape);
    runDispatches(L.activationBackward(x.ctx, name, slope, { x: x.buffer, y: y.buffer, dy: dy.buffer, dx: dx.buffer }, a.size, bounds), `${name} backward`);
    return [dx];
  });
}

/** ReLU on a device tensor (also the activation fused into conv2d). */
export function relu(a: Tensor): Tensor {
  const x = gpu(a);
  const y = emptyStorage(a.shape);
  runDispatches(L.reluForward(x.ctx, { x: x.buffer, y: y.buffer }, a.size), 'relu');
  return deviceResult('relu', y, [a], (dy) => {
    const dx = emptyStorage(a.shape);
    runDispatches(L.reluBackward(x.ctx, { y: y.buffer, dy: dy.buffer, dx: dx.buffer }, a.size), 'relu backward');
    return [dx];
  });
}

function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.rank !== 2 || b.rank !== 2) throw unsupported('matmul', `only 2-D operands are implemented (got ${formatShape(a.shape)} and ${formatShape(b.shape)})`);
  const [M, K] = a.shape;
  const [K2, N] = b.shape;
  if (K !== K2) throw new ShapeError(`matmul: inner dimensions differ: ${formatShape(a.shape)} · ${formatShape(b.shape)} (${K} vs ${K2})`);
  const [x, w] = [gpu(a), gpu(b)];
  const c = emptyStorage([M, N]);
  runDispatches([L.gemm(x.ctx, { A: x.buffer, B: w.buffer, C: c.buffer }, { M, N, K })], 'matmul');
  return deviceResult('matmul', c, [a, b], (dy) => {
    const da = a.requiresGrad ? emptyStorage(a.shape) : null;
    const db = b.requiresGrad ? emptyStorage(b.shape) : null;
    const ds = [];
    if (da) ds.push(L.gemm(x.ctx, { A: dy.buffer, B: w.buffer, C: da.buffer }, { M, N: K, K: N, transB: true }));
    if (db) ds.push(L.gemm(x.ctx, { A: x.buffer, B: dy.buffer, C: db.buffer }, { M: K, N, K: M, transA: true }));
    runDispatches(ds, 'matmul backward');
    return [da, db];
  });
}

function linear(xt: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const [OUT, IN] = weight.shape;
  if (xt.rank !== 2) throw new ShapeError(`linear: input must be 2-D [batch, features], got ${formatShape(xt.shape)}`);
  if (weight.rank !== 2 || xt.shape[1] !== IN) throw new ShapeError(`linear: input ${formatShape(xt.shape)} and weight ${formatShape(weight.shape)} do not match`);
  if (bias && (bias.rank !== 1 || bias.shape[0] !== OUT)) throw new ShapeError(`linear: bias must be [${OUT}], got ${formatShape(bias.shape)}`);
  const N = xt.shape[0];
  const [x, w, b] = [gpu(xt), gpu(weight), bias ? gpu(bias) : null];
  const y = emptyStorage([N, OUT]);
  runDispatches(L.linearForward(x.ctx, { x: x.buffer, w: w.buffer, bias: b?.buffer ?? null, y: y.buffer }, N, IN, OUT), 'linear');
  const parents = bias ? [xt, weight, bias] : [xt, weight];
  return deviceResult('linear', y, parents, (dy) => {
    const [dx, dw, db] = [xt.requiresGrad ? emptyStorage(xt.shape) : null, weight.requiresGrad ? emptyStorage(weight.shape) : null, bias?.requiresGrad ? emptyStorage([OUT]) : null];
    runDispatches(L.linearBackward(x.ctx, { x: x.buffer, w: w.buffer, dy: dy.buffer, dx: dx?.buffer ?? null, dw: dw?.buffer ?? null, db: db?.buffer ?? null }, N, IN, OUT), 'linear backward');
    return [dx, dw, db];
  });
}

function reshape(a: Tensor, shape: readonly number[]): Tensor {
  const s = [...shape];
  const holes = s.filter((d) => d === -1).length;
  const hole = s.indexOf(-1);
  if (holes === 1) s[hole] = a.size / Math.max(1, shapeSize(s.filter((_, i) => i !== hole)));
  if (holes > 1 || s.some((d) => !Number.isInteger(d) || d < 0) || shapeSize(s) !== a.size) {
    throw new ShapeError(`reshape: cannot reshape ${formatShape(a.shape)} (${a.size} elements) into ${formatShape(shape)}`);
  }
  return viewAs('reshape', a, s);
}

/** The same buffer under a new shape (a view, as on the cpu); its gradient is the output's, reshaped. */
function viewAs(op: string, a: Tensor, shape: Shape): Tensor {
  const src = gpu(a);
  const shared = new GpuTensor(src.ctx, src.buffer, shape); // the same buffer; the pool gets it back with `src`
  keepAlive.set(shared, src);
  shareStorage(src); // moving `a` away must not release the buffer under the view
  return deviceResult(op, shared, [a], (dy) => [dy]);
}

/** A view keeps the storage it shares alive (the buffer goes back to the pool only when both are gone). */
const keepAlive = new WeakMap<GpuTensor, GpuTensor>();

function flatten(a: Tensor, startAxis = 1): Tensor {
  const s = startAxis < 0 ? startAxis + a.rank : startAxis;
  if (!Number.isInteger(s) || s < 0 || s >= Math.max(1, a.rank)) throw new ShapeError(`flatten: axis ${startAxis} is out of range for shape ${formatShape(a.shape)}`);
  return viewAs('flatten', a, [...a.shape.slice(0, s), shapeSize(a.shape.slice(s))]);
}

Object.assign(OPS, {
  add: (a: Operand, b: Operand) => binaryOp('add', a, b),
  sub: (a: Operand, b: Operand) => binaryOp('sub', a, b),
  mul: (a: Operand, b: Operand) => binaryOp('mul', a, b),
  div: (a: Operand, b: Operand) => binaryOp('div', a, b),
  neg: (a: Tensor) => binaryOp('mul', a, -1),
  sum: (a: Tensor, axes?: Axes, keepDims = false) => reduce('sum', a, axes, keepDims),
  mean: (a: Tensor, axes?: Axes, keepDims = false) => reduce('mean', a, axes, keepDims),
  relu,
  sigmoid: (a: Tensor) => activation('sigmoid', a),
  tanh: (a: Tensor) => activation('tanh', a),
  leakyRelu: (a: Tensor, slope = 0.01) => activation('leakyRelu', a, slope),
  hardtanh: (a: Tensor, lo = -1, hi = 1) => activation('hardtanh', a, 0, [lo, hi]),
  relu6: (a: Tensor) => activation('hardtanh', a, 0, [0, 6]),
  gelu: (a: Tensor, approximate: 'none' | 'tanh' = 'none') => {
    if (approximate !== 'none') throw unsupported('gelu', "only the exact GELU (approximate: 'none') is implemented");
    return activation('gelu', a);
  },
  matmul,
  linear,
  reshape,
  flatten,
});
