import { Rng, Tensor, crossEntropy, linear, zeros } from '@trainkit/tensor';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { writeImage } from '../__tests__/images';
import { DataLoader } from '../dataLoader';
import type { Dataset } from '../dataset';
import { imageFolder } from './imageFolder';

// A learnable signal through the whole pipeline: 32×32 RGB JPEGs whose class is where a bright
// 10×10 patch sits (left, centre, right) on a noisy background of random colour. A softmax
// regression trained on the decoded batches must tell the positions apart on held-out images.

const CLASSES = ['centre', 'left', 'right'];
const PATCH_X: Record<string, number> = { left: 2, centre: 11, right: 20 };
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trainkit-learn-'));
  const rng = new Rng(3);
  for (let i = 0; i < 120; i++) {
    const cls = CLASSES[i % 3];
    const [px, py] = [PATCH_X[cls], 4 + Math.floor(rng.uniform(0, 18))];
    const tint = [0, 1, 2].map(() => rng.uniform(0, 120));
    const noise = Array.from({ length: 32 * 32 }, () => rng.uniform(0, 40));
    const pixel = (x: number, y: number, k: number): number => (x >= px && x < px + 10 && y >= py && y < py + 10 ? 250 : tint[k] + noise[y * 32 + x]);
    await writeImage(join(dir, cls, `${i}.jpg`), { width: 32, height: 32, format: 'jpeg', pixel });
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function accuracy(ds: Dataset, w: Tensor, b: Tensor): number {
  let right = 0;
  for (const { x, y } of new DataLoader(ds, { batchSize: 64 })) {
    const logits = linear(new Tensor(x.data, [y.length, 3072]), w, b).data;
    y.forEach((label, i) => {
      const row = Array.from(logits.subarray(i * 3, i * 3 + 3));
      if (row.indexOf(Math.max(...row)) === label) right++;
    });
  }
  return right / ds.length;
}

test('a softmax regression trained on the decoded JPEG batches finds the patch position: > 90% on held-out images after 8 epochs', async () => {
  const { train, val } = await imageFolder(dir, { size: 32, valFraction: 0.25, seed: 1, normalize: { mean: [0.3, 0.3, 0.3], std: [0.3, 0.3, 0.3] } });
  expect([train.length, val!.length, train.classes]).toEqual([90, 30, CLASSES]);
  const w = zeros([3, 3072], { requiresGrad: true });
  const b = zeros([3], { requiresGrad: true });
  const loader = new DataLoader(train, { batchSize: 16, shuffle: true, seed: 0 });
  for (let epoch = 0; epoch < 8; epoch++) {
    for (const { x, y } of loader.epoch(epoch)) {
      w.zeroGrad();
      b.zeroGrad();
      crossEntropy(linear(new Tensor(x.data, [y.length, 3072]), w, b), y).backward();
      for (const p of [w, b]) for (let i = 0; i < p.size; i++) p.data[i] -= 0.01 * p.grad![i];
    }
  }
  expect(accuracy(train, w, b)).toBeGreaterThan(0.9);
  expect(accuracy(val!, w, b)).toBeGreaterThan(0.9);
});
