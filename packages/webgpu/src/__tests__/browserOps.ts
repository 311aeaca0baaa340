/**
 * Runs in Chromium (bundled by scripts/browserPage): opens WebGPU through navigator.gpu and
 * reports the worst relative error of the GPU GEMM (both kernels, every transpose) and of conv2d
 * with its gradients against the CPU ops, on odd sizes. `window.result` carries the numbers.
 */
import { Rng, Tensor, conv2d as cpuConv2d, matmul as cpuMatmul, transpose } from '@trainkit/tensor';
import { requestGpu } from '../context';
import * as ops from '../ops';
import { GpuTensor } from '../tensor';

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
  return { adapter: ctx.adapterName, errors };
}

run().then(
  (r) => ((window as unknown as { result: unknown }).result = r),
  (e: Error) => ((window as unknown as { result: unknown }).result = { error: `${e.name}: ${e.message}` }),
);
