import type { Optimizer } from '@trainkit/core';
import { type TransformerBlock, vitTiny } from '@trainkit/models';
import { Flatten, GELU, LayerNorm, Linear, type Module, MultiheadAttention, Sequential } from '@trainkit/nn';
import { momentum } from '@trainkit/optim-momentum';
import { Rng, Tensor, noGrad } from '@trainkit/tensor';
import { describe, expect, test } from 'vitest';
import { expectClose, randomBatch, cpuSteps } from './__tests__/compare';
import { testGpu } from './__tests__/dawn';
import type { GpuContext } from './context';
import { WebGpuUnsupportedError } from './errors';
import { GpuTrainingSession } from './session';

const gpu = await testGpu();
if (typeof gpu === 'string') console.log(`skipping the transformer WebGPU tests: ${gpu}`);
const ctx = gpu as GpuContext;

/** Trains copies of a model for the batches on the CPU and in a GPU session; both state dicts must agree within 1e-4, and the session's logits for `probe` with the CPU model's. */
async function expectSameTraining(make: () => Module, opt: () => Optimizer, bs: ReadonlyArray<{ x: Tensor; y: Int32Array }>, probe: Tensor): Promise<Module> {
  const [cpu, dev] = [make(), make()];
  cpuSteps(cpu, opt(), bs);
  const session = new GpuTrainingSession(ctx, dev, opt(), { inputShape: bs[0].x.shape.slice(1) });
  for (const { x, y } of bs) session.step(x, y);
  await session.syncToCpu();
  const logits = await session.predict(probe);
  session.dispose();
  const [a, b] = [dev.stateDict(), cpu.stateDict()];
  for (const name of Object.keys(b)) expectClose(a[name].data, b[name].data, 1e-4, name);
  expectClose(logits.data, noGrad(() => cpu.call(probe)).data, 1e-4, 'logits');
  return dev;
}

describe.skipIf(typeof gpu === 'string')('transformers train on WebGPU as on the CPU', () => {
  test('ViT-tiny (8×8 images, patch 4, dim 8, 2 heads, depth 2): 3 momentum steps leave the CPU run’s state dict and logits (1e-4)', async () => {
    const make = () => vitTiny({ imageSize: 8, patchSize: 4, inChannels: 1, dim: 8, depth: 2, heads: 2, numClasses: 5, rng: new Rng(21) });
    const bs = [1, 2, 3].map((s) => randomBatch(s, 6, 1, 8, 5));
    const dev = await expectSameTraining(make, () => momentum({ lr: 0.1, momentum: 0.9 }), bs, randomBatch(4, 3, 1, 8, 5).x);
    expect(dev.stateDict()['cls_token'].data.some((v) => v !== 0)).toBe(true); // the class token learned too
  });

  test('causal self-attention (each token sees itself and the tokens before it) and an odd token count train as on the CPU', async () => {
    const make = () => {
      const m = vitTiny({ imageSize: 12, patchSize: 4, inChannels: 2, dim: 12, depth: 1, heads: 3, numClasses: 4, mlpRatio: 1.5, rng: new Rng(22) });
      (m.blocks.namedChildren()[0][1] as TransformerBlock).attn = new MultiheadAttention(12, 3, { causal: true, rng: new Rng(23) });
      return m;
    };
    await expectSameTraining(make, () => momentum({ lr: 0.05, momentum: 0.5 }), [5, 6].map((s) => randomBatch(s, 5, 2, 12, 4)), randomBatch(7, 2, 2, 12, 4).x);
  });

  test('LayerNorm and GELU in a Sequential MLP train as on the CPU', async () => {
    const make = () => {
      const rng = new Rng(24);
      return new Sequential(new Flatten(), new Linear(16, 20, { rng }), new LayerNorm(20), new GELU(), new Linear(20, 3, { rng }));
    };
    await expectSameTraining(make, () => momentum({ lr: 0.1, momentum: 0.9 }), [8, 9, 10].map((s) => randomBatch(s, 7, 1, 4, 3)), randomBatch(11, 4, 1, 4, 3).x);
  });

  test('GELU with the tanh approximation, and a LayerNorm over two dimensions, are refused naming the layer', () => {
    const tanhGelu = new Sequential(new Flatten(), new Linear(16, 4), new GELU({ approximate: 'tanh' }), new Linear(4, 2));
    expect(() => new GpuTrainingSession(ctx, tanhGelu, momentum({ lr: 0.1 }), { inputShape: [16] })).toThrow(WebGpuUnsupportedError);
    expect(() => new GpuTrainingSession(ctx, tanhGelu, momentum({ lr: 0.1 }), { inputShape: [16] })).toThrow(/layer "2" \(GELU\) uses approximate: 'tanh'; the GPU kernel computes the exact \(erf\) GELU only/);
    const wide = new Sequential(new LayerNorm([4, 4]), new Flatten(), new Linear(16, 2));
    expect(() => new GpuTrainingSession(ctx, wide, momentum({ lr: 0.1 }), { inputShape: [4, 4] })).toThrow(/layer "0" \(LayerNorm\) normalizes \[4, 4\].*last dimension only/);
  });

  test('a ViT given images of another size than it was built for is refused (the CPU forward refuses them too), not trained past its position embedding', () => {
    const vit = vitTiny({ imageSize: 8, patchSize: 4, inChannels: 1, dim: 8, depth: 1, heads: 2, numClasses: 3, rng: new Rng(25) });
    expect(() => vit.call(randomBatch(1, 2, 1, 12, 3).x)).toThrow();
    expect(() => new GpuTrainingSession(ctx, vit, momentum({ lr: 0.1 }), { inputShape: [1, 12, 12] })).toThrow(
      /the patch embedding gives \[8, 3, 3\] per sample \(10 tokens with the class token\), but pos_embed is \[1, 5, 8\].*built for another image size/,
    );
  });
});
