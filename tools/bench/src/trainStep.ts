import { type Optimizer, parameterRefs } from '@trainkit/core';
import type { Module } from '@trainkit/nn';
import { Arena, Tensor, crossEntropy } from '@trainkit/tensor';
import { BATCH, lcg } from './spec';

/** Batch `seed` of the bench's training rows: n random 1×28×28 images and labels (lcg stream). */
export function benchBatch(seed: number, n = BATCH): { x: Tensor; y: Int32Array } {
  const r = lcg(seed);
  return {
    x: new Tensor(Float32Array.from({ length: n * 784 }, r), [n, 1, 28, 28]),
    y: Int32Array.from({ length: n }, () => Math.floor(r() * 10)),
  };
}

/**
 * One training step exactly as the Trainer runs it, over four fixed batches in turn: the step
 * arena reset, forward, loss and backward in the arena (TrainerOptions.arena), the optimizer
 * step, zeroed gradients. The bench's training rows and its allocation count both run this.
 */
export function trainStep(model: Module, opt: Optimizer): () => void {
  const data = [1, 2, 3, 4].map((seed) => benchBatch(seed));
  const arena = new Arena();
  let i = 0;
  model.train();
  return () => {
    const b = data[i++ % data.length];
    arena.reset();
    arena.run(() => crossEntropy(model.call(b.x), b.y).backward());
    opt.step(parameterRefs(model));
    for (const p of model.parameters()) p.zeroGrad();
  };
}
