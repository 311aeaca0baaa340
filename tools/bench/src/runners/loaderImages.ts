// The PNG rows of the loader bench: decoding 70,000 Fashion-MNIST PNGs into the cache, reading
// epochs from the cache, and the share of a reference-CNN epoch spent loading data.
import { type Batch, type DataSource, Trainer } from '@trainkit/core';
import { DataLoader } from '@trainkit/data';
import { imageFolder } from '@trainkit/data/node';
import { manualSeed, mnistCnn } from '@trainkit/nn';
import { adam } from '@trainkit/optim-adam';
import { join } from 'node:path';
import { writeFashionPngs } from '../../../data-parity/src/fashionPngs';
import type { LoaderRow } from './loader';

const seconds = (since: number): number => (performance.now() - since) / 1000;

/** Times every `next()` of `batches`: how long the consumer waited for data. */
async function* timed(batches: AsyncIterable<Batch>, wait: { seconds: number }): AsyncGenerator<Batch> {
  const it = batches[Symbol.asyncIterator]();
  for (;;) {
    const t = performance.now();
    const r = await it.next();
    wait.seconds += seconds(t);
    if (r.done === true) return;
    yield r.value;
  }
}

export async function pngRows(rows: string[], dir: string, scratch: string): Promise<LoaderRow[]> {
  await writeFashionPngs(dir);
  const options = { size: 28, color: 'grayscale', fit: 'fill', cacheDir: join(scratch, 'png-cache') } as const;
  const t0 = performance.now();
  const { train, val } = await imageFolder(dir, options);
  const decodeSeconds = seconds(t0);
  const images = train.length + (val?.length ?? 0);
  const out: LoaderRow[] = [];
  if (rows.includes('loader-png-decode')) out.push({ id: 'loader-png-decode', value: images / decodeSeconds, details: { images, seconds: decodeSeconds, workers: 'default (cores − 1)' } });

  const loader = new DataLoader(train, { batchSize: 64, shuffle: true });
  let t = performance.now();
  for await (const b of loader.epochAsync(0)) void b;
  const asyncSeconds = seconds(t);
  t = performance.now();
  for (const b of loader.epoch(1)) void b;
  const syncSeconds = seconds(t);
  if (rows.includes('loader-png-cached')) {
    out.push({ id: 'loader-png-cached', value: train.length / asyncSeconds, details: { images: train.length, epochAsyncSeconds: asyncSeconds, epochSyncSeconds: syncSeconds, syncImagesPerSec: train.length / syncSeconds } });
  }
  if (rows.includes('loader-cnn-share')) out.push(await cnnShare(loader, Math.min(asyncSeconds, syncSeconds)));
  return out;
}

/** One epoch of the reference CNN (Adam, batch 64) on the cached split, through the Trainer. */
async function cnnShare(loader: DataLoader, loadOnlySeconds: number): Promise<LoaderRow> {
  manualSeed(0);
  const wait = { seconds: 0 };
  const source: DataSource & { length: number } = {
    length: loader.length,
    epoch: (e, o) => loader.epoch(e, o),
    epochAsync: (e, o) => timed(loader.epochAsync(e, o), wait),
  };
  const trainer = new Trainer({ optimizer: adam({ lr: 1e-3 }), seed: 0 });
  const t = performance.now();
  await trainer.fit(mnistCnn(), { train: source, epochs: 1 });
  const epochSeconds = seconds(t);
  const loadShare = (100 * loadOnlySeconds) / epochSeconds;
  return {
    id: 'loader-cnn-share',
    value: loadShare,
    target: { text: '< 5 %', met: loadShare < 5 },
    details: {
      meaning: 'time to read one epoch of batches from the cache with no training (the faster of epoch / epochAsync) over the time of one training epoch: an upper bound, as if no loading overlapped training',
      epochSeconds,
      loadOnlySeconds,
      trainerWaitedSeconds: wait.seconds,
      trainerWaitedShare: (100 * wait.seconds) / epochSeconds,
      accuracy: trainer.history.at(-1)?.metrics.accuracy,
    },
  };
}
