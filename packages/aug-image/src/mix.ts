import { AugmentError } from './errors';
import { optionsObject, probability } from './options';
import type { ImageShape } from './shape';

/** The Beta(α, α) concentration and the probability `p` of a mixing transform (mixup, cutmix), checked. */
export function mixOptions(name: string, given: { alpha?: number; p?: number } | undefined): { alpha: number; p: number } {
  const options = optionsObject(name, given, `${name}({ alpha: ${name === 'mixup' ? 0.2 : 1} })`, ['alpha', 'p']);
  const alpha = options.alpha ?? 1;
  if (typeof alpha !== 'number' || !(alpha > 0 && Number.isFinite(alpha))) throw new AugmentError(name, `alpha must be a finite number > 0, got ${alpha}`);
  return { alpha, p: probability(name, options.p ?? 1) };
}

/**
 * Checks replayed mixing parameters against the batch: `perm` must hold one image index of
 * the batch per image (an index outside it would mix in NaN) and `lambda` be a weight in [0, 1].
 */
export function checkMix(name: string, shape: ImageShape, lambda: number, perm: readonly number[]): void {
  if (!(lambda >= 0 && lambda <= 1)) throw new AugmentError(name, `lambda must be in [0, 1], got ${lambda}`);
  if (perm.length !== shape.n) throw new AugmentError(name, `perm has ${perm.length} entries but the batch has ${shape.n} images`);
  const bad = perm.findIndex((j) => !(Number.isInteger(j) && j >= 0 && j < shape.n));
  if (bad >= 0) throw new AugmentError(name, `perm[${bad}] is ${perm[bad]}, not the index of an image of the batch (an integer in [0, ${shape.n}))`);
}

/** `out[i] = λ·src[i] + (1 − λ)·src[perm[i]]` for rows of `size` floats (images or label rows). */
export function mixRows(src: Float32Array, out: Float32Array, size: number, lambda: number, perm: readonly number[]): void {
  const mu = 1 - lambda;
  for (let i = 0; i < perm.length; i++) {
    const a = i * size;
    const b = perm[i] * size;
    for (let k = 0; k < size; k++) out[a + k] = lambda * src[a + k] + mu * src[b + k];
  }
}
