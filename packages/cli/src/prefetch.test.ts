// Reading ahead changes when batches are produced, never what is learned: a CNN trained through
// DataLoader.epochAsync on a folder decoded during its first epoch ends bit for bit where the
// same CNN ends when trained on the pre-built cache one synchronous batch at a time.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Trainer } from '@trainkit/core';
import { type Dataset, DataLoader } from '@trainkit/data';
import { imageFolder } from '@trainkit/data/node';
import { adam } from '@trainkit/optim-adam';
import { writeImageFolder } from './__tests__/fixtures';
import { buildModel } from './models';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trainkit-prefetch-'));
  await writeImageFolder(join(dir, 'squares'), 12);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Trains the CLI's CNN for 3 epochs on `train` (validating on `val`) and returns its weights and history. */
async function trainOn(train: Dataset, val: Dataset, prefetch: number): Promise<{ weights: number[][]; history: unknown }> {
  const model = buildModel({ name: 'cnn', inputShape: [...train.sampleShape], numClasses: 3 }, 5);
  const trainer = new Trainer({ optimizer: adam({ lr: 0.01 }), seed: 5 });
  const loader = new DataLoader(train, { batchSize: 5, shuffle: true, prefetch });
  await trainer.fit(model, { train: loader, val: new DataLoader(val, { batchSize: 8, prefetch }), epochs: 3 });
  const history = trainer.history.map((h) => ({ epoch: h.epoch, loss: h.metrics.loss, valAccuracy: h.metrics.valAccuracy }));
  return { weights: Object.values(model.stateDict()).map((t) => [...t.data]), history };
}

/** `dataset` without `gatherAsync`: the synchronous path, one batch at a time. */
const syncOnly = (d: Dataset): Dataset => ({ length: d.length, sampleShape: d.sampleShape, numClasses: d.numClasses, gather: (ix) => d.gather(ix) });

test('fit through a read-ahead loader on a folder decoded during the first epoch gives bit-identical weights and history to synchronous batches from a pre-built cache', async () => {
  const folder = join(dir, 'squares');
  const built = await imageFolder(folder, { size: 12, valFraction: 0.25, seed: 2, cacheDir: join(dir, 'cache-built') });
  const lazy = await imageFolder(folder, { size: 12, valFraction: 0.25, seed: 2, cacheDir: join(dir, 'cache-lazy'), lazy: true });
  expect(lazy.report.decoded).toBe(0);
  const reference = await trainOn(syncOnly(built.train), syncOnly(built.val!), 0);
  const readAhead = await trainOn(lazy.train, lazy.val!, 3);
  expect(readAhead.history).toEqual(reference.history);
  expect(readAhead.weights).toEqual(reference.weights);
  const again = await imageFolder(folder, { size: 12, valFraction: 0.25, seed: 2, cacheDir: join(dir, 'cache-lazy'), lazy: true });
  expect(again.report.fromCache).toEqual({ train: true, val: true });
}, 60_000);
