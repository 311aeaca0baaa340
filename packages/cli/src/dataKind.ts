import { stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { TabularJSON } from '@trainkit/data/node';
import { UsageError } from './errors';

/** The kinds of data `<data>` may name. */
export type DataKind = 'images' | 'cifar10' | 'cifar100' | 'csv' | 'mnist' | 'fashion-mnist';

/** How images are decoded (saved in run.json, so eval and predict decode new images the same way). */
export interface ImageSpec {
  size: [number, number];
  color: 'rgb' | 'grayscale';
  fit: 'cover' | 'contain' | 'fill';
  normalize: { mean: number[]; std: number[] } | null;
  /** EXIF orientation applied (`'exif'`) or not; absent in runs of versions that always ignored it. */
  orientation?: 'exif' | 'ignore';
}

/** The orientation a run's images were decoded with: runs saved before the option ignored EXIF. */
export function orientationOf(image: ImageSpec): 'exif' | 'ignore' {
  return image.orientation ?? 'ignore';
}

/** Everything about the data a run was trained on that eval and predict need (part of run.json). */
export interface DataSpec {
  kind: DataKind;
  /** Where the training data came from (as given). */
  source: string;
  /** Label `i` is `classes[i]`. */
  classes: string[];
  /** One sample's shape. */
  inputShape: number[];
  /** For image data (also MNIST and CIFAR: new images are decoded to their shape). */
  image?: ImageSpec;
  /** For CSV data: the fitted preprocessing (standardisation, categories, the target column). */
  tabular?: TabularJSON;
}

const CIFAR_RECORD = { cifar10: 1 + 3072, cifar100: 2 + 3072 } as const;

/**
 * What `data` names: `mnist` / `fashion-mnist`, a `.csv` file, CIFAR binaries (a `.bin` file or
 * a folder holding `data_batch_1.bin` / `test_batch.bin`, or CIFAR-100's `train.bin` / `test.bin`)
 * or an image folder. A path that does not exist is a {@link UsageError}.
 */
export async function detectKind(command: string, data: string): Promise<DataKind> {
  if (data === 'mnist' || data === 'fashion-mnist') return data;
  const info = await stat(data).catch(() => undefined);
  if (info === undefined) {
    throw new UsageError(`trainkit ${command}: data not found: ${data} (give an image folder, CIFAR .bin files, a .csv file, or mnist / fashion-mnist)`);
  }
  if (info.isFile()) {
    const ext = extname(data).toLowerCase();
    if (ext === '.csv') return 'csv';
    if (ext === '.bin') return info.size % CIFAR_RECORD.cifar10 === 0 ? 'cifar10' : 'cifar100';
    throw new UsageError(`trainkit ${command}: ${data} is a file but neither a .csv nor a CIFAR .bin file; for images give the folder that holds one subfolder per class`);
  }
  const has = async (name: string): Promise<boolean> => (await stat(join(data, name)).catch(() => undefined))?.isFile() === true;
  if ((await has('data_batch_1.bin')) || (await has('test_batch.bin'))) return 'cifar10';
  if ((await has('train.bin')) || (await has('test.bin'))) return 'cifar100';
  return 'images';
}

/** Throws a {@link UsageError} unless `path` is an existing file. */
export async function mustBeFile(command: string, path: string): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) throw new UsageError(`trainkit ${command}: file not found: ${path}`);
  if (!info.isFile()) throw new UsageError(`trainkit ${command}: ${path} is not a file`);
}
