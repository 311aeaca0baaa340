import { ShapeError, Tensor, ValueError } from '@trainkit/tensor';

/** A minibatch: inputs stacked along a new first axis, and one class label per sample. */
export interface Batch {
  /** Inputs, shape `[batchSize, ...sampleShape]`. */
  x: Tensor;
  /** Class labels, one per sample. */
  y: Int32Array;
}

/**
 * A finite, indexable collection of labelled samples that all share one shape.
 *
 * The only operation is {@link Dataset.gather}: fetch several samples at once, stacked into
 * a {@link Batch}. Implement it to serve your own data to a `DataLoader`.
 */
export interface Dataset {
  /** Number of samples. */
  readonly length: number;
  /** Shape of one sample's input (for MNIST `[1, 28, 28]`). */
  readonly sampleShape: readonly number[];
  /** Number of classes, when known; every label is then in `[0, numClasses)`. */
  readonly numClasses?: number;
  /**
   * The samples at `indices`, in that order, as one batch whose `x` has shape
   * `[indices.length, ...sampleShape]`. Indices may repeat. A new batch every call.
   */
  gather(indices: ArrayLike<number>): Batch;
  /**
   * Optional: the same batch as {@link Dataset.gather}, produced asynchronously (decoded in
   * worker threads, read from disk without blocking). `DataLoader.epochAsync` calls it for the
   * next batches while the current one trains.
   */
  gatherAsync?(indices: ArrayLike<number>): Promise<Batch>;
}

/** Options of {@link TensorDataset}. */
export interface TensorDatasetOptions {
  /**
   * The inputs: either a flat Float32Array holding the samples one after another
   * (then `sampleShape` is required), or a Tensor of shape `[n, ...sampleShape]`.
   * Kept by reference, not copied.
   */
  x: Float32Array | Tensor;
  /** Class labels, one per sample (kept by reference). */
  y: Int32Array;
  /** Shape of one sample; inferred from `x.shape.slice(1)` when `x` is a Tensor. */
  sampleShape?: readonly number[];
  /** Number of classes; when given, every label must be in `[0, numClasses)`. */
  numClasses?: number;
}

/**
 * A dataset held in memory: a flat Float32Array of inputs and an Int32Array of labels.
 *
 * The constructor checks that the sizes agree and the labels are valid; {@link gather}
 * copies whole rows, so a batch never aliases the dataset.
 *
 * @example
 * const ds = new TensorDataset({ x: new Float32Array(4 * 3), sampleShape: [3], y: Int32Array.of(0, 1, 1, 0), numClasses: 2 });
 * ds.gather([3, 0]).x.shape; // [2, 3]
 */
export class TensorDataset implements Dataset {
  /** Flat inputs, `length * sampleSize` values. */
  readonly x: Float32Array;
  /** Labels, one per sample. */
  readonly y: Int32Array;
  /** Shape of one sample's input. */
  readonly sampleShape: readonly number[];
  /** Number of values in one sample (the product of `sampleShape`). */
  readonly sampleSize: number;
  /** Number of classes, when given. */
  readonly numClasses?: number;

  /**
   * @param options - `x`, `y`, `sampleShape` and optionally `numClasses`.
   * @throws ShapeError when the sizes disagree, ValueError on a bad label or option.
   */
  constructor(options: TensorDatasetOptions) {
    const { x, y, numClasses } = options;
    if (!(y instanceof Int32Array)) throw new ValueError('TensorDataset: y must be an Int32Array of class labels');
    const sampleShape = resolveSampleShape(options);
    const sampleSize = sampleShape.reduce((a, b) => a * b, 1);
    const flat = x instanceof Tensor ? x.data : x;
    if (!(flat instanceof Float32Array)) throw new ValueError('TensorDataset: x must be a Float32Array or a Tensor');
    if (flat.length !== y.length * sampleSize) {
      throw new ShapeError(
        `TensorDataset: x has ${flat.length} values but ${y.length} labels × sampleShape [${sampleShape.join(', ')}] need ${y.length * sampleSize}`,
      );
    }
    if (numClasses !== undefined && (!Number.isInteger(numClasses) || numClasses < 1)) {
      throw new ValueError(`TensorDataset: numClasses must be a positive integer, got ${numClasses}`);
    }
    checkLabels(y, numClasses);
    this.x = flat;
    this.y = y;
    this.sampleShape = Object.freeze([...sampleShape]);
    this.sampleSize = sampleSize;
    if (numClasses !== undefined) this.numClasses = numClasses;
  }

  /** Number of samples. */
  get length(): number {
    return this.y.length;
  }

  /** Copies the rows at `indices` into one new batch (one allocation for x, one for y). */
  gather(indices: ArrayLike<number>): Batch {
    const n = indices.length;
    const size = this.sampleSize;
    const xs = new Float32Array(n * size);
    const ys = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const j = indices[i];
      if (!(Number.isInteger(j) && j >= 0 && j < this.y.length)) {
        throw new ValueError(`TensorDataset.gather: index ${j} is out of range for a dataset of length ${this.y.length}`);
      }
      xs.set(this.x.subarray(j * size, (j + 1) * size), i * size);
      ys[i] = this.y[j];
    }
    return { x: new Tensor(xs, [n, ...this.sampleShape]), y: ys };
  }
}

function resolveSampleShape({ x, sampleShape }: TensorDatasetOptions): readonly number[] {
  if (x instanceof Tensor) {
    if (x.shape.length === 0) throw new ShapeError('TensorDataset: x must have a leading sample axis, got a scalar tensor');
    const inferred = x.shape.slice(1);
    if (sampleShape !== undefined && sampleShape.join() !== inferred.join()) {
      throw new ShapeError(`TensorDataset: sampleShape [${sampleShape.join(', ')}] does not match x.shape [${x.shape.join(', ')}]`);
    }
    return inferred;
  }
  if (sampleShape === undefined) throw new ShapeError('TensorDataset: sampleShape is required when x is a flat Float32Array');
  if (!Array.isArray(sampleShape)) throw new ShapeError(`TensorDataset: sampleShape must be an array of positive integers (e.g. [1, 28, 28]), got ${String(sampleShape)}`);
  for (const d of sampleShape) {
    if (!Number.isInteger(d) || d < 1) {
      throw new ShapeError(`TensorDataset: sampleShape [${sampleShape.join(', ')}] must contain positive integers`);
    }
  }
  return sampleShape;
}

function checkLabels(y: Int32Array, numClasses: number | undefined): void {
  const hi = numClasses ?? Infinity;
  for (let i = 0; i < y.length; i++) {
    if (y[i] < 0 || y[i] >= hi) {
      const range = numClasses === undefined ? 'non-negative' : `in [0, ${numClasses})`;
      throw new ValueError(`TensorDataset: label ${y[i]} at index ${i} must be ${range}`);
    }
  }
}
