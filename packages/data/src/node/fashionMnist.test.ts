import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FASHION_MNIST_CLASS_NAMES } from '../fashionMnistClasses';
import { loadFashionMnist } from './fashionMnist';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trainkit-fashion-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** [min, max] of the values. */
const range = (x: Float32Array): [number, number] => {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < x.length; i++) {
    if (x[i] < lo) lo = x[i];
    if (x[i] > hi) hi = x[i];
  }
  return [lo, hi];
};

/** Label counts of a dataset, indexed by class. */
const perClass = (y: Int32Array): number[] => {
  const counts = new Array<number>(10).fill(0);
  for (const label of y) counts[label]++;
  return counts;
};

describe('loadFashionMnist', () => {
  test('train holds 60,000 images (6,000 per class) and test 10,000 (1,000 per class), class-interleaved, values in [0, 1]', async () => {
    for (const [split, count] of [['train', 60_000], ['test', 10_000]] as const) {
      const ds = await loadFashionMnist({ split });
      expect(ds.length).toBe(count);
      expect(ds.sampleShape).toEqual([1, 28, 28]);
      expect(ds.numClasses).toBe(10);
      expect(perClass(ds.y)).toEqual(new Array<number>(10).fill(count / 10));
      expect(ds.y.every((label, j) => label === j % 10)).toBe(true);
      expect(range(ds.x)).toEqual([0, 1]);
    }
  });

  test('limit takes a class-balanced prefix', async () => {
    const small = await loadFashionMnist({ split: 'test', limit: 25 });
    expect(Array.from(small.y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4]);
    const full = await loadFashionMnist({ split: 'test' });
    expect(small.x).toEqual(full.x.subarray(0, 25 * 784));
  });

  test('train and test hold different images (test starts at image 6,000 of each class)', async () => {
    const train = await loadFashionMnist({ split: 'train', limit: 10 });
    const test = await loadFashionMnist({ split: 'test', limit: 10 });
    for (let c = 0; c < 10; c++) {
      expect(test.x.subarray(c * 784, (c + 1) * 784)).not.toEqual(train.x.subarray(c * 784, (c + 1) * 784));
    }
  });

  test('class names follow the Fashion-MNIST labels', () => {
    expect(FASHION_MNIST_CLASS_NAMES).toHaveLength(10);
    expect([FASHION_MNIST_CLASS_NAMES[0], FASHION_MNIST_CLASS_NAMES[9]]).toEqual(['T-shirt/top', 'Ankle boot']);
  });

  test('a folder without the class files is an error naming the missing file', async () => {
    await expect(loadFashionMnist({ split: 'train', dir })).rejects.toThrow(`loadFashionMnist: file not found: ${join(dir, '0.json')}`);
  });

  test('bad options name the option', async () => {
    await expect(loadFashionMnist({ split: 'all' as 'train' })).rejects.toThrow(`loadFashionMnist({ split: "all" }): split must be 'train' or 'test'`);
    await expect(loadFashionMnist({ split: 'test', limit: 2.5 })).rejects.toThrow('loadFashionMnist: limit must be a non-negative integer, got 2.5');
  });
});
