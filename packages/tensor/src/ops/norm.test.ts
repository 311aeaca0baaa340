import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { constant, leaf, shapeOf, specOf } from '../__tests__/arbitraries';
import { assertGradients } from '../gradcheck';
import { ShapeError, ValueError } from '../shape';
import { Tensor } from '../tensor';
import { withKernelBackend } from '../kernels/wasm/runtime';
import { add, mul } from './elementwise';
import { groupNorm, layerNorm } from './norm';
import { sum } from './reduce';

/**
 * Every normalized run has variance > 0.05: near a constant run the function bends on the scale
 * √eps, far below gradcheck's step, so finite differences cannot follow it there.
 */
function spread(values: number[], len: number): boolean {
  return moments(Float32Array.from(values), len).every(([, v]) => v > 0.05);
}

/** An input of rank 1–3 whose last `k` (1 or 2) dimensions are normalized, with weight and bias of that shape. */
const layerCase = fc
  .tuple(shapeOf(0, 2, 3), shapeOf(1, 2, 4))
  .filter(([, norm]) => norm.reduce((a, b) => a * b, 1) > 1)
  .chain(([lead, norm]) => fc.tuple(specOf([...lead, ...norm]), specOf(norm), specOf(norm), fc.constant(norm)))
  .filter(([x, , , norm]) => spread(x.values, norm.reduce((a, b) => a * b, 1)));

/** [N, C, L] or [N, C, H, W] with C = groups · per-group channels, and weight and bias [C]. */
const groupCase = fc
  .tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 2 }), shapeOf(1, 2, 3))
  .filter(([, , per, spatial]) => per * spatial.reduce((a, b) => a * b, 1) > 1)
  .chain(([n, groups, per, spatial]) => fc.tuple(specOf([n, groups * per, ...spatial]), specOf([groups * per]), specOf([groups * per]), fc.constant(groups)))
  .filter(([x, , , groups]) => spread(x.values, x.values.length / x.shape[0] / groups));

/** Mean and biased variance of each run of `len` values. */
function moments(values: Float32Array, len: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let r = 0; r < values.length / len; r++) {
    const run = Array.from(values.subarray(r * len, (r + 1) * len));
    const m = run.reduce((a, b) => a + b, 0) / len;
    out.push([m, run.reduce((a, b) => a + (b - m) ** 2, 0) / len]);
  }
  return out;
}

describe('layerNorm', () => {
  test.prop([layerCase], { numRuns: 40 })('layerNorm: gradients of input, weight and bias match finite differences', ([x, w, b, norm]) => {
    assertGradients((xi, wi, bi) => layerNorm(xi, norm, wi, bi), [leaf(x), leaf(w), leaf(b)]);
  });

  test.prop([layerCase, fc.constantFrom('x', 'weight', 'bias', 'all')])('layerNorm with weight and bias (one fused op) on the JavaScript kernel gives the bits of normalize → mul(weight) → add(bias): output and every gradient, also with an operand frozen', ([x, w, b, norm], trains) => {
    const leaves = () => [x, w, b].map((spec, i) => {
      const t = leaf(spec);
      t.requiresGrad = trains === 'all' || trains === ['x', 'weight', 'bias'][i];
      return t;
    });
    const seed = Float32Array.from(x.values, (_, i) => Math.sin(i + 1)); // a non-uniform upstream gradient
    const run = (f: (xs: Tensor[]) => Tensor) => {
      const xs = leaves();
      const y = f(xs);
      sum(mul(y, new Tensor(seed, y.shape))).backward();
      return [y.data, ...xs.map((t) => t.grad)];
    };
    const fused = withKernelBackend('js', () => run(([xi, wi, bi]) => layerNorm(xi, norm, wi, bi)));
    const chain = withKernelBackend('js', () => run(([xi, wi, bi]) => add(mul(layerNorm(xi, norm), wi), bi)));
    expect(fused).toEqual(chain);
  });

  test.prop([layerCase, fc.constantFrom('x', 'weight', 'bias', 'all')])('layerNorm with weight and bias on the SIMD kernel (float32 statistics) agrees with the JavaScript kernel to float32 rounding: output and every gradient, also with an operand frozen', ([x, w, b, norm], trains) => {
    const seed = Float32Array.from(x.values, (_, i) => Math.sin(i + 1));
    const run = () => {
      const xs = [x, w, b].map((spec, i) => {
        const t = leaf(spec);
        t.requiresGrad = trains === 'all' || trains === ['x', 'weight', 'bias'][i];
        return t;
      });
      const y = layerNorm(xs[0], norm, xs[1], xs[2]);
      sum(mul(y, new Tensor(seed, y.shape))).backward();
      return [y.data, ...xs.map((t) => t.grad)];
    };
    const [js, simd] = [withKernelBackend('js', run), withKernelBackend('wasm', run)];
    simd.forEach((a, k) => {
      const ref = js[k];
      if (a === null || ref === null) return expect(a).toBe(ref);
      const scale = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 1);
      a.forEach((v, i) => expect(Math.abs(v - ref[i])).toBeLessThanOrEqual(2e-5 * scale));
    });
  });

  test.prop([layerCase])('without affine, every normalized run has mean 0 and variance var/(var + eps)', ([x, , , norm]) => {
    const len = norm.reduce((a, b) => a * b, 1);
    const X = Float32Array.from(x.values);
    const before = moments(X, len);
    moments(layerNorm(constant(x), norm).data, len).forEach(([m, v], r) => {
      expect(m).toBeCloseTo(0, 4);
      expect(v).toBeCloseTo(before[r][1] / (before[r][1] + 1e-5), 3);
    });
  });

  test('bad input: a shape that does not end with the normalized shape, wrong weight, negative eps', () => {
    const x = new Tensor(new Float32Array(6), [2, 3]);
    expect(() => layerNorm(x, [2])).toThrow(ShapeError);
    expect(() => layerNorm(x, [2])).toThrow('layerNorm: input [2, 3] does not end with the normalized shape [2]');
    expect(() => layerNorm(x, [3], new Tensor(new Float32Array(2), [2]))).toThrow('layerNorm: weight must be [3], got [2]');
    expect(() => layerNorm(x, [3], null, null, -1)).toThrow(ValueError);
  });
});

describe('groupNorm', () => {
  test.prop([groupCase], { numRuns: 40 })('groupNorm: gradients of input, weight and bias match finite differences', ([x, w, b, groups]) => {
    assertGradients((xi, wi, bi) => groupNorm(xi, groups, wi, bi), [leaf(x), leaf(w), leaf(b)]);
  });

  test.prop([groupCase])('groupNorm with one group equals layerNorm over all but the batch dimension (no affine)', ([x]) => {
    const t = constant(x);
    const ln = layerNorm(t, t.shape.slice(1)).data;
    groupNorm(t, 1).data.forEach((v, i) => expect(v).toBeCloseTo(ln[i], 6));
  });

  test.prop([groupCase])('weight and bias scale and shift each channel: groupNorm(x, g, w, b) = w_c·groupNorm(x, g) + b_c', ([x, w, b, groups]) => {
    const t = constant(x);
    const plain = groupNorm(t, groups).data;
    const [, C] = t.shape;
    const per = t.size / t.shape[0] / C;
    groupNorm(t, groups, constant(w), constant(b)).data.forEach((v, i) => {
      const c = Math.floor(i / per) % C;
      expect(v).toBeCloseTo(Math.fround(w.values[c]) * plain[i] + Math.fround(b.values[c]), 5);
    });
  });

  test('bad input: channels not divisible by the groups, or a rank-1 input', () => {
    expect(() => groupNorm(new Tensor(new Float32Array(6), [1, 3, 2]), 2)).toThrow('groupNorm: 3 channels (input [1, 3, 2]) cannot be split into 2 groups');
    expect(() => groupNorm(new Tensor(new Float32Array(3), [3]), 1)).toThrow('groupNorm: input must be [N, C, *], got [3]');
  });
});
