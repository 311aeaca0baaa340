// A dataset bigger than memory: written from a generator into checksummed shard files, then
// read back a few shards at a time, shuffled, by the Trainer or by a loop of your own.
// The stand-in data: 16 features around one of 3 class centres.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Trainer } from '@trainkit/core';
import type { Batch } from '@trainkit/data';
import { type Example, shardedDataset, writeShards } from '@trainkit/data/node';
import { Linear, ReLU, Sequential, manualSeed } from '@trainkit/nn';
import { adam } from '@trainkit/optim-adam';
import { Rng } from '@trainkit/tensor';

const dir = mkdtempSync(join(tmpdir(), 'trainkit-shards-'));
const rng = new Rng(0);

// #region write
// Any (async) iterable of { x, y } works, so the examples never all sit in memory at once.
async function* examples(count: number): AsyncGenerator<Example> {
  for (let i = 0; i < count; i++) {
    const y = i % 3;
    const x = Float32Array.from({ length: 16 }, (_, f) => (f % 3 === y ? 1 : 0) + rng.normal(0, 0.5));
    yield { x, y };
  }
}
const manifest = await writeShards(dir, examples(3000), { shardSize: 250, sampleShape: [16], numClasses: 3 });
console.log(`wrote ${manifest.count} examples in ${manifest.shards.length} shards of ${manifest.shards[0].bytes} bytes`);
// #endregion write

// #region train
// Three shards (750 examples) in memory at a time, shuffled together; the shard order is seeded too.
const train = shardedDataset(dir, { batchSize: 50, bufferShards: 3 });
manualSeed(0);
const model = new Sequential(new Linear(16, 32), new ReLU(), new Linear(32, 3));
const trainer = new Trainer({ optimizer: adam({ lr: 1e-2 }), seed: 0 }); // the trainer's seed orders the epochs
trainer.on('trainEpochEnd', ({ epoch, metrics }) => console.log(`epoch ${epoch + 1}: loss ${metrics.loss.toFixed(4)}`));
await trainer.fit(model, { train, epochs: 2 });
const { accuracy } = await trainer.evaluate(model, shardedDataset(dir, { batchSize: 500, shuffle: false }));
console.log(`accuracy ${(100 * accuracy).toFixed(2)}%`);
// #endregion train

// #region resume
// In a loop of your own, stateDict() is where you are; loadStateDict() + resume() continue there.
const loader = shardedDataset(dir, { batchSize: 50, seed: 7 });
const uninterrupted = [...loader.epoch(0)];
const batches = loader.epoch(0);
for (let i = 0; i < 25; i++) batches.next(); // ...then the process stops
const saved = JSON.stringify(loader.stateDict()); // { epoch: 0, batch: 25, seed: 7, ... }

const restarted = shardedDataset(dir, { batchSize: 50, seed: 7 });
restarted.loadStateDict(JSON.parse(saved));
const rest = [...restarted.resume()];
const key = ({ x, y }: Batch) => `${x.data.join()}|${y.join()}`;
const same = rest.every((b, i) => key(b) === key(uninterrupted[25 + i]));
console.log(`resumed at batch 25 of ${loader.length}: the next ${rest.length} batches equal the uninterrupted run's: ${same}`);
// #endregion resume

// #region corrupt
const shard = join(dir, 'shard-00003.bin');
const bytes = readFileSync(shard);
bytes[100] ^= 0xff; // one damaged byte
writeFileSync(shard, bytes);
try {
  Array.from(shardedDataset(dir, { batchSize: 50, shuffle: false }).epoch(0)); // every shard is checked as it is read
} catch (e) {
  console.log((e as Error).message.replace(dir, '<dir>'));
}
// #endregion corrupt
rmSync(dir, { recursive: true, force: true });
