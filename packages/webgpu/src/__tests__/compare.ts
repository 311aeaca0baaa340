import { type Optimizer, parameterRefs } from '@trainkit/core';
import type { Module } from '@trainkit/nn';
import { Rng, Tensor, crossEntropy } from '@trainkit/tensor';
import { expect } from 'vitest';

/** Seeded normal values. */
export function randn(rng: Rng, n: number, std = 1): Float32Array {
  return rng.fillNormal(new Float32Array(n), 0, std);
}

/**
 * Asserts |gpu − cpu| ≤ rtol · max(1, max|cpu|) elementwise: relative to the reference's largest
 * magnitude, so a sum that cancels to near zero is judged against the size of its terms.
 */
export function expectClose(gpu: Float32Array, cpu: Float32Array, rtol: number, what: string): void {
  expect(gpu.length, `${what}: length`).toBe(cpu.length);
  let scale = 1;
  for (const v of cpu) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  let at = -1;
  for (let i = 0; i < cpu.length; i++) {
    const d = Math.abs(gpu[i] - cpu[i]);
    if (!(d <= worst)) [worst, at] = [d, i];
  }
  expect(worst / scale, `${what}: worst relative error at ${at} (gpu ${gpu[at]}, cpu ${cpu[at]})`).toBeLessThanOrEqual(rtol);
}

/** Seeded normal images [N, C, S, S] (around `mean`) and labels below `classes`. */
export function randomBatch(seed: number, N: number, C: number, S: number, classes: number, mean = 0): { x: Tensor; y: Int32Array } {
  const rng = new Rng(seed);
  const x = randn(rng, N * C * S * S).map((v) => mean + v);
  return { x: new Tensor(x, [N, C, S, S]), y: Int32Array.from({ length: N }, () => Math.floor(rng.uniform() * classes)) };
}

/** Plain CPU training steps (train mode, cross-entropy, autograd, the optimizer): the reference a GPU run must reproduce. */
export function cpuSteps(model: Module, opt: Optimizer, bs: ReadonlyArray<{ x: Tensor; y: Int32Array }>): void {
  model.train();
  for (const { x, y } of bs) {
    const loss = crossEntropy(model.call(x), y);
    model.zeroGrad();
    loss.backward();
    opt.step(parameterRefs(model));
  }
}
