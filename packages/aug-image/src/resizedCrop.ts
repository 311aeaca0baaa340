import type { Rng } from '@trainkit/tensor';
import { AugmentError } from './errors';
import { resizeBilinear } from './kernels/resize';
import { type Range, positiveRange, probability, range, replayed, size as sizeOption, optionsObject } from './options';
import type { ImageShape } from './shape';
import { type PerImage, type Transform, defineImageTransform } from './transform';

/** Options of {@link randomResizedCrop}. */
export interface ResizedCropOptions {
  /** Output size: a positive integer or `[height, width]`. Default: the input's size. */
  size?: number | readonly [number, number];
  /** Range of the crop's area as a fraction of the image's. Default [0.08, 1] (as torchvision). */
  scale?: Range;
  /** Range of the crop's aspect ratio width / height, drawn log-uniformly. Default [3/4, 4/3]. */
  ratio?: Range;
  /** Probability that an image is cropped; must be 1 unless the output size equals the input size. Default 1. */
  p?: number;
}

/** One image's crop window, in pixels of the input image. */
export interface ResizedCropParams {
  top: number;
  left: number;
  height: number;
  width: number;
}

const ATTEMPTS = 10; // as torchvision, before falling back to a central crop

/**
 * torchvision's `RandomResizedCrop.get_params`: up to 10 tries at a window of random area
 * (fraction `scale` of the image) and log-uniform aspect ratio that fits; otherwise the
 * largest central window whose aspect ratio is within `ratio`.
 */
export function drawResizedCropWindow(rng: Rng, h: number, w: number, scale: Range, ratio: Range): ResizedCropParams {
  const area = h * w;
  const [logLo, logHi] = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const target = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(logLo, logHi));
    const width = Math.round(Math.sqrt(target * aspect));
    const height = Math.round(Math.sqrt(target / aspect));
    if (width > 0 && width <= w && height > 0 && height <= h) {
      return { top: rng.int(h - height + 1), left: rng.int(w - width + 1), height, width };
    }
  }
  const inRatio = w / h;
  let [height, width] = [h, w];
  if (inRatio < ratio[0]) height = Math.min(h, Math.max(1, Math.round(w / ratio[0])));
  else if (inRatio > ratio[1]) width = Math.min(w, Math.max(1, Math.round(h * ratio[1])));
  return { top: Math.floor((h - height) / 2), left: Math.floor((w - width) / 2), height, width };
}

/**
 * Random resized crop (torchvision's `RandomResizedCrop`): picks a window covering a random
 * fraction `scale` of the image with a random aspect ratio in `ratio`, and resizes it
 * bilinearly (no antialiasing) to `size` — by default the input's own size, so batches keep
 * their shape. "Random crop and scale" of the lecture.
 *
 * @param options - `size`, `scale`, `ratio` and `p`.
 * @see https://pytorch.org/vision/stable/generated/torchvision.transforms.RandomResizedCrop.html
 * @example
 * randomResizedCrop({ scale: [0.6, 1] })               // zoom in by up to ~1.3×, same size out
 * randomResizedCrop({ size: 224, scale: [0.08, 1] })   // the ImageNet recipe
 */
export function randomResizedCrop(options: ResizedCropOptions = {}): Transform<PerImage<ResizedCropParams>> {
  options = optionsObject('randomResizedCrop', options, 'randomResizedCrop({ size: 224 })', ['size', 'scale', 'ratio', 'p']);
  const name = 'randomResizedCrop';
  const size = options.size === undefined ? null : sizeOption(name, 'size', options.size);
  const scale = range(name, 'scale', options.scale ?? [0.08, 1], 0, 1);
  const ratio = positiveRange(name, 'ratio', options.ratio ?? [3 / 4, 4 / 3]);
  if (scale[1] === 0) throw new AugmentError(name, `scale must allow a non-empty crop, got [${scale.join(', ')}]`);
  const outSize = (shape: ImageShape) => (size === null ? { h: shape.h, w: shape.w } : { h: size[0], w: size[1] });
  return defineImageTransform<ResizedCropParams>({
    name,
    p: probability(name, options.p ?? 1),
    outputSize: outSize,
    drawOne: (rng, { h, w }) => drawResizedCropWindow(rng, h, w, scale, ratio),
    applyOne(src, out, i, { c, h, w }, o, params) {
      replayed(name, params, ['top', 'left', 'height', 'width'], true);
      const { top, left, height, width } = params;
      if (!(top >= 0 && left >= 0 && height >= 1 && width >= 1 && top + height <= h && left + width <= w)) {
        throw new AugmentError(name, `the window (top ${top}, left ${left}, ${height}×${width}) does not fit the ${h}×${w} image`);
      }
      resizeBilinear(src, i * c * h * w, out, i * c * o.h * o.w, c, h, w, top, left, height, width, o.h, o.w);
    },
  });
}
