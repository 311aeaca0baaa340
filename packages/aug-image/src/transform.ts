import type { Rng } from '@trainkit/tensor';
import { AugmentError } from './errors';
import { probability } from './options';
import type { ImageShape } from './shape';

/**
 * A batched image augmentation, split in two so every random choice can be replayed:
 * `draw` takes the random parameters of one batch from an RNG (and is the only step that
 * uses it); `apply` is a pure function of the input and those parameters. Parameters are
 * plain JSON-safe data, so a logged draw replays without the RNG.
 *
 * Transforms never modify their input; `apply` writes into a separate output buffer.
 *
 * @typeParam P - The parameters of one batch (for per-image transforms, one entry per image).
 * @example
 * const t = randomRotation({ degrees: 10 });
 * const shape = { n: 64, c: 1, h: 28, w: 28 };
 * const params = t.draw(rng, shape);           // e.g. [{ angle: 3.7 }, { angle: -8.1 }, …]
 * const out = new Float32Array(x.length);
 * t.apply(x, out, shape, params);              // replays exactly, any time
 */
export interface Transform<P = unknown> {
  /** The factory's name (`randomRotation`, `mixup`, …); errors and logs use it. */
  readonly name: string;
  /**
   * The shape of the output for an input of shape `shape`. Throws an {@link AugmentError} if the
   * transform cannot take such a batch (wrong channel count, a crop larger than the padded image).
   */
  outputShape(shape: ImageShape): ImageShape;
  /** Draws the parameters of one batch of shape `shape`. */
  draw(rng: Rng, shape: ImageShape): P;
  /**
   * Writes the augmented batch into `out` (of `outputShape(shape)`'s size). `src` is read
   * only and must not alias `out`.
   */
  apply(src: Float32Array, out: Float32Array, shape: ImageShape, params: P): void;
  /**
   * Only for transforms that mix images (mixup, cutmix): writes the soft labels of the
   * augmented batch, `src` and `out` being `[n, numClasses]` row-major probability rows.
   */
  mixLabels?(src: Float32Array, out: Float32Array, numClasses: number, params: P): void;
}

/** Parameters of a per-image transform: one entry per image, `null` where the image was left as it is. */
export type PerImage<S> = ReadonlyArray<S | null>;

/** What {@link defineImageTransform} needs: how to draw and apply one image's parameters. */
export interface ImageTransformSpec<S> {
  /** The transform's name, used in errors. */
  name: string;
  /** Probability that an image is transformed (independently per image). Default 1. */
  p?: number;
  /**
   * Validates the input shape and returns the per-image output size; default: the input's.
   * A transform that changes the size must have `p = 1` (a skipped image would keep its size).
   */
  outputSize?(shape: ImageShape): { h: number; w: number };
  /** Draws one image's parameters. */
  drawOne(rng: Rng, shape: ImageShape): S;
  /**
   * Writes image `i` of `src` (offset `i·c·h·w`) transformed by `params` into image `i` of
   * `out` (offset `i·c·outShape.h·outShape.w`).
   */
  applyOne(src: Float32Array, out: Float32Array, i: number, shape: ImageShape, outShape: ImageShape, params: S): void;
}

/**
 * Builds a {@link Transform} that acts on each image independently, with probability `p`
 * per image: `draw` gives one parameter record per image (`null` for an image left
 * unchanged), `apply` loops over the batch. Every built-in per-image transform is made this
 * way, and so can a third party's.
 *
 * @example
 * const invert = defineImageTransform<true>({
 *   name: 'invert',
 *   p: 0.5,
 *   drawOne: () => true,
 *   applyOne(src, out, i, { c, h, w }) {
 *     for (let k = i * c * h * w, end = k + c * h * w; k < end; k++) out[k] = 1 - src[k];
 *   },
 * });
 */
export function defineImageTransform<S>(spec: ImageTransformSpec<S>): Transform<PerImage<S>> {
  const { name, drawOne, applyOne } = spec;
  const p = probability(name, spec.p ?? 1);
  const outputShape = (shape: ImageShape): ImageShape => {
    if (spec.outputSize === undefined) return shape;
    const { h, w } = spec.outputSize(shape);
    if ((h !== shape.h || w !== shape.w) && p < 1) {
      throw new AugmentError(name, `p must be 1 when the output size (${h}×${w}) differs from the input's (${shape.h}×${shape.w}), got p = ${p}`);
    }
    return { n: shape.n, c: shape.c, h, w };
  };
  return {
    name,
    outputShape,
    draw(rng, shape) {
      outputShape(shape);
      const params: Array<S | null> = new Array<S | null>(shape.n);
      for (let i = 0; i < shape.n; i++) params[i] = p === 1 || (p > 0 && rng.uniform() < p) ? drawOne(rng, shape) : null;
      return params;
    },
    apply(src, out, shape, params) {
      const outShape = outputShape(shape);
      if (params.length !== shape.n) throw new AugmentError(name, `got parameters for ${params.length} images but the batch has ${shape.n}`);
      const chw = shape.c * shape.h * shape.w;
      for (let i = 0; i < shape.n; i++) {
        const pi = params[i];
        if (pi !== null) applyOne(src, out, i, shape, outShape, pi);
        else for (let k = i * chw, end = k + chw; k < end; k++) out[k] = src[k];
      }
    },
  };
}
