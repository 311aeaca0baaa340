import { ValueError } from '@trainkit/tensor';
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { TensorDataset } from '../dataset';
import { type Split, checkSplit } from './loaderOptions';
import { bytesToUnit } from './pixels';
import { readBytes } from './readIdxFile';

/** Options of {@link loadCifar}. */
export interface CifarOptions {
  /** 10 (CIFAR-10: 1 label byte + 3,072 pixels per record) or 100 (CIFAR-100: coarse + fine label bytes + 3,072). */
  variant: 10 | 100;
  /** CIFAR-100 only: the 100 `'fine'` classes (default) or the 20 `'coarse'` superclasses. */
  label?: 'fine' | 'coarse';
  /** When a folder is given: which files to read, `'train'` (default) or `'test'`. */
  split?: Split;
}

/** The CIFAR-10 class names, by label. */
export const CIFAR10_CLASS_NAMES: readonly string[] = Object.freeze(['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']);

const PIXELS = 3 * 32 * 32;

/** The files of a split in the folders of the binary downloads (`cifar-10-batches-bin/`, `cifar-100-binary/`). */
function splitFiles(variant: 10 | 100, split: Split): string[] {
  if (variant === 100) return [`${split}.bin`];
  return split === 'test' ? ['test_batch.bin'] : [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
}

/**
 * Reads CIFAR-10 or CIFAR-100 from the binary version of the dataset you downloaded
 * (`data_batch_1.bin` … `data_batch_5.bin` and `test_batch.bin`; `train.bin` and `test.bin`
 * for CIFAR-100). Records are a label byte (CIFAR-100: the coarse label byte, then the fine
 * one) followed by 3,072 pixel bytes, the red, green and blue 32×32 planes, so inputs are
 * float32 `[3, 32, 32]` (pixel / 255) as they are stored.
 *
 * @param source - the folder holding the `.bin` files (the split's files are read), or a
 *   list of files read in order.
 * @param options - `variant` (required), `label` (CIFAR-100), `split` (for a folder).
 * @throws an error naming the file when it is missing, when its size is not a whole number
 *   of records (truncated, or the other variant), or when a label is out of range.
 * @example
 * const train = await loadCifar('cifar-10-batches-bin', { variant: 10 });              // 50,000 × [3, 32, 32]
 * const test = await loadCifar('cifar-100-binary', { variant: 100, split: 'test', label: 'coarse' });
 */
export async function loadCifar(source: string | readonly string[], options: CifarOptions): Promise<TensorDataset> {
  const { variant, label = 'fine', split = 'train' } = options ?? ({} as CifarOptions);
  if (variant !== 10 && variant !== 100) throw new ValueError(`loadCifar: variant must be 10 or 100, got ${String(variant)}`);
  if (label !== 'fine' && label !== 'coarse') throw new ValueError(`loadCifar: label must be 'fine' or 'coarse', got ${JSON.stringify(label)}`);
  if (variant === 10 && label === 'coarse') throw new ValueError(`loadCifar: label 'coarse' exists only in CIFAR-100 (variant: 100)`);
  checkSplit('loadCifar', split);
  const files = typeof source === 'string' ? await filesOf(source, variant, split) : [...source];
  if (files.length === 0) throw new ValueError('loadCifar: no files given');
  const labelBytes = variant === 10 ? 1 : 2;
  const record = labelBytes + PIXELS;
  const numClasses = variant === 10 ? 10 : label === 'coarse' ? 20 : 100;
  const chunks = await Promise.all(files.map((f) => readBytes('loadCifar', f)));
  chunks.forEach((bytes, k) => {
    if (bytes.length % record !== 0 || bytes.length === 0) {
      const parts = variant === 10 ? '1 label byte + 3072 pixel bytes' : '2 label bytes (coarse, fine) + 3072 pixel bytes';
      throw new ValueError(`loadCifar: ${files[k]} is ${bytes.length} bytes, not a whole number of CIFAR-${variant} records of ${record} bytes (${parts}): the file is truncated or not CIFAR-${variant}`);
    }
  });
  const n = chunks.reduce((sum, b) => sum + b.length / record, 0);
  const x = new Float32Array(n * PIXELS);
  const y = new Int32Array(n);
  const offset = variant === 100 && label === 'fine' ? 1 : 0;
  let j = 0;
  chunks.forEach((bytes, k) => {
    for (let r = 0; r < bytes.length / record; r++, j++) {
      const at = r * record;
      y[j] = bytes[at + offset];
      if (y[j] >= numClasses) throw new ValueError(`loadCifar: ${files[k]} record ${r} has ${label} label ${y[j]}, expected 0..${numClasses - 1} for CIFAR-${variant}: is this a CIFAR-${variant} file?`);
      bytesToUnit(bytes, at + labelBytes, x, j * PIXELS, PIXELS);
    }
  });
  return new TensorDataset({ x, y, sampleShape: [3, 32, 32], numClasses });
}

async function filesOf(dir: string, variant: 10 | 100, split: Split): Promise<string[]> {
  const info = await stat(dir).catch(() => undefined);
  if (info === undefined) throw new Error(`loadCifar: folder not found: ${dir}`);
  if (!info.isDirectory()) return [dir];
  const files = splitFiles(variant, split).map((f) => join(dir, f));
  for (const f of files) {
    if ((await stat(f).catch(() => undefined)) === undefined) {
      throw new Error(`loadCifar: ${dir} lacks ${basename(f)}; CIFAR-${variant} ${split} is ${splitFiles(variant, split).join(', ')} (the binary version of the download)`);
    }
  }
  return files;
}
