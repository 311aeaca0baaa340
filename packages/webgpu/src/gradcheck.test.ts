import { sgd } from '@trainkit/core';
import { vitTiny } from '@trainkit/models';
import { Conv2d, Flatten, LeakyReLU, Linear, MaxPool2d, type Module, Sequential, Sigmoid, Tanh } from '@trainkit/nn';
import { Rng } from '@trainkit/tensor';
import { describe, expect, test } from 'vitest';
import { randn } from './__tests__/compare';
import { testGpu } from './__tests__/dawn';
import type { GpuContext } from './context';
import { GpuTrainingSession } from './session';

const gpu = await testGpu();
if (typeof gpu === 'string') console.log(`skipping the WebGPU gradient checks: ${gpu}`);
const ctx = gpu as GpuContext;

/**
 * The gradient the GPU computes (read as the change one SGD step with lr 1 makes) against central
 * finite differences of the GPU's own loss (`evaluate`), for the largest-gradient and a few
 * random entries of every parameter. Float32 throughout, so h cannot be tiny: with h = 2e-3 the
 * loss's rounding (~1e-7) moves a difference by ~5e-5, and the curvature term stays under 1 % even
 * where LayerNorm sees the all-zero class token (h = 1e-2 is 11 % off there, on the CPU too).
 * Hence a 2 % tolerance (plus 2e-4 absolute): a wrong kernel is off by far more.
 */
async function gpuGradcheck(model: Module, inputShape: number[], N: number, classes: number): Promise<number> {
  const rng = new Rng(41);
  const x = randn(rng, N * inputShape.reduce((a, b) => a * b, 1));
  const y = Int32Array.from({ length: N }, () => Math.floor(rng.uniform() * classes));
  const session = new GpuTrainingSession(ctx, model, sgd({ lr: 1 }), { inputShape });
  const params = model.namedParameters();
  const before = params.map(([, p]) => p.data.slice());
  session.step(x, y);
  await session.syncToCpu();
  const grads = params.map(([, p], k) => before[k].map((v, i) => v - p.data[i]));
  params.forEach(([, p], k) => p.data.set(before[k]));
  const loss = async () => {
    session.reloadFromCpu();
    return (await session.evaluate(x, y, N)).loss;
  };
  const h = 2e-3;
  let checked = 0;
  for (const [k, [name, p]] of params.entries()) {
    const g = grads[k];
    const largest = g.reduce((best, v, i) => (Math.abs(v) > Math.abs(g[best]) ? i : best), 0);
    for (const i of new Set([largest, Math.floor(rng.uniform() * p.size), Math.floor(rng.uniform() * p.size)])) {
      const v = p.data[i];
      p.data[i] = v + h;
      const plus = await loss();
      p.data[i] = v - h;
      const minus = await loss();
      p.data[i] = v;
      const fd = (plus - minus) / (2 * h);
      expect(Math.abs(fd - g[i]), `${name}[${i}]: finite difference ${fd}, GPU gradient ${g[i]}`).toBeLessThanOrEqual(0.02 * Math.abs(fd) + 2e-4);
      checked++;
    }
  }
  session.dispose();
  return checked;
}

describe.skipIf(typeof gpu === 'string')('gradcheck through GPU ops: the GPU’s gradients equal finite differences of the GPU’s loss', () => {
  test('convolution (stride, padding), max pooling with odd sizes, sigmoid, tanh, leaky ReLU, linear and softmax cross-entropy', async () => {
    const rng = new Rng(42);
    const m = new Sequential(
      new Conv2d(2, 3, 3, { stride: 2, padding: 1, rng }), new Tanh(), new MaxPool2d(2), new Flatten(),
      new Linear(3 * 2 * 2, 6, { rng }), new Sigmoid(), new Linear(6, 5, { rng }), new LeakyReLU(0.1), new Linear(5, 4, { rng }),
    );
    expect(await gpuGradcheck(m, [2, 9, 9], 3, 4)).toBeGreaterThan(15);
  });

  test('a ViT: patch tokens, LayerNorm, multi-head self-attention, GELU and the class-token head', async () => {
    const m = vitTiny({ imageSize: 8, patchSize: 4, inChannels: 1, dim: 8, depth: 1, heads: 2, numClasses: 3, rng: new Rng(43) });
    expect(await gpuGradcheck(m, [1, 8, 8], 3, 3)).toBeGreaterThan(25);
  });
});
