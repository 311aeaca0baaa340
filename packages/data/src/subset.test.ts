import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { ValueError } from '@trainkit/tensor';
import { indexDataset, sampleIds } from './__tests__/indexDataset';
import { splitDataset, subset, take } from './subset';

const all = (ds: { length: number; gather(i: ArrayLike<number>): { x: { data: Float32Array; shape: readonly number[] } } }): number[] =>
  sampleIds(ds.gather(Array.from({ length: ds.length }, (_, i) => i)).x);

describe('subset and take', () => {
  test('subset(ds, indices) serves ds[indices[i]] and keeps sampleShape and numClasses', () => {
    const view = subset(indexDataset(10, [1, 2]), [7, 2, 2]);
    expect(view.length).toBe(3);
    expect(view.sampleShape).toEqual([1, 2]);
    expect(view.numClasses).toBe(3);
    expect(all(view)).toEqual([7, 2, 2]);
    expect(Array.from(view.gather([2, 0]).y)).toEqual([2, 1]);
  });

  test('subset rejects out-of-range indices, at creation and at gather', () => {
    expect(() => subset(indexDataset(3), [0, 3])).toThrow('subset: index 3 (position 1) is out of range for a dataset of length 3');
    expect(() => subset(indexDataset(3), [0]).gather([1])).toThrow('subset.gather: index 1 is out of range for a subset of length 1');
  });

  test.prop([fc.nat(20), fc.nat(30)])('take(ds, n) is the first min(n, length) samples', (length, n) => {
    expect(all(take(indexDataset(length), n))).toEqual(Array.from({ length: Math.min(n, length) }, (_, i) => i));
  });

  test('take rejects a negative or fractional n', () => {
    expect(() => take(indexDataset(3), -1)).toThrow('take: n must be a non-negative integer, got -1');
  });
});

describe('splitDataset', () => {
  const sizes = fc.array(fc.nat(10), { minLength: 1, maxLength: 4 });

  test.prop([sizes, fc.boolean(), fc.nat(1000)])('the parts have the requested sizes and together hold every sample exactly once', (counts, shuffle, seed) => {
    const n = counts.reduce((a, b) => a + b, 0);
    const parts = splitDataset(indexDataset(n), counts, { shuffle, seed });
    expect(parts.map((p) => p.length)).toEqual(counts);
    expect(parts.flatMap(all).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  test.prop([fc.integer({ min: 1, max: 50 }), fc.nat(1000)])('the same seed gives the same split', (n, seed) => {
    const a = splitDataset(indexDataset(n), [0.8, 0.2], { seed });
    const b = splitDataset(indexDataset(n), [0.8, 0.2], { seed });
    expect(a.map(all)).toEqual(b.map(all));
  });

  test('fractions: each part gets floor(f × n) and the remainder goes to the first parts', () => {
    expect(splitDataset(indexDataset(10), [0.5, 0.25, 0.25]).map((p) => p.length)).toEqual([6, 2, 2]);
    expect(splitDataset(indexDataset(100), [0.9, 0.1]).map((p) => p.length)).toEqual([90, 10]);
  });

  test('shuffle: false cuts contiguous ranges in order', () => {
    expect(splitDataset(indexDataset(5), [3, 2], { shuffle: false }).map(all)).toEqual([[0, 1, 2], [3, 4]]);
  });

  test('sizes that are neither counts summing to the length nor fractions summing to 1 are an error', () => {
    expect(() => splitDataset(indexDataset(10), [5, 4])).toThrow(
      'splitDataset(dataset of length 10, [5, 4]): sizes must be counts that add up to 10 or fractions that add up to 1 (they add up to 9)',
    );
    expect(() => splitDataset(indexDataset(10), [])).toThrow('give at least one size');
    expect(() => splitDataset(indexDataset(10), [11, -1])).toThrow('sizes must be non-negative numbers');
  });

  test('a bad seed is an error that names splitDataset', () => {
    expect(() => splitDataset(indexDataset(10), [0.5, 0.5], { seed: -1 })).toThrow(new ValueError('splitDataset: seed must be an integer in [0, 2^32), got -1'));
    expect(() => splitDataset(indexDataset(10), [5, 5], { seed: 1.5, shuffle: false })).toThrow(new ValueError('splitDataset: seed must be an integer in [0, 2^32), got 1.5'));
  });
});
