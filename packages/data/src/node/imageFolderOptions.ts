import { availableParallelism } from 'node:os';
import { type ImageFolderBaseOptions, type ResolvedBaseOptions, byteValues, optionError, positiveInt, resolveBaseOptions } from '../imageOptions';

/** Options of {@link imageFolder}. */
export interface ImageFolderOptions extends ImageFolderBaseOptions {
  /** `'rgb'` (default; 3 channels, grey images are expanded) or `'grayscale'` (1 channel). Alpha is dropped. */
  color?: 'rgb' | 'grayscale';
  /** Where the decoded cache and `classes.json` go (created if missing). Default `<dir>/.trainkit-cache`. */
  cacheDir?: string;
  /** Decoding worker threads. Default: available cores − 1, at least 1, at most 8. */
  workers?: number;
  /** Images in flight per worker (the bounded prefetch queue). Default 16: a queue that deep keeps sharp's threads from idling between images. */
  prefetch?: number;
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
export interface ResolvedImageOptions extends ResolvedBaseOptions {
  /** Per channel, the value of each byte (see normalization). */
  lut: Float32Array;
  workers: number;
  prefetch: number;
  lazy: boolean;
}

/** Checks `options`, naming the first bad one. */
export function resolveImageOptions(options: ImageFolderOptions): ResolvedImageOptions {
  const { spec, valFraction, seed, onBadImage } = resolveBaseOptions(options, 'dir');
  const { lazy = false } = options;
  if (typeof lazy !== 'boolean') optionError(`lazy must be true or false, got ${JSON.stringify(lazy)}`);
  if (lazy && onBadImage === 'skip') optionError("lazy: true needs onBadImage: 'error' (a file skipped mid-epoch would change the dataset's length); drop one of them");
  const lut = byteValues(options.normalize, spec.channels);
  const workers = positiveInt('workers', options.workers ?? Math.min(8, Math.max(1, availableParallelism() - 1)));
  const prefetch = positiveInt('prefetch', options.prefetch ?? 16);
  return { spec, lut, valFraction, seed, workers, prefetch, onBadImage, lazy };
}
