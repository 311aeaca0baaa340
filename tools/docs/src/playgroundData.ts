/**
 * Writes docs/public/data/mnist-slice.bin: the playground's digits (the first 4,000 MNIST
 * training images and the first 1,000 test images), in the layout of
 * docs/.vitepress/theme/playground/sliceFormat.ts, gzipped. Run by `npm run pictures`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeSlice } from '../../../docs/.vitepress/theme/playground/sliceFormat';
import { root } from './entries';
import { readMnistRaw } from './mnistIdx';

export const SLICE_FILE = join(root, 'docs', 'public', 'data', 'mnist-slice.bin');

/** Builds the gzipped slice; `mtime: 0`-style determinism comes from gzip's fixed header here. */
export function buildSlice(nTrain = 4000, nTest = 1000): Uint8Array {
  const train = readMnistRaw('train', nTrain);
  const test = readMnistRaw('test', nTest);
  const raw = encodeSlice({ rows: train.rows, cols: train.cols, trainLabels: train.labels, testLabels: test.labels, trainPixels: train.pixels, testPixels: test.pixels });
  return new Uint8Array(gzipSync(raw, { level: 9 }));
}

export function writeSlice(): { file: string; bytes: number } {
  const bytes = buildSlice();
  mkdirSync(join(root, 'docs', 'public', 'data'), { recursive: true });
  writeFileSync(SLICE_FILE, bytes);
  return { file: SLICE_FILE, bytes: bytes.length };
}
