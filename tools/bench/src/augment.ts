import { augmentBatch, compose, randomHorizontalFlip, randomRotation, randomTranslate } from '@trainkit/aug-image';
import { Rng, Tensor } from '@trainkit/tensor';

/** One augmentation workload: a call augments BATCHES_PER_CALL batches. */
export interface AugmentWorkload {
  name: string;
  unit: string;
  unitsPerCall: number;
  once: () => void;
}

const BATCH = 64;
/** Batches per call: one batch takes about a millisecond, too short to time on its own. */
const BATCHES_PER_CALL = 10;

/**
 * The augmentation of the CNN comparison run (±2 px translation, ±10° rotation) plus a
 * horizontal flip, exactly as the `augment` plugin runs it each training step: draw from
 * the seeded stream, allocate the output batch, translate → rotate → flip.
 */
export function augmentWorkload(shape: [number, number, number]): AugmentWorkload {
  const [c, h, w] = shape;
  const pipeline = compose([randomTranslate({ max: 2 }), randomRotation({ degrees: 10 }), randomHorizontalFlip({ p: 0.5 })]);
  const rng = new Rng(7);
  const x = new Tensor(rng.fillUniform(new Float32Array(BATCH * c * h * w)), [BATCH, c, h, w]);
  const batch = { x, y: new Int32Array(BATCH) };
  const stream = rng.stream('augment');
  return {
    name: `augment translate+rotate+flip, ${BATCH}×${c}×${h}×${w}`,
    unit: 'images/s',
    unitsPerCall: BATCH * BATCHES_PER_CALL,
    once: () => {
      for (let b = 0; b < BATCHES_PER_CALL; b++) augmentBatch(pipeline, batch, stream);
    },
  };
}

/**
 * Augmentation throughput (images/s) of translate + rotate + flip on batches of 64 MNIST-sized
 * 1×28×28 images and of 64 CIFAR-sized 3×32×32 images. Compare with the foundation-CNN training
 * workload: at 64 images per step, augmentation costs (CNN samples/s) / (augment images/s) of
 * a training step (the budget is under 10%).
 */
export function augmentWorkloads(): AugmentWorkload[] {
  return [augmentWorkload([1, 28, 28]), augmentWorkload([3, 32, 32])];
}
