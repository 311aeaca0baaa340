// A workload that exercises every pooled kernel: conv2d forward and backward (im2col·GEMM, the
// direct kernels of a first layer and Winograd's F(2×2, 3×3) of a 3×3 stride-1 layer, its weight
// gradient split by input channels, and a 1×1 strided shortcut, its weight gradient as dot products
// split the same way) and a large matmul with its gradients, from fixed seeds.
// Shared by the Node thread-pool test and the browser (Web Worker) one.
import { conv2d } from '../ops/conv';
import { matmul } from '../ops/matmul';
import { Rng } from '../rng';
import { Tensor } from '../tensor';

function leaf(rng: Rng, shape: number[]): Tensor {
  return new Tensor(rng.fillNormal(new Float32Array(shape.reduce((a, b) => a * b))), shape, { requiresGrad: true });
}

/** conv2d forward and backward plus a large matmul and its gradients, from a fixed seed. */
export function poolWorkload(): Float32Array[] {
  const rng = new Rng(11);
  const x = leaf(rng, [9, 8, 14, 14]);
  const w = leaf(rng, [16, 8, 5, 5]);
  const b = leaf(rng, [16]);
  const y = conv2d(x, w, b, { padding: 2 });
  y.backward(new Rng(12).fillNormal(new Float32Array(y.size)));
  // a first layer (one input channel): the direct kernels
  const x1 = leaf(rng, [7, 1, 13, 11]);
  const w1 = leaf(rng, [8, 1, 5, 5]);
  const y1 = conv2d(x1, w1, null, { padding: 2 });
  y1.backward(new Rng(14).fillNormal(new Float32Array(y1.size)));
  // 3×3, stride 1, ≥ 8 channels: Winograd, with odd sizes (partial tiles)
  const x3 = leaf(rng, [5, 12, 11, 13]);
  const w3 = leaf(rng, [10, 12, 3, 3]);
  const y3 = conv2d(x3, w3, null, { padding: 1 });
  y3.backward(new Rng(15).fillNormal(new Float32Array(y3.size)));
  // 1×1, stride 2 (a ResNet shortcut): the weight gradient as dot products, split by input channels
  const x4 = leaf(rng, [5, 12, 9, 9]);
  const w4 = leaf(rng, [10, 12, 1, 1]);
  const y4 = conv2d(x4, w4, null, { stride: 2 });
  y4.backward(new Rng(16).fillNormal(new Float32Array(y4.size)));
  const a = leaf(rng, [130, 257]);
  const m = leaf(rng, [257, 203]);
  const z = matmul(a, m);
  z.backward(new Rng(13).fillNormal(new Float32Array(z.size)));
  return [y.data, x.grad, w.grad, b.grad, z.data, a.grad, m.grad, y1.data, x1.grad, w1.grad, y3.data, x3.grad, w3.grad, y4.data, x4.grad, w4.grad].map((t) => t as Float32Array);
}

