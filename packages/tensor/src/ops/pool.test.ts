import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { type Spec, constant, distinctValues, leaf, specOf } from '../__tests__/arbitraries';
import { assertGradients } from '../gradcheck';
import { Tensor } from '../tensor';
import { avgPool2d, maxPool2d } from './pool';

interface PoolGeometry {
  shape: [number, number, number, number];
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
}

/** One spatial axis: kernel, stride, padding ≤ kernel/2, and an input size the window fits. */
const axis = fc
  .integer({ min: 1, max: 3 })
  .chain((k) => fc.record({ k: fc.constant(k), s: fc.integer({ min: 1, max: 3 }), p: fc.integer({ min: 0, max: Math.floor(k / 2) }) }))
  .chain(({ k, s, p }) => fc.integer({ min: Math.max(1, k - 2 * p), max: Math.max(1, k - 2 * p) + 4 }).map((size) => ({ k, s, p, size })));

const poolGeometry: fc.Arbitrary<PoolGeometry> = fc
  .tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 }), axis, axis)
  .map(([N, C, h, w]) => ({ shape: [N, C, h.size, w.size], kernel: [h.k, w.k], stride: [h.s, w.s], padding: [h.p, w.p] }));

/** Values distinct within each [H, W] plane (windows never span planes). */
const distinctCase = poolGeometry.chain((g) => {
  const [N, C, H, W] = g.shape;
  const planes = fc.array(distinctValues(H * W), { minLength: N * C, maxLength: N * C });
  return fc.tuple(fc.constant(g), planes.map((ps): Spec => ({ shape: g.shape, values: ps.flat() })));
});
const anyCase = poolGeometry.chain((g) => fc.tuple(fc.constant(g), specOf(g.shape)));

/** Pools every window by explicit loops; `padValue` stands in for positions outside the input. */
function poolLoop(g: PoolGeometry, spec: Spec, padValue: number, reduce: (window: number[]) => number): number[] {
  const [N, C, H, W] = g.shape;
  const OH = Math.floor((H + 2 * g.padding[0] - g.kernel[0]) / g.stride[0]) + 1;
  const OW = Math.floor((W + 2 * g.padding[1] - g.kernel[1]) / g.stride[1]) + 1;
  const out: number[] = [];
  for (let p = 0; p < N * C; p++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const window: number[] = [];
        for (let kh = 0; kh < g.kernel[0]; kh++) {
          for (let kw = 0; kw < g.kernel[1]; kw++) {
            const i = oh * g.stride[0] - g.padding[0] + kh;
            const j = ow * g.stride[1] - g.padding[1] + kw;
            window.push(i < 0 || i >= H || j < 0 || j >= W ? padValue : Math.fround(spec.values[(p * H + i) * W + j]));
          }
        }
        out.push(reduce(window));
      }
    }
  }
  return out;
}

const opts = (g: PoolGeometry) => ({ stride: g.stride, padding: g.padding });

describe('maxPool2d', () => {
  test.prop([distinctCase], { numRuns: 50 })('maxPool2d: gradients match finite differences (distinct values, so no ties)', ([g, spec]) => {
    assertGradients((x) => maxPool2d(x, g.kernel, opts(g)), [leaf(spec)]);
  });

  test.prop([anyCase])('maxPool2d equals the max over each window, padding counting as −Inf', ([g, spec]) => {
    const expected = poolLoop(g, spec, -Infinity, (w) => Math.max(...w));
    // compared as numbers (+ 0 turns -0 into 0): which of -0 and 0 wins a window is a matter of order
    expect(maxPool2d(constant(spec), g.kernel, opts(g)).toArray().map((v) => v + 0)).toEqual(expected.map((v) => v + 0));
  });

  test('maxPool2d sends each window\'s gradient to its first maximal element', () => {
    const x = new Tensor(Float32Array.of(1, 5, 5, 2), [1, 1, 2, 2], { requiresGrad: true });
    maxPool2d(x, 2).backward();
    expect(Array.from(x.grad ?? [])).toEqual([0, 1, 0, 0]);
  });

  test('maxPool2d with padding over half the kernel throws a ShapeError', () => {
    expect(() => maxPool2d(new Tensor(new Float32Array(16), [1, 1, 4, 4]), 2, { padding: 2 })).toThrow(
      'maxPool2d: padding must be at most half the kernel size, got padding 2x2 for kernel 2x2',
    );
  });
});

describe('avgPool2d', () => {
  test.prop([anyCase], { numRuns: 50 })('avgPool2d: gradients match finite differences, with padding', ([g, spec]) => {
    assertGradients((x) => avgPool2d(x, g.kernel, opts(g)), [leaf(spec)]);
  });

  test.prop([anyCase])('avgPool2d equals the mean over each window, zero padding included in the count', ([g, spec]) => {
    const expected = poolLoop(g, spec, 0, (w) => w.reduce((a, b) => a + b, 0) / w.length);
    avgPool2d(constant(spec), g.kernel, opts(g)).data.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
  });

  test('avgPool2d with a 4-D requirement names the op', () => {
    expect(() => avgPool2d(new Tensor(new Float32Array(4), [2, 2]), 2)).toThrow('avgPool2d: input must be 4-D [N, C, H, W], got [2, 2]');
  });
});
