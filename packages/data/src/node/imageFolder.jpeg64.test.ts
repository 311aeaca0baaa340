import { AvgPool2d, Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential, manualSeed } from '@trainkit/nn';
import { Rng, crossEntropy, noGrad } from '@trainkit/tensor';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { writeImage } from '../__tests__/images';
import { DataLoader } from '../dataLoader';
import type { Dataset } from '../dataset';
import { imageFolder } from './imageFolder';

// JPEG RGB at a real size: 64×64 photos-like JPEGs (a smooth random colour field with noise)
// whose class is the colour of a 16×16 blob at a random place: reddish, greenish or bluish.
// Decoded lazily in worker threads during the first epoch, then read from the cache, they
// train a small CNN past 95 % on held-out images.

const CLASSES = ['blue', 'green', 'red'];
const SIDE = 64;
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trainkit-jpeg64-'));
  const rng = new Rng(11);
  for (let i = 0; i < 300; i++) {
    const cls = i % 3;
    const [bx, by] = [Math.floor(rng.uniform(0, SIDE - 16)), Math.floor(rng.uniform(0, SIDE - 16))];
    const base = [0, 1, 2].map(() => rng.uniform(40, 140));
    const slope = [0, 1, 2].map(() => rng.uniform(-1, 1));
    const noise = Array.from({ length: SIDE * SIDE }, () => rng.uniform(-20, 20));
    const pixel = (x: number, y: number, k: number): number => {
      if (x >= bx && x < bx + 16 && y >= by && y < by + 16) return k === 2 - cls ? 240 : 60;
      return Math.max(0, Math.min(255, base[k] + slope[k] * (x - y) + noise[y * SIDE + x]));
    };
    await writeImage(join(dir, CLASSES[2 - cls], `${i}.jpg`), { width: SIDE, height: SIDE, format: 'jpeg', pixel });
  }
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function accuracy(model: Sequential, ds: Dataset): number {
  let right = 0;
  for (const { x, y } of new DataLoader(ds, { batchSize: 64 })) {
    const logits = noGrad(() => model.call(x)).data;
    y.forEach((label, i) => {
      const row = Array.from(logits.subarray(i * 3, i * 3 + 3));
      if (row.indexOf(Math.max(...row)) === label) right++;
    });
  }
  return right / ds.length;
}

test('300 generated 64×64 RGB JPEGs train a small CNN (conv, global max pool) to > 95 % on the held-out quarter (decoded during the first epoch)', async () => {
  const { train, val } = await imageFolder(dir, { size: SIDE, valFraction: 0.25, seed: 1, lazy: true, normalize: { mean: [0.4, 0.4, 0.4], std: [0.3, 0.3, 0.3] } });
  expect([train.length, val!.length, train.sampleShape, train.classes]).toEqual([225, 75, [3, 64, 64], CLASSES]);
  manualSeed(2);
  const model = new Sequential(new AvgPool2d(4), new Conv2d(3, 8, 3, { padding: 1 }), new ReLU(), new MaxPool2d(16), new Flatten(), new Linear(8, 3));
  const loader = new DataLoader(train, { batchSize: 15, shuffle: true, seed: 0 });
  for (let epoch = 0; epoch < 12; epoch++) {
    for await (const { x, y } of loader.epochAsync(epoch)) {
      model.zeroGrad();
      crossEntropy(model.call(x), y).backward();
      for (const p of model.parameters()) for (let i = 0; i < p.size; i++) p.data[i] -= 0.05 * p.grad![i];
    }
  }
  await val!.decodeAll();
  expect(accuracy(model, val!)).toBeGreaterThan(0.95);
}, 60_000);
