import { sgd } from '@trainkit/core';
import { describe, expect, test } from 'vitest';
import { trajectory, ulp32 } from './index';

describe('trajectory', () => {
  test('returns every parameter after every step (hand-computed plain SGD)', () => {
    // Arrange: w0 = [1, 2], lr 0.5
    const grads = [[[0.5, -1]], [[0.25, 0]]];
    // Act
    const steps = trajectory(sgd, { lr: 0.5 }, [[1, 2]], grads);
    // Assert
    expect([...steps[0][0]]).toEqual([0.75, 2.5]); // 1 − 0.5·0.5, 2 − 0.5·(−1)
    expect([...steps[1][0]]).toEqual([0.625, 2.5]); // 0.75 − 0.5·0.25, 2.5 − 0
  });

  test('takes parameters keyed by name and never mutates its inputs', () => {
    // Arrange
    const params0 = { weight: Float32Array.from([1, -1]), bias: [0] };
    const grads = [{ weight: [1, 1], bias: [2] }];
    // Act
    const [after] = trajectory(sgd, { lr: 0.1, groups: [{ params: ['bias'], lr: 0 }] }, params0, grads);
    // Assert: bias is frozen by its group; the inputs keep their values
    expect([...after[0]]).toEqual([Math.fround(0.9), Math.fround(-1.1)]);
    expect([...after[1]]).toEqual([0]);
    expect([...params0.weight]).toEqual([1, -1]);
  });

  test('explains a gradient of the wrong size', () => {
    expect(() => trajectory(sgd, {}, [[1, 2]], [[[1]]])).toThrow('the gradient of "w0" has 1 values, the parameter has 2');
  });
});

describe('ulp32', () => {
  test('is the float32 spacing: 2⁻²³ at 1, 2⁻¹⁴⁹ at 0, 2⁻¹³ at 1000', () => {
    expect(ulp32(1)).toBe(2 ** -23);
    expect(ulp32(0)).toBe(2 ** -149);
    expect(ulp32(-1000)).toBe(2 ** -14);
  });
});
