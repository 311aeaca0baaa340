import { allocDoubles, allocFloats, allocInts, scalarResult } from '../arena';
import { ShapeError, ValueError, formatShape, sameShape } from '../shape';
import { Tensor, fromOp, gradOf } from '../tensor';
import { isOnDevice, onDeviceOp } from '../device';

/** Class indices ([N] integers) or class probabilities ([N, C] tensor, e.g. from mixup). */
export type Target = Int32Array | Uint8Array | readonly number[] | Tensor;

/** How a loss reduces over the batch. */
export interface LossOptions {
  /** 'mean' (default) averages over the batch; 'sum' adds; 'none' returns each sample's loss (each element's, for mse). */
  reduction?: 'mean' | 'sum' | 'none';
}

function checkReduction(op: string, r: unknown): 'mean' | 'sum' | 'none' {
  if (r === undefined) return 'mean';
  if (r !== 'mean' && r !== 'sum' && r !== 'none') throw new ValueError(`${op}: reduction must be 'mean', 'sum' or 'none', got ${JSON.stringify(r)}`);
  return r;
}

/**
 * The labels, checked, as a copy the backward pass reads: the caller's array stays theirs to
 * reuse (refilling a label buffer for the next batch before backward must not change the gradient).
 */
function checkedLabels(labels: ArrayLike<number>, N: number, C: number): Int32Array {
  if (labels.length !== N) throw new ShapeError(`crossEntropy: ${labels.length} labels for a batch of ${N} logits`);
  const own = allocInts(N);
  for (let i = 0; i < N; i++) {
    const y = labels[i];
    if (!Number.isInteger(y) || y < 0 || y >= C) {
      throw new ValueError(`crossEntropy: label ${y} at index ${i} is out of range for ${C} classes (expected an integer in [0, ${C - 1}])`);
    }
    own[i] = y;
  }
  return own;
}

/** What crossEntropy's backward needs: softmax rows, log-sum-exp per row, and the targets. */
interface CeSaved {
  X: Float32Array;
  P: Float32Array;
  lse: Float64Array;
  labels: ArrayLike<number> | null;
  probs: Float32Array | null;
  N: number;
  C: number;
}

/**
 * Accumulates crossEntropy's gradients: into the logits (`gx`) and, for soft targets that
 * require them, into the targets (`gt`: −log softmax(x)). `gRow(r)` is d(output)/d(loss of row r).
 */
function ceBackward(s: CeSaved, gRow: (r: number) => number, gx: Float32Array | null, gt: Float32Array | null): void {
  const { X, P, lse, labels, probs, N, C } = s;
  for (let r = 0; r < N; r++) {
    const g = gRow(r);
    const base = r * C;
    if (gx !== null) {
      if (probs === null) {
        for (let c = 0; c < C; c++) gx[base + c] += g * P[base + c];
        gx[base + (labels as ArrayLike<number>)[r]] -= g;
      } else {
        let tsum = 0;
        for (let c = 0; c < C; c++) tsum += probs[base + c];
        for (let c = 0; c < C; c++) gx[base + c] += g * (P[base + c] * tsum - probs[base + c]);
      }
    }
    if (gt !== null) for (let c = 0; c < C; c++) gt[base + c] += g * (lse[r] - X[base + c]);
  }
}

/**
 * Cross-entropy from unnormalized logits [N, C]: −log softmax(x)[y] averaged over the batch,
 * fused with a numerically stable log-softmax. `target` is integer class indices [N] or a
 * probability tensor [N, C] (soft labels; each row should sum to 1; a target that requires
 * gradients gets them, −log softmax(x), as in PyTorch). `reduction: 'none'` gives the [N] losses.
 */
export function crossEntropy(logits: Tensor, target: Target, options: LossOptions = {}): Tensor {
  if (isOnDevice(logits) || isOnDevice(target)) return onDeviceOp('crossEntropy', [logits, target, options]);
  if (logits.rank !== 2) throw new ShapeError(`crossEntropy: logits must be 2-D [batch, classes], got ${formatShape(logits.shape)}`);
  const reduction = checkReduction('crossEntropy', options.reduction);
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
    labels = checkedLabels(target instanceof Tensor ? target.data : target, N, C);
  }
  const X = logits.data;
  const P = allocFloats(N * C); // softmax, kept for backward
  const lse = allocDoubles(N); // every row's is written below; kept for backward
  const rows = reduction === 'none' ? allocFloats(N) : null;
  let total = 0;
  for (let r = 0; r < N; r++) {
    const base = r * C;
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, X[base + c]);
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(X[base + c] - m);
    const l = m + Math.log(s);
    lse[r] = l;
    for (let c = 0; c < C; c++) P[base + c] = Math.exp(X[base + c] - l);
    let row = 0;
    if (probs === null) row = l - X[base + (labels as ArrayLike<number>)[r]];
    else for (let c = 0; c < C; c++) row += probs[base + c] * (l - X[base + c]);
    total += row;
    if (rows !== null) rows[r] = row;
  }
  const saved: CeSaved = { X, P, lse, labels, probs, N, C };
  const parents = soft ? [logits, target] : [logits];
  const grads = () => [logits.requiresGrad ? gradOf(logits) : null, soft && target.requiresGrad ? gradOf(target) : null] as const;
  if (rows !== null) {
    return fromOp('crossEntropy', rows, [N], parents, (res) => () => {
      const g = res.grad as Float32Array;
      ceBackward(saved, (r) => g[r], ...grads());
    });
  }
  const scale = reduction === 'sum' ? 1 : 1 / N;
  return fromOp('crossEntropy', scalarResult(total * scale), [], parents, (res) => () => {
    const g = (res.grad as Float32Array)[0] * scale;
    ceBackward(saved, () => g, ...grads());
  });
}

/** Mean squared error; `pred` and `target` must have the same shape. `reduction: 'none'` gives each element's squared error. */
export function mse(pred: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  if (!sameShape(pred.shape, target.shape)) {
    throw new ShapeError(`mse: prediction ${formatShape(pred.shape)} and target ${formatShape(target.shape)} differ in shape`);
  }
  const reduction = checkReduction('mse', options.reduction);
  if (isOnDevice(pred) || isOnDevice(target)) return onDeviceOp('mse', [pred, target, options]);
  const n = pred.size;
  if (n === 0) throw new ShapeError('mse: empty input');
  const P = pred.data;
  const T = target.data;
  const each = reduction === 'none' ? allocFloats(n) : null;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const d = P[i] - T[i];
    s += d * d;
    if (each !== null) each[i] = d * d;
  }
  const scale = reduction === 'sum' ? 1 : 1 / n;
  const backward = (g: (i: number) => number) => {
    const gp = pred.requiresGrad ? gradOf(pred) : null;
    const gt = target.requiresGrad ? gradOf(target) : null;
    for (let i = 0; i < n; i++) {
      const v = 2 * g(i) * (P[i] - T[i]);
      if (gp !== null) gp[i] += v;
      if (gt !== null) gt[i] -= v;
    }
  };
  if (each !== null) return fromOp('mse', each, pred.shape, [pred, target], (res) => () => backward((i) => (res.grad as Float32Array)[i]));
  return fromOp('mse', scalarResult(s * scale), [], [pred, target], (res) => () => {
    const g = (res.grad as Float32Array)[0] * scale;
    backward(() => g);
  });
}
