// A workload that exercises every pooled kernel: conv2d forward and backward (im2col·GEMM, the
// direct kernels of a first layer and Winograd's F(2×2, 3×3) of a 3×3 stride-1 layer, its weight
// gradient split by input channels, and a 1×1 strided shortcut, its weight gradient as dot products
// split the same way; a fused ReLU, and a fused ReLU + 2×2 max pooling, whose output gradient is
// built on the pool), bias gradients split by channels, and a large matmul with its gradients,
// from fixed seeds.
// Shared by the Node thread-pool test and the browser (Web Worker) one.
import { type Conv2dOptions, conv2d, conv2dReluPool } from '../ops/conv';
import { matmul } from '../ops/matmul';
import { Rng } from '../rng';
import { Tensor } from '../tensor';

function leaf(rng: Rng, shape: number[]): Tensor {
  return new Tensor(rng.fillNormal(new Float32Array(shape.reduce((a, b) => a * b))), shape, { requiresGrad: true });
}

/** conv2d of fresh leaves x and w (and b) drawn from `rng`, backpropagated from seed `seed`: output, then the gradients. */
function convRun(rng: Rng, xShape: number[], wShape: number[], bias: boolean, options: Conv2dOptions, seed: number, pooled = false): Float32Array[] {
  const x = leaf(rng, xShape);
  const w = leaf(rng, wShape);
  const b = bias ? leaf(rng, [wShape[0]]) : null;
  const y = pooled ? conv2dReluPool(x, w, b, options) : conv2d(x, w, b, options);
  y.backward(new Rng(seed).fillNormal(new Float32Array(y.size)));
  return [y.data, x.grad, w.grad, ...(b ? [b.grad] : [])].map((t) => t as Float32Array);
}

/** conv2d forward and backward plus a large matmul and its gradients, from a fixed seed. */
export function poolWorkload(): Float32Array[] {
  const rng = new Rng(11);
  const gemmConv = convRun(rng, [9, 8, 14, 14], [16, 8, 5, 5], true, { padding: 2 }, 12);
  // a first layer (one input channel): the direct kernels
  const direct = convRun(rng, [7, 1, 13, 11], [8, 1, 5, 5], false, { padding: 2 }, 14);
  // 3×3, stride 1, ≥ 8 channels: Winograd, with odd sizes (partial tiles)
  const winograd = convRun(rng, [5, 12, 11, 13], [10, 12, 3, 3], false, { padding: 1 }, 15);
  // 1×1, stride 2 (a ResNet shortcut): the weight gradient as dot products, split by input channels
  const pointwise = convRun(rng, [5, 12, 9, 9], [10, 12, 1, 1], false, { stride: 2 }, 16);
  // a fused ReLU, then a fused ReLU + max pooling (odd sizes): dOut masked, or built from the pooled gradient
  const relu = convRun(rng, [9, 8, 13, 14], [16, 8, 5, 5], true, { padding: 2, activation: 'relu' }, 17);
  const reluPool = convRun(rng, [9, 8, 13, 15], [16, 8, 3, 3], true, { padding: 1 }, 18, true);
  const a = leaf(rng, [130, 257]);
  const m = leaf(rng, [257, 203]);
  const z = matmul(a, m);
  z.backward(new Rng(13).fillNormal(new Float32Array(z.size)));
  return [...gemmConv, ...[z.data, a.grad, m.grad].map((t) => t as Float32Array), ...direct, ...winograd, ...pointwise, ...relu, ...reluPool];
}
