import { allocFloats, allocInts } from '../arena';
import { gemm, gemmBatch } from '../kernels/gemm';
import { ShapeError, broadcastIndex, broadcastShapes, formatShape, sameShape, shapeSize } from '../shape';
import { Tensor, fromOp, gradOf } from '../tensor';
import { isOnDevice, onDeviceOp } from '../device';
import { wasmAddRows } from '../kernels/wasm/elementwise';
import { kernelsAt } from '../kernels/wasm/resident';
import { wasmFor } from '../kernels/wasm/runtime';

/**
 * Matrix product over the last two axes: [..., M, K]·[..., K, N] → [..., M, N]. The batch
 * dimensions (all but the last two) broadcast as in NumPy and PyTorch's `matmul`, so
 * [B, H, T, D]·[B, H, D, S], [B, M, K]·[K, N] and [M, K]·[B, K, N] all work; each batch runs the
 * packed GEMM, and a gradient sums over the batches its operand was broadcast across.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (isOnDevice(a) || isOnDevice(b)) return onDeviceOp('matmul', [a, b]);
  if (a.rank < 2 || b.rank < 2) {
    throw new ShapeError(`matmul: both operands need rank ≥ 2, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  }
  const M = a.shape[a.rank - 2];
  const K = a.shape[a.rank - 1];
  const K2 = b.shape[b.rank - 2];
  const N = b.shape[b.rank - 1];
  if (K !== K2) {
    throw new ShapeError(`matmul: inner dimensions differ: ${formatShape(a.shape)} · ${formatShape(b.shape)} (${K} vs ${K2})`);
  }
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  let batchShape: number[];
  try {
    batchShape = broadcastShapes('matmul', batchA, batchB);
  } catch {
    throw new ShapeError(`matmul: batch dimensions differ: ${formatShape(a.shape)} · ${formatShape(b.shape)} (${formatShape(batchA)} and ${formatShape(batchB)} do not broadcast)`);
  }
  const shared = b.rank === 2 && sameShape(batchA, batchShape);
  const batch = shapeSize(batchShape);
  // the flat batch index of each operand under each batch of the result (null: the identity)
  const ia = broadcastIndex(batchA, batchShape, allocInts);
  const ib = broadcastIndex(batchB, batchShape, allocInts);
  const at = (map: Int32Array | null, i: number): number => (map === null ? i : map[i]);
  const out = allocFloats(batch * M * N);
  // both operands batched alike (attention's [B, H, T, D]·[B, H, D, S]): one batched call
  const aligned = !shared && ia === null && ib === null;
  if (shared) {
    // fold the batch into M: one big GEMM
    gemm({ transA: false, transB: false, M: batch * M, N, K, A: a.data, B: b.data, C: out });
  } else if (aligned) {
    gemmBatch({ transA: false, transB: false, M, N, K, A: a.data, B: b.data, C: out }, batch);
  } else {
    for (let i = 0; i < batch; i++) {
      gemm({ transA: false, transB: false, M, N, K, A: a.data, aOffset: at(ia, i) * M * K, B: b.data, bOffset: at(ib, i) * K * N, C: out, cOffset: i * M * N });
    }
  }
  return fromOp('matmul', out, [...batchShape, M, N], [a, b], (res) => () => {
    const g = res.grad as Float32Array;
    if (a.requiresGrad) {
      const ga = gradOf(a); // dA = dC · Bᵀ
      if (shared) gemm({ transA: false, transB: true, M: batch * M, N: K, K: N, A: g, B: b.data, C: ga, accumulate: true });
      else if (aligned) gemmBatch({ transA: false, transB: true, M, N: K, K: N, A: g, B: b.data, C: ga, accumulate: true }, batch);
      else for (let i = 0; i < batch; i++) {
        gemm({ transA: false, transB: true, M, N: K, K: N, A: g, aOffset: i * M * N, B: b.data, bOffset: at(ib, i) * K * N, C: ga, cOffset: at(ia, i) * M * K, accumulate: true });
      }
    }
    if (b.requiresGrad) {
      const gb = gradOf(b); // dB = Aᵀ · dC
      if (shared) gemm({ transA: true, transB: false, M: K, N, K: batch * M, A: a.data, B: g, C: gb, accumulate: true });
      else if (aligned) gemmBatch({ transA: true, transB: false, M: K, N, K: M, A: a.data, B: g, C: gb, accumulate: true }, batch);
      else for (let i = 0; i < batch; i++) {
        gemm({ transA: true, transB: false, M: K, N, K: M, A: a.data, aOffset: at(ia, i) * M * K, B: g, bOffset: i * M * N, C: gb, cOffset: at(ib, i) * K * N, accumulate: true });
      }
    }
  });
}

/**
 * Fully connected layer as one fused op: y = x·Wᵀ + b, with W stored [out, in] as in PyTorch.
 * x is [N, in]; b (optional) is [out].
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  if (isOnDevice(x) || isOnDevice(weight) || isOnDevice(bias)) return onDeviceOp('linear', [x, weight, bias]);
  if (x.rank !== 2) throw new ShapeError(`linear: input must be 2-D [batch, features], got ${formatShape(x.shape)}`);
  if (weight.rank !== 2) throw new ShapeError(`linear: weight must be 2-D [out, in], got ${formatShape(weight.shape)}`);
  const [N, IN] = x.shape;
  const [OUT, IN2] = weight.shape;
  if (IN !== IN2) {
    throw new ShapeError(`linear: input has ${IN} features but weight ${formatShape(weight.shape)} expects ${IN2}`);
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== OUT)) {
    throw new ShapeError(`linear: bias must be [${OUT}], got ${formatShape(bias.shape)}`);
  }
  const out = allocFloats(N * OUT);
  if (bias) for (let r = 0; r < N; r++) out.set(bias.data, r * OUT);
  gemm({ transA: false, transB: true, M: N, N: OUT, K: IN, A: x.data, B: weight.data, C: out, accumulate: !!bias });
  const parents = bias ? [x, weight, bias] : [x, weight];
  return fromOp('linear', out, [N, OUT], parents, (res) => () => {
    const g = res.grad as Float32Array;
    if (x.requiresGrad) gemm({ transA: false, transB: false, M: N, N: IN, K: OUT, A: g, B: weight.data, C: gradOf(x), accumulate: true });
    if (weight.requiresGrad) gemm({ transA: true, transB: false, M: OUT, N: IN, K: N, A: g, B: x.data, C: gradOf(weight), accumulate: true });
    if (bias && bias.requiresGrad) {
      const gb = gradOf(bias);
      // the sum down the rows, row after row in float32: the SIMD kernel gives the loop's bits
      const k = kernelsAt(wasmFor(N * OUT), g);
      if (k !== null) wasmAddRows(k, g, N, OUT, gb);
      else for (let r = 0; r < N; r++) for (let o = 0; o < OUT; o++) gb[o] += g[r * OUT + o];
    }
  });
}
