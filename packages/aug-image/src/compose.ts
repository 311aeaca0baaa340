import type { Rng } from '@trainkit/tensor';
import { AugmentError } from './errors';
import { type ImageShape, sizeOf } from './shape';
import type { Transform } from './transform';

/** A pipeline of transforms that is itself a {@link Transform}; see {@link compose}. */
export interface Compose extends Transform<unknown[]> {
  /** The transforms, in the order they run. */
  readonly transforms: readonly Transform[];
  /** The parameters of the most recent `draw` (one entry per transform), or null before the first. */
  readonly lastDraw: readonly unknown[] | null;
}

function isTransform(t: unknown): t is Transform {
  const o = t as Partial<Transform> | null;
  return typeof o === 'object' && o !== null && typeof o.name === 'string' && typeof o.draw === 'function' && typeof o.apply === 'function' && typeof o.outputShape === 'function';
}

/**
 * Runs transforms one after another. Each transform carries its own probability `p` (per
 * image; per batch for mixup and cutmix), so `compose` needs none. The parameters of a draw
 * are the array of the transforms' parameters, in order, and `lastDraw` keeps the latest, so a
 * batch can be inspected or replayed with `apply`. Intermediate results live in two scratch
 * buffers reused across batches; only the final output is written to the caller's buffer.
 *
 * @param transforms - The transforms, applied first to last.
 * @example
 * const pipeline = compose([
 *   randomTranslate({ max: 2 }),
 *   randomRotation({ degrees: 10 }),
 *   randomHorizontalFlip({ p: 0.5 }),
 * ]);
 * new Trainer({ optimizer: adam(), plugins: [augment(pipeline)] });
 */
export function compose(transforms: readonly Transform[]): Compose {
  if (!Array.isArray(transforms)) throw new AugmentError('compose', `expected an array of transforms, got ${typeof transforms}`);
  transforms.forEach((t, i) => {
    if (!isTransform(t)) {
      throw new AugmentError('compose', `entry ${i} is not a transform (got ${t === null ? 'null' : typeof t}); build entries with randomTranslate(...), randomRotation(...), …`);
    }
  });
  const list = [...transforms];
  const mixers = list.map((t, i) => (t.mixLabels === undefined ? -1 : i)).filter((i) => i >= 0);
  let scratch: [Float32Array, Float32Array] = [new Float32Array(0), new Float32Array(0)];
  let lastDraw: unknown[] | null = null;

  const shapes = (shape: ImageShape): ImageShape[] => {
    const all = [shape];
    for (const t of list) all.push(t.outputShape(all[all.length - 1]));
    return all;
  };

  const pipeline: Compose = {
    name: 'compose',
    transforms: list,
    get lastDraw() {
      return lastDraw;
    },
    outputShape: (shape) => shapes(shape)[list.length],
    draw(rng: Rng, shape: ImageShape) {
      const params: unknown[] = [];
      let s = shape;
      for (const t of list) {
        params.push(t.draw(rng, s));
        s = t.outputShape(s);
      }
      lastDraw = params;
      return params;
    },
    apply(src, out, shape, params) {
      if (!Array.isArray(params) || params.length !== list.length) {
        throw new AugmentError('compose', `got ${Array.isArray(params) ? params.length : typeof params} parameter entries for ${list.length} transforms`);
      }
      if (list.length === 0) return void out.set(src);
      const s = shapes(shape);
      const need = Math.max(0, ...s.slice(1, -1).map(sizeOf));
      if (scratch[0].length < need) scratch = [new Float32Array(need), new Float32Array(need)];
      let input = src;
      for (let j = 0; j < list.length; j++) {
        const last = j === list.length - 1;
        const target = last ? out : scratch[j % 2].subarray(0, sizeOf(s[j + 1]));
        list[j].apply(input, target, s[j], params[j]);
        input = target;
      }
    },
  };
  if (mixers.length > 0) {
    pipeline.mixLabels = (src, out, numClasses, params) => {
      let input = src;
      mixers.forEach((j, k) => {
        const target = k === mixers.length - 1 ? out : new Float32Array(src.length);
        (list[j].mixLabels as NonNullable<Transform['mixLabels']>)(input, target, numClasses, params[j]);
        input = target;
      });
    };
  }
  return pipeline;
}
