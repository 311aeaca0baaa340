import type { InverseAffine } from './kernels/affine';
import { sampleBilinear, sampleNearest } from './kernels/affine';
import { AugmentError } from './errors';
import { type Range, fillResolver, magnitude, probability, replayed, optionsObject } from './options';
import { type PerImage, type Transform, defineImageTransform } from './transform';

/** Options of {@link randomRotation}. */
export interface RotationOptions {
  /**
   * Largest angle in degrees: a number `d ≥ 0` draws uniformly from [−d, d]; a pair
   * `[lo, hi]` from [lo, hi]. Positive angles turn the image counter-clockwise as displayed.
   */
  degrees: number | Range;
  /** Value of pixels that come from outside the image: one number or one per channel. Default 0. */
  fill?: number | readonly number[];
  /**
   * `'bilinear'` (default) or `'nearest'` (torchvision's default for `RandomRotation`, which
   * copies pixels instead of blending them).
   */
  interpolation?: 'bilinear' | 'nearest';
  /** Probability that an image is rotated. Default 1. */
  p?: number;
}

/** One image's rotation angle in degrees (positive: counter-clockwise as displayed). */
export interface RotationParams {
  angle: number;
}

/** cos and sin of an angle in degrees, exact at multiples of 90° (so 90° rotations copy pixels exactly). */
export function cosSinDegrees(deg: number): [number, number] {
  if (Number.isInteger(deg / 90)) {
    const q = (((deg / 90) % 4) + 4) % 4;
    return [[1, 0], [0, 1], [-1, 0], [0, -1]][q] as [number, number];
  }
  const r = (deg * Math.PI) / 180;
  return [Math.cos(r), Math.sin(r)];
}

/**
 * The inverse map of a rotation by `deg` degrees about the image centre ((w−1)/2, (h−1)/2).
 * With y pointing down, turning the content counter-clockwise by θ sends the offset (dx, dy)
 * from the centre to (cos θ·dx + sin θ·dy, −sin θ·dx + cos θ·dy); the output pixel therefore
 * reads the source at (cos θ·dx′ − sin θ·dy′, sin θ·dx′ + cos θ·dy′).
 */
export function rotationInverse(deg: number, h: number, w: number): InverseAffine {
  const [cos, sin] = cosSinDegrees(deg);
  const cx = (w - 1) / 2;
  const cy = (h - 1) / 2;
  return { a: cos, b: -sin, tx: cx - cos * cx + sin * cy, c: sin, d: cos, ty: cy - sin * cx - cos * cy };
}

/**
 * Random rotation about the image centre with bilinear (default) or nearest-neighbour
 * interpolation (torchvision's `RandomRotation`).
 *
 * **Convention (as torchvision):** a positive angle turns the content counter-clockwise as
 * displayed (row 0 at the top), so +90° sends the top-right corner to the top-left. The
 * centre is ((w−1)/2, (h−1)/2) in pixel indices, and the output size is the input's (corners
 * are cut, nothing expands).
 *
 * Bilinear sampling treats neighbours outside the image as `fill`, so every output is a
 * convex combination of input pixels and the fill. (torchvision's `fill=` re-blends
 * half-covered border pixels with the fill a second time; interior pixels match it exactly,
 * and so does `'nearest'` everywhere.)
 *
 * @param options - `degrees`, and optionally `fill`, `interpolation` and `p`.
 * @example
 * randomRotation({ degrees: 10 })                // uniform in ±10°, bilinear
 * randomRotation({ degrees: 10, interpolation: 'nearest' })
 * randomRotation({ degrees: [0, 0], fill: 1 })   // the identity
 */
export function randomRotation(options: RotationOptions): Transform<PerImage<RotationParams>> {
  options = optionsObject('randomRotation', options, 'randomRotation({ degrees: 10 })', ['degrees', 'fill', 'interpolation', 'p']);
  const name = 'randomRotation';
  const [lo, hi] = magnitude(name, 'degrees', options.degrees, 0, -Infinity, 'the largest angle in degrees');
  const fill = fillResolver(name, 'fill', options.fill ?? 0);
  const interpolation = options.interpolation ?? 'bilinear';
  if (interpolation !== 'bilinear' && interpolation !== 'nearest') throw new AugmentError(name, `interpolation must be 'bilinear' or 'nearest', got ${String(interpolation)}`);
  const sample = interpolation === 'bilinear' ? sampleBilinear : sampleNearest;
  return defineImageTransform<RotationParams>({
    name,
    p: probability(name, options.p ?? 1),
    outputSize(shape) {
      fill(shape);
      return shape;
    },
    drawOne: (rng) => ({ angle: lo === hi ? lo : rng.uniform(lo, hi) }),
    applyOne(src, out, i, shape, _out, params) {
      replayed(name, params, ['angle'], false);
      const { angle } = params;
      const { c, h, w } = shape;
      const off = i * c * h * w;
      sample(src, off, out, off, c, h, w, rotationInverse(angle, h, w), fill(shape));
    },
  });
}
