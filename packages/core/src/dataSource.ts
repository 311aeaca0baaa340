import { Tensor, ValueError } from '@trainkit/tensor';
import { ConfigError } from './errors';
import type { Batch } from './hooks';

/** Anything that yields batches: a DataLoader (seeded, resumable) or any iterable of batches. */
export interface DataSource {
  /** The batches of one epoch, in an order that depends only on (seed, epoch); skips the first `startBatch`. */
  epoch(epoch: number, options: { seed: number; startBatch?: number }): Iterable<Batch>;
  /** The same batches as {@link DataSource.epoch}, delivered asynchronously (a loader that reads ahead); fit and evaluate prefer it. */
  epochAsync?(epoch: number, options: { seed: number; startBatch?: number }): AsyncIterable<Batch>;
  /**
   * The dataset index of each sample in the order `epoch` visits them (a DataLoader's `order()`).
   * predict uses it to return a shuffling source's outputs in dataset order.
   */
  order?(epoch: number, options: { seed: number }): Int32Array;
}

/** What fit, evaluate and predict accept: a seeded, resumable {@link DataSource} or any iterable of batches. */
export type Data = DataSource | Iterable<Batch>;

function isDataSource(d: Data): d is DataSource {
  return typeof (d as DataSource).epoch === 'function';
}

/** The batches of `epoch`, from batch `startBatch` on (a plain iterable is read and the first batches dropped). */
export function* batchesOf(data: Data, epoch: number, seed: number, startBatch: number): Iterable<Batch> {
  if (isDataSource(data)) {
    yield* data.epoch(epoch, { seed, startBatch });
    return;
  }
  let i = 0;
  for (const b of data) if (i++ >= startBatch) yield b;
}

/** Like {@link batchesOf}, but through the source's `epochAsync` when it has one, so fit can await data read ahead. */
export function batchStream(data: Data, epoch: number, seed: number, startBatch: number): Iterable<Batch> | AsyncIterable<Batch> {
  const epochAsync = (data as DataSource).epochAsync;
  return typeof epochAsync === 'function' ? epochAsync.call(data, epoch, { seed, startBatch }) : batchesOf(data, epoch, seed, startBatch);
}

/**
 * The order in which `data`'s epoch `epoch` with `seed` visits the samples, when it says so (its
 * `order()`) and that is not 0, 1, 2, …; otherwise null (a plain iterable, or no shuffle).
 */
export function shuffledOrder(data: Data, epoch: number, seed: number): Int32Array | null {
  const order = (data as Partial<DataSource>).order;
  if (typeof order !== 'function') return null;
  const o: unknown = order.call(data, epoch, { seed });
  if (!(o instanceof Int32Array)) return null;
  return o.every((v, i) => v === i) ? null : o;
}

/**
 * Rows of `width` values put back in dataset order: row j came from sample `order[j]`. A source
 * that yielded fewer rows than it has samples (a shuffling loader with dropLast) is refused,
 * naming `where`: the rows it kept cannot be placed.
 */
export function toDatasetOrder<T extends Float32Array | Float64Array>(rows: T, width: number, order: Int32Array, where: string): T {
  const n = width === 0 ? order.length : rows.length / width;
  if (n !== order.length) {
    throw new ValueError(`${where}: the DataLoader shuffles and yielded ${n} of its ${order.length} samples (dropLast), so the rows cannot be returned in dataset order; use a loader without dropLast, or with shuffle: false`);
  }
  const out = new (rows.constructor as new (n: number) => T)(rows.length);
  for (let j = 0; j < n; j++) out.set(rows.subarray(j * width, (j + 1) * width), order[j] * width);
  return out;
}

/**
 * predict's outputs (CPU, epoch 0 with `seed`, from batches of `samples` inputs in all) in dataset
 * order: a shuffling source's rows are put back when there is one per sample. Outputs with another
 * number of rows (a model that returns a row per token) come back as the model gave them.
 */
export function inDatasetOrder(out: Tensor, data: Data | Tensor, seed: number, samples: number): Tensor {
  const order = data instanceof Tensor ? null : shuffledOrder(data, 0, seed);
  if (order === null) return out;
  if (samples === order.length && out.shape[0] !== samples) return out;
  return new Tensor(toDatasetOrder(out.data, out.size / Math.max(1, samples), order, 'predict'), out.shape);
}

/** Number of batches per epoch, when the source exposes it (DataLoader's `length`, an array's length). */
export function lengthOf(data: Data): number | undefined {
  const n = (data as { length?: unknown }).length;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : undefined;
}

/** Number of samples in a batch (the first dimension of `x`). */
export function batchSizeOf(b: Batch): number {
  return b.x.shape[0] ?? 0;
}

/** Throws a {@link ConfigError} naming `where` unless `b` is a non-empty `{ x, y }` with as many targets as samples. */
export function checkBatch(b: Batch, where: string): void {
  if (b === null || typeof b !== 'object' || !(b.x instanceof Tensor)) throw new ConfigError(`${where}: a batch must be { x: Tensor, y: labels }, got ${typeof b}`);
  const n = batchSizeOf(b);
  if (n === 0) throw new ConfigError(`${where}: empty batch (x has shape [${b.x.shape.join(', ')}])`);
  const yn = b.y instanceof Tensor ? b.y.shape[0] : b.y?.length;
  if (yn !== n) throw new ConfigError(`${where}: x has ${n} samples but y has ${String(yn)} targets`);
}

/** Splits a tensor along its first dimension into batches of `batchSize` (with placeholder labels), for predict. */
export function* splitTensor(x: Tensor, batchSize: number): Iterable<Batch> {
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new ConfigError(`predict: batchSize must be a positive integer, got ${batchSize}`);
  const n = x.shape[0] ?? 0;
  const per = n === 0 ? 0 : x.size / n;
  for (let i = 0; i < n; i += batchSize) {
    const m = Math.min(batchSize, n - i);
    const data = x.data.slice(i * per, (i + m) * per);
    yield { x: new Tensor(data, [m, ...x.shape.slice(1)]), y: new Int32Array(m) };
  }
}
