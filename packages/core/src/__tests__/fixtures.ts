import { Linear, Module, ReLU, Sequential } from '@trainkit/nn';
import { Rng, Tensor } from '@trainkit/tensor';
import type { Batch, DataSource } from '../index';

/** A small 3-class problem: the label is the index of the largest of the first three features. */
export function toyData(n: number, seed = 1): { x: Float32Array; y: Int32Array } {
  const rng = new Rng(seed);
  const x = rng.fillNormal(new Float32Array(n * 4));
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const r = x.subarray(i * 4, i * 4 + 3);
    y[i] = r[0] >= r[1] && r[0] >= r[2] ? 0 : r[1] >= r[2] ? 1 : 2;
  }
  return { x, y };
}

/** A seeded, resumable data source (what @trainkit/data's DataLoader provides), written against the core contract only. */
export function toyLoader(n = 64, batchSize = 8, seed = 1): DataSource & { length: number } {
  const { x, y } = toyData(n, seed);
  const length = Math.ceil(n / batchSize);
  return {
    length,
    *epoch(epoch: number, { seed: s, startBatch = 0 }: { seed: number; startBatch?: number }): Iterable<Batch> {
      const order = new Rng(s).stream('shuffle').stream(`epoch-${epoch}`).permutation(n);
      for (let b = startBatch; b < length; b++) {
        const idx = order.subarray(b * batchSize, Math.min(n, (b + 1) * batchSize));
        const bx = new Float32Array(idx.length * 4);
        const by = new Int32Array(idx.length);
        idx.forEach((j, k) => {
          bx.set(x.subarray(j * 4, j * 4 + 4), k * 4);
          by[k] = y[j];
        });
        yield { x: new Tensor(bx, [idx.length, 4]), y: by };
      }
    },
  };
}

export function toyModel(seed = 0): Module {
  const rng = new Rng(seed).stream('init');
  return new Sequential({ fc1: new Linear(4, 8, { rng }), relu: new ReLU(), fc2: new Linear(8, 3, { rng }) });
}

/** A copy of every parameter and buffer, for bit-exact comparisons. */
export function snapshot(model: Module): Record<string, number[]> {
  return Object.fromEntries(Object.entries(model.stateDict()).map(([k, t]) => [k, Array.from(t.data)]));
}
