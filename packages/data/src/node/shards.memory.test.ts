import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tensor, crossEntropy, linear, zeros } from '@trainkit/tensor';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { shardedDataset } from './shardedDataset';
import { type Example, writeShards } from './shardWriter';

// Size of the generated dataset; the default keeps the test quick on a shared machine. The
// bounds on memory stay the same at any size, which is the point: TRAINKIT_SHARD_TEST_MB=2048
// runs it at 2 GB (tools/bench/results/shards-2gb.txt holds such a run's output).
const MB = Number(process.env.TRAINKIT_SHARD_TEST_MB ?? 300);
const SHAPE = [3, 32, 32];
const SAMPLE = 3 * 32 * 32;
const COUNT = Math.ceil((MB * 2 ** 20) / (SAMPLE * 4 + 4));
const SHARD_SIZE = 512; // 6 MB per shard
const BOUND = 150 * 2 ** 20;
/** The bound on the whole process while training over 2 GB. */
const RSS_LIMIT = 600 * 2 ** 20;

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

test(`writing ${MB} MB of shards and training one epoch over them grows RSS by less than 150 MB and keeps it under 600 MB; the epoch visits every example once`, async () => {
  const writing = rssGrowth();
  async function* generate(): AsyncGenerator<Example> {
    const x = new Float32Array(SAMPLE);
    for (let i = 0; i < COUNT; i++) {
      x.fill((i % 251) / 251);
      x[0] = i;
      if (i % SHARD_SIZE === 0) writing.sample();
      yield { x, y: i % 10 };
    }
  }
  const manifest = await writeShards(dir, generate(), { shardSize: SHARD_SIZE, sampleShape: SHAPE, numClasses: 10 });
  writing.sample();
  expect(manifest.shards.reduce((sum, s) => sum + s.bytes, 0)).toBeGreaterThan(MB * 2 ** 20 - SAMPLE * 4);

  // one epoch of a softmax regression (SGD) over the shards
  const loader = shardedDataset(dir, { batchSize: 128, bufferShards: 4, seed: 1 });
  const w = zeros([10, SAMPLE], { requiresGrad: true });
  const b = zeros([10], { requiresGrad: true });
  const seen = new Uint8Array(COUNT);
  const reading = rssGrowth();
  let peak = 0;
  for (const { x, y } of loader.epoch(0)) {
    for (let r = 0; r < y.length; r++) {
      const id = x.data[r * SAMPLE];
      seen[id]++;
      if (y[r] !== id % 10) throw new Error(`example ${id} came with the label of another example (${y[r]})`);
      x.data[r * SAMPLE] = 0; // the id is not a feature
    }
    w.zeroGrad();
    b.zeroGrad();
    crossEntropy(linear(new Tensor(x.data, [y.length, SAMPLE]), w, b), y).backward();
    for (const p of [w, b]) for (let i = 0; i < p.size; i++) p.data[i] -= 0.01 * p.grad![i];
    reading.sample();
    peak = Math.max(peak, process.memoryUsage().rss);
  }
  expect(seen.every((c) => c === 1)).toBe(true);
  expect(writing.growth()).toBeLessThan(BOUND);
  expect(reading.growth()).toBeLessThan(BOUND);
  expect(peak).toBeLessThan(RSS_LIMIT);
  if (process.env.TRAINKIT_SHARD_TEST_MB !== undefined) console.log(`SHARDS ${JSON.stringify({ mb: MB, examples: COUNT, writingGrowthMB: writing.growth() / 2 ** 20, trainingGrowthMB: reading.growth() / 2 ** 20, peakRssMB: peak / 2 ** 20 })}`);
}, 600_000);
