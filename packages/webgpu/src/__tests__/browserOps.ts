/**
 * Runs in Chromium (bundled by scripts/browserPage): opens WebGPU through navigator.gpu and
 * reports the worst relative error of the GPU GEMM (both kernels, every transpose) and of conv2d
 * with its gradients against the CPU ops, on odd sizes, and of the state dicts of a small ResNet-8
 * and ViT after 2 training steps on the GPU against 2 on the CPU (BatchNorm, residual blocks,
 * LayerNorm, attention and GELU kernels). `window.result` carries the numbers.
 */
import { parameterRefs } from '@trainkit/core';
import { resnet, vitTiny } from '@trainkit/models';
import type { Module } from '@trainkit/nn';
import { momentum } from '@trainkit/optim-momentum';
import { Rng, Tensor, conv2d as cpuConv2d, crossEntropy, matmul as cpuMatmul, transpose } from '@trainkit/tensor';
import { type GpuContext, requestGpu } from '../context';
import { GpuTrainingSession } from '../session';
import * as ops from '../ops';
import { GpuTensor } from '../tensor';
import { useWebGpu } from '../index'; // registers the 'webgpu' device of @trainkit/tensor and its ops

const worst = (a: Float32Array, b: Float32Array): number => {
  let scale = 1;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i] - b[i]) / scale);
  return a.length === b.length ? w : Infinity;
};

async function run(): Promise<Record<string, unknown>> {
  const ctx = await requestGpu();
  const rng = new Rng(7);
  const randn = (shape: number[], requiresGrad = false) => new Tensor(rng.fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1))), shape, { requiresGrad });
  const errors: Record<string, number> = {};
  for (const kernel of ['tiled', 'direct'] as const) {
    ctx.gemm = kernel;
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]]) {
      const [M, N, K] = [67, 33, 29];
      const a = randn(transA ? [K, M] : [M, K]);
      const b = randn(transB ? [N, K] : [K, N]);
      const want = cpuMatmul(transA ? transpose(a) : a, transB ? transpose(b) : b);
      const got = ops.matmul(GpuTensor.from(ctx, a), GpuTensor.from(ctx, b), { transA, transB });
      errors[`gemm ${kernel} ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}`] = worst(await got.data(), want.data);
    }
  }
  const [x, w, bias] = [randn([2, 3, 9, 7], true), randn([5, 3, 3, 3], true), randn([5], true)];
  const o = { stride: 2, padding: 1 };
  const y = cpuConv2d(x, w, bias, o);
  const dy = rng.fillNormal(new Float32Array(y.size));
  y.backward(dy);
  const g = ops.conv2d(GpuTensor.from(ctx, x), GpuTensor.from(ctx, w), GpuTensor.from(ctx, bias), o);
  errors['conv2d y'] = worst(await g.y.data(), y.data);
  const back = ops.conv2dBackward(GpuTensor.from(ctx, x), GpuTensor.from(ctx, w), g.cols, GpuTensor.from(ctx, dy, y.shape), o);
  errors['conv2d dx'] = worst(await back.dx.data(), x.grad!);
  errors['conv2d dw'] = worst(await back.dw.data(), w.grad!);
  errors['conv2d db'] = worst(await back.db.data(), bias.grad!);
  const models: Array<[string, () => Module]> = [
    ['resnet8 state', () => resnet({ depth: 8, inChannels: 1, numClasses: 4, width: 4, rng: new Rng(8) })],
    ['vit state', () => vitTiny({ imageSize: 8, patchSize: 4, inChannels: 1, dim: 8, depth: 1, heads: 2, numClasses: 4, rng: new Rng(9) })],
  ];
  for (const [what, make] of models) errors[what] = await trainedStateError(ctx, make, rng);
  useWebGpu(ctx);
  for (const [what, make] of models) errors[`${what}, own loop on device tensors`] = await ownLoopStateError(make, rng);
  return { adapter: ctx.adapterName, errors };
}

/** The worst relative error over the state dict of a model trained 2 momentum steps on the GPU, against the same steps on the CPU. */
async function trainedStateError(ctx: GpuContext, make: () => Module, rng: Rng): Promise<number> {
  const batches = [0, 1].map(() => ({ x: new Tensor(rng.fillNormal(new Float32Array(6 * 64)), [6, 1, 8, 8]), y: Int32Array.from({ length: 6 }, (_, i) => i % 4) }));
  const [cpu, dev] = [make(), make()];
  const opt = momentum({ lr: 0.05, momentum: 0.9 });
  for (const { x, y } of batches) {
    const loss = crossEntropy(cpu.call(x), y);
    cpu.zeroGrad();
    loss.backward();
    opt.step(parameterRefs(cpu));
  }
  const session = new GpuTrainingSession(ctx, dev, momentum({ lr: 0.05, momentum: 0.9 }), { inputShape: [1, 8, 8] });
  for (const { x, y } of batches) session.step(x, y);
  await session.syncToCpu();
  session.dispose();
  const [a, b] = [dev.stateDict(), cpu.stateDict()];
  return Math.max(...Object.keys(b).map((name) => worst(a[name].data, b[name].data)));
}

/** The same comparison for a user's own loop after `await model.to('webgpu')` (each op on the GPU, the optimizer's fused step). */
async function ownLoopStateError(make: () => Module, rng: Rng): Promise<number> {
  const batches = [0, 1].map(() => ({ x: new Tensor(rng.fillNormal(new Float32Array(6 * 64)), [6, 1, 8, 8]), y: Int32Array.from({ length: 6 }, (_, i) => i % 4) }));
  const [cpu, dev] = [make(), await make().to('webgpu')];
  const [cpuOpt, devOpt] = [momentum({ lr: 0.05, momentum: 0.9 }), momentum({ lr: 0.05, momentum: 0.9 })];
  for (const { x, y } of batches) {
    for (const [m, opt, input] of [[cpu, cpuOpt, x], [dev, devOpt, await x.to('webgpu')]] as const) {
      const loss = crossEntropy(m.call(input), y);
      m.zeroGrad();
      loss.backward();
      opt.step(parameterRefs(m));
    }
  }
  await dev.to('cpu');
  const [a, b] = [dev.stateDict(), cpu.stateDict()];
  return Math.max(...Object.keys(b).map((name) => worst(a[name].data, b[name].data)));
}

run().then(
  (r) => ((window as unknown as { result: unknown }).result = r),
  (e: Error) => ((window as unknown as { result: unknown }).result = { error: `${e.name}: ${e.message}` }),
);
