import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { expNonPositive } from './fastExp';

describe('expNonPositive (the exponential of softmax)', () => {
  test.prop([fc.double({ min: -708, max: 0, noNaN: true, minExcluded: true })], { numRuns: 2000 })('within 1e-15 relative of Math.exp on (−708, 0]', (x) => {
    const want = Math.exp(x);
    expect(Math.abs(expNonPositive(x) - want) / want).toBeLessThan(1e-15);
  });

  test.prop([fc.float({ min: -100, max: 0, noNaN: true })], { numRuns: 2000 })('rounded to float32 it is Math.exp rounded to float32 (float32 inputs, the range a softmax meets)', (x) => {
    expect(Math.fround(expNonPositive(x))).toBe(Math.fround(Math.exp(x)));
  });

  test('exact where it must be: e^0 = 1, e^−∞ = 0, NaN stays NaN, 0 below −708, and x > 0 is Math.exp', () => {
    expect(expNonPositive(0)).toBe(1);
    expect(expNonPositive(-0)).toBe(1);
    expect(expNonPositive(-Infinity)).toBe(0);
    expect(expNonPositive(NaN)).toBeNaN();
    expect(expNonPositive(-709)).toBe(0);
    expect(expNonPositive(1.5)).toBe(Math.exp(1.5));
    expect(expNonPositive(Infinity)).toBe(Infinity);
  });
});
