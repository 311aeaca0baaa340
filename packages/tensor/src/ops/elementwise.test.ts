import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { awayFromZero, broadcastablePair, constant, finite, leaf, size, specFrom, specOf, shapeOf, stridesFor, unravel } from '../__tests__/arbitraries';
import { assertGradients } from '../gradcheck';
import { Tensor } from '../tensor';
import { abs, add, div, exp, log, mul, neg, pow, relu, sigmoid, sqrt, square, sub, tanh } from './elementwise';

/** Two operands of broadcastable shapes; the divisor of `div` stays clear of 0. */
function broadcastOperands(bElem = finite()) {
  return broadcastablePair().chain(([sa, sb]) => fc.tuple(specOf(sa), specOf(sb, bElem)));
}

/** Expected a ∘ b by explicit loops over the broadcast multi-index (NumPy rules, written out). */
function broadcastLoop(a: Tensor, b: Tensor, f: (x: number, y: number) => number): { shape: number[]; values: number[] } {
  const rank = Math.max(a.rank, b.rank);
  const pad = (s: readonly number[]) => [...new Array<number>(rank - s.length).fill(1), ...s];
  const pa = pad(a.shape);
  const pb = pad(b.shape);
  const shape = pa.map((d, i) => Math.max(d, pb[i]));
  const sa = stridesFor(pa);
  const sb = stridesFor(pb);
  const values: number[] = [];
  for (let i = 0; i < size(shape); i++) {
    const idx = unravel(i, shape);
    let ia = 0;
    let ib = 0;
    for (let d = 0; d < rank; d++) {
      ia += (pa[d] === 1 ? 0 : idx[d]) * sa[d];
      ib += (pb[d] === 1 ? 0 : idx[d]) * sb[d];
    }
    values.push(Math.fround(f(a.data[ia], b.data[ib])));
  }
  return { shape, values };
}

const binaries = [
  { name: 'add', op: add, f: (x: number, y: number) => x + y, divisor: finite() },
  { name: 'sub', op: sub, f: (x: number, y: number) => x - y, divisor: finite() },
  { name: 'mul', op: mul, f: (x: number, y: number) => x * y, divisor: finite() },
  { name: 'div', op: div, f: (x: number, y: number) => x / y, divisor: awayFromZero(0.5, 3) },
];

describe.each(binaries)('$name', ({ name, op, f, divisor }) => {
  test.prop([broadcastOperands(divisor)])(`${name}: gradients of both operands match finite differences for any broadcastable shapes`, ([a, b]) => {
    assertGradients((x, y) => op(x, y), [leaf(a), leaf(b)]);
  });

  test.prop([broadcastOperands(divisor)])(`${name}: the result equals an explicit loop over the broadcast index`, ([a, b]) => {
    const x = constant(a);
    const y = constant(b);
    const expected = broadcastLoop(x, y, f);
    const out = op(x, y);
    expect(out.shape).toEqual(expected.shape);
    expect(out.toArray()).toEqual(expected.values);
  });

  test(`${name}: shapes that do not broadcast throw a ShapeError naming the op and both shapes`, () => {
    expect(() => op(new Tensor(new Float32Array(6), [2, 3]), new Tensor(new Float32Array(12), [4, 3]))).toThrow(
      `${name}: shapes [2, 3] and [4, 3] cannot be broadcast together (dimension 0: 2 vs 4)`,
    );
  });
});

test.prop([specFrom(shapeOf(0, 3)), finite(-2, 2)])('a plain number operand is a constant scalar: add(x, c) has gradient 1', (spec, c) => {
  const x = leaf(spec);
  const y = add(x, c);
  y.backward(new Float32Array(y.size).fill(1));
  expect(Array.from(x.grad ?? [])).toEqual(new Array(x.size).fill(1));
});

const anyShape = shapeOf(0, 3);
const unaries = [
  { name: 'neg', op: neg, elem: finite() },
  { name: 'exp', op: exp, elem: finite() },
  { name: 'log (positive inputs)', op: log, elem: finite(0.2, 5) },
  { name: 'sqrt (positive inputs)', op: sqrt, elem: finite(0.2, 5) },
  { name: 'abs (away from 0)', op: abs, elem: awayFromZero() },
  { name: 'square', op: square, elem: finite() },
  { name: 'sigmoid', op: sigmoid, elem: finite(-6, 6) },
  { name: 'tanh', op: tanh, elem: finite(-4, 4) },
  { name: 'relu (away from 0)', op: relu, elem: awayFromZero() },
];

describe.each(unaries)('$name', ({ name, op, elem }) => {
  test.prop([specFrom(anyShape, elem)])(`${name}: gradients match finite differences`, (spec) => {
    assertGradients((x) => op(x), [leaf(spec)]);
  });
});

describe('pow', () => {
  test.prop([specFrom(anyShape, finite(0.2, 3)), finite(-2.5, 3)])('pow: gradients match finite differences for any real exponent of a positive base', (spec, p) => {
    assertGradients((x) => pow(x, p), [leaf(spec)]);
  });

  test.prop([specFrom(anyShape), fc.integer({ min: 0, max: 4 })])('pow: gradients match finite differences for integer exponents of any base', (spec, p) => {
    assertGradients((x) => pow(x, p), [leaf(spec)]);
  });

  test('pow: the gradient of x^0 is 0, also at x = 0 (not 0·0⁻¹ = NaN)', () => {
    const x = new Tensor(Float32Array.of(0, 2), [2], { requiresGrad: true });
    pow(x, 0).backward(Float32Array.of(1, 1));
    expect(Array.from(x.grad ?? [])).toEqual([0, 0]);
  });
});

test('relu and abs have gradient 0 at exactly 0, as in PyTorch', () => {
  const x = new Tensor(Float32Array.of(0), [1], { requiresGrad: true });
  add(relu(x), abs(x)).backward(Float32Array.of(1));
  expect(x.grad?.[0]).toBe(0);
});

test('relu propagates NaN instead of turning it into 0', () => {
  expect(relu(new Tensor(Float32Array.of(NaN, -1, 2), [3])).toArray()).toEqual([NaN, 0, 2]);
});

test.prop([specFrom(anyShape, finite(-100, 100))])('sigmoid is finite and in [0, 1] for any finite input', (spec) => {
  for (const v of sigmoid(constant(spec)).data) {
    expect(v).toBeGreaterThanOrEqual(0);
    expect(v).toBeLessThanOrEqual(1);
  }
});
