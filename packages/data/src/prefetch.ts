import type { Batch, Dataset } from './dataset';

/**
 * The batches at `slices` of `dataset`, in order, read ahead: while the consumer holds batch
 * `k`, batches `k + 1 … k + depth` are already requested through `dataset.gatherAsync` (worker
 * threads decode them, the disk reads them). The batches are exactly those `gather` returns for
 * the same slices; only when they are produced changes. With `depth` 0 each batch is requested
 * only when the consumer asks for it; a dataset without `gatherAsync` is gathered synchronously.
 */
export async function* prefetchBatches(dataset: Dataset, slices: Iterable<Int32Array>, depth: number): AsyncGenerator<Batch, void, undefined> {
  const gatherAsync = dataset.gatherAsync;
  if (gatherAsync === undefined) {
    for (const s of slices) yield dataset.gather(s);
    return;
  }
  const ahead: Promise<Batch>[] = [];
  const pending = slices[Symbol.iterator]();
  const request = (): boolean => {
    const next = pending.next();
    if (next.done === true) return false;
    const batch = gatherAsync.call(dataset, next.value);
    batch.catch(() => {}); // a failure is reported when its batch is awaited, not as an unhandled rejection
    ahead.push(batch);
    return true;
  };
  while (ahead.length < depth && request());
  for (;;) {
    request(); // `depth` batches in flight behind the one handed out next
    const next = ahead.shift();
    if (next === undefined) return;
    yield await next;
  }
}
