import { allocFloats, scalarResult } from '../arena';
import { ShapeError, ValueError, formatShape, sameShape } from '../shape';
import { Tensor, fromOp, gradOf } from '../tensor';

/** Class indices ([N] integers) or class probabilities ([N, C] tensor, e.g. from mixup). */
export type Target = Int32Array | Uint8Array | readonly number[] | Tensor;

/** How a loss reduces over the batch. */
export interface LossOptions {
  /** 'mean' (default) averages over the batch; 'sum' adds. */
  reduction?: 'mean' | 'sum';
}

function checkLabels(labels: ArrayLike<number>, N: number, C: number): void {
  if (labels.length !== N) throw new ShapeError(`crossEntropy: ${labels.length} labels for a batch of ${N} logits`);
  for (let i = 0; i < N; i++) {
    const y = labels[i];
    if (!Number.isInteger(y) || y < 0 || y >= C) {
      throw new ValueError(`crossEntropy: label ${y} at index ${i} is out of range for ${C} classes (expected an integer in [0, ${C - 1}])`);
    }
  }
}

/**
 * Cross-entropy from unnormalized logits [N, C]: −log softmax(x)[y] averaged over the batch,
 * fused with a numerically stable log-softmax. `target` is integer class indices [N] or a
 * probability tensor [N, C] (soft labels; each row should sum to 1).
 */
export function crossEntropy(logits: Tensor, target: Target, options: LossOptions = {}): Tensor {
  if (logits.rank !== 2) throw new ShapeError(`crossEntropy: logits must be 2-D [batch, classes], got ${formatShape(logits.shape)}`);
  const [N, C] = logits.shape;
  if (N === 0) throw new ShapeError('crossEntropy: empty batch');
  const soft = target instanceof Tensor && target.rank === 2;
  let labels: ArrayLike<number> | null = null;
  let probs: Float32Array | null = null;
  if (soft) {
    if (!sameShape(target.shape, logits.shape)) {
      throw new ShapeError(`crossEntropy: soft targets ${formatShape(target.shape)} must match logits ${formatShape(logits.shape)}`);
    }
    probs = target.data;
  } else {
    labels = target instanceof Tensor ? target.data : target;
    checkLabels(labels, N, C);
  }
  const X = logits.data;
  const P = allocFloats(N * C); // softmax, kept for backward
  let total = 0;
  for (let r = 0; r < N; r++) {
    const base = r * C;
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, X[base + c]);
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(X[base + c] - m);
    const lse = m + Math.log(s);
    for (let c = 0; c < C; c++) P[base + c] = Math.exp(X[base + c] - lse);
    if (probs === null) total += lse - X[base + (labels as ArrayLike<number>)[r]];
    else for (let c = 0; c < C; c++) total += probs[base + c] * (lse - X[base + c]);
  }
  const scale = options.reduction === 'sum' ? 1 : 1 / N;
  return fromOp('crossEntropy', scalarResult(total * scale), [], [logits], (res) => () => {
    const g = (res.grad as Float32Array)[0] * scale;
    const gx = gradOf(logits);
    for (let r = 0; r < N; r++) {
      const base = r * C;
      if (probs === null) {
        for (let c = 0; c < C; c++) gx[base + c] += g * P[base + c];
        gx[base + (labels as ArrayLike<number>)[r]] -= g;
      } else {
        let tsum = 0;
        for (let c = 0; c < C; c++) tsum += probs[base + c];
        for (let c = 0; c < C; c++) gx[base + c] += g * (P[base + c] * tsum - probs[base + c]);
      }
    }
  });
}

/** Mean squared error; `pred` and `target` must have the same shape. */
export function mse(pred: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  if (!sameShape(pred.shape, target.shape)) {
    throw new ShapeError(`mse: prediction ${formatShape(pred.shape)} and target ${formatShape(target.shape)} differ in shape`);
  }
  const n = pred.size;
  if (n === 0) throw new ShapeError('mse: empty input');
  const P = pred.data;
  const T = target.data;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const d = P[i] - T[i];
    s += d * d;
  }
  const scale = options.reduction === 'sum' ? 1 : 1 / n;
  return fromOp('mse', scalarResult(s * scale), [], [pred, target], (res) => () => {
    const g = (res.grad as Float32Array)[0] * scale * 2;
    if (pred.requiresGrad) {
      const gp = gradOf(pred);
      for (let i = 0; i < n; i++) gp[i] += g * (P[i] - T[i]);
    }
    if (target.requiresGrad) {
      const gt = gradOf(target);
      for (let i = 0; i < n; i++) gt[i] -= g * (P[i] - T[i]);
    }
  });
}
