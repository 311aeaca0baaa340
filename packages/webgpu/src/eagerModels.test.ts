import { type TransformerBlock, vitTiny } from '@trainkit/models';
import { MultiheadAttention } from '@trainkit/nn';
import { momentum } from '@trainkit/optim-momentum';
import { Rng } from '@trainkit/tensor';
import { describe, expect, test } from 'vitest';
import { cpuSteps, randomBatch } from './__tests__/compare';
import { testGpu } from './__tests__/dawn';
import { expectSameState, gpuSteps } from './__tests__/eagerLoop';
import { useWebGpu } from './backend';
import type { GpuContext } from './context';
import './index';

const gpu = await testGpu();
if (typeof gpu === 'string') console.log(`skipping the ViT-on-device-tensors tests: ${gpu}`);
else useWebGpu(gpu as GpuContext);

describe.skipIf(typeof gpu === 'string')("await vit.to('webgpu'): a vision transformer trains in the user's own loop on the GPU", () => {
  // momentum, not Adam: the key projection's bias has a gradient of zero in exact arithmetic, and Adam would scale its rounding noise up to full steps
  test('ViT-tiny (8×8 images, patch 4, dim 8, 2 heads, depth 2), 3 momentum steps: the cpu loop\'s state dict (1e-4), class token and position embedding included', async () => {
    const make = () => vitTiny({ imageSize: 8, patchSize: 4, inChannels: 1, dim: 8, depth: 2, heads: 2, numClasses: 5, rng: new Rng(21) });
    const batches = [1, 2, 3].map((s) => randomBatch(s, 4, 1, 8, 5));
    const [cpuModel, gpuModel] = [make(), make()];
    cpuSteps(cpuModel, momentum({ lr: 0.1, momentum: 0.9 }), batches);
    await gpuModel.to('webgpu');
    const loss = await gpuSteps(gpuModel, momentum({ lr: 0.1, momentum: 0.9 }), batches);
    expect(Number.isFinite(loss)).toBe(true);
    await expectSameState(gpuModel, cpuModel, 1e-4);
    expect(gpuModel.stateDict()['cls_token'].data.some((v) => v !== 0)).toBe(true);
  });

  test('causal self-attention (the mask made on the cpu joins the scores on the GPU) and an odd token count', async () => {
    const make = () => {
      const m = vitTiny({ imageSize: 12, patchSize: 4, inChannels: 2, dim: 12, depth: 1, heads: 3, numClasses: 4, mlpRatio: 1.5, rng: new Rng(22) });
      (m.blocks.namedChildren()[0][1] as TransformerBlock).attn = new MultiheadAttention(12, 3, { causal: true, rng: new Rng(23) });
      return m;
    };
    const batches = [5, 6].map((s) => randomBatch(s, 3, 2, 12, 4));
    const [cpuModel, gpuModel] = [make(), make()];
    cpuSteps(cpuModel, momentum({ lr: 0.05, momentum: 0.5 }), batches);
    await gpuModel.to('webgpu');
    await gpuSteps(gpuModel, momentum({ lr: 0.05, momentum: 0.5 }), batches);
    await expectSameState(gpuModel, cpuModel, 1e-4);
  });
});
