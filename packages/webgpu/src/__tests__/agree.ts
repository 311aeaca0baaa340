import { Rng, Tensor, mul, sum } from '@trainkit/tensor';
import { expect } from 'vitest';
import { expectClose, randn } from './compare';

/** A cpu leaf of seeded normal values. */
export const leaf = (rng: Rng, shape: number[], requiresGrad = true): Tensor => new Tensor(randn(rng, shape.reduce((a, b) => a * b, 1)), shape, { requiresGrad });

/**
 * Runs `f` on copies of the cpu leaves and on their 'webgpu' copies, backpropagates Σ f(x)·r for
 * one random r through both, and compares the values and every input's gradient (relative `rtol`).
 */
export async function agree(what: string, seed: number, leaves: readonly Tensor[], f: (xs: Tensor[]) => Tensor, rtol = 1e-4): Promise<void> {
  const inputs = leaves.map((t) => new Tensor(t.data.slice(), t.shape, { requiresGrad: t.requiresGrad })); // fresh gradients
  const onGpu = await Promise.all(inputs.map((t) => t.to('webgpu')));
  const want = f(inputs);
  const got = f(onGpu);
  expect(got.device, what).toBe('webgpu');
  expect(got.shape, what).toEqual(want.shape);
  expectClose(await got.read(), want.data, rtol, what);
  const r = new Tensor(randn(new Rng(seed + 1), want.size), want.shape);
  sum(mul(want, r)).backward();
  sum(mul(got, await r.to('webgpu'))).backward();
  for (const [i, t] of inputs.entries()) {
    if (!t.requiresGrad) continue;
    expectClose((await onGpu[i].readGrad()) ?? new Float32Array(0), t.grad ?? new Float32Array(0), rtol, `${what}: gradient of input ${i}`);
  }
}
