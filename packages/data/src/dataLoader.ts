import { Rng, ShapeError, ValueError, formatShape, sameShape } from '@trainkit/tensor';
import type { Batch, Dataset } from './dataset';
import { prefetchBatches } from './prefetch';

/** Options of {@link DataLoader}. */
export interface DataLoaderOptions {
  /** Samples per batch, a positive integer. */
  batchSize: number;
  /** Visit the samples in a new seeded random order every epoch. Default false (dataset order). */
  shuffle?: boolean;
  /** Drop the last batch of an epoch when it is smaller than `batchSize`. Default false. */
  dropLast?: boolean;
  /** Seed of the shuffle, an integer in [0, 2^32). Default 0. */
  seed?: number;
  /**
   * Batches {@link DataLoader.epochAsync} requests ahead of the one being trained on, from a
   * dataset that has `gatherAsync` (image folders decode them in worker threads meanwhile).
   * A non-negative integer; default 2; 0 reads each batch only when it is asked for.
   */
  prefetch?: number;
}

/** Options of {@link DataLoader.epoch}. */
export interface EpochOptions {
  /** Overrides the loader's seed (the trainer passes its own). */
  seed?: number;
  /** Skip the first `startBatch` batches, to resume an epoch mid-way. Default 0. */
  startBatch?: number;
}

/**
 * Cuts a dataset into minibatches, epoch after epoch.
 *
 * The order of an epoch is a pure function of `(seed, epoch)`: the permutation for epoch `e`
 * comes from the RNG stream `shuffle/epoch-e` of `new Rng(seed)`, and no state carries over
 * from one epoch to the next. So `epoch(e, { startBatch: k })` yields exactly the batches an
 * uninterrupted `epoch(e)` yields after its first `k`: a checkpoint taken mid-epoch resumes
 * bit for bit. Every batch is freshly allocated, so callers may keep them.
 *
 * @example
 * const loader = new DataLoader(train, { batchSize: 64, shuffle: true, seed: 42 });
 * for (let e = 0; e < 10; e++) {
 *   for (const { x, y } of loader.epoch(e)) {
 *     // x: [64, 1, 28, 28], y: Int32Array(64)
 *   }
 * }
 */
export class DataLoader {
  /** The dataset the batches come from. */
  readonly dataset: Dataset;
  /** Samples per batch. */
  readonly batchSize: number;
  /** Whether each epoch visits the samples in a seeded random order. */
  readonly shuffle: boolean;
  /** Whether a last batch smaller than `batchSize` is dropped. */
  readonly dropLast: boolean;
  /** Default seed of the shuffle ({@link EpochOptions.seed} overrides it per call). */
  readonly seed: number;
  /** Batches {@link epochAsync} requests ahead. */
  readonly prefetch: number;
  /** `dataset`, with every batch its gather returns checked against the indices asked for. */
  private readonly source: Dataset;

  /**
   * @param dataset - the samples; must not be empty.
   * @param options - `batchSize` (required), `shuffle`, `dropLast`, `seed`.
   * @throws ValueError on a bad option or an empty dataset.
   */
  constructor(dataset: Dataset, options: DataLoaderOptions) {
    const { batchSize, shuffle = false, dropLast = false, seed = 0, prefetch = 2 } = options ?? ({} as DataLoaderOptions);
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new ValueError(`DataLoader: batchSize must be a positive integer, got ${String(batchSize)}`);
    }
    checkSeed('DataLoader', seed);
    if (!Number.isInteger(prefetch) || prefetch < 0) throw new ValueError(`DataLoader: prefetch must be a non-negative integer, got ${String(prefetch)}`);
    checkDataset(dataset);
    if (dataset.length === 0) throw new ValueError('DataLoader: dataset is empty');
    if (dropLast && dataset.length < batchSize) {
      throw new ValueError(
        `DataLoader: dataset has ${dataset.length} samples, fewer than batchSize ${batchSize}, so with dropLast: true every epoch would be empty`,
      );
    }
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.seed = seed;
    this.prefetch = prefetch;
    this.source = checkedGather(dataset);
  }

  /** Batches per epoch. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** Samples in the dataset (with `dropLast`, an epoch yields `length × batchSize` of them). */
  get numSamples(): number {
    return this.dataset.length;
  }

  /**
   * The order in which epoch `epoch` visits the samples: a permutation of the dataset's
   * indices when shuffling, `0, 1, 2, …` otherwise.
   */
  order(epoch: number, options: Pick<EpochOptions, 'seed'> = {}): Int32Array {
    checkEpoch(epoch);
    const seed = options.seed ?? this.seed;
    checkSeed('DataLoader.epoch', seed);
    const n = this.dataset.length;
    if (this.shuffle) return new Rng(seed).stream('shuffle').stream(`epoch-${epoch}`).permutation(n);
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    return order;
  }

  /**
   * The batches of epoch `epoch` (0-based), from batch `options.startBatch` on.
   * Options are checked when this is called, not when iteration starts.
   */
  epoch(epoch: number, options: EpochOptions = {}): IterableIterator<Batch> {
    const order = this.order(epoch, options);
    return this.batches(order, this.checkStart(options));
  }

  /**
   * The same batches as {@link DataLoader.epoch}, read ahead: while batch `k` is in use, batches
   * `k + 1 … k + prefetch` are being gathered through the dataset's `gatherAsync` (when it has
   * one), so decoding or disk reads overlap training. The Trainer uses this when it exists.
   */
  epochAsync(epoch: number, options: EpochOptions = {}): AsyncGenerator<Batch, void, undefined> {
    const order = this.order(epoch, options);
    return prefetchBatches(this.source, this.slices(order, this.checkStart(options)), this.prefetch);
  }

  /** The batches of epoch 0. */
  [Symbol.iterator](): IterableIterator<Batch> {
    return this.epoch(0);
  }

  private *batches(order: Int32Array, startBatch: number): IterableIterator<Batch> {
    for (const indices of this.slices(order, startBatch)) yield this.source.gather(indices);
  }

  /** The indices of each batch of `order` from batch `startBatch` on. */
  private *slices(order: Int32Array, startBatch: number): IterableIterator<Int32Array> {
    for (let b = startBatch; b < this.length; b++) {
      const start = b * this.batchSize;
      yield order.subarray(start, Math.min(start + this.batchSize, order.length));
    }
  }

  private checkStart({ startBatch = 0 }: EpochOptions): number {
    if (!Number.isInteger(startBatch) || startBatch < 0 || startBatch > this.length) {
      throw new ValueError(`DataLoader.epoch: startBatch must be an integer in [0, ${this.length}], got ${startBatch}`);
    }
    return startBatch;
  }
}

function checkEpoch(epoch: number): void {
  if (!Number.isInteger(epoch) || epoch < 0) throw new ValueError(`DataLoader.epoch: epoch must be a non-negative integer, got ${epoch}`);
}

function checkSeed(where: string, seed: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new ValueError(`${where}: seed must be an integer in [0, 2^32), got ${seed}`);
  }
}

/** A dataset must have a whole, non-negative length and a gather method (a missing length would read as an empty epoch). */
function checkDataset(dataset: Dataset): void {
  if (dataset === null || typeof dataset !== 'object' || typeof dataset.gather !== 'function') {
    const got = dataset === null || typeof dataset !== 'object' ? String(dataset) : 'an object without it';
    throw new ValueError(`DataLoader: dataset must implement gather(indices) (a Dataset has length, sampleShape and gather), got ${got}`);
  }
  const n: unknown = dataset.length;
  if (!Number.isInteger(n) || (n as number) < 0) throw new ValueError(`DataLoader: dataset.length must be a non-negative integer, got ${String(n)}`);
}

/**
 * A view of `dataset` whose `gather` (and `gatherAsync`) check each batch: `x` of shape
 * `[indices.length, ...sampleShape]` and one label per sample, as PyTorch's collate refuses
 * samples of unequal shapes, instead of training on whatever came back.
 */
function checkedGather(dataset: Dataset): Dataset {
  const check = (batch: Batch, k: number): Batch => {
    const want = [k, ...dataset.sampleShape];
    const shape = batch?.x?.shape;
    if (!Array.isArray(shape) || !sameShape(shape, want)) {
      const got = Array.isArray(shape) ? formatShape(shape) : String(shape);
      throw new ShapeError(`DataLoader: dataset.gather of ${k} indices returned x of shape ${got}, expected ${formatShape(want)} (the batch size, then the dataset's sampleShape ${formatShape(dataset.sampleShape)})`);
    }
    if (batch.y?.length !== k) throw new ShapeError(`DataLoader: dataset.gather of ${k} indices returned ${String(batch.y?.length)} labels, expected ${k} (one per sample)`);
    return batch;
  };
  const view: Dataset = { length: dataset.length, sampleShape: dataset.sampleShape, gather: (ix) => check(dataset.gather(ix), ix.length) };
  const gatherAsync = dataset.gatherAsync;
  if (typeof gatherAsync === 'function') view.gatherAsync = async (ix) => check(await gatherAsync.call(dataset, ix), ix.length);
  return view;
}
