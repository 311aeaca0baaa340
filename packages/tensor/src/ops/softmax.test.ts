import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { withKernelBackend } from '../kernels/wasm/runtime';
import { Rng } from '../rng';
import { type Spec, constant, finite, leaf, shapeOf, specFrom, stridesFor } from '../__tests__/arbitraries';
import { assertGradients } from '../gradcheck';
import { Tensor } from '../tensor';
import { logSoftmax, softmax } from './softmax';

/** A spec of rank 1–3 and an axis of it (possibly negative). */
function specAndAxis(elem = finite(-5, 5)) {
  return specFrom(shapeOf(1, 3, 4), elem).chain((spec) =>
    fc.tuple(fc.constant(spec), fc.integer({ min: -spec.shape.length, max: spec.shape.length - 1 })),
  );
}

/** Sums of `values` along `axis`, one per position of the other axes. */
function sumsAlong(values: ArrayLike<number>, spec: Spec, axis: number): number[] {
  const ax = axis < 0 ? axis + spec.shape.length : axis;
  const len = spec.shape[ax];
  const stride = stridesFor(spec.shape)[ax];
  const sums: number[] = [];
  for (let i = 0; i < values.length; i++) {
    if (Math.floor(i / stride) % len !== 0) continue; // i is the first element of its slice
    let s = 0;
    for (let k = 0; k < len; k++) s += values[i + k * stride];
    sums.push(s);
  }
  return sums;
}

describe('softmax', () => {
  test.prop([specAndAxis()])('softmax: gradients match finite differences along any axis', ([spec, axis]) => {
    assertGradients((x) => softmax(x, axis), [leaf(spec)]);
  });

  test.prop([specAndAxis(finite(-1e4, 1e4))])('softmax rows sum to 1 along the axis, and every entry is in [0, 1]', ([spec, axis]) => {
    const y = softmax(constant(spec), axis);
    for (const v of y.data) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
    for (const s of sumsAlong(y.data, spec, axis)) expect(s).toBeCloseTo(1, 5);
  });

  test.prop([specAndAxis(), finite(-50, 50)])('softmax is unchanged by adding a constant to every logit', ([spec, axis], c) => {
    const shifted = { ...spec, values: spec.values.map((v) => v + c) };
    const a = softmax(constant(spec), axis).toArray();
    softmax(constant(shifted), axis).data.forEach((v, i) => expect(v).toBeCloseTo(a[i], 4));
  });
});

describe('logSoftmax', () => {
  test.prop([specAndAxis()])('logSoftmax: gradients match finite differences along any axis', ([spec, axis]) => {
    assertGradients((x) => logSoftmax(x, axis), [leaf(spec)]);
  });

  test.prop([specAndAxis(finite(-1e4, 1e4))])('log-softmax never returns NaN (or +Inf) for finite logits of magnitude up to 1e4, and is ≤ 0', ([spec, axis]) => {
    for (const v of logSoftmax(constant(spec), axis).data) {
      expect(Number.isNaN(v)).toBe(false);
      expect(v).toBeLessThanOrEqual(0);
    }
  });

  test.prop([specAndAxis()])('logSoftmax equals log(softmax) where softmax does not underflow', ([spec, axis]) => {
    const p = softmax(constant(spec), axis).data;
    logSoftmax(constant(spec), axis).data.forEach((v, i) => expect(v).toBeCloseTo(Math.log(p[i]), 4));
  });

  test('logSoftmax of [1e4, 0] is [0, -1e4] (no overflow in exp)', () => {
    expect(logSoftmax(new Tensor(Float32Array.of(1e4, 0), [2])).toArray()).toEqual([0, -1e4]);
  });
});

describe('softmax on the SIMD kernel (rows along the last axis, e^x in float32)', () => {
  const rowsCase = fc.record({
    rows: fc.integer({ min: 1, max: 12 }),
    len: fc.integer({ min: 1, max: 70 }),
    seed: fc.nat(),
    masked: fc.boolean(),
  });

  test.prop([rowsCase], { numRuns: 80 })('agrees with the JavaScript kernel to float32 rounding (1e-6), masked (−∞) entries exactly 0 on both, and so do the gradients', ({ rows, len, seed, masked }) => {
    const rng = new Rng(seed);
    const values = Float32Array.from({ length: rows * len }, (_, i) => (masked && i % 3 === 1 ? -Infinity : rng.normal() * 8));
    if (masked) for (let r = 0; r < rows; r++) values[r * len] = rng.normal(); // every row keeps a finite entry
    const seedGrad = Float32Array.from({ length: rows * len }, () => rng.normal());
    const run = (backend: 'js' | 'wasm') =>
      withKernelBackend(backend, () => {
        const x = new Tensor(values.slice(), [rows, len], { requiresGrad: true });
        const y = softmax(x);
        y.backward(seedGrad);
        return { y: y.data, g: x.grad as Float32Array };
      });
    const [js, simd] = [run('js'), run('wasm')];
    simd.y.forEach((v, i) => {
      if (values[i] === -Infinity) expect(v).toBe(0);
      expect(Math.abs(v - js.y[i])).toBeLessThanOrEqual(1e-6 * Math.max(js.y[i], 1e-30) + 1e-12);
    });
    // y·(g − Σg·y) cancels where y → 1: the float32 dot's rounding, on the scale of the upstream gradient
    const scale = seedGrad.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    simd.g.forEach((v, i) => expect(Math.abs(v - js.g[i])).toBeLessThanOrEqual(2e-6 * scale));
  });

  test('a NaN in a row makes that row NaN and leaves the others alone, as on the JavaScript kernel', () => {
    const x = new Tensor(Float32Array.of(1, NaN, 3, 4, 0, 1, 2, 3), [2, 4]);
    const y = Array.from(withKernelBackend('wasm', () => softmax(x)).data);
    expect(y.slice(0, 4).every(Number.isNaN)).toBe(true);
    expect(y.slice(4).every(Number.isFinite)).toBe(true);
  });
});

test('a row gives the same bits alone as inside a batch of 400 rows (the kernel does not depend on the tensor size)', () => {
  const rng = new Rng(5);
  const big = Float32Array.from({ length: 400 * 3 }, () => rng.normal() * 3);
  const all = softmax(new Tensor(big, [400, 3])).data;
  for (const r of [0, 17, 399]) expect(Array.from(softmax(new Tensor(big.slice(r * 3, r * 3 + 3), [1, 3])).data)).toEqual(Array.from(all.subarray(r * 3, r * 3 + 3)));
});
