import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
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
