import type { Shape } from '../shape';

/**
 * A broadcast of two operands seen as a loop nest [outer, inner]: output element i = o·inner + k
 * reads `A[o·aOuter + k·aInner]` and `B[o·bOuter + k·bInner]`. Every stride is 0 (broadcast),
 * 1 or `inner` (contiguous), so the loops need no index table: a same-shape operand, a scalar,
 * a bias row repeated over leading dimensions ([D] against [N, T, D]) and a column repeated
 * over trailing ones ([N, T, 1] against [N, T, D]) all fit. Visiting i in order keeps every
 * accumulation in the order of a flat loop, so results are the same bits as an index table's.
 */
export interface BroadcastPlan {
  outer: number;
  inner: number;
  aOuter: number;
  aInner: number;
  bOuter: number;
  bInner: number;
}

/** 'm' where the operand has the output's extent, 'b' where it is broadcast; size-1 output dims are skipped. */
function kinds(from: Shape, out: Shape): Array<'m' | 'b' | null> {
  const offset = out.length - from.length;
  return out.map((d, i) => (d === 1 ? null : (from[i - offset] ?? 1) === d ? 'm' : 'b'));
}

/** The one kind of the dims in [lo, hi), null when there are none, or undefined when they mix. */
function kindOf(ks: ReadonlyArray<'m' | 'b' | null>, lo: number, hi: number): 'm' | 'b' | null | undefined {
  let k: 'm' | 'b' | null = null;
  for (let i = lo; i < hi; i++) {
    const x = ks[i];
    if (x === null) continue;
    if (k === null) k = x;
    else if (k !== x) return undefined;
  }
  return k;
}

/** The operand's [outer, inner] strides for a split at `at`, or null when its dims mix on one side. */
function strides(ks: ReadonlyArray<'m' | 'b' | null>, at: number, inner: number): [number, number] | null {
  const o = kindOf(ks, 0, at);
  const i = kindOf(ks, at, ks.length);
  if (o === undefined || i === undefined) return null;
  const innerStride = i === 'm' ? 1 : 0;
  const outerStride = o === 'm' ? (i === 'm' ? inner : 1) : 0;
  return [outerStride, innerStride];
}

/** The loop nest for operands of shapes `a` and `b` broadcast to `out`, or null when none fits. */
export function broadcastPlan(a: Shape, b: Shape, out: Shape): BroadcastPlan | null {
  const ka = kinds(a, out);
  const kb = kinds(b, out);
  let inner = 1;
  for (const d of out) inner *= d;
  for (let at = 0; at <= out.length; at++) {
    if (at > 0) inner /= out[at - 1];
    if (inner === 0) return null;
    const sa = strides(ka, at, inner);
    const sb = strides(kb, at, inner);
    if (sa !== null && sb !== null) {
      let outer = 1;
      for (let d = 0; d < at; d++) outer *= out[d];
      return { outer, inner, aOuter: sa[0], aInner: sa[1], bOuter: sb[0], bInner: sb[1] };
    }
  }
  return null;
}
