import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The MNIST IDX files of each split, under their original names (what `loadMnist({ dir })` reads). */
const FILES = {
  train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'],
  test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
} as const;

/**
 * Writes the first `count` images and labels of a split's IDX files from `from` into `to`, as valid
 * IDX files of their own (the count in each header rewritten), so a machine without the npm
 * package gets the digits a benchmark uses in a few megabytes instead of 53.
 */
export function writeIdxSubset(from: string, to: string, split: 'train' | 'test', count: number): void {
  const [imagesName, labelsName] = FILES[split];
  const images = readFileSync(join(from, imagesName));
  const labels = readFileSync(join(from, labelsName));
  const total = labels.readUInt32BE(4);
  if (!(Number.isInteger(count) && count > 0 && count <= total)) throw new RangeError(`writeIdxSubset: count must be an integer in 1..${total} (the ${split} split's size), got ${count}`);
  const pixels = images.readUInt32BE(8) * images.readUInt32BE(12);
  const imageOut = Buffer.from(images.subarray(0, 16 + count * pixels));
  imageOut.writeUInt32BE(count, 4);
  const labelOut = Buffer.from(labels.subarray(0, 8 + count));
  labelOut.writeUInt32BE(count, 4);
  writeFileSync(join(to, imagesName), imageOut);
  writeFileSync(join(to, labelsName), labelOut);
}
