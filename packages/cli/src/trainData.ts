import { type Dataset, splitDataset } from '@trainkit/data';
import { CIFAR10_CLASS_NAMES, FASHION_MNIST_CLASS_NAMES, type ImageFolderResult, csvDataset, imageFolder, loadCifar, loadFashionMnist, loadMnist } from '@trainkit/data/node';
import { type DataKind, type DataSpec, type ImageSpec, detectKind, orientationOf } from './dataKind';
import { UsageError } from './errors';
import { withCacheFallback } from './imageCache';
import { limitSamples } from './limit';

/** The data options of `trainkit train`. */
export interface DataOptions {
  /** For image folders. */
  image: ImageSpec;
  valFraction: number;
  seed: number;
  limit?: number;
  /** For CSV files. */
  target?: string;
  categorical: string[];
  missing: 'error' | 'drop' | 'mean' | 'mode';
}

/** The training and validation sets and the spec saved in run.json. */
export interface TrainData {
  train: Dataset;
  val?: Dataset;
  spec: DataSpec;
  /** Lines for the user: files skipped, rows dropped. */
  notes: string[];
}

const digits = (n: number): string[] => Array.from({ length: n }, (_, i) => String(i));

/** Loads `<data>` for training, split into train and validation by `valFraction` (or by its own train/val folders). */
export async function loadTrainData(data: string, o: DataOptions): Promise<TrainData> {
  const kind = await detectKind('train', data);
  if (kind !== 'csv' && o.target !== undefined) throw new UsageError(`trainkit train: --target names the label column of a CSV file, but ${data} is not a .csv file`);
  if (kind === 'images') return imageData(data, o);
  if (kind === 'csv') return csvData(data, o);
  const full = limited(await builtIn(kind, data, 'train'), o);
  const shape = [...full.sampleShape];
  const image: ImageSpec = { size: [shape[1], shape[2]], color: shape[0] === 1 ? 'grayscale' : 'rgb', fit: 'fill', normalize: null, orientation: 'exif' };
  const spec: DataSpec = { kind, source: data, classes: classNames(kind), inputShape: shape, image };
  return { ...split(full, o), spec, notes: [] };
}

/** MNIST, Fashion-MNIST or CIFAR, one split. */
export async function builtIn(kind: Exclude<DataKind, 'images' | 'csv'>, data: string, splitName: 'train' | 'test'): Promise<Dataset> {
  if (kind === 'mnist') return loadMnist({ split: splitName });
  if (kind === 'fashion-mnist') return loadFashionMnist({ split: splitName });
  return loadCifar(data, { variant: kind === 'cifar10' ? 10 : 100, split: splitName });
}

/** `ds` cut to `--limit` samples (see {@link limitSamples}: every class, picked by the seed). */
const limited = (ds: Dataset, o: DataOptions): Dataset => (o.limit === undefined ? ds : limitSamples(ds, o.limit, o.seed));

function classNames(kind: DataKind): string[] {
  if (kind === 'fashion-mnist') return [...FASHION_MNIST_CLASS_NAMES];
  if (kind === 'cifar10') return [...CIFAR10_CLASS_NAMES];
  return digits(kind === 'cifar100' ? 100 : 10);
}

function split(full: Dataset, o: DataOptions): { train: Dataset; val?: Dataset } {
  if (o.valFraction === 0) return { train: full };
  const [train, val] = splitDataset(full, [1 - o.valFraction, o.valFraction], { seed: o.seed });
  return val.length === 0 ? { train } : { train, val };
}

async function imageData(dir: string, o: DataOptions): Promise<TrainData> {
  const { size, color, fit, normalize } = o.image;
  // lazy: a folder without a cache is decoded in worker threads while the first epoch trains
  const options = { size, color, fit, normalize: normalize ?? undefined, orientation: orientationOf(o.image), seed: o.seed, lazy: true };
  const open = async (cacheDir: string | undefined): Promise<ImageFolderResult> => {
    try {
      return await imageFolder(dir, { ...options, cacheDir, valFraction: o.valFraction });
    } catch (e) {
      // a folder with train/ and val/ splits already: use them
      if (!/already has .*folders/.test((e as Error).message)) throw e;
      return imageFolder(dir, { ...options, cacheDir });
    }
  };
  const { result: r, movedTo } = await withCacheFallback(dir, undefined, '', open);
  const train = limited(r.train, o);
  const notes = r.report.ignored.length > 0 ? [`${r.report.ignored.length} files that are not images were ignored (first: ${r.report.ignored[0].file})`] : [];
  if (movedTo !== undefined) notes.push(`${dir} cannot hold the decoded cache (read-only?), so it is in ${movedTo}`);
  if (r.report.fromCache.train) notes.push(`pixels read from the decoded cache (${movedTo ?? '.trainkit-cache'})`);
  // too few images per class for --val-fraction (round(0.1 × 4) is 0), or a val/ folder without images: no validation
  if (r.val?.length === 0) notes.push(`no validation images (too few per class for --val-fraction ${o.valFraction}, or an empty val/ folder); best follows the training accuracy`);
  const spec: DataSpec = { kind: 'images', source: dir, classes: r.classes, inputShape: [...r.train.sampleShape], image: o.image };
  return { train, val: r.val?.length === 0 ? undefined : r.val, spec, notes };
}

async function csvData(path: string, o: DataOptions): Promise<TrainData> {
  if (o.target === undefined) throw new UsageError(`trainkit train: ${path} is a CSV file; name its label column with --target COLUMN`);
  const r = await csvDataset(path, { target: o.target, categorical: o.categorical, missing: o.missing, valFraction: o.valFraction, seed: o.seed });
  const tabular = r.preprocessing.toJSON();
  const spec: DataSpec = { kind: 'csv', source: path, classes: [...tabular.target.classes], inputShape: [r.preprocessing.numFeatures], tabular };
  const notes = r.report.dropped.length > 0 ? [`${r.report.dropped.length} rows with missing values dropped (first: line ${r.report.dropped[0].line}, column "${r.report.dropped[0].column}")`] : [];
  return { train: limited(r.train, o), val: r.val, spec, notes };
}
