import { type Target, Tensor, formatShape } from '@trainkit/tensor';
import { AugmentError } from './errors';

/**
 * The targets of a batch of `n` as probability rows `[n, numClasses]` (row-major): class
 * indices become one-hot rows, a rank-2 tensor is copied. `who` names the caller in errors.
 *
 * @example
 * softLabels(Int32Array.of(2, 0), 2, 3); // { data: [0, 0, 1, 1, 0, 0], numClasses: 3 }
 */
export function softLabels(y: Target, n: number, numClasses: number | undefined, who = 'augment'): { data: Float32Array; numClasses: number } {
  if (y instanceof Tensor && y.rank === 2) {
    const [rows, k] = y.shape;
    if (rows !== n) throw new AugmentError(who, `the soft labels have ${rows} rows but the batch has ${n} images`);
    if (numClasses !== undefined && k !== numClasses) throw new AugmentError(who, `the soft labels have ${k} classes (shape ${formatShape(y.shape)}) but numClasses is ${numClasses}`);
    return { data: Float32Array.from(y.data), numClasses: k };
  }
  if (y instanceof Tensor && y.rank !== 1) throw new AugmentError(who, `targets must be class indices or an [N, numClasses] tensor, got shape ${formatShape(y.shape)}`);
  const idx: ArrayLike<number> = y instanceof Tensor ? y.data : y;
  if (numClasses === undefined) {
    throw new AugmentError(who, 'mixup and cutmix make soft labels, so class-index targets need numClasses: augment(pipeline, { numClasses: 10 })');
  }
  if (idx.length !== n) throw new AugmentError(who, `got ${idx.length} targets for ${n} images`);
  const data = new Float32Array(n * numClasses);
  for (let i = 0; i < n; i++) {
    const k = idx[i];
    if (!Number.isInteger(k) || k < 0 || k >= numClasses) throw new AugmentError(who, `target ${i} is ${k}, not a class index in [0, ${numClasses})`);
    data[i * numClasses + k] = 1;
  }
  return { data, numClasses };
}
