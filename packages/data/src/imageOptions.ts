import { ValueError } from '@trainkit/tensor';

// The image-folder options that `@trainkit/data/node` and `@trainkit/data/web` share, checked
// once here (no Node or DOM APIs) so both give the same defaults and the same error words.

/** Options of every `imageFolder` (Node and browser); each entry adds its own. */
export interface ImageFolderBaseOptions {
  /** Output size: `32` for 32×32, or `[height, width]`. Every image is resized to it. */
  size: number | readonly [number, number];
  /**
   * How the aspect ratio is handled: `'cover'` (default) scales to fill and crops the centre,
   * `'contain'` scales to fit and pads with black, `'fill'` stretches.
   */
  fit?: 'cover' | 'contain' | 'fill';
  /** `'rgb'` (default; 3 channels) or `'grayscale'` (1 channel). */
  color?: 'rgb' | 'grayscale';
  /**
   * The EXIF orientation tag (how a phone or camera marks a photo taken turned): `'exif'`
   * (default) turns the image upright, as image viewers show it, and `size` and `fit` apply to
   * the upright picture; `'ignore'` keeps the pixels as stored, unturned, as torchvision's
   * `ImageFolder` (PIL) and Keras's `image_dataset_from_directory` read them (for images that
   * must face the way a model trained there saw them).
   */
  orientation?: 'exif' | 'ignore';
  /** Per-channel mean and std: values become `(pixel / 255 − mean) / std`. Default: `pixel / 255`, in [0, 1]. */
  normalize?: { mean: readonly number[]; std: readonly number[] };
  /**
   * Fraction of each class's images held out for validation, by a seeded shuffle (default 0:
   * no validation split). Not allowed with a `train/` + `val/` layout, which splits already.
   */
  valFraction?: number;
  /** Seed of the validation split (default 0). */
  seed?: number;
  /**
   * What to do with a file that has an image extension but does not decode (corrupt,
   * truncated, empty): `'error'` (default) stops with an error naming the file; `'skip'`
   * leaves it out and lists it in `report.skipped`.
   */
  onBadImage?: 'error' | 'skip';
}

/**
 * How every image is decoded: turned upright by its EXIF orientation or not, resized to
 * `height × width`, `channels` 1 (grey) or 3 (RGB).
 */
export interface DecodeSpec {
  width: number;
  height: number;
  channels: 1 | 3;
  fit: 'cover' | 'contain' | 'fill';
  /** Default `'exif'` (see {@link ImageFolderBaseOptions.orientation}); the resolved options always set it. */
  orientation?: 'exif' | 'ignore';
}

/** The shared options, checked and with their defaults (`normalize` is checked by {@link byteValues}). */
export interface ResolvedBaseOptions {
  spec: Required<DecodeSpec>;
  valFraction: number;
  seed: number;
  onBadImage: 'error' | 'skip';
}

/** Throws the `ValueError` every `imageFolder` option error is: `imageFolder: <message>`. */
export function optionError(message: string): never {
  throw new ValueError(`imageFolder: ${message}`);
}

/** `v` if it is a positive integer, else an error naming the option. */
export function positiveInt(name: string, v: unknown): number {
  if (!Number.isInteger(v) || (v as number) < 1) optionError(`${name} must be a positive integer, got ${String(v)}`);
  return v as number;
}

/**
 * Checks the shared options in order (size, fit, color, orientation, valFraction, seed, onBadImage),
 * naming the first bad one. `source` is how the call's first argument is written in the
 * "options are required" hint (`dir` in Node, `files` in the browser).
 */
export function resolveBaseOptions(options: ImageFolderBaseOptions, source: string): ResolvedBaseOptions {
  if (options === null || typeof options !== 'object') optionError(`options are required, e.g. imageFolder(${source}, { size: 32 })`);
  const { size, fit = 'cover', color = 'rgb', orientation = 'exif', valFraction = 0, seed = 0, onBadImage = 'error' } = options;
  const [height, width] = typeof size === 'number' ? [size, size] : Array.isArray(size) && size.length === 2 ? size : optionError(`size must be a number or [height, width], got ${JSON.stringify(size)}`);
  positiveInt('size', height);
  positiveInt('size', width);
  if (!['cover', 'contain', 'fill'].includes(fit)) optionError(`fit must be 'cover', 'contain' or 'fill', got ${JSON.stringify(fit)}`);
  if (color !== 'rgb' && color !== 'grayscale') optionError(`color must be 'rgb' or 'grayscale', got ${JSON.stringify(color)}`);
  if (orientation !== 'exif' && orientation !== 'ignore') optionError(`orientation must be 'exif' or 'ignore', got ${JSON.stringify(orientation)}`);
  if (!(typeof valFraction === 'number' && valFraction >= 0 && valFraction < 1)) optionError(`valFraction must be a number in [0, 1), got ${String(valFraction)}`);
  if (!Number.isInteger(seed) || seed < 0) optionError(`seed must be a non-negative integer, got ${String(seed)}`);
  if (onBadImage !== 'error' && onBadImage !== 'skip') optionError(`onBadImage must be 'error' or 'skip', got ${JSON.stringify(onBadImage)}`);
  const channels = color === 'rgb' ? 3 : 1;
  return { spec: { width, height, channels, fit, orientation }, valFraction, seed, onBadImage };
}

/**
 * The value of byte b in channel c, `(b / 255 − mean[c]) / std[c]` rounded once to float32,
 * at `c × 256 + b` (default mean 0, std 1: `b / 255`). Errors name a bad `normalize`.
 */
export function byteValues(normalize: ImageFolderBaseOptions['normalize'], channels: number): Float32Array {
  const mean = normalize?.mean ?? new Array<number>(channels).fill(0);
  const std = normalize?.std ?? new Array<number>(channels).fill(1);
  if (mean.length !== channels || std.length !== channels) {
    optionError(`normalize.mean and normalize.std need ${channels} values (one per channel), got ${mean.length} and ${std.length}`);
  }
  if (!mean.every(Number.isFinite) || !std.every((s) => Number.isFinite(s) && s > 0)) {
    optionError(`normalize needs finite means and positive stds, got mean [${mean.join(', ')}], std [${std.join(', ')}]`);
  }
  const lut = new Float32Array(channels * 256);
  for (let c = 0; c < channels; c++) for (let b = 0; b < 256; b++) lut[c * 256 + b] = (b / 255 - mean[c]) / std[c];
  return lut;
}
