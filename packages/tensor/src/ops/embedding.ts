import { allocFloats } from '../arena';
import { ShapeError, ValueError, formatShape } from '../shape';
import { type Tensor, fromOp, gradOf } from '../tensor';
import { isOnDevice, onDeviceOp } from '../device';

/**
 * Embedding lookup (PyTorch's `embedding`): row `indices[i]` of `weight` [V, D] for each index,
 * giving [...indices.shape, D]. The indices are a tensor of whole numbers in [0, V) (not
 * differentiated); the weight's gradient adds each output row's gradient into the row it came
 * from, so a repeated index accumulates. Rows equal to `paddingIdx` (negative: from the end) get no gradient.
 *
 * @example
 * embedding(table, tensor([[1, 4, 4]])) // [1, 3, D]
 */
export function embedding(weight: Tensor, indices: Tensor, paddingIdx?: number): Tensor {
  if (isOnDevice(weight) || isOnDevice(indices)) return onDeviceOp('embedding', [weight, indices, paddingIdx]);
  if (weight.rank !== 2) throw new ShapeError(`embedding: weight must be 2-D [numEmbeddings, dim], got ${formatShape(weight.shape)}`);
  const [V, D] = weight.shape;
  if (paddingIdx !== undefined && !(Number.isInteger(paddingIdx) && paddingIdx >= -V && paddingIdx < V)) {
    throw new ValueError(`embedding: paddingIdx must be an integer in [${-V}, ${V}) for ${V} rows, got ${paddingIdx}`);
  }
  const pad = paddingIdx !== undefined && paddingIdx < 0 ? paddingIdx + V : paddingIdx; // −1 is the last row, as in PyTorch
  const I = indices.data;
  const rows = new Int32Array(I.length);
  for (let i = 0; i < I.length; i++) {
    const v = I[i];
    if (!Number.isInteger(v) || v < 0 || v >= V) {
      throw new ValueError(`embedding: index ${v} at position ${i} of indices ${formatShape(indices.shape)} is not a whole number in [0, ${V})`);
    }
    rows[i] = v;
  }
  const W = weight.data;
  const out = allocFloats(rows.length * D);
  for (let i = 0; i < rows.length; i++) out.set(W.subarray(rows[i] * D, (rows[i] + 1) * D), i * D);
  return fromOp('embedding', out, [...indices.shape, D], [weight], (res) => () => {
    const g = res.grad as Float32Array;
    const gw = gradOf(weight);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      if (r === pad) continue;
      for (let d = 0; d < D; d++) gw[r * D + d] += g[i * D + d];
    }
  });
}
