import { broadcastIndex, broadcastShapes } from '../shape';
import { Tensor, fromOp, gradOf } from '../tensor';
import { wasmRelu, wasmReluBackward } from '../kernels/wasm/elementwise';
import { wasmFor } from '../kernels/wasm/runtime';

/** A tensor or a plain number (treated as a constant scalar). */
export type TensorLike = Tensor | number;

function asTensor(x: TensorLike): Tensor {
  return typeof x === 'number' ? new Tensor(Float32Array.of(x), []) : x;
}

const enum Bin {
  Add,
  Sub,
  Mul,
  Div,
}

function binary(op: string, kind: Bin, aIn: TensorLike, bIn: TensorLike): Tensor {
  const a = asTensor(aIn);
  const b = asTensor(bIn);
  const shape = broadcastShapes(op, a.shape, b.shape);
  const ia = broadcastIndex(a.shape, shape);
  const ib = broadcastIndex(b.shape, shape);
  const A = a.data;
  const B = b.data;
  const n = ia === null ? a.size : ib === null ? b.size : (ia as Int32Array).length;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const x = A[ia === null ? i : ia[i]];
    const y = B[ib === null ? i : ib[i]];
    out[i] = kind === Bin.Add ? x + y : kind === Bin.Sub ? x - y : kind === Bin.Mul ? x * y : x / y;
  }
  return fromOp(op, out, shape, [a, b], (res) => () => {
    const g = res.grad as Float32Array;
    if (a.requiresGrad) {
      const ga = gradOf(a);
      for (let i = 0; i < n; i++) {
        const j = ia === null ? i : ia[i];
        const d = kind === Bin.Add || kind === Bin.Sub ? 1 : kind === Bin.Mul ? B[ib === null ? i : ib[i]] : 1 / B[ib === null ? i : ib[i]];
        ga[j] += g[i] * d;
      }
    }
    if (b.requiresGrad) {
      const gb = gradOf(b);
      for (let i = 0; i < n; i++) {
        const j = ib === null ? i : ib[i];
        let d: number;
        if (kind === Bin.Add) d = 1;
        else if (kind === Bin.Sub) d = -1;
        else if (kind === Bin.Mul) d = A[ia === null ? i : ia[i]];
        else {
          const y = B[j];
          d = -A[ia === null ? i : ia[i]] / (y * y);
        }
        gb[j] += g[i] * d;
      }
    }
  });
}

/** a + b, with broadcasting. */
export function add(a: TensorLike, b: TensorLike): Tensor {
  return binary('add', Bin.Add, a, b);
}
/** a − b, with broadcasting. */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  return binary('sub', Bin.Sub, a, b);
}
/** a · b (element-wise), with broadcasting. */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  return binary('mul', Bin.Mul, a, b);
}
/** a / b (element-wise), with broadcasting. */
export function div(a: TensorLike, b: TensorLike): Tensor {
  return binary('div', Bin.Div, a, b);
}

/**
 * Element-wise op from a forward function and its derivative written in terms of the input x
 * and the output y (so relu, exp, sigmoid and tanh reuse y).
 */
function unary(op: string, a: Tensor, f: (x: number) => number, df: (x: number, y: number) => number): Tensor {
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
  const X = a.data;
  const n = a.size;
  const Y = new Float32Array(n);
  const k = wasmFor(n);
  if (k !== null) wasmRelu(k, X, Y);
  else {
    for (let i = 0; i < n; i++) {
      const x = X[i];
      Y[i] = x > 0 || x !== x ? x : 0; // NaN propagates, as in PyTorch
    }
  }
  return fromOp('relu', Y, a.shape, [a], (res) => () => {
    const g = res.grad as Float32Array;
    const ga = gradOf(a);
    const kb = wasmFor(n);
    if (kb !== null) wasmReluBackward(kb, Y, g, ga);
    else for (let i = 0; i < n; i++) if (Y[i] > 0) ga[i] += g[i];
  });
}
