import { Rng } from '@trainkit/tensor';

// The seeded train/validation split of an image folder, shared by `@trainkit/data/node` and
// `@trainkit/data/web` so the same files and seed give the same split in both.

/** How many of a class's `n` files {@link splitByClass} holds out: `round(fraction × n)`, leaving at least one in train. */
export const valCount = (fraction: number, n: number): number => Math.min(Math.round(fraction * n), n - 1);

/**
 * Splits entries into train and validation, class by class: of each class's `n` entries,
 * {@link valCount} chosen by a shuffle seeded with `seed` and the class label go to
 * validation. Each part keeps the entries' order.
 */
export function splitByClass<T extends { label: number }>(entries: readonly T[], fraction: number, seed: number): { train: T[]; val: T[] } {
  const byClass = new Map<number, number[]>();
  entries.forEach((e, i) => {
    const members = byClass.get(e.label) ?? [];
    byClass.set(e.label, members);
    members.push(i);
  });
  const toVal = new Set<number>();
  const rng = new Rng(seed).stream('imageFolder-split');
  for (const [label, members] of [...byClass].sort((a, b) => a[0] - b[0])) {
    const count = valCount(fraction, members.length);
    const order = rng.stream(`class-${label}`).permutation(members.length);
    for (let k = 0; k < count; k++) toVal.add(members[order[k]]);
  }
  return { train: entries.filter((_, i) => !toVal.has(i)), val: entries.filter((_, i) => toVal.has(i)) };
}
