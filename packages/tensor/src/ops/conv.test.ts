import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { type Spec, constant, leaf, specOf } from '../__tests__/arbitraries';
import { assertGradients } from '../gradcheck';
import { Tensor } from '../tensor';
import { conv2d, conv2dReluPool } from './conv';
import { maxPool2d } from './pool';
import { mul, relu } from './elementwise';
import { sum } from './reduce';

interface Geometry {
  N: number;
  C: number;
  H: number;
  W: number;
  OC: number;
  KH: number;
  KW: number;
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
}

/** One spatial axis: kernel, stride, padding, dilation, and an input size the dilated kernel fits. */
const axisGeometry = fc
  .record({ k: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 3 }), p: fc.integer({ min: 0, max: 2 }), d: fc.integer({ min: 1, max: 2 }) })
  .chain(({ k, s, p, d }) => {
    const minSize = Math.max(1, d * (k - 1) + 1 - 2 * p);
    return fc.integer({ min: minSize, max: minSize + 4 }).map((size) => ({ k, s, p, d, size }));
  });

const geometry: fc.Arbitrary<Geometry> = fc
  .tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }), axisGeometry, axisGeometry)
  .map(([N, C, OC, h, w]) => ({
    N, C, OC, H: h.size, W: w.size, KH: h.k, KW: w.k,
    stride: [h.s, w.s], padding: [h.p, w.p], dilation: [h.d, w.d],
  }));

/** Geometry with input, weight and bias specs. */
const convCase = geometry.chain((g) =>
  fc.tuple(fc.constant(g), specOf([g.N, g.C, g.H, g.W]), specOf([g.OC, g.C, g.KH, g.KW]), specOf([g.OC])),
);

/** Direct 2-D cross-correlation in float64, straight from the definition (no im2col). */
function directConv(g: Geometry, x: Spec, w: Spec, b: Spec | null): { shape: number[]; values: number[] } {
  const [sh, sw] = g.stride;
  const [ph, pw] = g.padding;
  const [dh, dw] = g.dilation;
  const OH = Math.floor((g.H + 2 * ph - dh * (g.KH - 1) - 1) / sh) + 1;
  const OW = Math.floor((g.W + 2 * pw - dw * (g.KW - 1) - 1) / sw) + 1;
  const xv = (n: number, c: number, i: number, j: number) => (i < 0 || i >= g.H || j < 0 || j >= g.W ? 0 : Math.fround(x.values[((n * g.C + c) * g.H + i) * g.W + j]));
  const wv = (o: number, c: number, i: number, j: number) => Math.fround(w.values[((o * g.C + c) * g.KH + i) * g.KW + j]);
  const values: number[] = [];
  for (let n = 0; n < g.N; n++) {
    for (let o = 0; o < g.OC; o++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          let s = b === null ? 0 : Math.fround(b.values[o]);
          for (let c = 0; c < g.C; c++) {
            for (let kh = 0; kh < g.KH; kh++) {
              for (let kw = 0; kw < g.KW; kw++) s += xv(n, c, oh * sh - ph + kh * dh, ow * sw - pw + kw * dw) * wv(o, c, kh, kw);
            }
          }
          values.push(s);
        }
      }
    }
  }
  return { shape: [g.N, g.OC, OH, OW], values };
}

const options = (g: Geometry) => ({ stride: g.stride, padding: g.padding, dilation: g.dilation });

/** 3×3, stride 1, at least 8 input and output channels: the layers that run Winograd's F(2×2, 3×3) on the wasm kernels. */
const winogradCase = fc
  .record({ N: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 8, max: 9 }), OC: fc.integer({ min: 8, max: 9 }), H: fc.integer({ min: 1, max: 7 }), W: fc.integer({ min: 1, max: 10 }), ph: fc.integer({ min: 0, max: 2 }), pw: fc.integer({ min: 0, max: 2 }) })
  .filter((d) => d.H + 2 * d.ph >= 3 && d.W + 2 * d.pw >= 3)
  .map((d): Geometry => ({ N: d.N, C: d.C, H: d.H, W: d.W, OC: d.OC, KH: 3, KW: 3, stride: [1, 1], padding: [d.ph, d.pw], dilation: [1, 1] }))
  .chain((g) => fc.tuple(fc.constant(g), specOf([g.N, g.C, g.H, g.W]), specOf([g.OC, g.C, 3, 3]), specOf([g.OC])));

describe('conv2d', () => {
  test.prop([convCase], { numRuns: 30 })('conv2d (with bias): gradients of input, weight and bias match finite differences for any stride/padding/dilation', ([g, x, w, b]) => {
    assertGradients((xi, wi, bi) => conv2d(xi, wi, bi, options(g)), [leaf(x), leaf(w), leaf(b)]);
  });

  test.prop([convCase], { numRuns: 30 })('conv2d (without bias): gradients of input and weight match finite differences', ([g, x, w]) => {
    assertGradients((xi, wi) => conv2d(xi, wi, null, options(g)), [leaf(x), leaf(w)]);
  });

  test.prop([convCase, fc.boolean()])('conv2d (im2col · GEMM) equals a direct convolution from the definition, computed in float64', ([g, x, w, b], withBias) => {
    const expected = directConv(g, x, w, withBias ? b : null);
    const out = conv2d(constant(x), constant(w), withBias ? constant(b) : null, options(g));
    expect(out.shape).toEqual(expected.shape);
    // |x|, |w|, |b| ≤ 3: each output is a sum of at most 2·3·3 products of size ≤ 9, so float32 rounding is < 1e-4
    out.data.forEach((v, i) => expect(v).toBeCloseTo(expected.values[i], 4));
  });

  test.prop([winogradCase], { numRuns: 10 })(
    'a 3×3 stride-1 layer with ≥ 8 channels (Winograd on the wasm kernels): gradients of input, weight and bias match finite differences',
    ([g, x, w, b]) => {
      assertGradients((xi, wi, bi) => conv2d(xi, wi, bi, options(g)), [leaf(x), leaf(w), leaf(b)]);
    },
  );

  test.prop([winogradCase], { numRuns: 20 })('a 3×3 stride-1 layer with ≥ 8 channels equals a direct convolution from the definition, computed in float64', ([g, x, w, b]) => {
    const expected = directConv(g, x, w, b);
    const out = conv2d(constant(x), constant(w), constant(b), options(g));
    expect(out.shape).toEqual(expected.shape);
    // sums of up to 9·9 products of size ≤ 9: float32 rounding (and Winograd's transforms) stay well under 1e-3
    out.data.forEach((v, i) => expect(v).toBeCloseTo(expected.values[i], 3));
  });

  test.prop([convCase], { numRuns: 20 })('a frozen weight (requiresGrad false) gets no gradient buffer, and the input gradient is still right', ([g, x, w, b]) => {
    const frozen = constant(w);
    const xi = leaf(x);
    sum(conv2d(xi, frozen, leaf(b), options(g))).backward();
    expect(frozen.grad).toBeNull();
    expect(xi.grad).not.toBeNull();
    assertGradients((a) => conv2d(a, frozen, null, options(g)), [leaf(x)]);
  });

  test('conv2d with a rank-2 input throws a ShapeError that names conv2d and asks for a 4-D input', () => {
    const w = new Tensor(new Float32Array(9), [1, 1, 3, 3]);
    expect(() => conv2d(new Tensor(new Float32Array(2 * 784), [2, 784]), w)).toThrow(
      'conv2d: input must be 4-D [N, C, H, W], got [2, 784] (reshape flat images to [N, 1, 28, 28] first)',
    );
  });

  test('conv2d with a channel mismatch throws a ShapeError naming both shapes', () => {
    expect(() => conv2d(new Tensor(new Float32Array(2 * 3 * 5 * 5), [2, 3, 5, 5]), new Tensor(new Float32Array(4 * 2 * 9), [4, 2, 3, 3]))).toThrow(
      'conv2d: input has 3 channels (shape [2, 3, 5, 5]) but weight [4, 2, 3, 3] expects 2',
    );
  });
});

describe('conv2d with a fused ReLU, and conv2dReluPool', () => {
  test.prop([convCase, fc.boolean(), fc.integer({ min: 0, max: 1000 })], { numRuns: 40 })(
    "activation 'relu' gives exactly relu(conv2d(...)): the same output and the same input, weight and bias gradients",
    ([g, x, w, b], withBias, seed) => {
      const run = (fused: boolean) => {
        const [xi, wi, bi] = [leaf(x), leaf(w), leaf(b)];
        const y = fused ? conv2d(xi, wi, withBias ? bi : null, { ...options(g), activation: 'relu' }) : relu(conv2d(xi, wi, withBias ? bi : null, options(g)));
        // an uneven upstream gradient, so the mask matters
        const r = new Tensor(Float32Array.from({ length: y.size }, (_, i) => Math.sin(seed + 7 * i)), y.shape);
        sum(mul(y, r)).backward();
        return [y.data, xi.grad, wi.grad, withBias ? bi.grad : new Float32Array(0)] as Float32Array[];
      };
      const fused = run(true);
      const plain = run(false);
      fused.forEach((a, k) => {
        expect(a.length).toBe(plain[k].length);
        a.forEach((v, i) => expect(Object.is(v, plain[k][i]), `array ${k} index ${i}: ${v} vs ${plain[k][i]}`).toBe(true));
      });
    },
  );

  /** Output and gradients of `f` applied to fresh leaves, under an uneven upstream gradient. */
  function outputsAndGrads(f: (x: Tensor, w: Tensor, b: Tensor) => Tensor, x: Spec, w: Spec, b: Spec, seed: number): Float32Array[] {
    const [xi, wi, bi] = [leaf(x), leaf(w), leaf(b)];
    const y = f(xi, wi, bi);
    const r = new Tensor(Float32Array.from({ length: y.size }, (_, i) => Math.sin(seed + 7 * i)), y.shape);
    sum(mul(y, r)).backward();
    return [y.data, xi.grad, wi.grad, bi.grad] as Float32Array[];
  }

  const bigger = fc.record({ N: fc.integer({ min: 1, max: 3 }), C: fc.integer({ min: 1, max: 6 }), OC: fc.integer({ min: 1, max: 5 }), H: fc.integer({ min: 2, max: 13 }), W: fc.integer({ min: 2, max: 13 }), k: fc.constantFrom(1, 3, 5) })
    .chain((d) => fc.tuple(fc.constant(d), specOf([d.N, d.C, d.H, d.W]), specOf([d.OC, d.C, d.k, d.k]), specOf([d.OC])));

  test.prop([bigger, fc.integer({ min: 0, max: 1000 })], { numRuns: 40 })(
    'conv2dReluPool gives exactly maxPool2d(conv2d(..., relu), 2): output and input, weight and bias gradients (even and odd sizes, both conv kernels)',
    ([d, x, w, b], seed) => {
      const padding = (d.k - 1) / 2;
      const fused = outputsAndGrads((xi, wi, bi) => conv2dReluPool(xi, wi, bi, { padding }), x, w, b, seed);
      const plain = outputsAndGrads((xi, wi, bi) => maxPool2d(conv2d(xi, wi, bi, { padding, activation: 'relu' }), 2), x, w, b, seed);
      fused.forEach((a, k) => {
        expect(a.length).toBe(plain[k].length);
        a.forEach((v, i) => expect(Object.is(v, plain[k][i]), `array ${k} index ${i}: ${v} vs ${plain[k][i]}`).toBe(true));
      });
    },
  );

  test('conv2dReluPool reports bad shapes as conv2d does (the op the model wrote)', () => {
    const w = new Tensor(new Float32Array(9), [1, 1, 3, 3]);
    expect(() => conv2dReluPool(new Tensor(new Float32Array(25), [25]), w)).toThrow('conv2d: input must be 4-D [N, C, H, W], got [25]');
  });
});

describe('conv2d option errors', () => {
  test('an unknown activation is a ValueError naming it', () => {
    const x = new Tensor(new Float32Array(25), [1, 1, 5, 5]);
    const w = new Tensor(new Float32Array(9), [1, 1, 3, 3]);
    expect(() => conv2d(x, w, null, { activation: 'gelu' as never })).toThrow(`conv2d: activation must be 'relu' or omitted, got "gelu"`);
  });

  test('conv2d with stride 0 (or a negative padding) throws a ValueError naming the option', () => {
    const x = new Tensor(new Float32Array(25), [1, 1, 5, 5]);
    const w = new Tensor(new Float32Array(9), [1, 1, 3, 3]);
    expect(() => conv2d(x, w, null, { stride: 0 })).toThrow('conv2d: stride must be an integer ≥ 1 (or a pair of them), got 0');
    expect(() => conv2d(x, w, null, { padding: [1, -1] })).toThrow('conv2d: padding must be an integer ≥ 0 (or a pair of them), got [1,-1]');
  });

  test('conv2d with a kernel larger than the padded input throws a ShapeError', () => {
    const x = new Tensor(new Float32Array(4), [1, 1, 2, 2]);
    expect(() => conv2d(x, new Tensor(new Float32Array(9), [1, 1, 3, 3]))).toThrow('conv2d: kernel 3x3 (dilation 1, padding 0) does not fit input [1, 1, 2, 2]');
  });
});
