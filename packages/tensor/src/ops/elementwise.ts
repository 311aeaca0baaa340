import { reluBackwardKernel, reluKernel } from '../kernels/elementwise';
import { type Shape, broadcastIndex, broadcastShapes } from '../shape';
import { Tensor, fromOp, gradOf } from '../tensor';

/** A tensor or a plain number (treated as a constant scalar). */
export type TensorLike = Tensor | number;

function asTensor(x: TensorLike): Tensor {
  return typeof x === 'number' ? new Tensor(Float32Array.of(x), []) : x;
}

/**
 * Two operands broadcast against each other (NumPy rules): output element i is computed from
 * `A[at(ia, i)]` and `B[at(ib, i)]`, and its gradient flows back to those same elements.
 */
interface Operands {
  a: Tensor;
  b: Tensor;
  A: Float32Array;
  B: Float32Array;
  /** Null: the identity (the operand already has the output's shape). */
  ia: Int32Array | null;
  ib: Int32Array | null;
  shape: Shape;
  n: number;
}

function operands(op: string, aIn: TensorLike, bIn: TensorLike): Operands {
  const a = asTensor(aIn);
  const b = asTensor(bIn);
  const shape = broadcastShapes(op, a.shape, b.shape);
  const ia = broadcastIndex(a.shape, shape);
  const ib = broadcastIndex(b.shape, shape);
  const n = ia === null ? a.size : ib === null ? b.size : ia.length;
  return { a, b, A: a.data, B: b.data, ia, ib, shape, n };
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
// mul(x, x) accumulates in the same order as always).

/** a + b, with broadcasting. */
export function add(a: TensorLike, b: TensorLike): Tensor {
  const p = operands('add', a, b);
  const { A, B, ia, ib, n } = p;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = A[at(ia, i)] + B[at(ib, i)];
  return binaryResult('add', p, out, (g, ga, gb) => {
    if (ga) for (let i = 0; i < n; i++) ga[at(ia, i)] += g[i]; // ∂(a + b)/∂a = 1
    if (gb) for (let i = 0; i < n; i++) gb[at(ib, i)] += g[i]; // ∂(a + b)/∂b = 1
  });
}

/** a − b, with broadcasting. */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  const p = operands('sub', a, b);
  const { A, B, ia, ib, n } = p;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = A[at(ia, i)] - B[at(ib, i)];
  return binaryResult('sub', p, out, (g, ga, gb) => {
    if (ga) for (let i = 0; i < n; i++) ga[at(ia, i)] += g[i]; // ∂(a − b)/∂a = 1
    if (gb) for (let i = 0; i < n; i++) gb[at(ib, i)] -= g[i]; // ∂(a − b)/∂b = −1
  });
}

/** a · b (element-wise), with broadcasting. */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  const p = operands('mul', a, b);
  const { A, B, ia, ib, n } = p;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = A[at(ia, i)] * B[at(ib, i)];
  return binaryResult('mul', p, out, (g, ga, gb) => {
    if (ga) for (let i = 0; i < n; i++) ga[at(ia, i)] += g[i] * B[at(ib, i)]; // ∂(a·b)/∂a = b
    if (gb) for (let i = 0; i < n; i++) gb[at(ib, i)] += g[i] * A[at(ia, i)]; // ∂(a·b)/∂b = a
  });
}

/** a / b (element-wise), with broadcasting. */
export function div(a: TensorLike, b: TensorLike): Tensor {
  const p = operands('div', a, b);
  const { A, B, ia, ib, n } = p;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = A[at(ia, i)] / B[at(ib, i)];
  return binaryResult('div', p, out, (g, ga, gb) => {
    if (ga) for (let i = 0; i < n; i++) ga[at(ia, i)] += g[i] * (1 / B[at(ib, i)]); // ∂(a/b)/∂a = 1/b
    if (gb) {
      for (let i = 0; i < n; i++) {
        const j = at(ib, i);
        const y = B[j];
        gb[j] += g[i] * (-A[at(ia, i)] / (y * y)); // ∂(a/b)/∂b = −a/b²
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
  const Y = new Float32Array(n);
  for (let i = 0; i < n; i++) Y[i] = f(X[i]);
  return fromOp(op, Y, a.shape, [a], (res) => () => {
    const g = res.grad as Float32Array;
    const ga = gradOf(a);
    for (let i = 0; i < n; i++) ga[i] += g[i] * df(X[i], Y[i]);
  });
}

/** −x element-wise. */
export function neg(a: Tensor): Tensor {
  return unary('neg', a, (x) => -x, () => -1);
}
/** e^x element-wise. */
export function exp(a: Tensor): Tensor {
  return unary('exp', a, Math.exp, (_x, y) => y);
}
/** Natural logarithm; log(0) = −Inf and log of a negative number is NaN, as in IEEE arithmetic. */
export function log(a: Tensor): Tensor {
  return unary('log', a, Math.log, (x) => 1 / x);
}
/** √x element-wise (NaN for negative x). */
export function sqrt(a: Tensor): Tensor {
  return unary('sqrt', a, Math.sqrt, (_x, y) => 0.5 / y);
}
/** |x| element-wise; the gradient at 0 is 0. */
export function abs(a: Tensor): Tensor {
  return unary('abs', a, Math.abs, (x) => (x > 0 ? 1 : x < 0 ? -1 : 0));
}
/** x^p for a constant exponent p. The gradient of x^0 is 0 everywhere (also at x = 0). */
export function pow(a: Tensor, p: number): Tensor {
  return unary('pow', a, (x) => x ** p, (x) => (p === 0 ? 0 : p * x ** (p - 1)));
}
/** x² element-wise. */
export function square(a: Tensor): Tensor {
  return unary('square', a, (x) => x * x, (x) => 2 * x);
}
/** The logistic function 1/(1 + e^−x), computed without overflow for large |x|. */
export function sigmoid(a: Tensor): Tensor {
  return unary('sigmoid', a, (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))), (_x, y) => y * (1 - y));
}
/** The hyperbolic tangent element-wise. */
export function tanh(a: Tensor): Tensor {
  return unary('tanh', a, Math.tanh, (_x, y) => 1 - y * y);
}

/** max(x, 0). The gradient at exactly 0 is 0, as in PyTorch. */
export function relu(a: Tensor): Tensor {
  const Y = new Float32Array(a.size);
  reluKernel(a.data, Y);
  return fromOp('relu', Y, a.shape, [a], (res) => () => reluBackwardKernel(Y, res.grad as Float32Array, gradOf(a)));
}
