import { ShapeError, ValueError, formatShape } from '../shape';
import type { Tensor } from '../tensor';

/** A size given once for both dimensions or as [height, width]. */
export type Pair = number | readonly [number, number];

/** Expands a {@link Pair}, checking each entry is an integer ≥ min. */
export function pair(op: string, name: string, v: Pair, min: number): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!p.every((x) => Number.isInteger(x) && x >= min)) {
    throw new ValueError(`${op}: ${name} must be an integer ≥ ${min} (or a pair of them), got ${JSON.stringify(v)}`);
  }
  return p;
}

/** Checks a [N, C, H, W] input; the message names the op. */
export function assertNCHW(op: string, x: Tensor): void {
  if (x.rank !== 4) {
    throw new ShapeError(`${op}: input must be 4-D [N, C, H, W], got ${formatShape(x.shape)}` + (x.rank === 2 ? ' (reshape flat images to [N, 1, 28, 28] first)' : ''));
  }
}
