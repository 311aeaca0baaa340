import type { Rng } from '@trainkit/tensor';
import { AugmentError } from './errors';
import { fillRect } from './kernels/fillRect';
import { type Range, fillResolver, positiveRange, probability, range, optionsObject } from './options';
import { type PerImage, type Transform, defineImageTransform } from './transform';

/** Options of {@link randomErasing}. */
export interface ErasingOptions {
  /** Range of the erased area as a fraction of the image. Default [0.02, 0.33] (as torchvision). */
  scale?: Range;
  /** Range of the erased rectangle's aspect ratio height / width, drawn log-uniformly. Default [0.3, 3.3]. */
  ratio?: Range;
  /** Value written into the rectangle: one number or one per channel. Default 0. */
  value?: number | readonly number[];
  /** Probability that an image gets a rectangle erased. Default 0.5 (as torchvision). */
  p?: number;
}

/** The erased rectangle of one image, in pixels. */
export interface RectParams {
  top: number;
  left: number;
  height: number;
  width: number;
}

const ATTEMPTS = 10; // as torchvision; an image with no fitting rectangle is left as it is

/** torchvision's `RandomErasing.get_params`, or null when 10 tries found no rectangle that fits. */
function drawRect(rng: Rng, h: number, w: number, scale: Range, ratio: Range): RectParams | null {
  const [logLo, logHi] = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const area = h * w * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(logLo, logHi));
    const height = Math.round(Math.sqrt(area * aspect));
    const width = Math.round(Math.sqrt(area / aspect));
    if (height >= 1 && width >= 1 && height < h && width < w) return { top: rng.int(h - height + 1), left: rng.int(w - width + 1), height, width };
  }
  return null;
}

/**
 * Checks a (replayed) rectangle against an `h × w` image: whole pixels inside it, so
 * `fillRect` never writes into the next row, channel or image. An empty rectangle passes.
 */
export function checkRect(name: string, r: RectParams, h: number, w: number): void {
  const { top, left, height, width } = r;
  const whole = [top, left, height, width].every((v) => Number.isInteger(v) && v >= 0);
  if (!whole || top + height > h || left + width > w) {
    throw new AugmentError(name, `the rectangle (top ${top}, left ${left}, ${height}×${width}) does not fit the ${h}×${w} image`);
  }
}

/**
 * Random erasing (Zhong et al.; torchvision's `RandomErasing`): with probability `p`,
 * overwrites one rectangle of random area (fraction `scale` of the image) and aspect ratio
 * (`ratio`, height / width) with `value`. The parameters of an image whose 10 tries all
 * failed to fit are an empty rectangle (height 0), and the image is left as it is.
 *
 * @param options - `scale`, `ratio`, `value` and `p`.
 * @see https://arxiv.org/abs/1708.04896
 * @example
 * randomErasing()                                  // torchvision's defaults
 * randomErasing({ p: 1, scale: [0.02, 0.1], value: [0.49, 0.48, 0.45] })
 */
export function randomErasing(options: ErasingOptions = {}): Transform<PerImage<RectParams>> {
  options = optionsObject('randomErasing', options, 'randomErasing({ p: 0.5 })', ['scale', 'ratio', 'value', 'p']);
  const name = 'randomErasing';
  const scale = range(name, 'scale', options.scale ?? [0.02, 0.33], 0, 1);
  const ratio = positiveRange(name, 'ratio', options.ratio ?? [0.3, 3.3]);
  const value = fillResolver(name, 'value', options.value ?? 0);
  return defineImageTransform<RectParams>({
    name,
    p: probability(name, options.p ?? 0.5),
    outputSize(shape) {
      value(shape);
      return shape;
    },
    drawOne: (rng, { h, w }) => drawRect(rng, h, w, scale, ratio) ?? { top: 0, left: 0, height: 0, width: 0 },
    applyOne(src, out, i, shape, _o, r) {
      const { c, h, w } = shape;
      checkRect(name, r, h, w);
      const start = i * c * h * w;
      for (let k = start, end = start + c * h * w; k < end; k++) out[k] = src[k];
      fillRect(out, start, c, h, w, r.top, r.left, r.height, r.width, value(shape));
    },
  });
}
