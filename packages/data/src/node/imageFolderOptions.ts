import { ValueError } from '@trainkit/tensor';
import { availableParallelism } from 'node:os';
import type { DecodeSpec } from './decodePool';

/** Options of {@link imageFolder}. */
export interface ImageFolderOptions {
  /** Output size: `32` for 32×32, or `[height, width]`. Every image is resized to it. */
  size: number | readonly [number, number];
  /**
   * How the aspect ratio is handled: `'cover'` (default) scales to fill and crops the centre,
   * `'contain'` scales to fit and pads with black, `'fill'` stretches.
   */
  fit?: 'cover' | 'contain' | 'fill';
  /** `'rgb'` (default; 3 channels, grey images are expanded) or `'grayscale'` (1 channel). Alpha is dropped. */
  color?: 'rgb' | 'grayscale';
  /** Per-channel mean and std: values become `(pixel / 255 − mean) / std`. Default: `pixel / 255`, in [0, 1]. */
  normalize?: { mean: readonly number[]; std: readonly number[] };
  /**
   * Fraction of each class's images held out for validation, by a seeded shuffle (default 0:
   * no validation split). Not allowed with a `train/` + `val/` layout, which splits already.
   */
  valFraction?: number;
  /** Seed of the validation split (default 0). */
  seed?: number;
  /** Where the decoded cache and `classes.json` go (created if missing). Default `<dir>/.trainkit-cache`. */
  cacheDir?: string;
  /** Decoding worker threads. Default: available cores − 1, at least 1, at most 8. */
  workers?: number;
  /** Images in flight per worker (the bounded prefetch queue). Default 4. */
  prefetch?: number;
  /**
   * What to do with a file that has an image extension but does not decode (corrupt,
   * truncated, empty): `'error'` (default) stops with an error naming the file; `'skip'`
   * leaves it out and lists it in `report.skipped`.
   */
  onBadImage?: 'error' | 'skip';
  /**
   * Decode while training instead of before returning: a split without a cache is returned at
   * once, and its images are decoded in the worker threads as the first epoch asks for them
   * (`DataLoader.epochAsync`, which the Trainer uses, asks `prefetch` batches ahead), so
   * decoding overlaps training; the cache is committed when every image is decoded. Needs
   * `onBadImage: 'error'` (a skipped file would change the dataset's length mid-epoch); a bad
   * file then stops training with an error naming it. Default false.
   */
  lazy?: boolean;
}

/** The options, checked and with their defaults. */
export interface ResolvedImageOptions {
  spec: DecodeSpec;
  /** Per channel, the value of each byte (see normalization). */
  lut: Float32Array;
  valFraction: number;
  seed: number;
  workers: number;
  prefetch: number;
  onBadImage: 'error' | 'skip';
  lazy: boolean;
}

const call = 'imageFolder';

function fail(message: string): never {
  throw new ValueError(`${call}: ${message}`);
}

function positiveInt(name: string, v: unknown): number {
  if (!Number.isInteger(v) || (v as number) < 1) fail(`${name} must be a positive integer, got ${String(v)}`);
  return v as number;
}

/** Checks `options`, naming the first bad one. */
export function resolveImageOptions(options: ImageFolderOptions): ResolvedImageOptions {
  if (options === null || typeof options !== 'object') fail('options are required, e.g. imageFolder(dir, { size: 32 })');
  const { size, fit = 'cover', color = 'rgb', normalize, valFraction = 0, seed = 0, onBadImage = 'error' } = options;
  const [height, width] = typeof size === 'number' ? [size, size] : Array.isArray(size) && size.length === 2 ? size : fail(`size must be a number or [height, width], got ${JSON.stringify(size)}`);
  positiveInt('size', height);
  positiveInt('size', width);
  if (!['cover', 'contain', 'fill'].includes(fit)) fail(`fit must be 'cover', 'contain' or 'fill', got ${JSON.stringify(fit)}`);
  if (color !== 'rgb' && color !== 'grayscale') fail(`color must be 'rgb' or 'grayscale', got ${JSON.stringify(color)}`);
  if (!(typeof valFraction === 'number' && valFraction >= 0 && valFraction < 1)) fail(`valFraction must be a number in [0, 1), got ${String(valFraction)}`);
  if (!Number.isInteger(seed) || seed < 0) fail(`seed must be a non-negative integer, got ${String(seed)}`);
  if (onBadImage !== 'error' && onBadImage !== 'skip') fail(`onBadImage must be 'error' or 'skip', got ${JSON.stringify(onBadImage)}`);
  const { lazy = false } = options;
  if (typeof lazy !== 'boolean') fail(`lazy must be true or false, got ${JSON.stringify(lazy)}`);
  if (lazy && onBadImage === 'skip') fail("lazy: true needs onBadImage: 'error' (a file skipped mid-epoch would change the dataset's length); drop one of them");
  const channels = color === 'rgb' ? 3 : 1;
  const lut = normalization(normalize, channels);
  const workers = positiveInt('workers', options.workers ?? Math.min(8, Math.max(1, availableParallelism() - 1)));
  const prefetch = positiveInt('prefetch', options.prefetch ?? 4);
  return { spec: { width, height, channels, fit }, lut, valFraction, seed, workers, prefetch, onBadImage, lazy };
}

/** The value of byte b in channel c, `(b / 255 − mean[c]) / std[c]` rounded once to float32, at `c × 256 + b`. */
function normalization(normalize: ImageFolderOptions['normalize'], channels: number): Float32Array {
  const mean = normalize?.mean ?? new Array<number>(channels).fill(0);
  const std = normalize?.std ?? new Array<number>(channels).fill(1);
  if (mean.length !== channels || std.length !== channels) {
    fail(`normalize.mean and normalize.std need ${channels} values (one per channel), got ${mean.length} and ${std.length}`);
  }
  if (!mean.every(Number.isFinite) || !std.every((s) => Number.isFinite(s) && s > 0)) {
    fail(`normalize needs finite means and positive stds, got mean [${mean.join(', ')}], std [${std.join(', ')}]`);
  }
  const lut = new Float32Array(channels * 256);
  for (let c = 0; c < channels; c++) for (let b = 0; b < 256; b++) lut[c * 256 + b] = (b / 255 - mean[c]) / std[c];
  return lut;
}
