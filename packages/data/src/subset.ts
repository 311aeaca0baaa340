import { Rng, ValueError } from '@trainkit/tensor';
import type { Batch, Dataset } from './dataset';

/** A view of some samples of another dataset; gathering from it copies nothing extra. */
export interface Subset extends Dataset {
  /** The dataset the samples come from. */
  readonly dataset: Dataset;
  /** For each sample of the view, its index in `dataset`. */
  readonly indices: Int32Array;
}

/** Options of {@link splitDataset}. */
export interface SplitOptions {
  /** Shuffle before cutting (seeded, deterministic); false cuts contiguous ranges. Default true. */
  shuffle?: boolean;
  /** Seed of the shuffle. Default 0. */
  seed?: number;
}

/**
 * A view of the samples of `dataset` at `indices` (in that order; indices may repeat).
 *
 * @param dataset - the source dataset.
 * @param indices - indices into `dataset`, each an integer in `[0, dataset.length)`.
 * @example
 * const firstTen = subset(train, Array.from({ length: 10 }, (_, i) => i));
 */
export function subset(dataset: Dataset, indices: ArrayLike<number>): Subset {
  const own = Int32Array.from(indices);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i];
    if (!(Number.isInteger(j) && j >= 0 && j < dataset.length)) {
      throw new ValueError(`subset: index ${j} (position ${i}) is out of range for a dataset of length ${dataset.length}`);
    }
  }
  const mapped = (at: ArrayLike<number>): Int32Array => {
    const out = new Int32Array(at.length);
    for (let i = 0; i < at.length; i++) {
      const k = at[i];
      if (!(Number.isInteger(k) && k >= 0 && k < own.length)) {
        throw new ValueError(`subset.gather: index ${k} is out of range for a subset of length ${own.length}`);
      }
      out[i] = own[k];
    }
    return out;
  };
  const view: Subset = {
    dataset,
    indices: own,
    length: own.length,
    sampleShape: dataset.sampleShape,
    gather: (at: ArrayLike<number>): Batch => dataset.gather(mapped(at)),
  };
  // a source that gathers asynchronously (reads ahead) keeps doing so through the view
  if (dataset.gatherAsync !== undefined) view.gatherAsync = async (at) => (dataset.gatherAsync as NonNullable<Dataset['gatherAsync']>).call(dataset, mapped(at));
  return dataset.numClasses === undefined ? view : { ...view, numClasses: dataset.numClasses };
}

/**
 * The first `n` samples of `dataset` (all of them when it has fewer), for quick runs and tests.
 *
 * @param n - how many samples to keep, a non-negative integer.
 * @example
 * const small = take(await loadMnist({ split: 'train' }), 1000);
 */
export function take(dataset: Dataset, n: number): Subset {
  if (!Number.isInteger(n) || n < 0) throw new ValueError(`take: n must be a non-negative integer, got ${n}`);
  const count = Math.min(n, dataset.length);
  return subset(dataset, range(count));
}

/**
 * Splits a dataset into disjoint views that together hold every sample once, like
 * PyTorch's `random_split`: for a training set and a validation set, say.
 *
 * `sizes` are either sample counts that add up to `dataset.length`, or fractions that add
 * up to 1 (each part gets `floor(fraction × length)` samples and the remainder is dealt
 * one sample at a time to the parts in order).
 *
 * @param sizes - the size of each part, as counts or fractions.
 * @param options - `shuffle` (default true) and `seed` (default 0); the split is a pure
 *   function of the seed.
 * @example
 * const [train, val] = splitDataset(full, [0.9, 0.1], { seed: 1 });
 */
export function splitDataset(dataset: Dataset, sizes: readonly number[], options: SplitOptions = {}): Subset[] {
  const { shuffle = true, seed = 0 } = options;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new ValueError(`splitDataset: seed must be an integer in [0, 2^32), got ${seed}`);
  const counts = resolveCounts(dataset.length, sizes);
  const order = shuffle ? new Rng(seed).stream('split').permutation(dataset.length) : range(dataset.length);
  const parts: Subset[] = [];
  let start = 0;
  for (const count of counts) {
    parts.push(subset(dataset, order.subarray(start, start + count)));
    start += count;
  }
  return parts;
}

/** Turns `sizes` (counts or fractions) into counts that add up to `n`. */
function resolveCounts(n: number, sizes: readonly number[]): number[] {
  const call = `splitDataset(dataset of length ${n}, [${sizes.join(', ')}])`;
  if (sizes.length === 0) throw new ValueError(`${call}: give at least one size`);
  if (sizes.some((s) => !Number.isFinite(s) || s < 0)) throw new ValueError(`${call}: sizes must be non-negative numbers`);
  const sum = sizes.reduce((a, b) => a + b, 0);
  if (sizes.every(Number.isInteger) && sum === n) return [...sizes];
  if (sizes.every((s) => s <= 1) && Math.abs(sum - 1) < 1e-6) {
    const counts = sizes.map((f) => Math.floor(f * n));
    let rest = n - counts.reduce((a, b) => a + b, 0);
    for (let i = 0; rest > 0; i = (i + 1) % counts.length, rest--) counts[i]++;
    return counts;
  }
  throw new ValueError(`${call}: sizes must be counts that add up to ${n} or fractions that add up to 1 (they add up to ${sum})`);
}

function range(n: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}
