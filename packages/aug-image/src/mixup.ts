import { sampleBeta } from './beta';
import { checkMix, mixOptions, mixRows } from './mix';
import type { Transform } from './transform';

/** Options of {@link mixup}. */
export interface MixupOptions {
  /** λ ~ Beta(alpha, alpha). Default 1 (uniform, as torchvision's v2 `MixUp`); the paper used 0.2 on ImageNet. */
  alpha?: number;
  /** Probability that a batch is mixed (the whole batch or none of it). Default 1. */
  p?: number;
}

/** A batch's mixup draw: each image i becomes λ·x[i] + (1 − λ)·x[perm[i]]; null for a batch left as it is. */
export type MixupParams = { lambda: number; perm: number[] } | null;

/**
 * Mixup (Zhang et al.): blends every image with another image of the batch,
 * `x̃ᵢ = λ·xᵢ + (1 − λ)·x_perm(i)`, and its one-hot label the same way, `ỹᵢ = λ·yᵢ + (1 − λ)·y_perm(i)`,
 * with one λ ~ Beta(alpha, alpha) and one random permutation per batch. The targets become
 * `[N, numClasses]` soft labels, which `crossEntropy` accepts, so the plugin needs
 * `numClasses` for class-index targets. λ = 1 leaves the batch as it is.
 *
 * @param options - `alpha` and `p`.
 * @see https://arxiv.org/abs/1710.09412
 * @example
 * augment(mixup({ alpha: 0.2 }), { numClasses: 10 })
 */
export function mixup(options: MixupOptions = {}): Transform<MixupParams> {
  const name = 'mixup';
  const { alpha, p } = mixOptions(name, options);
  return {
    name,
    outputShape: (shape) => shape,
    draw(rng, shape) {
      if (p === 0 || (p < 1 && !(rng.uniform() < p))) return null;
      return { lambda: sampleBeta(rng, alpha, alpha), perm: Array.from(rng.permutation(shape.n)) };
    },
    apply(src, out, shape, params) {
      if (params === null) return void out.set(src);
      checkMix(name, shape, params.lambda, params.perm);
      mixRows(src, out, shape.c * shape.h * shape.w, params.lambda, params.perm);
    },
    mixLabels(src, out, numClasses, params) {
      if (params === null) return void out.set(src);
      mixRows(src, out, numClasses, params.lambda, params.perm);
    },
  };
}
