// The seeded train/validation split both imageFolders (Node and browser) use: its laws, and
// the split itself pinned, since a changed split would silently move users' validation files.
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { splitByClass, valCount } from './split';

interface Entry {
  id: string;
  label: number;
}

/** `sizes[c]` entries of class `c`, the classes one after another. */
const entriesOf = (sizes: readonly number[]): Entry[] => sizes.flatMap((n, label) => Array.from({ length: n }, (_, i) => ({ id: `c${label}/${i}`, label })));
const ids = (entries: readonly Entry[]) => entries.map((e) => e.id);
const sizesArb = fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 5 });
const fractionArb = fc.double({ min: 0, max: 0.95, noNaN: true });

describe('splitByClass', () => {
  test.prop([sizesArb, fractionArb, fc.nat(1000)])(
    'for any classes, fraction and seed, train and val partition the entries, each in the input order, and a class of n entries gives min(round(fraction × n), n − 1) to val',
    (sizes, fraction, seed) => {
      const entries = entriesOf(sizes);
      const { train, val } = splitByClass(entries, fraction, seed);
      const order = new Map(entries.map((e, i) => [e.id, i]));
      const increasing = (part: Entry[]) => part.every((e, i) => i === 0 || (order.get(e.id) as number) > (order.get(part[i - 1].id) as number));
      expect(increasing(train) && increasing(val)).toBe(true);
      expect([...ids(train), ...ids(val)].sort()).toEqual(ids(entries).sort());
      sizes.forEach((n, label) => expect(val.filter((e) => e.label === label)).toHaveLength(valCount(fraction, n)));
    },
  );

  test.prop([sizesArb, fc.integer({ min: 1, max: 12 }), fractionArb, fc.nat(1000)])(
    "for any classes, a class's validation entries depend only on its own entries, the fraction and the seed (not on the other classes, nor on where they stand)",
    (sizes, n, fraction, seed) => {
      const label = sizes.length;
      const alone = entriesOf([...sizes.map(() => 0), n]);
      const all = entriesOf([...sizes, n]);
      const mixed = [...all.filter((e) => e.label === label), ...all.filter((e) => e.label !== label).reverse()];
      const valOf = (entries: Entry[]) => ids(splitByClass(entries, fraction, seed).val.filter((e) => e.label === label)).sort();
      expect(valOf(mixed)).toEqual(valOf(alone));
    },
  );

  // Pinned from the Node and browser splits as they were before they became this one function.
  test('a given seed splits as imageFolder (Node and browser) always has, so users’ validation files do not move between versions', () => {
    expect(ids(splitByClass(entriesOf([6, 4]), 0.5, 0).val)).toEqual(['c0/0', 'c0/2', 'c0/4', 'c1/2', 'c1/3']);
    expect(ids(splitByClass(entriesOf([5, 7, 3]), 0.3, 7).val)).toEqual(['c0/0', 'c0/2', 'c1/1', 'c1/4', 'c2/1']);
  });
});
