import { AugmentError } from './errors';
import { shiftCopy } from './kernels/shift';
import { fillResolver, pixels, probability, replayed, size as sizeOption, optionsObject } from './options';
import { type PerImage, type Transform, defineImageTransform } from './transform';

/** Options of {@link randomCrop}. */
export interface CropOptions {
  /** Output size: a positive integer (square) or `[height, width]`. */
  size: number | readonly [number, number];
  /** Pixels of `fill` added on every side before cropping. Default 0. */
  padding?: number;
  /** Value of the padding: one number or one per channel. Default 0. */
  fill?: number | readonly number[];
  /** Probability that an image is cropped; must be 1 unless `size` equals the input size. Default 1. */
  p?: number;
}

/** One image's crop window: its top-left corner in the padded image. */
export interface CropParams {
  top: number;
  left: number;
}

/**
 * Random crop (torchvision's `RandomCrop`): pads every side by `padding` pixels of `fill`,
 * then takes a `size` window at a uniformly random position of the padded image. The
 * classic CIFAR recipe is `randomCrop({ size: 32, padding: 4 })`. A window larger than the
 * padded image is an error.
 *
 * @param options - `size`, and optionally `padding`, `fill` and `p`.
 * @example
 * randomCrop({ size: 32, padding: 4 })   // CIFAR-10
 * randomCrop({ size: [24, 24] })         // 24×24 windows of 28×28 digits (changes the shape)
 */
export function randomCrop(options: CropOptions): Transform<PerImage<CropParams>> {
  options = optionsObject('randomCrop', options, 'randomCrop({ size: 32, padding: 4 })', ['size', 'padding', 'fill', 'p']);
  const name = 'randomCrop';
  const [ch, cw] = sizeOption(name, 'size', options.size);
  const pad = pixels(name, 'padding', options.padding ?? 0);
  const fill = fillResolver(name, 'fill', options.fill ?? 0);
  return defineImageTransform<CropParams>({
    name,
    p: probability(name, options.p ?? 1),
    outputSize(shape) {
      fill(shape);
      const [ph, pw] = [shape.h + 2 * pad, shape.w + 2 * pad];
      if (ch > ph || cw > pw) {
        throw new AugmentError(
          name,
          `the crop ${ch}×${cw} is larger than the padded image ${ph}×${pw} (${shape.h}×${shape.w} + 2·${pad} padding); use a smaller size or more padding`,
        );
      }
      return { h: ch, w: cw };
    },
    drawOne: (rng, { h, w }) => ({ top: rng.int(h + 2 * pad - ch + 1), left: rng.int(w + 2 * pad - cw + 1) }),
    applyOne(src, out, i, shape, outShape, params) {
      replayed(name, params, ['top', 'left'], true);
      const { top, left } = params;
      const { c, h, w } = shape;
      shiftCopy(src, i * c * h * w, out, i * c * ch * cw, c, h, w, outShape.h, outShape.w, top - pad, left - pad, fill(shape));
    },
  });
}
