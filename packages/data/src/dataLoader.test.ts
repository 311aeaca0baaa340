import { fc, test } from '@fast-check/vitest';
import { Rng, ShapeError, ValueError } from '@trainkit/tensor';
import { describe, expect } from 'vitest';
import { indexDataset, sampleIds } from './__tests__/indexDataset';
import { DataLoader, type DataLoaderOptions } from './dataLoader';
import { type Dataset, TensorDataset } from './dataset';

/** A dataset size, loader options and an epoch. */
const setup = fc.record({
  n: fc.integer({ min: 1, max: 60 }),
  batchSize: fc.integer({ min: 1, max: 16 }),
  shuffle: fc.boolean(),
  dropLast: fc.boolean(),
  seed: fc.nat(),
  epoch: fc.nat(1000),
});

type Setup = { n: number; epoch: number } & Required<Omit<DataLoaderOptions, 'prefetch'>>;

/** The loader of a setup, or null when dropLast leaves no batch (which the constructor rejects). */
const loaderOf = ({ n, ...options }: Setup): DataLoader | null =>
  options.dropLast && n < options.batchSize ? null : new DataLoader(indexDataset(n), options);

/** Sample indices of each batch of an epoch. */
const epochIds = (loader: DataLoader, epoch: number, options?: { seed?: number; startBatch?: number }): number[][] =>
  [...loader.epoch(epoch, options)].map((b) => sampleIds(b.x));

describe('DataLoader laws', () => {
  test.prop([setup])('without dropLast, every sample appears exactly once per epoch (shuffled or not)', (s) => {
    const loader = loaderOf({ ...s, dropLast: false })!;
    expect(epochIds(loader, s.epoch).flat().sort((a, b) => a - b)).toEqual(Array.from({ length: s.n }, (_, i) => i));
  });

  test.prop([setup])('with dropLast, the samples of an epoch are distinct and all but n mod batchSize of them appear', (s) => {
    const loader = loaderOf({ ...s, dropLast: true });
    fc.pre(loader !== null);
    const ids = epochIds(loader!, s.epoch).flat();
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(s.n - (s.n % s.batchSize));
  });

  test.prop([setup])('batches are full except a last partial batch (dropped with dropLast); length counts them', (s) => {
    const loader = loaderOf(s);
    fc.pre(loader !== null);
    const sizes = epochIds(loader!, s.epoch).map((b) => b.length);
    const full = Math.floor(s.n / s.batchSize);
    const rest = s.n % s.batchSize;
    expect(sizes).toEqual([...Array<number>(full).fill(s.batchSize), ...(rest > 0 && !s.dropLast ? [rest] : [])]);
    expect(loader!.length).toBe(sizes.length);
    expect(loader!.numSamples).toBe(s.n);
  });

  test.prop([setup])('the same (seed, epoch) gives the same batches, from the same or a new loader', (s) => {
    const loader = loaderOf(s);
    fc.pre(loader !== null);
    const first = epochIds(loader!, s.epoch);
    expect(epochIds(loader!, s.epoch + 1)).toHaveLength(first.length); // another epoch in between changes nothing
    expect(epochIds(loader!, s.epoch)).toEqual(first);
    expect(epochIds(loaderOf(s)!, s.epoch)).toEqual(first);
  });

  test.prop([setup.map((s) => ({ ...s, n: s.n + 12, shuffle: true })), fc.nat(1000)])(
    'shuffled, different epochs give different orders (n ≥ 12, so a collision has probability < 1 / 12!)',
    (s, other) => {
      fc.pre(other !== s.epoch);
      const loader = loaderOf({ ...s, dropLast: false })!;
      expect(Array.from(loader.order(other))).not.toEqual(Array.from(loader.order(s.epoch)));
    },
  );

  test.prop([setup, fc.nat()])('epoch(e, { startBatch: k }) yields exactly the batches of epoch(e) after the first k', (s, k) => {
    const loader = loaderOf(s);
    fc.pre(loader !== null);
    const startBatch = k % (loader!.length + 1);
    expect(epochIds(loader!, s.epoch, { startBatch })).toEqual(epochIds(loader!, s.epoch).slice(startBatch));
  });

  test.prop([setup, fc.nat()])('options.seed overrides the constructor seed', (s, seed) => {
    const loader = loaderOf(s);
    fc.pre(loader !== null);
    expect(epochIds(loader!, s.epoch, { seed })).toEqual(epochIds(loaderOf({ ...s, seed })!, s.epoch));
  });
});

describe('DataLoader order', () => {
  test('without shuffle, batches follow the dataset order', () => {
    expect(epochIds(new DataLoader(indexDataset(5), { batchSize: 2 }), 3)).toEqual([[0, 1], [2, 3], [4]]);
  });

  test('the shuffle of epoch e is the permutation of stream shuffle/epoch-e of new Rng(seed)', () => {
    const loader = new DataLoader(indexDataset(20), { batchSize: 20, shuffle: true, seed: 7 });
    const expected = new Rng(7).stream('shuffle').stream('epoch-4').permutation(20);
    expect(epochIds(loader, 4)).toEqual([Array.from(expected)]);
  });

  test('iterating the loader itself yields epoch 0', () => {
    const loader = new DataLoader(indexDataset(9), { batchSize: 4, shuffle: true, seed: 3 });
    expect([...loader].map((b) => sampleIds(b.x))).toEqual(epochIds(loader, 0));
  });

  test('batches carry the shape and labels of their samples', () => {
    const [batch] = new DataLoader(indexDataset(4, [1, 2, 2]), { batchSize: 3 });
    expect(batch.x.shape).toEqual([3, 1, 2, 2]);
    expect(Array.from(batch.y)).toEqual([0, 1, 2]);
  });
});

describe('DataLoader errors', () => {
  const ds = indexDataset(5);

  test.each([0, -3, 1.5, Number.NaN])('batchSize %s is rejected: it must be a positive integer', (batchSize) => {
    expect(() => new DataLoader(ds, { batchSize })).toThrow(new ValueError(`DataLoader: batchSize must be a positive integer, got ${batchSize}`));
  });

  test('an empty dataset is rejected', () => {
    const empty = new TensorDataset({ x: new Float32Array(0), y: new Int32Array(0), sampleShape: [3] });
    expect(() => new DataLoader(empty, { batchSize: 4 })).toThrow(new ValueError('DataLoader: dataset is empty'));
  });

  test.each([undefined, Number.NaN, 2.5, -3])('a dataset whose length is %s is rejected, not read as an empty epoch', (length) => {
    const custom = { length, sampleShape: [2], gather: (ix: ArrayLike<number>) => ds.gather(ix) } as unknown as Dataset;
    expect(() => new DataLoader(custom, { batchSize: 2 })).toThrow(new ValueError(`DataLoader: dataset.length must be a non-negative integer, got ${length}`));
  });

  test('an object without gather(indices) is rejected as a dataset', () => {
    expect(() => new DataLoader({ length: 5, sampleShape: [2] } as unknown as Dataset, { batchSize: 2 })).toThrow(
      new ValueError('DataLoader: dataset must implement gather(indices) (a Dataset has length, sampleShape and gather), got an object without it'),
    );
  });

  test.each(['epoch', 'epochAsync'] as const)('%s: a batch from gather whose shape is not [indices, ...sampleShape] or whose labels miss rows is an error', async (method) => {
    const short: Dataset = { length: 5, sampleShape: [2], gather: (ix) => ds.gather(Array.from(ix).slice(1)) };
    const wide: Dataset = { length: 5, sampleShape: [3], gather: (ix) => ds.gather(ix) };
    const unlabelled: Dataset = { length: 5, sampleShape: [2], gather: (ix) => ({ x: ds.gather(ix).x, y: new Int32Array(1) }) };
    const first = async (d: Dataset): Promise<unknown> => {
      const loader = new DataLoader(d, { batchSize: 2 });
      if (method === 'epoch') return [...loader.epoch(0)];
      for await (const b of loader.epochAsync(0)) return b;
    };
    await expect(first(short)).rejects.toThrow(new ShapeError('DataLoader: dataset.gather of 2 indices returned x of shape [1, 2], expected [2, 2] (the batch size, then the dataset\'s sampleShape [2])'));
    await expect(first(wide)).rejects.toThrow(new ShapeError('DataLoader: dataset.gather of 2 indices returned x of shape [2, 2], expected [2, 3] (the batch size, then the dataset\'s sampleShape [3])'));
    await expect(first(unlabelled)).rejects.toThrow(new ShapeError('DataLoader: dataset.gather of 2 indices returned 1 labels, expected 2 (one per sample)'));
  });

  test('dropLast with fewer samples than batchSize is rejected: every epoch would be empty', () => {
    expect(() => new DataLoader(ds, { batchSize: 8, dropLast: true })).toThrow(
      'DataLoader: dataset has 5 samples, fewer than batchSize 8, so with dropLast: true every epoch would be empty',
    );
  });

  test('bad seeds, epochs and startBatch are rejected when epoch() is called', () => {
    const loader = new DataLoader(ds, { batchSize: 2, shuffle: true });
    expect(() => new DataLoader(ds, { batchSize: 2, seed: -1 })).toThrow('DataLoader: seed must be an integer in [0, 2^32), got -1');
    expect(() => loader.epoch(-1)).toThrow('DataLoader.epoch: epoch must be a non-negative integer, got -1');
    expect(() => loader.epoch(0, { seed: 0.5 })).toThrow('DataLoader.epoch: seed must be an integer in [0, 2^32), got 0.5');
    expect(() => loader.epoch(0, { startBatch: 4 })).toThrow('DataLoader.epoch: startBatch must be an integer in [0, 3], got 4');
    expect([...loader.epoch(0, { startBatch: 3 })]).toEqual([]);
  });
});
