import { sampleBeta } from './beta';
import { AugmentError } from './errors';
import { checkMix, mixOptions, mixRows } from './mix';
import type { Transform } from './transform';

/** Options of {@link cutmix}. */
export interface CutmixOptions {
  /** λ ~ Beta(alpha, alpha) sets the box size. Default 1 (as the paper and torchvision's v2 `CutMix`). */
  alpha?: number;
  /** Probability that a batch is mixed. Default 1. */
  p?: number;
}

/**
 * A batch's cutmix draw: the box (rows [top, top + height), columns [left, left + width))
 * of image i comes from image perm[i]; `lambda` is the fraction of each image that stays its
 * own (1 − box area / image area), which is also its label's weight. null: batch left as it is.
 */
export type CutmixParams = { lambda: number; top: number; left: number; height: number; width: number; perm: number[] } | null;

/**
 * CutMix (Yun et al.): pastes one random box from another image of the batch into every
 * image, with the same box for the whole batch, and mixes the one-hot labels by area:
 * `ỹᵢ = λ·yᵢ + (1 − λ)·y_perm(i)` where λ is the uncovered fraction. The box follows
 * torchvision: centre uniform over the image, sides √(1 − λ₀)·(H, W) for λ₀ ~ Beta(alpha, alpha),
 * clipped at the border (λ is then recomputed from the clipped area). Needs `numClasses` for
 * class-index targets.
 *
 * @param options - `alpha` and `p`.
 * @see https://arxiv.org/abs/1905.04899
 * @example
 * augment(compose([randomHorizontalFlip(), cutmix()]), { numClasses: 10 })
 */
export function cutmix(options: CutmixOptions = {}): Transform<CutmixParams> {
  const name = 'cutmix';
  const { alpha, p } = mixOptions(name, options);
  return {
    name,
    outputShape: (shape) => shape,
    draw(rng, { n, h, w }) {
      if (p === 0 || (p < 1 && !(rng.uniform() < p))) return null;
      const lambda0 = sampleBeta(rng, alpha, alpha);
      const cx = rng.int(w);
      const cy = rng.int(h);
      const r = 0.5 * Math.sqrt(1 - lambda0);
      const [halfW, halfH] = [Math.floor(r * w), Math.floor(r * h)];
      const left = Math.max(0, cx - halfW);
      const top = Math.max(0, cy - halfH);
      const width = Math.min(w, cx + halfW) - left;
      const height = Math.min(h, cy + halfH) - top;
      return { lambda: 1 - (width * height) / (w * h), top, left, height, width, perm: Array.from(rng.permutation(n)) };
    },
    apply(src, out, shape, params) {
      out.set(src.subarray(0, out.length));
      if (params === null) return;
      const { c, h, w } = shape;
      const { top, left, height, width, perm } = params;
      checkMix(name, shape, params.lambda, perm);
      if (!(top >= 0 && left >= 0 && top + height <= h && left + width <= w)) throw new AugmentError(name, `the box (top ${top}, left ${left}, ${height}×${width}) does not fit the ${h}×${w} images`);
      for (let i = 0; i < shape.n; i++) {
        for (let ch = 0; ch < c; ch++) {
          const dst = (i * c + ch) * h * w;
          const from = (perm[i] * c + ch) * h * w;
          for (let y = top; y < top + height; y++) for (let x = left; x < left + width; x++) out[dst + y * w + x] = src[from + y * w + x];
        }
      }
    },
    mixLabels(src, out, numClasses, params) {
      if (params === null) return void out.set(src);
      mixRows(src, out, numClasses, params.lambda, params.perm);
    },
  };
}
