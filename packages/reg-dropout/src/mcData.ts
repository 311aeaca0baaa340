// What predictMc reads: the inputs of each batch, checked, and where each row belongs in the
// dataset, so the results come back in dataset order even from a shuffling DataLoader.
import type { Data } from '@trainkit/core';
import { Tensor, ValueError } from '@trainkit/tensor';

/** The inputs of every batch, and for a shuffling source the dataset index of each row in the order they come (else null). */
export interface McSource {
  readonly inputs: Iterable<Tensor>;
  readonly order: Int32Array | null;
}

/** A short description of a value that is not what was expected, for error messages. */
function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v !== 'object') return `${typeof v} ${String(v)}`;
  return v instanceof Tensor ? 'a Tensor' : `an object with keys ${Object.keys(v).join(', ') || '(none)'}`;
}

/** The order a DataLoader-like source visits the examples in epoch 0 (its `order()`), when that is not 0, 1, 2, …. */
function shuffledOrder(data: object): Int32Array | null {
  const order = (data as { order?: unknown }).order;
  if (typeof order !== 'function') return null;
  const o: unknown = order.call(data, 0, { seed: 0 });
  if (!(o instanceof Int32Array)) return null;
  return o.every((v, i) => v === i) ? null : o;
}

/** Splits a tensor along its first axis into batches of `batchSize`. */
function* split(x: Tensor, batchSize: number): Iterable<Tensor> {
  const n = x.shape[0] ?? 0;
  const per = n === 0 ? 0 : x.size / n;
  for (let i = 0; i < n; i += batchSize) {
    const m = Math.min(batchSize, n - i);
    yield new Tensor(x.data.slice(i * per, (i + m) * per), [m, ...x.shape.slice(1)]);
  }
}

/** The `x` of every batch, refusing anything that is not a `{ x: Tensor }` batch. */
function* inputsOf(batches: Iterable<unknown>): Iterable<Tensor> {
  let i = 0;
  for (const b of batches) {
    const x = b !== null && typeof b === 'object' ? (b as { x?: unknown }).x : undefined;
    if (!(x instanceof Tensor)) {
      const hint = b instanceof Tensor ? ' (pass a single Tensor of inputs directly, not inside a list)' : '';
      throw new ValueError(`predictMc: batch ${i} must be { x: Tensor, … }, got ${describe(b)}${hint}`);
    }
    i++;
    yield x;
  }
}

/**
 * What predictMc reads from `data`: a tensor split along its first axis, a DataSource's epoch 0
 * (with seed 0), or any iterable of batches.
 */
export function mcSource(data: Data | Tensor, batchSize: number): McSource {
  if (data instanceof Tensor) return { inputs: split(data, batchSize), order: null };
  if (data !== null && typeof data === 'object') {
    const epoch = (data as { epoch?: unknown }).epoch;
    if (typeof epoch === 'function') return { inputs: inputsOf(epoch.call(data, 0, { seed: 0 }) as Iterable<unknown>), order: shuffledOrder(data) };
    if (typeof (data as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function') return { inputs: inputsOf(data as Iterable<unknown>), order: null };
  }
  throw new ValueError(`predictMc: data must be a Tensor of inputs, a DataSource (such as a DataLoader) or an iterable of { x: Tensor } batches, got ${describe(data)}`);
}

/**
 * Rows `r` (of `width` values each) put back in dataset order: row j came from example
 * `order[j]`. Throws when the rows are not all of the examples (a shuffling loader with dropLast).
 */
export function toDatasetOrder<T extends Float32Array | Float64Array>(rows: T, width: number, order: Int32Array): T {
  const n = rows.length / width;
  if (n !== order.length) {
    throw new ValueError(`predictMc: the DataLoader shuffles and yielded ${n} of its ${order.length} examples (dropLast), so the rows cannot be returned in dataset order; use a loader without dropLast, or with shuffle: false`);
  }
  const out = new (rows.constructor as new (n: number) => T)(rows.length);
  for (let j = 0; j < n; j++) out.set(rows.subarray(j * width, (j + 1) * width), order[j] * width);
  return out;
}
