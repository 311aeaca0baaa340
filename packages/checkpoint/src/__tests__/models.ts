import { BatchNorm2d, Conv2d, Flatten, Linear, MaxPool2d, Module, ReLU, Sequential } from '@trainkit/nn';
import { Rng, Tensor } from '@trainkit/tensor';
import type { Batch, DataSource } from '@trainkit/core';

/** The small BatchNorm CNN of fixtures/bn_cnn.py: conv 3×3 1→4 pad 1, BatchNorm2d, ReLU, max-pool 2, flatten, linear 64→3, on 1×8×8 inputs. */
export function bnCnn(seed = 0): Sequential {
  const rng = new Rng(seed).stream('init');
  return new Sequential({
    conv1: new Conv2d(1, 4, 3, { padding: 1, rng }),
    bn1: new BatchNorm2d(4),
    relu1: new ReLU(),
    pool1: new MaxPool2d(2),
    flatten: new Flatten(),
    fc: new Linear(64, 3, { rng }),
  });
}

/** A seeded, resumable source of 1×8×8 images in 3 classes (the label is which third of the image is brightest). */
export function imageLoader(n = 48, batchSize = 8, seed = 1): DataSource & { length: number } {
  const rng = new Rng(seed);
  const x = rng.fillNormal(new Float32Array(n * 64));
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 3;
    for (let p = 0; p < 64; p++) if (Math.floor(p / 22) === y[i]) x[i * 64 + p] += 1.5;
  }
  const length = Math.ceil(n / batchSize);
  return {
    length,
    *epoch(epoch: number, { seed: s, startBatch = 0 }: { seed: number; startBatch?: number }): Iterable<Batch> {
      const order = new Rng(s).stream('shuffle').stream(`epoch-${epoch}`).permutation(n);
      for (let b = startBatch; b < length; b++) {
        const idx = order.subarray(b * batchSize, Math.min(n, (b + 1) * batchSize));
        const bx = new Float32Array(idx.length * 64);
        const by = new Int32Array(idx.length);
        idx.forEach((j, k) => {
          bx.set(x.subarray(j * 64, j * 64 + 64), k * 64);
          by[k] = y[j];
        });
        yield { x: new Tensor(bx, [idx.length, 1, 8, 8]), y: by };
      }
    },
  };
}

/** Every parameter and buffer as plain numbers, for bit-exact comparisons. */
export function snapshot(model: Module): Record<string, number[]> {
  return Object.fromEntries(Object.entries(model.stateDict()).map(([k, t]) => [k, Array.from(t.data)]));
}
