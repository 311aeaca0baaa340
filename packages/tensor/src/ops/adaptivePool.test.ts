import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { constant, leaf, specOf } from '../__tests__/arbitraries';
import { assertGradients } from '../gradcheck';
import { ShapeError, ValueError } from '../shape';
import { Tensor } from '../tensor';
import { adaptiveAvgPool2d, globalAvgPool2d } from './adaptivePool';
import { avgPool2d } from './pool';
import { mean } from './reduce';

const small = fc.integer({ min: 1, max: 3 });
const nchw = fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }));
const outSize = fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }));

describe('adaptiveAvgPool2d', () => {
  test.prop([nchw.chain((s) => specOf(s)), outSize])('adaptiveAvgPool2d: gradients match finite differences for any input and output size', (spec, out) => {
    assertGradients((x) => adaptiveAvgPool2d(x, out), [leaf(spec)]);
  });

  test.prop([fc.tuple(small, small, small, small, small, small).chain(([n, c, oh, ow, kh, kw]) => fc.tuple(specOf([n, c, oh * kh, ow * kw]), fc.constant([oh, ow, kh, kw])))])(
    'when the output size divides the input size, adaptiveAvgPool2d equals avgPool2d with kernel = stride = input/output',
    ([spec, [oh, ow, kh, kw]]) => {
      const a = adaptiveAvgPool2d(constant(spec), [oh, ow]);
      const b = avgPool2d(constant(spec), [kh, kw]);
      expect(a.shape).toEqual(b.shape);
      a.data.forEach((v, i) => expect(v).toBeCloseTo(b.data[i], 5));
    },
  );

  test.prop([nchw.chain((s) => specOf(s))])('output size 1 and globalAvgPool2d both give each channel\'s mean', (spec) => {
    const m = mean(constant(spec), [2, 3]).data;
    adaptiveAvgPool2d(constant(spec), 1).data.forEach((v, i) => expect(v).toBeCloseTo(m[i], 5));
    const g = globalAvgPool2d(constant(spec));
    expect(g.shape).toEqual(spec.shape.slice(0, 2));
    g.data.forEach((v, i) => expect(v).toBeCloseTo(m[i], 5));
  });

  test.prop([nchw.chain((s) => specOf(s))])('globalAvgPool2d: gradients match finite differences', (spec) => {
    assertGradients((x) => globalAvgPool2d(x), [leaf(spec)]);
  });

  test('uneven windows as PyTorch: H = 5 into 3 bins averages rows [0, 2), [1, 4), [3, 5)', () => {
    const x = new Tensor(Float32Array.of(1, 2, 3, 4, 5), [1, 1, 5, 1]);
    // (1+2)/2 = 1.5, (2+3+4)/3 = 3, (4+5)/2 = 4.5
    expect(adaptiveAvgPool2d(x, [3, 1]).toArray()).toEqual([1.5, 3, 4.5]);
  });

  test('bad input: a flat tensor or a zero output size is an error naming the op', () => {
    expect(() => adaptiveAvgPool2d(new Tensor(new Float32Array(4), [2, 2]), 1)).toThrow(ShapeError);
    expect(() => adaptiveAvgPool2d(new Tensor(new Float32Array(4), [2, 2]), 1)).toThrow('adaptiveAvgPool2d: input must be 4-D [N, C, H, W], got [2, 2]');
    expect(() => adaptiveAvgPool2d(new Tensor(new Float32Array(4), [1, 1, 2, 2]), 0)).toThrow(ValueError);
    expect(() => globalAvgPool2d(new Tensor(new Float32Array(4), [4]))).toThrow('globalAvgPool2d: input must be 4-D');
  });
});
