import { optionsObject, probability } from './options';
import { type PerImage, type Transform, defineImageTransform } from './transform';

/** Options of {@link randomHorizontalFlip} and {@link randomVerticalFlip}. */
export interface FlipOptions {
  /** Probability that an image is flipped. Default 0.5 (as torchvision). */
  p?: number;
}

/**
 * Random horizontal flip: mirrors an image left ↔ right, reversing the order of its columns
 * (the W axis): `out[y][x] = in[y][W − 1 − x]`. Flipping twice gives the image back.
 * Parameters are `true` for a flipped image, `null` for one left as it is.
 *
 * @param options - `p`, the probability per image (default 0.5).
 * @example
 * randomHorizontalFlip()            // half the images, mirrored
 * randomHorizontalFlip({ p: 1 })    // every image
 */
export function randomHorizontalFlip(options: FlipOptions = {}): Transform<PerImage<true>> {
  options = optionsObject('randomHorizontalFlip', options, 'randomHorizontalFlip({ p: 0.5 })', ['p']);
  return defineImageTransform<true>({
    name: 'randomHorizontalFlip',
    p: probability('randomHorizontalFlip', options.p ?? 0.5),
    drawOne: () => true,
    applyOne(src, out, i, { c, h, w }) {
      for (let r = i * c * h, end = r + c * h; r < end; r++) {
        const row = r * w;
        for (let x = 0, last = row + w - 1; x < w; x++) out[row + x] = src[last - x];
      }
    },
  });
}

/**
 * Random vertical flip: mirrors an image top ↔ bottom, reversing the order of its rows
 * (the H axis): `out[y][x] = in[H − 1 − y][x]`. Flipping twice gives the image back.
 *
 * @param options - `p`, the probability per image (default 0.5).
 * @example
 * randomVerticalFlip({ p: 0.5 })
 */
export function randomVerticalFlip(options: FlipOptions = {}): Transform<PerImage<true>> {
  options = optionsObject('randomVerticalFlip', options, 'randomVerticalFlip({ p: 0.5 })', ['p']);
  return defineImageTransform<true>({
    name: 'randomVerticalFlip',
    p: probability('randomVerticalFlip', options.p ?? 0.5),
    drawOne: () => true,
    applyOne(src, out, i, { c, h, w }) {
      for (let ch = 0; ch < c; ch++) {
        const base = (i * c + ch) * h * w;
        for (let y = 0; y < h; y++) {
          const o = base + y * w;
          const s = base + (h - 1 - y) * w;
          for (let x = 0; x < w; x++) out[o + x] = src[s + x];
        }
      }
    },
  });
}
