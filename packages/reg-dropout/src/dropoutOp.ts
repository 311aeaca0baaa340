import { type Rng, ShapeError, Tensor, ValueError, formatShape, fromOp, gradOf, isOnDevice, mul, sameDeviceAs } from '@trainkit/tensor';

/** Checks p ∈ [0, 1], as torch.nn.Dropout does (p = 1 zeroes every unit). */
export function checkP(where: string, p: number): void {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new ValueError(`${where}: p must be a number in [0, 1], got ${typeof p === 'string' ? JSON.stringify(p) : String(p)}`);
}

/**
 * Inverted dropout as an autograd op: each unit is zeroed with probability p and the survivors
 * are scaled by 1/(1−p), so the expected output equals the input. With `channelwise`, whole
 * channels (axis 1 of [N, C, …]) are dropped together (Dropout2d). The gradient flows only
 * through kept units, scaled by the same 1/(1−p). With p = 1, as in torch, every unit is
 * dropped: the output is x·0 (NaN and ±∞ give NaN) and no gradient flows. On a device (a tensor
 * moved with `to('webgpu')`) the mask is drawn here all the same and multiplied there.
 */
export function dropoutOp(x: Tensor, p: number, rng: Rng, channelwise = false): Tensor {
  checkP('dropout', p);
  if (p === 0) return x;
  const mask = dropoutMask(x.shape, p, rng, channelwise);
  if (isOnDevice(x)) return mul(x, sameDeviceAs(new Tensor(mask, x.shape), x)); // the same mask, drawn here, multiplied on the device
  const n = x.size;
  const X = x.data;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = X[i] * mask[i];
  return fromOp(channelwise ? 'dropout2d' : 'dropout', out, x.shape, [x], (res) => () => {
    const g = res.grad as Float32Array;
    const gx = gradOf(x);
    for (let i = 0; i < n; i++) gx[i] += g[i] * mask[i];
  });
}

/**
 * The mask {@link dropoutOp} multiplies an input of `shape` by: 1/(1−p) for kept units, 0 for
 * dropped ones, one `rng.uniform()` draw per unit in order (per channel of [N, C, …] when
 * `channelwise`); with p = 0 ones and with p = 1 zeros, both without draws (torch draws none
 * then either). A device that applies dropout itself draws its masks here, so they are the
 * CPU's, from the same seeded, checkpointed stream.
 */
export function dropoutMask(shape: readonly number[], p: number, rng: Rng, channelwise = false): Float32Array {
  checkP('dropout', p);
  if (channelwise && shape.length < 3) throw new ShapeError(`Dropout2d: input must be [N, C, H, W] (or [N, C, L]), got ${formatShape(shape)}`);
  const scale = 1 / (1 - p);
  const n = shape.reduce((a, b) => a * b, 1);
  if (p === 0) return new Float32Array(n).fill(1);
  if (p === 1) return new Float32Array(n); // every unit dropped: x·0, as torch multiplies by zeros
  const unit = channelwise ? n / (shape[0] * shape[1]) : 1; // elements sharing one mask draw
  const mask = new Float32Array(n);
  for (let i = 0; i < n; i += unit) {
    const keep = rng.uniform() >= p ? scale : 0;
    if (keep !== 0) mask.fill(keep, i, i + unit);
  }
  return mask;
}
