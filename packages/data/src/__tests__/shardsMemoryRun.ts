/**
 * The workload of shards.memory.test.ts, run in a fresh process so that its RSS is this
 * dataset's alone (the test runner's workers share a module cache across files, and their RSS
 * says more about the files before than about the shards): writes `MB` MB of shards into `dir`,
 * trains one epoch of softmax regression (SGD) over them, and prints one JSON line with the
 * growth of RSS while writing and while training, the peak RSS and whether every example came
 * exactly once with its own label.
 *
 *   node --conditions=@trainkit/source --import tsx shardsMemoryRun.ts DIR MB
 */
import { Tensor, crossEntropy, linear, zeros } from '@trainkit/tensor';
import { shardedDataset } from '../node/shardedDataset';
import { type Example, writeShards } from '../node/shardWriter';

const [dir, mbText] = process.argv.slice(2);
const MB = Number(mbText);
const SHAPE = [3, 32, 32];
const SAMPLE = 3 * 32 * 32;
const COUNT = Math.ceil((MB * 2 ** 20) / (SAMPLE * 4 + 4));
const SHARD_SIZE = 512; // 6 MB per shard

/** Peak RSS above the value when it was created, sampled whenever `sample` is called. */
function rssGrowth(): { sample: () => void; growth: () => number; peak: () => number } {
  const base = process.memoryUsage().rss;
  let peak = base;
  return {
    sample: () => {
      peak = Math.max(peak, process.memoryUsage().rss);
    },
    growth: () => peak - base,
    peak: () => peak,
  };
}

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

const loader = shardedDataset(dir, { batchSize: 128, bufferShards: 4, seed: 1 });
const w = zeros([10, SAMPLE], { requiresGrad: true });
const b = zeros([10], { requiresGrad: true });
const seen = new Uint8Array(COUNT);
const reading = rssGrowth();
let mislabelled = 0;
for (const { x, y } of loader.epoch(0)) {
  for (let r = 0; r < y.length; r++) {
    const id = x.data[r * SAMPLE];
    seen[id]++;
    if (y[r] !== id % 10) mislabelled++;
    x.data[r * SAMPLE] = 0; // the id is not a feature
  }
  w.zeroGrad();
  b.zeroGrad();
  crossEntropy(linear(new Tensor(x.data, [y.length, SAMPLE]), w, b), y).backward();
  for (const p of [w, b]) for (let i = 0; i < p.size; i++) p.data[i] -= 0.01 * p.grad![i];
  reading.sample();
}
const mib = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;
console.log(
  JSON.stringify({
    mb: MB,
    examples: COUNT,
    bytesWritten: manifest.shards.reduce((sum, s) => sum + s.bytes, 0),
    everyExampleOnce: seen.every((c) => c === 1),
    mislabelled,
    writingGrowthMB: mib(writing.growth()),
    trainingGrowthMB: mib(reading.growth()),
    peakRssMB: mib(Math.max(writing.peak(), reading.peak())),
  }),
);
