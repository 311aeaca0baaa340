import { type DecodeSpec, type ImageFolderBaseOptions, type ResolvedBaseOptions, byteValues, optionError, positiveInt, resolveBaseOptions } from '../imageOptions';

/** Options of the browser {@link imageFolder} (the Node version's, without the cache and worker threads). */
export interface WebImageFolderOptions extends ImageFolderBaseOptions {
  /**
   * `'rgb'` (default; 3 channels) or `'grayscale'` (1 channel: Rec. 709 luminance of the linear-light
   * values, sRGB-encoded, as sharp's `b-w`; torchvision/PIL's `convert('L')` uses Rec. 601 weights on
   * the encoded values instead). Alpha is dropped: a transparent pixel keeps the colour stored in it.
   */
  color?: 'rgb' | 'grayscale';
  /** Seed of the validation split (default 0). The same files and seed give the same split as `@trainkit/data/node`. */
  seed?: number;
  /** Images decoded at once (default 4). */
  concurrency?: number;
  /** Called after each decoded (or skipped) image, with the count so far and the total. */
  onProgress?: (done: number, total: number) => void;
}

/** How every image is decoded: resized to `height × width`, `channels` 1 (grey) or 3 (RGB). */
export type WebDecodeSpec = DecodeSpec;

/** The options, checked and with their defaults. */
export interface ResolvedWebOptions extends ResolvedBaseOptions {
  /** Per channel, the value of each byte: `lut[c × 256 + byte]`. */
  lut: Float32Array;
  concurrency: number;
  onProgress: (done: number, total: number) => void;
}

/** Checks `options`, naming the first bad one (the same messages as the Node version). */
export function resolveWebOptions(options: WebImageFolderOptions): ResolvedWebOptions {
  const base = resolveBaseOptions(options, 'files');
  const { concurrency = 4, onProgress = () => undefined } = options;
  positiveInt('concurrency', concurrency);
  if (typeof onProgress !== 'function') optionError('onProgress must be a function (done, total) => void');
  return { ...base, lut: byteValues(options.normalize, base.spec.channels), concurrency, onProgress };
}
