import { describe, expect, test } from 'vitest';
import { full, ones, zeros } from './create';
import { ShapeError } from './shape';

describe('zeros, ones and full', () => {
  test('a negative or fractional size is a ShapeError naming the function and the shape (it was a bare RangeError "Invalid typed array length")', () => {
    expect(() => zeros([-1, 2])).toThrow(ShapeError);
    expect(() => zeros([-1, 2])).toThrow('zeros: invalid shape [-1, 2]; dimensions must be non-negative integers');
    expect(() => ones([2, -3])).toThrow('ones: invalid shape [2, -3]');
    expect(() => full([-2], 7)).toThrow('full: invalid shape [-2]');
    expect(() => zeros([2.5])).toThrow('zeros: invalid shape [2.5]');
  });

  test('they fill every element with their value, −0 included', () => {
    expect(zeros([2, 2]).toArray()).toEqual([0, 0, 0, 0]);
    expect(ones([3]).toArray()).toEqual([1, 1, 1]);
    expect(Object.is(full([1], -0).data[0], -0)).toBe(true);
    expect(full([0, 4], 5).shape).toEqual([0, 4]);
  });
});
