import { type Rng, type Target, Tensor } from '@trainkit/tensor';
import { AugmentError } from './errors';
import { softLabels } from './labels';
import { dims, imageShape, sizeOf } from './shape';
import type { Transform } from './transform';

/** Options of {@link augmentBatch} and of the {@link augment} plugin. */
export interface AugmentOptions {
  /**
   * Number of classes, needed when the pipeline mixes labels (mixup, cutmix) and the targets are
   * class indices: they become one-hot rows before mixing.
   */
  numClasses?: number;
}

/** An augmented batch and the parameters that produced it. */
export interface AugmentResult<P> {
  /** New input tensor (the caller's is untouched). */
  x: Tensor;
  /** The targets: the caller's own when the pipeline mixes no labels, otherwise new `[N, numClasses]` soft labels. */
  y: Target;
  /** The draw, replayable with `transform.apply`. */
  params: P;
}

/** Checks `numClasses` once (shared with the plugin). */
export function checkNumClasses(who: string, numClasses: number | undefined): void {
  if (numClasses !== undefined && !(Number.isInteger(numClasses) && numClasses >= 1)) {
    throw new AugmentError(who, `numClasses must be a positive integer, got ${numClasses}`);
  }
}

/**
 * Augments one NCHW batch outside a trainer: draws parameters from `rng`, applies them to a
 * copy of `x` and, for label-mixing pipelines, mixes the targets into soft labels. Neither
 * `x` nor `y` is modified.
 *
 * @param transform - A transform or a {@link compose} pipeline.
 * @param batch - `x` of shape [N, C, H, W] and its targets `y`.
 * @param rng - The RNG to draw from (a trainer uses `ctx.rng.stream('augment')`).
 * @param options - `numClasses` for mixup/cutmix on class indices.
 * @example
 * const { x, params } = augmentBatch(randomRotation({ degrees: 10 }), { x: images, y: labels }, new Rng(0).stream('augment'));
 */
export function augmentBatch<P>(transform: Transform<P>, batch: { x: Tensor; y: Target }, rng: Rng, options: AugmentOptions = {}): AugmentResult<P> {
  checkNumClasses('augmentBatch', options.numClasses);
  const shape = imageShape(batch.x, transform.name);
  const outShape = transform.outputShape(shape);
  const params = transform.draw(rng, shape);
  const out = new Float32Array(sizeOf(outShape));
  transform.apply(batch.x.data, out, shape, params);
  let y = batch.y;
  if (transform.mixLabels !== undefined) {
    const soft = softLabels(batch.y, shape.n, options.numClasses, transform.name);
    const mixed = new Float32Array(soft.data.length);
    transform.mixLabels(soft.data, mixed, soft.numClasses, params);
    y = new Tensor(mixed, [shape.n, soft.numClasses]);
  }
  return { x: new Tensor(out, dims(outShape)), y, params };
}
