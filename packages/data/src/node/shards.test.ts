import { fc, test as fcTest } from '@fast-check/vitest';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, truncate, writeFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Batch } from '../dataset';
import { TensorDataset } from '../dataset';
import { shardedDataset } from './shardedDataset';
import { ShardError } from './shardFormat';
import { type Example, writeShards } from './shardWriter';

let root = '';
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'trainkit-shards-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
const freshDir = () => join(root, `d${n++}`);

/** Example i: label i (so labels identify examples) and inputs i, i + 0.5, i + 0.25. */
function* examples(count: number): Generator<Example> {
  for (let i = 0; i < count; i++) yield { x: Float32Array.of(i, i + 0.5, i + 0.25), y: i };
}

async function written(count: number, shardSize: number): Promise<string> {
  const dir = freshDir();
  await writeShards(dir, examples(count), { shardSize, sampleShape: [3] });
  return dir;
}

const labelsOf = (batches: Iterable<Batch>) => [...batches].flatMap((b) => [...b.y]);

describe('writeShards → shardedDataset', () => {
  fcTest.prop([fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 17 }), fc.integer({ min: 1, max: 9 })], { numRuns: 12 })(
    'without shuffling, an epoch yields the examples as written, in batches of batchSize',
    async (count, shardSize, batchSize) => {
      const dir = await written(count, shardSize);
      const loader = shardedDataset(dir, { batchSize, shuffle: false });
      const batches = [...loader.epoch(0)];
      expect(batches.length).toBe(loader.length);
      expect(batches.map((b) => b.x.shape[0])).toEqual(batches.map((_, i) => Math.min(batchSize, count - i * batchSize)));
      const xs = batches.flatMap((b) => [...b.x.data]);
      expect(xs).toEqual([...examples(count)].flatMap((e) => [...e.x]));
      expect(labelsOf(batches)).toEqual([...Array(count).keys()]);
    },
  );

  test('a Dataset is written as its samples in order, with its sampleShape and numClasses', async () => {
    const x = Float32Array.from({ length: 10 * 4 }, (_, i) => i / 7);
    const y = Int32Array.from({ length: 10 }, (_, i) => i % 3);
    const dir = freshDir();
    const manifest = await writeShards(dir, new TensorDataset({ x, y, sampleShape: [2, 2], numClasses: 3 }), { shardSize: 4 });
    expect(manifest.shards.map((s) => s.count)).toEqual([4, 4, 2]);
    const loader = shardedDataset(dir, { batchSize: 10, shuffle: false });
    expect([loader.sampleShape, loader.numClasses]).toEqual([[2, 2], 3]);
    const [batch] = loader.epoch(0);
    expect(batch.x.shape).toEqual([10, 2, 2]);
    expect(batch.x.data).toEqual(x);
    expect(batch.y).toEqual(y);
  });

  test('uint8 shards store bytes and read back byte × scale; float inputs are rounded to the nearest step', async () => {
    const dir = freshDir();
    const bytes = Uint8Array.from({ length: 6 }, (_, i) => i * 50);
    await writeShards(dir, [{ x: bytes, y: 0 }, { x: Float32Array.of(0, 0.26, 0.74, 1, 127.4, 127.6), y: 1 }], { shardSize: 1, sampleShape: [6], dtype: 'uint8', scale: 0.5 });
    const [batch] = shardedDataset(dir, { batchSize: 2, shuffle: false }).epoch(0);
    expect([...batch.x.data]).toEqual([0, 25, 50, 75, 100, 125, 0, 0.5, 0.5, 1, 127.5, 127.5]);
    await expect(writeShards(freshDir(), [{ x: Float32Array.of(-1), y: 0 }], { shardSize: 1, sampleShape: [1], dtype: 'uint8' })).rejects.toThrow(
      /example 0: value -1 at position 0 does not fit in uint8/,
    );
  });

  test('rewriting a directory with fewer examples leaves only the shards the new manifest lists', async () => {
    const dir = await written(10, 2);
    await writeShards(dir, examples(3), { shardSize: 2, sampleShape: [3] });
    expect((await readdir(dir)).sort()).toEqual(['manifest.json', 'shard-00000.bin', 'shard-00001.bin']);
    expect(labelsOf(shardedDataset(dir, { batchSize: 2, shuffle: false }).epoch(0))).toEqual([0, 1, 2]);
  });

  test('an async iterable is consumed one example at a time', async () => {
    async function* slow(): AsyncGenerator<Example> {
      for (const e of examples(7)) yield await Promise.resolve(e);
    }
    const dir = freshDir();
    await writeShards(dir, slow(), { shardSize: 3, sampleShape: [3] });
    expect(labelsOf(shardedDataset(dir, { batchSize: 4, shuffle: false }).epoch(0))).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });
});

describe('shuffled epochs', () => {
  fcTest.prop([fc.integer({ min: 1, max: 80 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 4 }), fc.nat(1000), fc.nat(5)], { numRuns: 12 })(
    'every epoch visits each example exactly once, in an order fixed by (seed, epoch)',
    async (count, shardSize, bufferShards, seed, epoch) => {
      const dir = await written(count, shardSize);
      const order = labelsOf(shardedDataset(dir, { batchSize: 5, bufferShards, seed }).epoch(epoch));
      expect([...order].sort((a, b) => a - b)).toEqual([...Array(count).keys()]);
      expect(labelsOf(shardedDataset(dir, { batchSize: 3, bufferShards, seed: 7 }).epoch(epoch, { seed }))).toEqual(order);
    },
  );

  test('epochs and seeds give different orders', async () => {
    const dir = await written(200, 10);
    const loader = shardedDataset(dir, { batchSize: 16, seed: 3 });
    const e0 = labelsOf(loader.epoch(0));
    expect(labelsOf(loader.epoch(1))).not.toEqual(e0);
    expect(labelsOf(loader.epoch(0, { seed: 4 }))).not.toEqual(e0);
  });

  test('the in-buffer shuffle mixes only bufferShards shards at a time: each run of bufferShards × shardSize examples comes from bufferShards shards', async () => {
    const dir = await written(120, 10);
    const order = labelsOf(shardedDataset(dir, { batchSize: 7, bufferShards: 3, seed: 11 }).epoch(2));
    for (let g = 0; g < 4; g++) {
      const shards = new Set(order.slice(g * 30, (g + 1) * 30).map((label) => Math.floor(label / 10)));
      expect(shards.size).toBe(3);
    }
    expect(order.slice(0, 30)).not.toEqual([...order.slice(0, 30)].sort((a, b) => a - b));
  });

  test('dropLast drops the short last batch', async () => {
    const loader = shardedDataset(await written(23, 4), { batchSize: 5, dropLast: true, seed: 1 });
    const batches = [...loader.epoch(0)];
    expect([loader.length, batches.length, batches.every((b) => b.y.length === 5)]).toEqual([4, 4, true]);
  });
});

describe('resuming mid-epoch', () => {
  fcTest.prop([fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 6 }), fc.nat(100)], { numRuns: 12 })(
    'epoch(e, { startBatch: k }) yields exactly the batches an uninterrupted epoch(e) yields after its first k',
    async (count, shardSize, batchSize, k0) => {
      const loader = shardedDataset(await written(count, shardSize), { batchSize, bufferShards: 2, seed: 5 });
      const k = k0 % (loader.length + 1);
      const full = [...loader.epoch(3)];
      const rest = [...loader.epoch(3, { startBatch: k })];
      expect(rest.map((b) => [...b.y])).toEqual(full.slice(k).map((b) => [...b.y]));
      expect(rest.map((b) => [...b.x.data])).toEqual(full.slice(k).map((b) => [...b.x.data]));
    },
  );

  test('stateDict → loadStateDict on a new loader → resume gives the same next batches as the uninterrupted run, across epochs', async () => {
    const dir = await written(57, 6);
    const options = { batchSize: 4, bufferShards: 3, seed: 9 };
    const uninterrupted = [0, 1, 2].flatMap((e) => labelsOf(shardedDataset(dir, options).epoch(e)).map(String));
    for (const stopAfter of [1, 7, 15, 16, 20]) {
      const first = shardedDataset(dir, options);
      const seen: number[] = [];
      const it = first.resume();
      for (let i = 0; i < stopAfter; i++) {
        const next = it.next();
        if (next.done) break;
        seen.push(...next.value.y);
      }
      const saved = JSON.parse(JSON.stringify(first.stateDict()));
      const second = shardedDataset(dir, options);
      second.loadStateDict(saved);
      while (second.stateDict().epoch < 3) for (const b of second.resume()) seen.push(...b.y);
      expect(seen.map(String)).toEqual(uninterrupted);
    }
  });

  test('a state saved with other options or another dataset is refused', async () => {
    const dir = await written(20, 5);
    const state = shardedDataset(dir, { batchSize: 4 }).stateDict();
    expect(() => shardedDataset(dir, { batchSize: 5 }).loadStateDict(state)).toThrow(/batchSize was 4 when the state was saved but is 5 now/);
    const other = shardedDataset(await written(21, 5), { batchSize: 4 });
    expect(() => other.loadStateDict(state)).toThrow(/manifest's checksum/);
  });
});

describe('damaged datasets', () => {
  test('a missing manifest is a ShardError naming it', async () => {
    const dir = freshDir();
    expect(() => shardedDataset(dir, { batchSize: 1 })).toThrow(ShardError);
    expect(() => shardedDataset(dir, { batchSize: 1 })).toThrow(`${join(dir, 'manifest.json')} does not exist`);
  });

  test('a write interrupted by a failing source into a new directory leaves nothing, so readers refuse it', async () => {
    const dir = freshDir();
    function* failing(): Generator<Example> {
      yield* examples(5);
      throw new Error('source failed');
    }
    await expect(writeShards(dir, failing(), { shardSize: 2, sampleShape: [3] })).rejects.toThrow('source failed');
    expect(existsSync(dir)).toBe(false);
    expect(() => shardedDataset(dir, { batchSize: 1 })).toThrow(/manifest\.json does not exist/);
  });

  test('a write refused at example 9 (a bad label, or a failing source) leaves the dataset already in the directory readable and unchanged; no staging folder or temporary file stays', async () => {
    const dir = await written(10, 4);
    const before = await Promise.all(['manifest.json', 'shard-00000.bin', 'shard-00001.bin', 'shard-00002.bin'].map((f) => readFile(join(dir, f))));
    const relabelled = (bad: number | undefined): Example[] => [...examples(10)].map((e, i) => ({ x: e.x, y: i === bad ? -1 : 9 - i }));
    await expect(writeShards(dir, relabelled(9), { shardSize: 4, sampleShape: [3] })).rejects.toThrow('writeShards: example 9: label -1 must be a non-negative integer');
    function* failing(): Generator<Example> {
      yield* examples(9);
      throw new Error('source failed');
    }
    await expect(writeShards(dir, failing(), { shardSize: 2, sampleShape: [3] })).rejects.toThrow('source failed');
    expect((await readdir(dir)).sort()).toEqual(['manifest.json', 'shard-00000.bin', 'shard-00001.bin', 'shard-00002.bin']);
    expect(await Promise.all(['manifest.json', 'shard-00000.bin', 'shard-00001.bin', 'shard-00002.bin'].map((f) => readFile(join(dir, f))))).toEqual(before);
    expect(labelsOf(shardedDataset(dir, { batchSize: 4, shuffle: false }).epoch(0))).toEqual([...Array(10).keys()]);
    await writeShards(dir, relabelled(undefined), { shardSize: 4, sampleShape: [3] }); // a write that succeeds replaces it
    expect(labelsOf(shardedDataset(dir, { batchSize: 4, shuffle: false }).epoch(0))).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect((await readdir(dir)).sort()).toEqual(['manifest.json', 'shard-00000.bin', 'shard-00001.bin', 'shard-00002.bin']);
  });

  test('the staging folder of a write whose process died is removed by the next write', async () => {
    const dir = await written(3, 2);
    const stale = join(dir, '.writeShards-999999999-0123456789ab');
    await mkdir(stale);
    await writeFile(join(stale, 'shard-00000.bin'), 'partial');
    await writeShards(dir, examples(3), { shardSize: 2, sampleShape: [3] });
    expect((await readdir(dir)).sort()).toEqual(['manifest.json', 'shard-00000.bin', 'shard-00001.bin']);
  });

  test('a shard with a flipped byte fails its checksum, naming the shard file', async () => {
    const dir = await written(12, 4);
    const path = join(dir, 'shard-00001.bin');
    const bytes = await readFile(path);
    bytes[20] ^= 1;
    await writeFile(path, bytes);
    const loader = shardedDataset(dir, { batchSize: 4, shuffle: false });
    expect(() => [...loader.epoch(0)]).toThrow(new RegExp(`${path.replace(/[\\.]/g, '\\$&')} is corrupt: its CRC-32 is [0-9a-f]{8} but the manifest records`));
  });

  test('a truncated shard is a ShardError naming the file and both sizes', async () => {
    const dir = await written(12, 4);
    await truncate(join(dir, 'shard-00002.bin'), 30);
    expect(() => [...shardedDataset(dir, { batchSize: 4, shuffle: false }).epoch(0)]).toThrow(`${join(dir, 'shard-00002.bin')} is truncated: 30 bytes, the manifest records 64`);
  });

  test('a malformed manifest names the field', async () => {
    const dir = await written(12, 4);
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    await writeFile(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, count: 13 }));
    expect(() => shardedDataset(dir, { batchSize: 1 })).toThrow(/manifest\.json: the shards hold 12 examples but "count" is 13/);
    await writeFile(join(dir, 'manifest.json'), '{"format":');
    expect(() => shardedDataset(dir, { batchSize: 1 })).toThrow(/manifest\.json is not valid JSON/);
  });

  test("a label outside the manifest's numClasses is a ShardError naming the shard and the example", async () => {
    const dir = await written(12, 4);
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    await writeFile(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, numClasses: 6 }));
    const loader = shardedDataset(dir, { batchSize: 4, shuffle: false });
    expect(() => [...loader.epoch(0)]).toThrow(`${join(dir, 'shard-00001.bin')}: example 2 has label 6, outside [0, 6)`);
  });

  test('bad examples are refused with their index', async () => {
    const opts = { shardSize: 2, sampleShape: [3] };
    await expect(writeShards(freshDir(), [...examples(3), { x: new Float32Array(2), y: 0 }], opts)).rejects.toThrow('example 3: x has 2 values, sampleShape needs 3');
    await expect(writeShards(freshDir(), [{ x: new Float32Array(3), y: 4 }], { ...opts, numClasses: 4 })).rejects.toThrow('example 0: label 4 must be an integer in [0, 4)');
    await expect(writeShards(freshDir(), [], opts)).rejects.toThrow('the source has no examples');
    await expect(writeShards(freshDir(), examples(1), { shardSize: 2 })).rejects.toThrow('sampleShape is required');
  });
});
