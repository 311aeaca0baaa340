import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { shardedDataset } from './shardedDataset';
import { type Example, writeShards } from './shardWriter';

// Size of the generated dataset; the default keeps the test quick on a shared machine. The
// bound on memory growth stays the same at any size, which is the point.
const MB = Number(process.env.TRAINKIT_SHARD_TEST_MB ?? 300);
const SHAPE = [3, 32, 32];
const SAMPLE = 3 * 32 * 32;
const COUNT = Math.ceil((MB * 2 ** 20) / (SAMPLE * 4 + 4));
const SHARD_SIZE = 512; // 6 MB per shard
const BOUND = 150 * 2 ** 20;

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trainkit-shards-memory-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Peak RSS above the value when it was created, sampled whenever `sample` is called. */
function rssGrowth(): { sample: () => void; growth: () => number } {
  const base = process.memoryUsage().rss;
  let peak = base;
  return {
    sample: () => {
      peak = Math.max(peak, process.memoryUsage().rss);
    },
    growth: () => peak - base,
  };
}

test(`writing and reading ${MB} MB of shards grows RSS by less than 150 MB, and one epoch visits every example once`, async () => {
  const writing = rssGrowth();
  async function* generate(): AsyncGenerator<Example> {
    const x = new Float32Array(SAMPLE);
    for (let i = 0; i < COUNT; i++) {
      x.fill((i % 251) / 251);
      x[0] = i;
      if (i % SHARD_SIZE === 0) writing.sample();
      yield { x, y: i };
    }
  }
  const manifest = await writeShards(dir, generate(), { shardSize: SHARD_SIZE, sampleShape: SHAPE });
  writing.sample();
  expect(manifest.shards.reduce((sum, s) => sum + s.bytes, 0)).toBeGreaterThan(MB * 2 ** 20 - SAMPLE * 4);

  const loader = shardedDataset(dir, { batchSize: 128, bufferShards: 4, seed: 1 });
  const seen = new Uint8Array(COUNT);
  const reading = rssGrowth();
  for (const { x, y } of loader.epoch(0)) {
    for (let r = 0; r < y.length; r++) {
      seen[y[r]]++;
      if (x.data[r * SAMPLE] !== y[r]) throw new Error(`example ${y[r]} came with the inputs of example ${x.data[r * SAMPLE]}`);
    }
    reading.sample();
  }
  expect(seen.every((c) => c === 1)).toBe(true);
  expect(writing.growth()).toBeLessThan(BOUND);
  expect(reading.growth()).toBeLessThan(BOUND);
});
