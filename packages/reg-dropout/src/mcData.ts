// What predictMc reads: the inputs of each batch, checked, and where each row belongs in the
// dataset, so the results come back in dataset order even from a shuffling DataLoader.
import { type Data, shuffledOrder } from '@trainkit/core';
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
    if (typeof epoch === 'function') return { inputs: inputsOf(epoch.call(data, 0, { seed: 0 }) as Iterable<unknown>), order: shuffledOrder(data as Data, 0, 0) };
    if (typeof (data as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function') return { inputs: inputsOf(data as Iterable<unknown>), order: null };
  }
  throw new ValueError(`predictMc: data must be a Tensor of inputs, a DataSource (such as a DataLoader) or an iterable of { x: Tensor } batches, got ${describe(data)}`);
}
