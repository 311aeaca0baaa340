import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { broadcastIndex, broadcastShapes, shapeSize } from '../shape';
import { broadcastPlan } from './broadcastPlan';

/** The flat index each output element reads, from the plan's loop nest. */
function addresses(outer: number, inner: number, so: number, si: number): number[] {
  const out: number[] = [];
  for (let o = 0; o < outer; o++) for (let k = 0; k < inner; k++) out.push(o * so + k * si);
  return out;
}

const identity = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Two shapes that broadcast: an output shape, and each operand keeping or dropping (to 1 or absent) each dim. */
const pairs = fc
  .array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 4 })
  .chain((out) =>
    fc.tuple(
      fc.constant(out),
      fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
      fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
      fc.nat({ max: out.length }),
      fc.nat({ max: out.length }),
    ),
  )
  .map(([out, keepA, keepB, dropA, dropB]) => {
    const a = out.map((d, i) => (keepA[i] ? d : 1)).slice(dropA);
    const b = out.map((d, i) => (keepB[i] ? d : 1)).slice(dropB);
    return { a, b };
  });

describe('broadcastPlan', () => {
  test.prop([pairs], { numRuns: 300 })('when a plan exists, its loop nest reads exactly the elements of the index table, in output order', ({ a, b }) => {
    const out = broadcastShapes('test', a, b);
    const plan = broadcastPlan(a, b, out);
    if (plan === null) return;
    const n = shapeSize(out);
    expect(plan.outer * plan.inner).toBe(n);
    expect(addresses(plan.outer, plan.inner, plan.aOuter, plan.aInner)).toEqual(Array.from(broadcastIndex(a, out) ?? identity(n)));
    expect(addresses(plan.outer, plan.inner, plan.bOuter, plan.bInner)).toEqual(Array.from(broadcastIndex(b, out) ?? identity(n)));
  });

  test('the broadcasts models use have a plan: same shapes, a scalar, a bias row, a column, a [T, T] mask over [N, H, T, T]', () => {
    const cases: Array<[number[], number[]]> = [
      [[8, 5, 16], [8, 5, 16]],
      [[8, 5, 16], []],
      [[8, 5, 16], [16]],
      [[8, 5, 16], [1, 5, 16]],
      [[8, 5, 16], [8, 5, 1]],
      [[2, 4, 5, 5], [5, 5]],
      [[3, 1], [3, 7]],
    ];
    for (const [a, b] of cases) expect(broadcastPlan(a, b, broadcastShapes('test', a, b)), `${a} with ${b}`).not.toBeNull();
  });

  test('a broadcast that alternates kept and repeated dims ([4, 1, 3] with [1, 5, 1]) has no plan and falls back to index tables', () => {
    expect(broadcastPlan([4, 1, 3], [1, 5, 1], [4, 5, 3])).toBeNull();
  });
});
