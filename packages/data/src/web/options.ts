import { ValueError } from '@trainkit/tensor';

/** Options of the browser {@link imageFolder} (the Node version's, without the cache and worker threads). */
export interface WebImageFolderOptions {
  /** Output size: `32` for 32×32, or `[height, width]`. Every image is resized to it. */
  size: number | readonly [number, number];
  /**
   * How the aspect ratio is handled: `'cover'` (default) scales to fill and crops the centre,
   * `'contain'` scales to fit and pads with black, `'fill'` stretches.
   */
  fit?: 'cover' | 'contain' | 'fill';
  /** `'rgb'` (default; 3 channels) or `'grayscale'` (1 channel, BT.601 luma). Transparent pixels come out over black. */
  color?: 'rgb' | 'grayscale';
  /** Per-channel mean and std: values become `(pixel / 255 − mean) / std`. Default: `pixel / 255`, in [0, 1]. */
  normalize?: { mean: readonly number[]; std: readonly number[] };
  /** Fraction of each class's images held out for validation, by a seeded shuffle (default 0). Not allowed with a `train/` + `val/` layout. */
  valFraction?: number;
  /** Seed of the validation split (default 0). The same files and seed give the same split as `@trainkit/data/node`. */
  seed?: number;
  /**
   * What to do with a file that has an image extension but does not decode (corrupt,
   * truncated, empty): `'error'` (default) stops with an error naming the file; `'skip'`
   * leaves it out and lists it in `report.skipped`.
   */
  onBadImage?: 'error' | 'skip';
  /** Images decoded at once (default 4). */
  concurrency?: number;
  /** Called after each decoded (or skipped) image, with the count so far and the total. */
  onProgress?: (done: number, total: number) => void;
}

/** How every image is decoded: resized to `height × width`, `channels` 1 (grey) or 3 (RGB). */
export interface WebDecodeSpec {
  width: number;
  height: number;
  channels: 1 | 3;
  fit: 'cover' | 'contain' | 'fill';
}

/** The options, checked and with their defaults. */
export interface ResolvedWebOptions {
  spec: WebDecodeSpec;
  /** Per channel, the value of each byte: `lut[c × 256 + byte]`. */
  lut: Float32Array;
  valFraction: number;
  seed: number;
  onBadImage: 'error' | 'skip';
  concurrency: number;
  onProgress: (done: number, total: number) => void;
}

function fail(message: string): never {
  throw new ValueError(`imageFolder: ${message}`);
}

function positiveInt(name: string, v: unknown): number {
  if (!Number.isInteger(v) || (v as number) < 1) fail(`${name} must be a positive integer, got ${String(v)}`);
  return v as number;
}

/** Checks `options`, naming the first bad one (the same messages as the Node version). */
export function resolveWebOptions(options: WebImageFolderOptions): ResolvedWebOptions {
  if (options === null || typeof options !== 'object') fail('options are required, e.g. imageFolder(files, { size: 32 })');
  const { size, fit = 'cover', color = 'rgb', normalize, valFraction = 0, seed = 0, onBadImage = 'error', concurrency = 4, onProgress = () => undefined } = options;
  const [height, width] = typeof size === 'number' ? [size, size] : Array.isArray(size) && size.length === 2 ? size : fail(`size must be a number or [height, width], got ${JSON.stringify(size)}`);
  positiveInt('size', height);
  positiveInt('size', width);
  if (!['cover', 'contain', 'fill'].includes(fit)) fail(`fit must be 'cover', 'contain' or 'fill', got ${JSON.stringify(fit)}`);
  if (color !== 'rgb' && color !== 'grayscale') fail(`color must be 'rgb' or 'grayscale', got ${JSON.stringify(color)}`);
  if (!(typeof valFraction === 'number' && valFraction >= 0 && valFraction < 1)) fail(`valFraction must be a number in [0, 1), got ${String(valFraction)}`);
  if (!Number.isInteger(seed) || seed < 0) fail(`seed must be a non-negative integer, got ${String(seed)}`);
  if (onBadImage !== 'error' && onBadImage !== 'skip') fail(`onBadImage must be 'error' or 'skip', got ${JSON.stringify(onBadImage)}`);
  positiveInt('concurrency', concurrency);
  if (typeof onProgress !== 'function') fail('onProgress must be a function (done, total) => void');
  const channels = color === 'rgb' ? 3 : 1;
  return { spec: { width, height, channels, fit }, lut: byteValues(normalize, channels), valFraction, seed, onBadImage, concurrency, onProgress };
}

/** The value of byte b in channel c, `(b / 255 − mean[c]) / std[c]` rounded once to float32, at `c × 256 + b`. */
function byteValues(normalize: WebImageFolderOptions['normalize'], channels: number): Float32Array {
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
