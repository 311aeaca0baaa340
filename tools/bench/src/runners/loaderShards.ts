// The sharded row of the loader bench: writes `gb` GB of 3×32×32 float32 examples as shards,
// then trains a softmax regression (SGD, batch 128) for one epoch over them, sampling the
// resident set size throughout. The target is the issue's: RSS under 1 GB at 5 GB.
import { shardedDataset, writeShards } from '@trainkit/data/node';
import { Tensor, crossEntropy, linear, zeros } from '@trainkit/tensor';
import { join } from 'node:path';
import type { LoaderRow } from './loader';

const SHAPE = [3, 32, 32];
const SAMPLE = 3 * 32 * 32;

export async function shardsRow(scratch: string, gb: number): Promise<LoaderRow> {
  const dir = join(scratch, 'shards');
  const count = Math.ceil((gb * 2 ** 30) / (SAMPLE * 4 + 4));
  let peak = process.memoryUsage().rss;
  const sample = (): void => void (peak = Math.max(peak, process.memoryUsage().rss));
  const started = process.memoryUsage().rss;
  async function* examples(): AsyncGenerator<{ x: Float32Array; y: number }> {
    const x = new Float32Array(SAMPLE);
    for (let i = 0; i < count; i++) {
      x.fill(((i * 7) % 255) / 255);
      x[(i % 10) * 300] = 1; // the class leaves a mark the regression can learn
      if (i % 512 === 0) sample();
      yield { x, y: i % 10 };
    }
  }
  let t = performance.now();
  const manifest = await writeShards(dir, examples(), { shardSize: 512, sampleShape: SHAPE, numClasses: 10 });
  const writeSeconds = (performance.now() - t) / 1000;
  const bytes = manifest.shards.reduce((s, m) => s + m.bytes, 0);

  const w = zeros([10, SAMPLE], { requiresGrad: true });
  const b = zeros([10], { requiresGrad: true });
  let [seen, right] = [0, 0];
  t = performance.now();
  for (const { x, y } of shardedDataset(dir, { batchSize: 128, bufferShards: 4, seed: 1 }).epoch(0)) {
    w.zeroGrad();
    b.zeroGrad();
    const logits = linear(new Tensor(x.data, [y.length, SAMPLE]), w, b);
    crossEntropy(logits, y).backward();
    for (const p of [w, b]) for (let i = 0; i < p.size; i++) p.data[i] -= 0.05 * p.grad![i];
    for (let r = 0; r < y.length; r++) {
      const row = logits.data.subarray(r * 10, r * 10 + 10);
      if (row.indexOf(Math.max(...row)) === y[r]) right++;
    }
    seen += y.length;
    sample();
  }
  const epochSeconds = (performance.now() - t) / 1000;
  const peakMB = peak / 2 ** 20;
  return {
    id: 'shards-5gb',
    value: peakMB,
    target: { text: `peak RSS < 1,024 MB over ${gb} GB`, met: peakMB < 1024 },
    details: { gb, datasetBytes: bytes, examples: count, shards: manifest.shards.length, seen, trainAccuracyDuringEpoch: right / seen, writeSeconds, epochSeconds, rssAtStartMB: started / 2 ** 20, peakRssMB: peakMB },
  };
}
