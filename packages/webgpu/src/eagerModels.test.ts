import { type TransformerBlock, vitTiny } from '@trainkit/models';
import { momentum } from '@trainkit/optim-momentum';
import { Rng, crossEntropy } from '@trainkit/tensor';
import { parameterRefs } from '@trainkit/core';
import { MultiheadAttention, mnistMlp } from '@trainkit/nn';
import { describe, expect, test } from 'vitest';
import { cpuSteps, randomBatch } from './__tests__/compare';
import { openTestGpu, testGpu } from './__tests__/dawn';
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

describe.skipIf(typeof gpu === 'string')('a device lost in the middle of a loop on device tensors', () => {
  test('the next op fails with a DeviceLostError naming the device; moving the model back is refused and changes nothing; a copy saved before trains on on the cpu', async () => {
    const own = (await openTestGpu()) as GpuContext; // its own device: destroying it must not affect the other tests
    useWebGpu(own);
    try {
      const model = mnistMlp({ hidden: 8, rng: new Rng(3) });
      const saved = Object.fromEntries(Object.entries(model.stateDict()).map(([k, t]) => [k, t.clone()])); // the "checkpoint"
      await model.to('webgpu');
      const opt = momentum({ lr: 0.1 });
      const { x, y } = randomBatch(1, 4, 1, 28, 10);
      const step = async () => {
        const loss = crossEntropy(model.call(await x.to('webgpu')), y);
        model.zeroGrad();
        loss.backward();
        opt.step(parameterRefs(model));
      };
      await step();
      own.destroy();
      await new Promise((r) => setTimeout(r, 50)); // the loss is reported asynchronously
      await expect(step()).rejects.toThrow(/WebGPU device \(.+\) is unusable: the device was destroyed/);
      await expect(model.to('cpu')).rejects.toThrow(/destroyed|unusable|lost/);
      expect(model.parameters()[0].device).toBe('webgpu');
      const resumed = mnistMlp({ hidden: 8, rng: new Rng(4) });
      resumed.loadStateDict(saved);
      cpuSteps(resumed, momentum({ lr: 0.1 }), [{ x, y }]);
      expect(resumed.parameters()[0].device).toBe('cpu');
    } finally {
      useWebGpu(gpu as GpuContext);
    }
  });
});
