import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { indexDataset, sampleIds } from './__tests__/indexDataset';
import { DataLoader } from './dataLoader';
import type { Batch, Dataset } from './dataset';
import { take } from './subset';

/** `dataset` with a `gatherAsync` that answers after `delays()` milliseconds, so answers complete out of order. */
function asyncDataset(dataset: Dataset, delays: () => number, requests: number[][] = []): Dataset {
  return {
    length: dataset.length,
    sampleShape: dataset.sampleShape,
    gather: (ix) => dataset.gather(ix),
    gatherAsync: (ix) => {
      requests.push(Array.from(ix));
      const batch = dataset.gather(ix);
      return new Promise<Batch>((resolve) => setTimeout(() => resolve(batch), delays()));
    },
  };
}

async function collect(batches: AsyncIterable<Batch>): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of batches) out.push(b);
  return out;
}

const same = (a: Batch[], b: Batch[]): void => {
  expect(a.map((x) => [...x.x.data])).toEqual(b.map((x) => [...x.x.data]));
  expect(a.map((x) => [...x.y])).toEqual(b.map((x) => [...x.y]));
  expect(a.map((x) => x.x.shape)).toEqual(b.map((x) => x.x.shape));
};

/**
 * One epoch on a virtual clock: decoding a batch costs `decode` time units on one decoder
 * (requests queue up behind each other), a training step costs `train`. Returns the epoch's time.
 */
async function virtualEpoch(batches: number, decode: number, train: number, prefetch: number): Promise<number> {
  let now = 0;
  let decoderFree = 0;
  const ready = new Map<number, number>();
  const base = indexDataset(batches, [1]);
  const dataset: Dataset = {
    length: batches,
    sampleShape: [1],
    gather: (ix) => base.gather(ix),
    gatherAsync: async (ix) => {
      decoderFree = Math.max(now, decoderFree) + decode;
      ready.set(ix[0], decoderFree);
      return base.gather(ix);
    },
  };
  const loader = new DataLoader(dataset, { batchSize: 1, prefetch });
  for await (const { x } of loader.epochAsync(0)) {
    now = Math.max(now, ready.get(x.data[0]) ?? now) + train;
  }
  return now;
}

describe('DataLoader.epochAsync (read-ahead)', () => {
  test.prop([fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 7 }), fc.boolean(), fc.nat(), fc.integer({ min: 0, max: 4 }), fc.nat(), fc.nat(3)], { numRuns: 25 })(
    'yields exactly the batches of epoch(), in order, whatever order the reads finish in (any prefetch, seed, startBatch)',
    async (n, batchSize, shuffle, seed, prefetch, delaySeed, epoch) => {
      let s = delaySeed;
      const delays = (): number => (s = (s * 1103515245 + 12345) % 2 ** 31) % 4;
      const loader = new DataLoader(asyncDataset(indexDataset(n), delays), { batchSize, shuffle, seed, prefetch });
      const startBatch = seed % (loader.length + 1);
      same(await collect(loader.epochAsync(epoch, { startBatch })), [...loader.epoch(epoch, { startBatch })]);
    },
  );

  test('while the trainer holds batch k, batches k+1 … k+prefetch have already been requested', async () => {
    const requests: number[][] = [];
    const loader = new DataLoader(asyncDataset(indexDataset(20), () => 1, requests), { batchSize: 2, prefetch: 3 });
    let k = 0;
    for await (const b of loader.epochAsync(0)) {
      expect(sampleIds(b.x)).toEqual([2 * k, 2 * k + 1]);
      expect(requests.length).toBe(Math.min(loader.length, k + 1 + 3));
      k++;
    }
    expect(k).toBe(10);
  });

  test('an epoch costs max(decode, train) per batch plus one start-up with read-ahead, and their sum without (virtual clock)', async () => {
    for (const [decode, train] of [
      [3, 2],
      [2, 3],
      [5, 5],
    ]) {
      expect(await virtualEpoch(12, decode, train, 2)).toBe(Math.min(decode, train) + 12 * Math.max(decode, train));
      expect(await virtualEpoch(12, decode, train, 0)).toBe(12 * (decode + train));
    }
  });

  test('a failed read surfaces at its own batch, after the batches before it, and never as an unhandled rejection', async () => {
    const base = indexDataset(10);
    const failing: Dataset = { ...asyncDataset(base, () => 0), gatherAsync: async (ix) => (ix[0] === 6 ? Promise.reject(new Error('cannot decode cat/7.png')) : base.gather(ix)) };
    const seen: number[] = [];
    const run = async (): Promise<void> => {
      for await (const b of new DataLoader(failing, { batchSize: 2, prefetch: 4 }).epochAsync(0)) seen.push(sampleIds(b.x)[0]);
    };
    await expect(run()).rejects.toThrow('cannot decode cat/7.png');
    expect(seen).toEqual([0, 2, 4]);
  });

  test('a subset (take, splitDataset) keeps reading ahead through its source', async () => {
    const requests: number[][] = [];
    const view = take(asyncDataset(indexDataset(10), () => 0, requests), 6);
    const got = await collect(new DataLoader(view, { batchSize: 4 }).epochAsync(0));
    expect(got.map((b) => sampleIds(b.x))).toEqual([
      [0, 1, 2, 3],
      [4, 5],
    ]);
    expect(requests).toEqual([
      [0, 1, 2, 3],
      [4, 5],
    ]);
  });

  test('prefetch must be a non-negative integer', () => {
    expect(() => new DataLoader(indexDataset(4), { batchSize: 2, prefetch: -1 })).toThrow('DataLoader: prefetch must be a non-negative integer, got -1');
  });
});
