// The playground's bookkeeping, checked in Node against a real Trainer (the browser test in
// site.test.ts runs the page itself).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Trainer, sgd } from '@trainkit/core';
import { DataLoader, TensorDataset } from '@trainkit/data';
import { Linear, manualSeed } from '@trainkit/nn';
import { smoothSeries } from '@trainkit/progress';
import { Rng } from '@trainkit/tensor';
import { expect, test } from 'vitest';
import { SMOOTHING, accuracyChart, initialState, reduce } from '../../../docs/.vitepress/theme/playground/controller';
import type { FromWorker } from '../../../docs/.vitepress/theme/playground/protocol';
import { batchReport } from '../../../docs/.vitepress/theme/playground/report';
import { root } from './entries';

/** Two classes split by the sign of the first feature, 96 samples in batches of 8. */
function toyLoader(): DataLoader {
  const x = new Rng(3).fillNormal(new Float32Array(96 * 4));
  const y = Int32Array.from({ length: 96 }, (_, i) => Number(x[4 * i] > 0));
  return new DataLoader(new TensorDataset({ x, y, sampleShape: [4], numClasses: 2 }), { batchSize: 8, shuffle: true });
}

/** The share of rows of `output` whose largest entry is at the label. */
function ownAccuracy(output: Float32Array, labels: ArrayLike<number>, classes: number): number {
  let hits = 0;
  for (let i = 0; i < labels.length; i++) {
    const row = Array.from(output.subarray(i * classes, (i + 1) * classes));
    hits += Number(row.indexOf(Math.max(...row)) === labels[i]);
  }
  return hits / labels.length;
}

test("each batch report carries that batch's own accuracy, not the epoch's running mean (which restarts every epoch)", async () => {
  const reports: Array<Extract<FromWorker, { type: 'batch' }>> = [];
  const own: number[] = [];
  manualSeed(0);
  const trainer = new Trainer({
    optimizer: sgd({ lr: 0.1 }),
    seed: 0,
    plugins: [
      {
        name: 'report',
        onTrainBatchEnd(ctx) {
          reports.push(batchReport(ctx, 100));
          own.push(ownAccuracy(ctx.output.data, ctx.batch.y as Int32Array, 2));
        },
      },
    ],
  });
  await trainer.fit(new Linear(4, 2), { train: toyLoader(), epochs: 3 });
  expect(reports.map((r) => r.step)).toEqual(Array.from({ length: 36 }, (_, i) => i + 1));
  expect(reports.map((r) => r.accuracy)).toEqual(own);
  expect(reports[12]).toMatchObject({ epoch: 1, samplesPerSec: 100 });
});

test('the accuracy chart draws the smoothed per-batch accuracy, and the stat card shows its latest value', () => {
  const state = initialState();
  const batches = Array.from({ length: 60 }, (_, i) => ({ step: i + 1, accuracy: (i * 7) % 10 < 5 ? 0.75 : 1 }));
  for (const b of batches) reduce(state, { type: 'batch', step: b.step, epoch: Math.floor(b.step / 30), loss: 1, accuracy: b.accuracy, samplesPerSec: 1 }, 0);
  const smoothed = smoothSeries(batches.map((b): [number, number] => [b.step, b.accuracy]), SMOOTHING);
  expect(state.accuracy).toBeCloseTo(smoothed[59][1], 3);
  const svg = accuracyChart(state);
  const d = /class="series" data-label="train \(smoothed\)" d="([^"]+)"/.exec(svg)?.[1] ?? '';
  expect(d.match(/[ML]/g)).toHaveLength(60);
  // the raw 0.75 / 1 zig-zag spans 25 points; the smoothed curve, once warmed up, much less
  const later = smoothed.slice(20).map(([, y]) => y);
  expect(Math.max(...later) - Math.min(...later)).toBeLessThan(0.1);
});

test("the playground page's description matches the page's code (smoothing window, default model and epochs)", () => {
  const page = readFileSync(join(root, 'docs', 'playground.md'), 'utf8').replace(/\s+/g, ' ');
  const vue = readFileSync(join(root, 'docs', '.vitepress', 'theme', 'Playground.vue'), 'utf8');
  expect(page).toContain(`smoothed over ${SMOOTHING} batches`);
  expect(page).toContain('The defaults train the reference CNN with SGD (learning rate 0.03) for four epochs');
  expect(vue).toMatch(/const form = reactive\(\{ model: 'cnn', optimizer: 'sgd', lr: 0\.03, batchSize: 32, epochs: 4,/);
});
