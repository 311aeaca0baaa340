import { AugmentError } from './errors';
import { shiftCopy } from './kernels/shift';
import { fillResolver, pixels, probability, replayed, optionsObject } from './options';
import { type PerImage, type Transform, defineImageTransform } from './transform';

/** Options of {@link randomTranslate}. */
export interface TranslateOptions {
  /**
   * Largest shift in pixels: a number for both axes, or `[maxX, maxY]`. Each image moves by
   * integers `dx ∈ [−maxX, maxX]`, `dy ∈ [−maxY, maxY]`, drawn uniformly.
   */
  max: number | readonly [number, number];
  /** Value of the vacated pixels: one number or one per channel. Default 0. */
  fill?: number | readonly number[];
  /** Probability that an image is translated. Default 1. */
  p?: number;
}

/** One image's shift: content moves `dx` pixels right and `dy` pixels down (negative: left/up). */
export interface TranslateParams {
  dx: number;
  dy: number;
}

/**
 * Random translation by whole pixels — the same distribution as padding by `max` and taking
 * a random crop of the original size. **Convention:** "translate by (dx, dy)" moves the
 * content: the pixel at (x, y) goes to (x + dx, y + dy), +x is right and +y is down;
 * pixels that move out are dropped and vacated pixels take `fill`.
 *
 * @param options - `max` (pixels), and optionally `fill` and `p`.
 * @example
 * randomTranslate({ max: 2 })          // ±2 px in x and y, MNIST-style
 * randomTranslate({ max: [4, 0] })     // horizontal only
 */
export function randomTranslate(options: TranslateOptions): Transform<PerImage<TranslateParams>> {
  options = optionsObject('randomTranslate', options, 'randomTranslate({ max: 2 })', ['max', 'fill', 'p']);
  const name = 'randomTranslate';
  const max = options.max;
  if (typeof max !== 'number' && !(Array.isArray(max) && max.length === 2)) {
    throw new AugmentError(name, `max must be a number or a pair [maxX, maxY] of non-negative integers, got ${Array.isArray(max) ? `[${max.join(', ')}]` : String(max)}`);
  }
  const [maxX, maxY] = typeof max === 'number' ? [max, max] : max;
  pixels(name, 'max', maxX);
  pixels(name, 'max', maxY);
  const fill = fillResolver(name, 'fill', options.fill ?? 0);
  return defineImageTransform<TranslateParams>({
    name,
    p: probability(name, options.p ?? 1),
    outputSize(shape) {
      fill(shape);
      return shape;
    },
    drawOne: (rng) => ({ dx: rng.int(2 * maxX + 1) - maxX, dy: rng.int(2 * maxY + 1) - maxY }),
    applyOne(src, out, i, shape, _out, params) {
      replayed(name, params, ['dx', 'dy'], true);
      const { dx, dy } = params;
      const { c, h, w } = shape;
      const off = i * c * h * w;
      shiftCopy(src, off, out, off, c, h, w, h, w, -dy, -dx, fill(shape));
    },
  });
}
