import { type Tensor, formatShape } from '@trainkit/tensor';
import { AugmentError } from './errors';

/** The shape of an NCHW image batch: `n` images of `c` channels, `h` rows and `w` columns. */
export interface ImageShape {
  readonly n: number;
  readonly c: number;
  readonly h: number;
  readonly w: number;
}

/**
 * The {@link ImageShape} of an NCHW batch tensor; `who` names the caller in the error for a
 * tensor that is not rank 4 or has an empty dimension.
 *
 * @example
 * imageShape(new Tensor(new Float32Array(2 * 784), [2, 1, 28, 28])); // { n: 2, c: 1, h: 28, w: 28 }
 */
export function imageShape(x: Tensor, who = 'augment'): ImageShape {
  if (x.rank !== 4) {
    throw new AugmentError(
      who,
      `expected an NCHW image batch (rank 4), got shape ${formatShape(x.shape)}; ` +
        'reshape it to [N, C, H, W] first (MNIST rows of 784: [N, 1, 28, 28])',
    );
  }
  const [n, c, h, w] = x.shape;
  if (n === 0 || c === 0 || h === 0 || w === 0) throw new AugmentError(who, `the batch ${formatShape(x.shape)} has an empty dimension`);
  // [N, H, W, C] (channels last, as from a decoder or TF.js) would flip or crop across the channels silently
  if ((w === 1 || w === 3 || w === 4) && c > 4 && h > 4) {
    throw new AugmentError(who, `the batch ${formatShape(x.shape)} looks channels-last ([N, H, W, C] with ${w} channels); augmentations take [N, C, H, W]: permute it to ${formatShape([n, w, c, h])} first (permute(x, [0, 3, 1, 2]))`);
  }
  return { n, c, h, w };
}

/** Number of floats in a batch of this shape. */
export function sizeOf(s: ImageShape): number {
  return s.n * s.c * s.h * s.w;
}

/** `[n, c, h, w]` as a plain array (for tensors and messages). */
export function dims(s: ImageShape): [number, number, number, number] {
  return [s.n, s.c, s.h, s.w];
}
