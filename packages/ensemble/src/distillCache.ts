import type { Batch } from '@trainkit/core';
import { Tensor, ValueError } from '@trainkit/tensor';

/** A batch that also says which dataset example each row is (see {@link withIndex}). */
export interface IndexedBatch extends Batch {
  /** The dataset index of each row of `x`. */
  index: ArrayLike<number>;
}

/** What {@link withIndex} needs of a dataset: `gather`, and `gatherAsync` when it reads ahead (a `@trainkit/data` Dataset has them). */
export interface GatherSource {
  gather(indices: ArrayLike<number>): Batch;
  gatherAsync?(indices: ArrayLike<number>): Promise<Batch>;
}

/**
 * A view of `dataset` whose batches carry their dataset indices (`batch.index`), which is what
 * `distill({ cache: true })` keys its teacher logits by. Everything else is the dataset's own.
 *
 * @example
 * const train = new DataLoader(withIndex(dataset), { batchSize: 64, shuffle: true });
 */
export function withIndex<D extends GatherSource>(dataset: D): D {
  const view = Object.create(dataset) as D;
  view.gather = (indices: ArrayLike<number>): IndexedBatch => ({ ...dataset.gather(indices), index: Int32Array.from(indices) });
  // a dataset that reads ahead (image folders decoding in workers) is gathered through gatherAsync: index those batches too
  const gatherAsync = dataset.gatherAsync;
  if (typeof gatherAsync === 'function') {
    view.gatherAsync = async (indices: ArrayLike<number>): Promise<IndexedBatch> => {
      const index = Int32Array.from(indices); // copied now: the caller may reuse its array before the batch arrives
      return { ...(await gatherAsync.call(dataset, indices)), index };
    };
  }
  return view;
}

/** Two float64 sums that change when any value of the row changes (or two values swap). */
function fingerprint(x: Float32Array, start: number, size: number): [number, number] {
  let a = 0;
  let b = 0;
  for (let i = 0; i < size; i++) {
    a += x[start + i];
    b += (i + 1) * x[start + i];
  }
  return [a, b];
}

/** Teacher logits per dataset index, with a fingerprint of the input they were computed from. */
export class TeacherCache {
  private rows = new Map<number, { logits: Float32Array; print: [number, number] }>();

  get size(): number {
    return this.rows.size;
  }

  /** The batch's teacher logits: from the cache when every row is there, else from `compute` (then cached). */
  logits(batch: Batch, where: string, compute: () => Tensor): Tensor {
    const index = (batch as Partial<IndexedBatch>).index;
    const n = batch.x.shape[0];
    if (index === undefined || index.length !== n) {
      throw new ValueError(
        `distill({ cache: true }): ${where} carries no \`index\` with one dataset index per example (got ${index === undefined ? 'none' : `${index.length} for ${n} examples`}); wrap the dataset with withIndex(dataset), or turn the cache off (an augmentation plugin that replaces the batch also drops the index)`,
      );
    }
    const per = batch.x.size / n;
    const prints = Array.from({ length: n }, (_, r) => fingerprint(batch.x.data, r * per, per));
    const hits = Array.from(index, (i) => this.rows.get(i));
    // every cached row is checked, also in a batch that mixes cached and new examples
    hits.forEach((h, r) => {
      if (h !== undefined && (h.print[0] !== prints[r][0] || h.print[1] !== prints[r][1])) {
        throw new ValueError(`distill({ cache: true }): the input of example ${index[r]} (${where}) differs from the one its teacher logits were cached for; augmentation that is not replayed exactly cannot use the cache, turn it off`);
      }
    });
    if (hits.every((h) => h !== undefined)) {
      const c = hits[0].logits.length;
      const out = new Float32Array(n * c);
      hits.forEach((h, r) => out.set(h.logits, r * c));
      return new Tensor(out, [n, c]);
    }
    const t = compute();
    const c = t.shape[1];
    for (let r = 0; r < n; r++) this.rows.set(index[r], { logits: t.data.slice(r * c, r * c + c), print: prints[r] });
    return t;
  }
}
