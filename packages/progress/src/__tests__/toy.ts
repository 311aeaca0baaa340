import { DataLoader, TensorDataset } from '@trainkit/data';
import { Linear, ReLU, Sequential } from '@trainkit/nn';
import { Rng } from '@trainkit/tensor';

/** A small 3-class problem (label = index of the largest of the first three features), as a DataLoader. */
export function toyLoader(n = 96, batchSize = 8, seed = 1): DataLoader {
  const rng = new Rng(seed);
  const x = rng.fillNormal(new Float32Array(n * 4));
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const r = x.subarray(i * 4, i * 4 + 3);
    y[i] = r[0] >= r[1] && r[0] >= r[2] ? 0 : r[1] >= r[2] ? 1 : 2;
  }
  return new DataLoader(new TensorDataset({ x, y, sampleShape: [4], numClasses: 3 }), { batchSize, shuffle: true });
}

export function toyModel(seed = 0) {
  const rng = new Rng(seed).stream('init');
  return new Sequential({ fc1: new Linear(4, 8, { rng }), relu: new ReLU(), fc2: new Linear(8, 3, { rng }) });
}
