import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { valuesOf } from '../__tests__/arbitraries';
import { type ConvGeometry, col2im, im2col } from './im2col';

/** One spatial axis (kernel, stride, padding, dilation, input size) with at least one output position. */
const axis = fc
  .record({ k: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 3 }), p: fc.integer({ min: 0, max: 2 }), d: fc.integer({ min: 1, max: 2 }) })
  .chain(({ k, s, p, d }) => {
    const min = Math.max(1, d * (k - 1) + 1 - 2 * p);
    return fc.integer({ min, max: min + 4 }).map((size) => ({ k, s, p, d, size, out: Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1 }));
  });

const geometry: fc.Arbitrary<ConvGeometry> = fc.tuple(fc.integer({ min: 1, max: 3 }), axis, axis).map(([C, h, w]) => ({
  C, H: h.size, W: w.size, KH: h.k, KW: w.k, OH: h.out, OW: w.out,
  strideH: h.s, strideW: w.s, padH: h.p, padW: w.p, dilationH: h.d, dilationW: w.d,
}));

/** Geometry, an image at an offset inside a larger buffer, and column values. */
const adjointCase = fc.tuple(geometry, fc.nat(3)).chain(([g, off]) =>
  fc.tuple(fc.constant(g), fc.constant(off), valuesOf(off + g.C * g.H * g.W), valuesOf(g.C * g.KH * g.KW * g.OH * g.OW)),
);

describe('im2col / col2im', () => {
  test.prop([adjointCase])('col2im is the adjoint of im2col: ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩', ([g, off, xs, cs]) => {
    // Arrange
    const x = Float32Array.from(xs);
    const c = Float32Array.from(cs);
    const cols = new Float32Array(c.length).fill(NaN); // every entry must be written
    const back = new Float32Array(x.length);
    // Act
    im2col(x, off, g, cols);
    col2im(c, g, back, off);
    // Assert
    let lhs = 0;
    let rhs = 0;
    let scale = 0;
    for (let i = 0; i < c.length; i++) {
      lhs += cols[i] * c[i];
      scale += Math.abs(cols[i] * c[i]);
    }
    for (let i = off; i < x.length; i++) rhs += x[i] * back[i];
    // col2im accumulates in float32, so allow its rounding relative to the size of the terms
    expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(1e-5 * (1 + scale));
    for (let i = 0; i < off; i++) expect(back[i]).toBe(0);
  });

  test.prop([adjointCase])('im2col row (c, kh, kw), column (oh, ow) holds the pixel that tap sees, or 0 in the padding', ([g, off, xs]) => {
    const x = Float32Array.from(xs);
    const cols = new Float32Array(g.C * g.KH * g.KW * g.OH * g.OW);
    im2col(x, off, g, cols);
    let i = 0;
    for (let c = 0; c < g.C; c++) {
      for (let kh = 0; kh < g.KH; kh++) {
        for (let kw = 0; kw < g.KW; kw++) {
          for (let oh = 0; oh < g.OH; oh++) {
            for (let ow = 0; ow < g.OW; ow++, i++) {
              const ih = oh * g.strideH - g.padH + kh * g.dilationH;
              const iw = ow * g.strideW - g.padW + kw * g.dilationW;
              const inside = ih >= 0 && ih < g.H && iw >= 0 && iw < g.W;
              expect(cols[i]).toBe(inside ? x[off + (c * g.H + ih) * g.W + iw] : 0);
            }
          }
        }
      }
    }
  });
});
