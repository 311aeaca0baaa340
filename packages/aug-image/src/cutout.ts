import { fillRect } from './kernels/fillRect';
import { fillResolver, probability, size as sizeOption, optionsObject } from './options';
import { type RectParams, checkRect } from './erasing';
import { type PerImage, type Transform, defineImageTransform } from './transform';

/** Options of {@link cutout}. */
export interface CutoutOptions {
  /** Side of the square hole, or `[height, width]`, in pixels. */
  size: number | readonly [number, number];
  /** Value written into the hole: one number or one per channel. Default 0. */
  value?: number | readonly number[];
  /** Probability that an image gets a hole. Default 1. */
  p?: number;
}

/**
 * Cutout (DeVries & Taylor): a `size` hole centred on a uniformly random pixel, clipped at
 * the image border (so holes near an edge are smaller), filled with `value`. Parameters are
 * the clipped rectangle.
 *
 * @param options - `size`, `value` and `p`.
 * @see https://arxiv.org/abs/1708.04552
 * @example
 * cutout({ size: 16 })    // CIFAR-10 in the paper
 * cutout({ size: 8 })     // MNIST
 */
export function cutout(options: CutoutOptions): Transform<PerImage<RectParams>> {
  options = optionsObject('cutout', options, 'cutout({ size: 8 })', ['size', 'value', 'p']);
  const name = 'cutout';
  const [sh, sw] = sizeOption(name, 'size', options.size);
  const value = fillResolver(name, 'value', options.value ?? 0);
  return defineImageTransform<RectParams>({
    name,
    p: probability(name, options.p ?? 1),
    outputSize(shape) {
      value(shape);
      return shape;
    },
    drawOne(rng, { h, w }) {
      const cy = rng.int(h);
      const cx = rng.int(w);
      const top = Math.max(0, cy - Math.floor(sh / 2));
      const left = Math.max(0, cx - Math.floor(sw / 2));
      return { top, left, height: Math.min(h, cy - Math.floor(sh / 2) + sh) - top, width: Math.min(w, cx - Math.floor(sw / 2) + sw) - left };
    },
    applyOne(src, out, i, shape, _o, r) {
      const { c, h, w } = shape;
      checkRect(name, r, h, w);
      const start = i * c * h * w;
      for (let k = start, end = start + c * h * w; k < end; k++) out[k] = src[k];
      fillRect(out, start, c, h, w, r.top, r.left, r.height, r.width, value(shape));
    },
  });
}
