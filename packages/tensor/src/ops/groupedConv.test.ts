import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { constant, leaf, specOf } from '../__tests__/arbitraries';
import { assertGradients } from '../gradcheck';
import { ShapeError, ValueError } from '../shape';
import { Tensor } from '../tensor';
import { conv2d, conv2dReluPool } from './conv';
import { maxPool2d } from './pool';

/** A grouped convolution: groups, channels per group in and out, a 1–3 kernel, stride and padding, and specs. */
const groupedCase = fc
  .record({
    n: fc.integer({ min: 1, max: 2 }),
    groups: fc.integer({ min: 2, max: 3 }),
    cin: fc.integer({ min: 1, max: 2 }),
    cout: fc.integer({ min: 1, max: 2 }),
    k: fc.integer({ min: 1, max: 3 }),
    stride: fc.integer({ min: 1, max: 2 }),
    padding: fc.integer({ min: 0, max: 1 }),
    extra: fc.integer({ min: 0, max: 3 }),
  })
  .chain((g) => {
    const side = Math.max(1, g.k - 2 * g.padding) + g.extra;
    return fc.tuple(
      fc.constant(g),
      specOf([g.n, g.groups * g.cin, side, side]),
      specOf([g.groups * g.cout, g.cin, g.k, g.k]),
      specOf([g.groups * g.cout]),
    );
  });

/** Direct grouped cross-correlation in float64 from the definition. */
function directGrouped(x: Tensor, w: Tensor, b: Tensor, groups: number, stride: number, padding: number): number[] {
  const [N, C, H, W] = x.shape;
  const [OC, CG, K] = w.shape;
  const OH = Math.floor((H + 2 * padding - K) / stride) + 1;
  const OW = Math.floor((W + 2 * padding - K) / stride) + 1;
  const og = OC / groups;
  const out: number[] = [];
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < OC; o++) {
      const g = Math.floor(o / og);
      for (let i = 0; i < OH; i++) {
        for (let j = 0; j < OW; j++) {
          let s = b.data[o];
          for (let c = 0; c < CG; c++) {
            for (let u = 0; u < K; u++) {
              for (let v = 0; v < K; v++) {
                const h = i * stride - padding + u;
                const ww = j * stride - padding + v;
                if (h >= 0 && h < H && ww >= 0 && ww < W) s += x.data[((n * C + g * CG + c) * H + h) * W + ww] * w.data[((o * CG + c) * K + u) * K + v];
              }
            }
          }
          out.push(s);
        }
      }
    }
  }
  return out;
}

describe('conv2d with groups', () => {
  test.prop([groupedCase], { numRuns: 25 })('conv2d (groups > 1): gradients of input, weight and bias match finite differences', ([g, x, w, b]) => {
    assertGradients((xi, wi, bi) => conv2d(xi, wi, bi, { groups: g.groups, stride: g.stride, padding: g.padding }), [leaf(x), leaf(w), leaf(b)]);
  });

  test.prop([groupedCase])('each output channel sees only its own group of input channels (the direct definition)', ([g, x, w, b]) => {
    const y = conv2d(constant(x), constant(w), constant(b), { groups: g.groups, stride: g.stride, padding: g.padding });
    const expected = directGrouped(constant(x), constant(w), constant(b), g.groups, g.stride, g.padding);
    y.data.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 4));
  });

  test('depthwise (groups = channels) scales each channel by its own 1×1 weight', () => {
    const x = new Tensor(Float32Array.of(1, 2, 3, 4), [1, 2, 1, 2]);
    const w = new Tensor(Float32Array.of(10, -1), [2, 1, 1, 1]);
    expect(conv2d(x, w, null, { groups: 2 }).toArray()).toEqual([10, 20, -3, -4]);
  });

  test.prop([groupedCase])('a fused ReLU (and 2×2 pooling) on a grouped convolution equals the ops one after the other', ([g, x, w, b]) => {
    const o = { groups: g.groups, stride: g.stride, padding: g.padding };
    const plain = conv2d(constant(x), constant(w), constant(b), o);
    const relu = conv2d(constant(x), constant(w), constant(b), { ...o, activation: 'relu' });
    expect(relu.toArray()).toEqual(plain.toArray().map((v) => (v > 0 ? v : 0)));
    if (plain.shape[2] >= 2 && plain.shape[3] >= 2) {
      expect(conv2dReluPool(constant(x), constant(w), constant(b), o).toArray()).toEqual(maxPool2d(relu, 2).toArray());
    }
  });

  test('groups that do not divide the channels, or a weight with the wrong channels per group, are errors naming conv2d', () => {
    const x = new Tensor(new Float32Array(3 * 4), [1, 3, 2, 2]);
    expect(() => conv2d(x, new Tensor(new Float32Array(4), [4, 1, 1, 1]), null, { groups: 2 })).toThrow(ValueError);
    expect(() => conv2d(x, new Tensor(new Float32Array(4), [4, 1, 1, 1]), null, { groups: 2 })).toThrow(
      'conv2d: groups must be a positive integer dividing both the 3 input and 4 output channels, got 2',
    );
    const x4 = new Tensor(new Float32Array(4 * 4), [1, 4, 2, 2]);
    expect(() => conv2d(x4, new Tensor(new Float32Array(16), [4, 4, 1, 1]), null, { groups: 2 })).toThrow(ShapeError);
    expect(() => conv2d(x4, new Tensor(new Float32Array(16), [4, 4, 1, 1]), null, { groups: 2 })).toThrow(
      'conv2d: input has 4 channels in 2 groups (shape [1, 4, 2, 2]) but weight [4, 4, 1, 1] expects 4 per group, not 2',
    );
  });
});
