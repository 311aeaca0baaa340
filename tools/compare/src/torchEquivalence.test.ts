// trainkit against PyTorch 1.13, number for number: same initial weights, same batches, same
// plain-SGD steps. The fixture comes from tools/compare/torch_steps.py (Debian's python3-torch).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Trainer, sgd, type Plugin } from '@trainkit/core';
import { DataLoader } from '@trainkit/data';
import { loadMnist } from '@trainkit/data/node';
import { mnistCnn } from '@trainkit/nn';
import { Tensor } from '@trainkit/tensor';
import { expect, test } from 'vitest';

interface Fixture {
  torch: string;
  steps: number;
  batch: number;
  lr: number;
  init: Record<string, number[]>;
  losses: number[];
  final: Record<string, number[]>;
}

const fixture: Fixture = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'torch-cnn-sgd-steps.json'), 'utf8'));

test(`the reference CNN reproduces PyTorch ${fixture.torch}'s losses and weights over ${fixture.steps} SGD steps`, async () => {
  // Arrange: PyTorch's initial weights, the first steps·64 training images in order
  const model = mnistCnn();
  const own = model.stateDict();
  model.loadStateDict(Object.fromEntries(Object.entries(fixture.init).map(([k, v]) => [k, new Tensor(Float32Array.from(v), own[k].shape)])));
  const data = await loadMnist({ split: 'train', limit: fixture.steps * fixture.batch });
  const losses: number[] = [];
  const record: Plugin = { name: 'loss-recorder', onBeforeBackward: (ctx) => void losses.push(ctx.loss.item()) };

  // Act
  await new Trainer({ optimizer: sgd({ lr: fixture.lr }), plugins: [record] }).fit(model, {
    train: new DataLoader(data, { batchSize: fixture.batch, shuffle: false }),
    epochs: 1,
  });

  // Assert: float32 arithmetic in a different order, so equal to ~1e-6 relative, not bit-exact
  losses.forEach((l, i) => expect(l).toBeCloseTo(fixture.losses[i], 5));
  for (const [k, t] of Object.entries(model.stateDict())) {
    const want = fixture.final[k];
    let worst = 0;
    t.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - want[i]))));
    expect(worst, k).toBeLessThan(2e-6);
  }
});
