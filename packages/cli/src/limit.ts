import { type Dataset, type Subset, subset } from '@trainkit/data';
import { Rng } from '@trainkit/tensor';

/**
 * The `n` samples `--limit n` keeps of `ds`: dealt round-robin over the classes (one of class 0,
 * one of class 1, …, then again), each class's samples taken in an order shuffled by `seed`. So
 * every class is represented (data stored class by class, like an image folder, would otherwise
 * give only its first class), and the same data and seed pick the same samples. The picked
 * samples keep their order in `ds`; `ds` itself is returned when it has `n` samples or fewer.
 */
export function limitSamples(ds: Dataset, n: number, seed: number): Dataset {
  if (n >= ds.length) return ds;
  const byClass = new Map<number, number[]>();
  labelsOf(ds).forEach((label, i) => {
    const members = byClass.get(label) ?? [];
    byClass.set(label, members);
    members.push(i);
  });
  const rng = new Rng(seed).stream('limit');
  const queues = [...byClass]
    .sort((a, b) => a[0] - b[0])
    .map(([label, members]) => Array.from(rng.stream(`class-${label}`).permutation(members.length), (k) => members[k]));
  const picked: number[] = [];
  for (let round = 0; picked.length < n; round++) {
    for (const queue of queues) if (round < queue.length && picked.length < n) picked.push(queue[round]);
  }
  return subset(ds, Int32Array.from(picked).sort());
}

/** The label of every sample, read without decoding inputs where the dataset keeps its labels (an image folder's split, or a view of one). */
function labelsOf(ds: Dataset): Int32Array {
  const own = (ds as { labels?: unknown }).labels;
  if (own instanceof Int32Array && own.length === ds.length) return own;
  const view = ds as Partial<Subset>;
  if (view.dataset !== undefined && view.indices !== undefined) {
    const inner = labelsOf(view.dataset);
    return view.indices.map((i) => inner[i]);
  }
  return ds.gather(Int32Array.from({ length: ds.length }, (_, i) => i)).y;
}
