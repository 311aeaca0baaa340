import { allocFloats, scalarResult } from '../arena';
import { addKernel, divScalarBackwardKernel, divScalarKernel, reluBackwardKernel, reluKernel } from '../kernels/elementwise';
import { type Shape, broadcastIndex, broadcastShapes, shapeSize } from '../shape';
import { addGrad, gradForWrite, passGrad } from '../autograd';
import { Tensor, fromOp, gradOf } from '../tensor';
import { type BroadcastPlan, broadcastPlan } from './broadcastPlan';
import { isOnDevice, onDeviceOp } from '../device';

/** A tensor or a plain number (treated as a constant scalar). */
export type TensorLike = Tensor | number;

function asTensor(x: TensorLike): Tensor {
  return typeof x === 'number' ? new Tensor(scalarResult(x), []) : x;
}

/**
 * Two operands broadcast against each other (NumPy rules). Most broadcasts fit a loop nest
 * ({@link BroadcastPlan}: same shapes, a scalar, a bias row, a column); the others read output
 * element i from `A[ia[i]]` and `B[ib[i]]`, and send its gradient back to those same elements.
 */
interface Operands {
  a: Tensor;
  b: Tensor;
  A: Float32Array;
  B: Float32Array;
  plan: BroadcastPlan | null;
  /** With no plan: the index tables (null: the identity). */
  ia: Int32Array | null;
  ib: Int32Array | null;
  shape: Shape;
  n: number;
}

function operands(op: string, aIn: TensorLike, bIn: TensorLike): Operands {
  const a = asTensor(aIn);
  const b = asTensor(bIn);
  const shape = broadcastShapes(op, a.shape, b.shape);
  const plan = broadcastPlan(a.shape, b.shape, shape);
  const ia = plan === null ? broadcastIndex(a.shape, shape) : null;
  const ib = plan === null ? broadcastIndex(b.shape, shape) : null;
  return { a, b, A: a.data, B: b.data, plan, ia, ib, shape, n: shapeSize(shape) };
}

/** The operand's element under output element i. */
function at(map: Int32Array | null, i: number): number {
  return map === null ? i : map[i];
}

/**
 * Wraps a binary op's output; its backward gets the output's gradient and the gradients of the
 * operands to accumulate into (null for an operand that needs none).
 */
function binaryResult(
  op: string,
  { a, b, shape }: Operands,
  out: Float32Array,
  backward: (g: Float32Array, ga: Float32Array | null, gb: Float32Array | null) => void,
): Tensor {
  return fromOp(op, out, shape, [a, b], (res) => () => {
    const g = res.grad as Float32Array;
    backward(g, a.requiresGrad ? gradOf(a) : null, b.requiresGrad ? gradOf(b) : null);
  });
}

// Each binary op: its forward loop, then its backward, one loop per operand (a's first, so
// mul(x, x) accumulates in the same order as always); each loop once over the plan's nest
// (ja, jb: the operands' elements under output element i) and once over index tables.

/** a + b, with broadcasting. */
export function add(a: TensorLike, b: TensorLike): Tensor {
  if (isOnDevice(a) || isOnDevice(b)) return onDeviceOp('add', [a, b]);
  const p = operands('add', a, b);
  const { A, B, ia, ib, n, plan: q } = p;
  const out = allocFloats(n);
  if (p.a.size === n && p.b.size === n) {
    addKernel(A, B, out); // the same elements in the same order (a residual sum): one pass, on the SIMD kernel where loaded
  } else if (q) {
    for (let o = 0, i = 0; o < q.outer; o++) for (let k = 0, ja = o * q.aOuter, jb = o * q.bOuter; k < q.inner; k++, i++, ja += q.aInner, jb += q.bInner) out[i] = A[ja] + B[jb];
  } else for (let i = 0; i < n; i++) out[i] = A[at(ia, i)] + B[at(ib, i)];
  if (p.a.size === n && p.b.size === n) {
    // no broadcast: the gradient passes through to both operands (a's first, taking the buffer when it can)
    const [ta, tb] = [p.a, p.b];
    return fromOp('add', out, p.shape, [ta, tb], (res) => () => {
      const g = res.grad as Float32Array;
      if (ta.requiresGrad) passGrad(res, ta);
      if (tb.requiresGrad) addGrad(g, tb);
    });
  }
  return binaryResult('add', p, out, (g, ga, gb) => {
    // ∂(a + b)/∂a = ∂(a + b)/∂b = 1
    if (ga && q) spreadPlanned(g, ga, q.outer, q.inner, q.aOuter, q.aInner, 1);
    else if (ga) spreadIndexed(g, ga, ia, n, 1);
    if (gb && q) spreadPlanned(g, gb, q.outer, q.inner, q.bOuter, q.bInner, 1);
    else if (gb) spreadIndexed(g, gb, ib, n, 1);
  });
}

// The binary ops' backward loops, at module level: a loop inside a closure made anew for each
// op call can run unoptimized for a whole step (see fromOp).

/** gx[j] += sign·g[i] over a plan's loop nest (j: x's element under output element i). */
function spreadPlanned(g: Float32Array, gx: Float32Array, outer: number, inner: number, xOuter: number, xInner: number, sign: 1 | -1): void {
  for (let o = 0, i = 0; o < outer; o++) {
    if (sign === 1) for (let k = 0, j = o * xOuter; k < inner; k++, i++, j += xInner) gx[j] += g[i];
    else for (let k = 0, j = o * xOuter; k < inner; k++, i++, j += xInner) gx[j] -= g[i];
  }
}

/** gx[jx] += g[i]·other[jo] over a plan's loop nest (mul's backward: x's gradient scaled by the other operand). */
function scalePlanned(g: Float32Array, other: Float32Array, gx: Float32Array, outer: number, inner: number, xOuter: number, xInner: number, oOuter: number, oInner: number): void {
  for (let o = 0, i = 0; o < outer; o++) for (let k = 0, jx = o * xOuter, jo = o * oOuter; k < inner; k++, i++, jx += xInner, jo += oInner) gx[jx] += g[i] * other[jo];
}

/** gx[mx[i]] += g[i]·other[mo[i]] over index tables (null: the identity). */
function scaleIndexed(g: Float32Array, other: Float32Array, gx: Float32Array, mx: Int32Array | null, mo: Int32Array | null, n: number): void {
  for (let i = 0; i < n; i++) gx[at(mx, i)] += g[i] * other[at(mo, i)];
}

/** ga += g·(1/b) over a plan's loop nest (div's backward for the dividend). */
function divByPlanned(g: Float32Array, B: Float32Array, ga: Float32Array, q: BroadcastPlan): void {
  const { outer, inner, aOuter, aInner, bOuter, bInner } = q;
  for (let o = 0, i = 0; o < outer; o++) for (let k = 0, jb = o * bOuter, ja = o * aOuter; k < inner; k++, i++, ja += aInner, jb += bInner) ga[ja] += g[i] * (1 / B[jb]);
}

/** gb += g·(−a/b²) over a plan's loop nest (div's backward for the divisor). */
function divisorPlanned(g: Float32Array, A: Float32Array, B: Float32Array, gb: Float32Array, q: BroadcastPlan): void {
  const { outer, inner, aOuter, aInner, bOuter, bInner } = q;
  for (let o = 0, i = 0; o < outer; o++) for (let k = 0, ja = o * aOuter, jb = o * bOuter; k < inner; k++, i++, ja += aInner, jb += bInner) gb[jb] += g[i] * (-A[ja] / (B[jb] * B[jb]));
}

/** gx[map[i]] += sign·g[i] over an index table (null: the identity). */
function spreadIndexed(g: Float32Array, gx: Float32Array, map: Int32Array | null, n: number, sign: 1 | -1): void {
  if (sign === 1) for (let i = 0; i < n; i++) gx[at(map, i)] += g[i];
  else for (let i = 0; i < n; i++) gx[at(map, i)] -= g[i];
}

/** a − b, with broadcasting. */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  if (isOnDevice(a) || isOnDevice(b)) return onDeviceOp('sub', [a, b]);
  const p = operands('sub', a, b);
  const { A, B, ia, ib, n, plan: q } = p;
  const out = allocFloats(n);
  if (p.a.size === n && p.b.size === n) {
    for (let i = 0; i < n; i++) out[i] = A[i] - B[i]; // the same elements in the same order (a residual sum): one plain loop
  } else if (q) {
    for (let o = 0, i = 0; o < q.outer; o++) for (let k = 0, ja = o * q.aOuter, jb = o * q.bOuter; k < q.inner; k++, i++, ja += q.aInner, jb += q.bInner) out[i] = A[ja] - B[jb];
  } else for (let i = 0; i < n; i++) out[i] = A[at(ia, i)] - B[at(ib, i)];
  return binaryResult('sub', p, out, (g, ga, gb) => {
    // ∂(a − b)/∂a = 1, ∂(a − b)/∂b = −1
    if (ga && q) spreadPlanned(g, ga, q.outer, q.inner, q.aOuter, q.aInner, 1);
    else if (ga) spreadIndexed(g, ga, ia, n, 1);
    if (gb && q) spreadPlanned(g, gb, q.outer, q.inner, q.bOuter, q.bInner, -1);
    else if (gb) spreadIndexed(g, gb, ib, n, -1);
  });
}

/** a · b (element-wise), with broadcasting. */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  if (isOnDevice(a) || isOnDevice(b)) return onDeviceOp('mul', [a, b]);
  const p = operands('mul', a, b);
  const { A, B, ia, ib, n, plan: q } = p;
  const out = allocFloats(n);
  if (p.a.size === n && p.b.size === n) {
    for (let i = 0; i < n; i++) out[i] = A[i] * B[i]; // the same elements in the same order (a residual sum): one plain loop
  } else if (q) {
    for (let o = 0, i = 0; o < q.outer; o++) for (let k = 0, ja = o * q.aOuter, jb = o * q.bOuter; k < q.inner; k++, i++, ja += q.aInner, jb += q.bInner) out[i] = A[ja] * B[jb];
  } else for (let i = 0; i < n; i++) out[i] = A[at(ia, i)] * B[at(ib, i)];
  return binaryResult('mul', p, out, (g, ga, gb) => {
    // ∂(a·b)/∂a = b, ∂(a·b)/∂b = a
    if (ga && q) scalePlanned(g, B, ga, q.outer, q.inner, q.aOuter, q.aInner, q.bOuter, q.bInner);
    else if (ga) scaleIndexed(g, B, ga, ia, ib, n);
    if (gb && q) scalePlanned(g, A, gb, q.outer, q.inner, q.bOuter, q.bInner, q.aOuter, q.aInner);
    else if (gb) scaleIndexed(g, A, gb, ib, ia, n);
  });
}

/** a / b (element-wise), with broadcasting. */
export function div(a: TensorLike, b: TensorLike): Tensor {
  if (isOnDevice(a) || isOnDevice(b)) return onDeviceOp('div', [a, b]);
  const p = operands('div', a, b);
  const { A, B, ia, ib, n, plan: q } = p;
  const out = allocFloats(n);
  if (p.a.size === n && p.b.size === 1 && !p.b.requiresGrad) {
    // by one constant value (attention's 1/√d): the SIMD kernel where loaded, the loops' bits; the
    // divisor's value is taken now (a constant: the backward needs no gradient for it)
    const b = B[0];
    divScalarKernel(A, b, out);
    return binaryResult('div', p, out, (g, ga) => {
      if (ga) divScalarBackwardKernel(g, b, ga);
    });
  }
  if (p.a.size === n && p.b.size === n) {
    for (let i = 0; i < n; i++) out[i] = A[i] / B[i]; // the same elements in the same order (a residual sum): one plain loop
  } else if (q) {
    for (let o = 0, i = 0; o < q.outer; o++) for (let k = 0, ja = o * q.aOuter, jb = o * q.bOuter; k < q.inner; k++, i++, ja += q.aInner, jb += q.bInner) out[i] = A[ja] / B[jb];
  } else for (let i = 0; i < n; i++) out[i] = A[at(ia, i)] / B[at(ib, i)];
  return binaryResult('div', p, out, (g, ga, gb) => {
    // ∂(a/b)/∂a = 1/b, ∂(a/b)/∂b = −a/b²
    if (ga && q) divByPlanned(g, B, ga, q);
    else if (ga) for (let i = 0; i < n; i++) ga[at(ia, i)] += g[i] * (1 / B[at(ib, i)]);
    if (gb && q) divisorPlanned(g, A, B, gb, q);
    else if (gb) {
      for (let i = 0; i < n; i++) {
        const j = at(ib, i);
        const y = B[j];
        gb[j] += g[i] * (-A[at(ia, i)] / (y * y));
      }
    }
  });
}

/**
 * Element-wise op from a forward function and its derivative written in terms of the input x
 * and the output y (so relu, exp, sigmoid and tanh reuse y). Also the base of ops/activation.ts.
 */
export function unary(op: string, a: Tensor, f: (x: number) => number, df: (x: number, y: number) => number): Tensor {
  const X = a.data;
  const n = a.size;
  const Y = allocFloats(n);
  for (let i = 0; i < n; i++) Y[i] = f(X[i]);
  return fromOp(op, Y, a.shape, [a], (res) => () => {
    const g = res.grad as Float32Array;
    const ga = gradOf(a);
    for (let i = 0; i < n; i++) ga[i] += g[i] * df(X[i], Y[i]);
  });
}

/** −x element-wise. */
export function neg(a: Tensor): Tensor {
  if (isOnDevice(a)) return onDeviceOp('neg', [a]);
  return unary('neg', a, (x) => -x, () => -1);
}
/** e^x element-wise. */
export function exp(a: Tensor): Tensor {
  if (isOnDevice(a)) return onDeviceOp('exp', [a]);
  return unary('exp', a, Math.exp, (_x, y) => y);
}
/** Natural logarithm; log(0) = −Inf and log of a negative number is NaN, as in IEEE arithmetic. */
export function log(a: Tensor): Tensor {
  if (isOnDevice(a)) return onDeviceOp('log', [a]);
  return unary('log', a, Math.log, (x) => 1 / x);
}
/** √x element-wise (NaN for negative x). */
export function sqrt(a: Tensor): Tensor {
  if (isOnDevice(a)) return onDeviceOp('sqrt', [a]);
  return unary('sqrt', a, Math.sqrt, (_x, y) => 0.5 / y);
}
/** |x| element-wise; the gradient at 0 is 0. */
export function abs(a: Tensor): Tensor {
  if (isOnDevice(a)) return onDeviceOp('abs', [a]);
  return unary('abs', a, Math.abs, (x) => (x > 0 ? 1 : x < 0 ? -1 : 0));
}
/** x^p for a constant exponent p. The gradient of x^0 is 0 everywhere (also at x = 0). */
export function pow(a: Tensor, p: number): Tensor {
  if (isOnDevice(a)) return onDeviceOp('pow', [a, p]);
  return unary('pow', a, (x) => x ** p, (x) => (p === 0 ? 0 : p * x ** (p - 1)));
}
/** x² element-wise. */
export function square(a: Tensor): Tensor {
  if (isOnDevice(a)) return onDeviceOp('square', [a]);
  return unary('square', a, (x) => x * x, (x) => 2 * x);
}
/** The logistic function 1/(1 + e^−x), computed without overflow for large |x|. */
export function sigmoid(a: Tensor): Tensor {
  if (isOnDevice(a)) return onDeviceOp('sigmoid', [a]);
  return unary('sigmoid', a, (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))), (_x, y) => y * (1 - y));
}
/** The hyperbolic tangent element-wise. */
export function tanh(a: Tensor): Tensor {
  if (isOnDevice(a)) return onDeviceOp('tanh', [a]);
  return unary('tanh', a, Math.tanh, (_x, y) => 1 - y * y);
}

/** max(x, 0). The gradient at exactly 0 is 0, as in PyTorch. */
export function relu(a: Tensor): Tensor {
  if (isOnDevice(a)) return onDeviceOp('relu', [a]);
  const Y = allocFloats(a.size);
  reluKernel(a.data, Y);
  return fromOp('relu', Y, a.shape, [a], (res) => () => {
    const ga = gradForWrite(a);
    reluBackwardKernel(Y, res.grad as Float32Array, ga.grad, ga.fresh);
  });
}
