import type { Plugin } from '@trainkit/core';
import { AugmentError } from './errors';
import { type AugmentOptions, augmentBatch, checkNumClasses } from './augmentBatch';
import type { Transform } from './transform';

/** Options of the {@link augment} plugin. */
export interface AugmentPluginOptions extends AugmentOptions {
  /** Name of the trainer RNG stream to draw from. Default `'augment'`. */
  stream?: string;
  /** Plugin name (for errors and when several augment plugins run). Default `'augment'`. */
  name?: string;
}

/** The plugin returned by {@link augment}. */
export interface AugmentPlugin<P> extends Plugin {
  /** The transform or pipeline it runs. */
  readonly transform: Transform<P>;
  /** Parameters of the latest augmented batch, or null before the first. */
  readonly lastDraw: P | null;
}

/**
 * The trainer plugin: in `onTrainBatchStart`, while the model is in train mode, replaces
 * `ctx.batch` with an augmented copy drawn from the trainer's seeded stream
 * `ctx.rng.stream('augment')`. Validation, evaluation and prediction batches are never touched.
 * Because that stream is part of the trainer's RNG state, a run replays from its seed and
 * resumes exactly from a checkpoint.
 *
 * @param transform - A transform or a {@link compose} pipeline.
 * @param options - `numClasses` (needed by mixup/cutmix on class-index targets), `stream`, `name`.
 * @example
 * const trainer = new Trainer({
 *   optimizer: adam({ lr: 1e-3 }),
 *   plugins: [augment(compose([randomTranslate({ max: 2 }), randomRotation({ degrees: 10 })]))],
 * });
 */
export function augment<P>(transform: Transform<P>, options: AugmentPluginOptions = {}): AugmentPlugin<P> {
  const name = options.name ?? 'augment';
  const stream = options.stream ?? 'augment';
  if (typeof transform !== 'object' || transform === null || typeof transform.draw !== 'function') {
    throw new AugmentError('augment', `expected a transform or compose([...]) pipeline, got ${transform === null ? 'null' : typeof transform}`);
  }
  checkNumClasses('augment', options.numClasses);
  if (typeof stream !== 'string' || stream.length === 0 || stream.includes('/')) throw new AugmentError('augment', `stream must be a non-empty name without "/", got "${stream}"`);
  let lastDraw: P | null = null;
  return {
    name,
    transform,
    get lastDraw() {
      return lastDraw;
    },
    onTrainBatchStart(ctx) {
      if (!ctx.model.training) return; // augmentation acts in train mode only
      const r = augmentBatch(transform, ctx.batch, ctx.rng.stream(stream), options);
      ctx.batch = { x: r.x, y: r.y };
      lastDraw = r.params;
    },
  };
}
