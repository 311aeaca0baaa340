import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { awayFromZero, constant, finite, leaf, shapeOf, specFrom } from '../__tests__/arbitraries';
import { assertGradients } from '../gradcheck';
import { withKernelBackend } from '../kernels/wasm/runtime';
import { ValueError } from '../shape';
import { Tensor } from '../tensor';
import { elu, gelu, hardtanh, leakyRelu, normalCdf, normalCdfReference, normalPdf, relu6, silu } from './activation';
import { relu, sigmoid } from './elementwise';
import { layerNorm } from './norm';

const smooth = specFrom(shapeOf(1, 3), finite(-4, 4));
/** Inputs clear of the kink at 0 by more than gradcheck's 2h. */
const offKink = specFrom(shapeOf(1, 3), awayFromZero(0.1, 4));

describe('activations: gradients', () => {
  test.prop([offKink, finite(-1, 1)])('leakyRelu: gradients match finite differences for any slope', (spec, slope) => {
    assertGradients((x) => leakyRelu(x, slope), [leaf(spec)]);
  });
  test.prop([offKink, finite(0.1, 2)])('elu: gradients match finite differences for any alpha', (spec, alpha) => {
    assertGradients((x) => elu(x, alpha), [leaf(spec)]);
  });
  test.prop([smooth])('silu: gradients match finite differences', (spec) => {
    assertGradients((x) => silu(x), [leaf(spec)]);
  });
  test.prop([specFrom(shapeOf(1, 3), finite(-4, 4).filter((v) => Math.abs(Math.abs(v) - 1) > 0.1))])('hardtanh: gradients match finite differences off the kinks at ±1', (spec) => {
    assertGradients((x) => hardtanh(x), [leaf(spec)]);
  });
  test.prop([smooth, fc.constantFrom('none' as const, 'tanh' as const)])('gelu: gradients match finite differences (exact and tanh)', (spec, approximate) => {
    assertGradients((x) => gelu(x, approximate), [leaf(spec)]);
  });
});

describe('activations: values', () => {
  test.prop([smooth])('leakyRelu with slope 0 is relu, and with slope 1 the identity', (spec) => {
    const plusZero = (v: number) => v + 0; // the sign of a zero is not part of the law
    expect(leakyRelu(constant(spec), 0).toArray().map(plusZero)).toEqual(relu(constant(spec)).toArray().map(plusZero));
    expect(leakyRelu(constant(spec), 1).toArray()).toEqual(constant(spec).toArray());
  });

  test.prop([smooth])('silu(x) = x·sigmoid(x) to float32 rounding', (spec) => {
    const s = sigmoid(constant(spec)).data;
    silu(constant(spec)).data.forEach((v, i) => expect(v).toBeCloseTo(Math.fround(spec.values[i]) * s[i], 6));
  });

  test.prop([smooth])('elu is continuous at 0 with value x for x > 0 and in (−α, 0] for x ≤ 0', (spec) => {
    elu(constant(spec), 2).data.forEach((v, i) => {
      const x = Math.fround(spec.values[i]);
      if (x > 0) expect(v).toBe(x);
      else expect(v > -2 && v <= 0).toBe(true);
    });
  });

  test.prop([finite(-8, 8)])('Φ(x) + Φ(−x) = 1 and Φ is increasing', (x) => {
    expect(normalCdf(x) + normalCdf(-x)).toBeCloseTo(1, 14);
    expect(normalCdf(x + 0.01)).toBeGreaterThan(normalCdf(x));
  });

  test.prop([fc.double({ min: -12, max: 12, noNaN: true })])('the tabulated Taylor form of Φ equals the series within 1e-12 relative (and exactly outside [−8, 8])', (x) => {
    const want = normalCdfReference(x);
    if (Math.abs(x) >= 8) expect(normalCdf(x)).toBe(want);
    else expect(Math.abs(normalCdf(x) - want)).toBeLessThanOrEqual(1e-12 * want);
  });

  test.each([
    [-3.1158416779795894, 0.0009171036022991781],
    [-2.6, 0.004661188023718749],
    [-3.45, 0.0002802932768161772],
    [-5, 2.866515718791939e-7],
    [-7.9, 1.3945171466592643e-15],
  ])('Φ(%d) and its series reference both equal the 40-digit value %d within 1e-13 relative (the lower tail, where 1 − erf cancels)', (x, want) => {
    expect(Math.abs(normalCdf(x) / want - 1)).toBeLessThanOrEqual(1e-13);
    expect(Math.abs(normalCdfReference(x) / want - 1)).toBeLessThanOrEqual(1e-13);
  });

  test('at and just around every half step of the grid (where rounding to the nearest point can tip), Φ stays within 2e-12 relative of the series (the Taylor form is at its worst near −8)', () => {
    for (let k = 1; k < 2048; k += 7) {
      for (const d of [0, 2 ** -43, -(2 ** -43), 1e-12, -1e-12]) {
        const x = (k - 0.5 + d) / 128 - 8;
        expect(Math.abs(normalCdf(x) - normalCdfReference(x))).toBeLessThanOrEqual(2e-12 * normalCdfReference(x));
      }
    }
  });

  test.prop([fc.double({ min: -12, max: 12, noNaN: true })])('the tabulated φ(x) equals e^(−x²/2)/√(2π) within 3e-10 relative, far below float32 rounding (to the last bits outside [−8, 8])', (x) => {
    const want = Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
    expect(Math.abs(normalPdf(x) / want - 1)).toBeLessThanOrEqual(Math.abs(x) >= 8 ? 1e-15 : 3e-10);
  });

  test('φ at and around every half step of the grid stays within 3e-10 relative; φ of NaN is NaN and of ±Infinity 0', () => {
    for (let k = 1; k < 2048; k += 3) {
      for (const d of [0, 2 ** -43, -(2 ** -43)]) {
        const x = (k - 0.5 + d) / 128 - 8;
        expect(Math.abs(normalPdf(x) / (Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI)) - 1)).toBeLessThanOrEqual(3e-10);
      }
    }
    expect(normalPdf(Number.NaN)).toBeNaN();
    expect(normalPdf(Infinity)).toBe(0);
    expect(normalPdf(-Infinity)).toBe(0);
  });

  test('Φ of NaN is NaN, of ±Infinity 0 and 1', () => {
    expect(normalCdf(Number.NaN)).toBeNaN();
    expect(normalCdf(-Infinity)).toBe(0);
    expect(normalCdf(Infinity)).toBe(1);
  });

  test('Φ at known points: Φ(0) = 0.5, Φ(1) = 0.8413447460685429, Φ(−3) = 0.0013498980316300946, Φ(−10) ≈ 7.62e-24', () => {
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(1)).toBeCloseTo(0.8413447460685429, 14);
    expect(normalCdf(-3) / 0.0013498980316300946).toBeCloseTo(1, 12);
    expect(normalCdf(-10) / 7.619853024160527e-24).toBeCloseTo(1, 10);
  });

  test.prop([smooth])('gelu\'s tanh approximation stays within 1e-3 of the exact gelu', (spec) => {
    const exact = gelu(constant(spec)).data;
    gelu(constant(spec), 'tanh').data.forEach((v, i) => expect(Math.abs(v - exact[i])).toBeLessThan(1e-3));
  });

  test('gelu tends to x for large x and to 0 (from below) for very negative x', () => {
    const y = gelu(new Tensor(Float32Array.of(10, -10), [2])).data;
    expect(y[0]).toBe(10);
    expect(y[1]).toBeLessThanOrEqual(0);
    expect(y[1]).toBeGreaterThan(-1e-20);
  });
});

describe('hardtanh and relu6 (PyTorch\'s hardtanh / ReLU6)', () => {
  test.prop([specFrom(shapeOf(1, 3), finite(-1e6, 1e6)), finite(-10, 0), finite(0.5, 10)])('hardtanh(x, lo, hi) = min(max(x, lo), hi) exactly, for any finite x', (spec, lo, hi) => {
    const y = hardtanh(constant(spec), lo, hi).data;
    spec.values.forEach((v, i) => expect(y[i] + 0).toBe(Math.fround(Math.min(Math.max(Math.fround(v), lo), hi)) + 0)); // the sign of a zero is not part of the law
  });

  test('relu6 is exact at ±∞, past 2²⁴ and at the bounds; NaN stays NaN', () => {
    const x = Float32Array.of(-Infinity, -1e30, -0.5, 0, 3.25, 6, 6.5, 2 ** 25, 3e38, Infinity, Number.NaN);
    expect([...relu6(new Tensor(x, [x.length])).data]).toEqual([0, 0, 0, 0, 3.25, 6, 6, 6, 6, 6, Number.NaN]);
  });

  test('the gradient is 1 strictly inside (lo, hi) and 0 at the bounds and beyond (PyTorch\'s hardtanh_backward)', () => {
    const x = new Tensor(Float32Array.of(-Infinity, -1, 0, 1e-7, 5.999, 6, 7, Infinity), [8], { requiresGrad: true });
    relu6(x).backward(new Float32Array(8).fill(2));
    expect([...(x.grad as Float32Array)]).toEqual([0, 0, 0, 2, 2, 0, 0, 0]);
  });
});

describe('activations: bad options', () => {
  const x = new Tensor(new Float32Array(2), [2]);
  test.each([
    ['leakyRelu with a NaN slope', () => leakyRelu(x, Number.NaN), 'leakyRelu: negativeSlope must be a finite number, got NaN'],
    ['elu with an infinite alpha', () => elu(x, Infinity), 'elu: alpha must be a finite number, got Infinity'],
    ['hardtanh with minVal ≥ maxVal', () => hardtanh(x, 1, 1), 'hardtanh: minVal and maxVal must be finite numbers with minVal < maxVal, got [1, 1]'],
    ['hardtanh with an infinite bound', () => hardtanh(x, -Infinity, 0), 'hardtanh: minVal and maxVal must be finite numbers with minVal < maxVal, got [-Infinity, 0]'],
    ['gelu with an unknown approximation', () => gelu(x, 'erf' as 'none'), `gelu: approximate must be 'none' or 'tanh', got "erf"`],
  ])('%s throws a ValueError naming the op and the option', (_label, run, message) => {
    expect(run).toThrow(ValueError);
    expect(run).toThrow(message);
  });
});

describe('GELU on the SIMD kernel (Φ in float32)', () => {
  test.prop([fc.array(fc.float({ min: -12, max: 12, noNaN: true }), { minLength: 1, maxLength: 70 })], { numRuns: 200 })('agrees with the JavaScript kernel (Φ in float64) within 3e-7·max(1, |x|), in value and in gradient', (xs) => {
    const run = (backend: 'js' | 'wasm') =>
      withKernelBackend(backend, () => {
        const x = new Tensor(Float32Array.from(xs), [xs.length], { requiresGrad: true });
        const y = gelu(x);
        y.backward(new Float32Array(xs.length).fill(1));
        return { y: y.data, g: x.grad as Float32Array };
      });
    const [js, simd] = [run('js'), run('wasm')];
    xs.forEach((v, i) => {
      const tol = 3e-7 * Math.max(1, Math.abs(v));
      expect(Math.abs(simd.y[i] - js.y[i])).toBeLessThanOrEqual(tol);
      expect(Math.abs(simd.g[i] - js.g[i])).toBeLessThanOrEqual(tol);
    });
  });

  test('special values as on the JavaScript kernel: gelu(0) = 0, NaN stays NaN, gelu(+∞) = +∞, gelu(−∞) is NaN (−∞·0), and far tails are x and 0', () => {
    const xs = Float32Array.of(0, NaN, Infinity, -Infinity, 30, -30, 1, -1);
    const [js, simd] = (['js', 'wasm'] as const).map((b) => Array.from(withKernelBackend(b, () => gelu(new Tensor(xs.slice(), [8]))).data));
    expect(simd.slice(0, 6)).toEqual(js.slice(0, 6));
    expect(simd[6]).toBeCloseTo(js[6], 6);
    expect(simd[7]).toBeCloseTo(js[7], 6);
  });
});

test('GELU and LayerNorm give a value the same bits alone as inside a large tensor (the kernel does not depend on the tensor size)', () => {
  const xs = Float32Array.from({ length: 4096 }, (_, i) => Math.sin(i) * 4);
  const all = gelu(new Tensor(xs, [4096])).data;
  expect(Array.from(gelu(new Tensor(xs.slice(100, 103), [3])).data)).toEqual(Array.from(all.subarray(100, 103)));
  const w = new Tensor(Float32Array.of(1, 2, 3, 4), [4]);
  const b = new Tensor(Float32Array.of(0, 1, 0, -1), [4]);
  const rows = layerNorm(new Tensor(xs, [1024, 4]), [4], w, b).data;
  expect(Array.from(layerNorm(new Tensor(xs.slice(40, 44), [1, 4]), [4], w, b).data)).toEqual(Array.from(rows.subarray(40, 44)));
});
