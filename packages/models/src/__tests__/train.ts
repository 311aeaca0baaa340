import type { Module } from '@trainkit/nn';
import { Rng, type Tensor, crossEntropy, noGrad, tensor } from '@trainkit/tensor';

/**
 * A small learnable task: n images [n, channels, size, size] of noise, label 1 where the left half
 * was brightened and 0 where the right half was.
 */
export function halvesTask(n: number, channels: number, size: number, seed = 1): { x: Tensor; y: Int32Array } {
  const rng = new Rng(seed);
  const data = rng.fillNormal(new Float32Array(n * channels * size * size), 0, 0.5);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 2;
    for (let c = 0; c < channels; c++) {
      for (let r = 0; r < size; r++) {
        for (let col = 0; col < size; col++) {
          const left = col < size / 2;
          if (left === (y[i] === 1)) data[((i * channels + c) * size + r) * size + col] += 1;
        }
      }
    }
  }
  return { x: tensor(data, [n, channels, size, size]), y };
}

/** Full-batch SGD for `steps` steps; the loss before each step. */
export function sgdLosses(model: Module, x: Tensor, y: Int32Array, steps: number, lr: number): number[] {
  const losses: number[] = [];
  model.train();
  for (let s = 0; s < steps; s++) {
    model.zeroGrad();
    const loss = crossEntropy(model.call(x), y);
    loss.backward();
    losses.push(loss.item());
    noGrad(() => {
      for (const p of model.parameters()) {
        const g = p.grad;
        if (g !== null) for (let i = 0; i < p.size; i++) p.data[i] -= lr * g[i];
      }
    });
  }
  return losses;
}
