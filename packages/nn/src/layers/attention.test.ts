import { fc, test } from '@fast-check/vitest';
import { Rng, ShapeError, Tensor, ValueError, assertGradients, shapeSize, slice, type Shape } from '@trainkit/tensor';
import { describe, expect } from 'vitest';
import { MultiheadAttention } from './attention';

function randn(shape: Shape, seed: number, requiresGrad = false): Tensor {
  return new Tensor(new Rng(seed).fillNormal(new Float32Array(shapeSize(shape))), shape, { requiresGrad });
}

describe('MultiheadAttention', () => {
  test('parameters are named and shaped like torch\'s: in_proj_weight [3E, E], in_proj_bias [3E], out_proj.weight [E, E], out_proj.bias [E]', () => {
    const m = new MultiheadAttention(8, 2, { rng: new Rng(0) });
    expect(Object.entries(m.stateDict()).map(([k, t]) => [k, t.shape])).toEqual([
      ['in_proj_weight', [24, 8]],
      ['in_proj_bias', [24]],
      ['out_proj.weight', [8, 8]],
      ['out_proj.bias', [8]],
    ]);
    // torch's init: zero biases, xavier-uniform packed projection (bound √(6 / (8 + 24)))
    expect(m.in_proj_bias?.toArray().every((v) => v === 0)).toBe(true);
    expect(m.out_proj.bias?.toArray().every((v) => v === 0)).toBe(true);
    expect(m.in_proj_weight.toArray().every((v) => Math.abs(v) <= Math.sqrt(6 / 32))).toBe(true);
  });

  test.prop([fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }), fc.constantFrom(1, 2), fc.boolean()], { numRuns: 8 })(
    'MultiheadAttention: gradients of the input and every parameter match finite differences (causal or not)',
    (B, T, heads, causal) => {
      const m = new MultiheadAttention(4, heads, { rng: new Rng(1), causal });
      m.in_proj_bias?.data.set(new Rng(2).fillNormal(new Float32Array(12)));
      const params = [m.in_proj_weight, m.in_proj_bias as Tensor, m.out_proj.weight];
      assertGradients(
        (x, w, b, o) => attendWith(m, x, w, b, o),
        [randn([B, T, 4], 3, true), ...params.map((p) => new Tensor(p.data.slice(), p.shape, { requiresGrad: true }))],
      );
    },
  );

  test('with a causal mask, the output at position t does not depend on later positions', () => {
    const m = new MultiheadAttention(4, 2, { rng: new Rng(0), causal: true });
    const x = randn([1, 4, 4], 5);
    const changed = new Tensor(x.data.slice(), x.shape);
    changed.data.fill(7, 2 * 4); // positions 2 and 3
    const a = m.call(x);
    const b = m.call(changed);
    expect(slice(a, 1, 0, 2).toArray()).toEqual(slice(b, 1, 0, 2).toArray());
    expect(slice(a, 1, 2).toArray()).not.toEqual(slice(b, 1, 2).toArray());
  });

  test('a mask of −Infinity on one key gives the same output as leaving that key out', () => {
    const m = new MultiheadAttention(4, 1, { rng: new Rng(0) });
    const q = randn([1, 2, 4], 1);
    const kv = randn([1, 3, 4], 2);
    const mask = new Tensor(Float32Array.of(0, 0, -Infinity, 0, 0, -Infinity), [2, 3]);
    const masked = m.attend(q, kv, kv, { mask }).data;
    const dropped = m.attend(q, slice(kv, 1, 0, 2), slice(kv, 1, 0, 2)).data;
    masked.forEach((v, i) => expect(v).toBeCloseTo(dropped[i], 6));
  });

  test('embedDim not divisible by numHeads is a ValueError naming the layer and both numbers', () => {
    expect(() => new MultiheadAttention(10, 3)).toThrow(ValueError);
    expect(() => new MultiheadAttention(10, 3)).toThrow('MultiheadAttention: embedDim (10) must be divisible by numHeads (3)');
  });

  test('a mask of the wrong shape is a ShapeError naming the layer and the accepted shapes', () => {
    const m = new MultiheadAttention(4, 2, { rng: new Rng(0) });
    const x = randn([2, 3, 4], 0);
    expect(() => m.attend(x, x, x, { mask: randn([3, 4], 1) })).toThrow(ShapeError);
    expect(() => m.attend(x, x, x, { mask: randn([3, 4], 1) })).toThrow('MultiheadAttention: mask must be [T, S] = [3, 3] or [batch·heads, T, S] = [4, 3, 3], got [3, 4]');
  });

  test('an input that is not [batch, length, embedDim] is a ShapeError naming the layer', () => {
    const m = new MultiheadAttention(4, 2, { rng: new Rng(0) });
    expect(() => m.call(randn([3, 4], 0))).toThrow('MultiheadAttention: query must be [batch, length, 4], got [3, 4]');
    expect(() => m.call(randn([1, 3, 5], 0))).toThrow('MultiheadAttention: query must be [batch, length, 4], got [1, 3, 5]');
    expect(() => m.attend(randn([1, 3, 4], 0), randn([1, 2, 4], 0), randn([1, 3, 4], 0))).toThrow(/key \[1, 2, 4\] and value \[1, 3, 4\] must have the same shape/);
  });
});

/** The module's forward with its parameters replaced by the given leaves (so gradcheck sees them as inputs). */
function attendWith(m: MultiheadAttention, x: Tensor, w: Tensor, b: Tensor, o: Tensor): Tensor {
  const saved = [m.in_proj_weight, m.in_proj_bias, m.out_proj.weight] as const;
  Object.assign(m, { in_proj_weight: w, in_proj_bias: b });
  Object.assign(m.out_proj, { weight: o });
  try {
    return m.call(x);
  } finally {
    Object.assign(m, { in_proj_weight: saved[0], in_proj_bias: saved[1] });
    Object.assign(m.out_proj, { weight: saved[2] });
  }
}
