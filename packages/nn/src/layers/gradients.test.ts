import { fc, test } from '@fast-check/vitest';
import { Rng, Tensor, noGrad, shapeSize, type Shape } from '@trainkit/tensor';
import { describe, expect } from 'vitest';
import type { Module } from '../module';
import { BatchNorm1d, BatchNorm2d } from './batchnorm';
import { Conv2d } from './conv2d';
import { Linear } from './linear';

/** A leaf input with N(0, 1) values that requires gradients. */
function input(shape: Shape, seed: number): Tensor {
  return new Tensor(new Rng(seed).stream('x').fillNormal(new Float32Array(shapeSize(shape))), shape, { requiresGrad: true });
}

/**
 * Central-difference derivative of `objective` with respect to data[j], Richardson-extrapolated
 * over steps h and 2h so the O(h²) error cancels. Each secant uses the float32 points actually
 * evaluated, so rounding x ± h to float32 does not bias it.
 */
function numericDerivative(data: Float32Array, j: number, h: number, objective: () => number): number {
  const x0 = data[j];
  const secant = (step: number): number => {
    data[j] = x0 + step;
    const xp = data[j];
    const lp = objective();
    data[j] = x0 - step;
    const xm = data[j];
    const lm = objective();
    data[j] = x0;
    return (lp - lm) / (xp - xm);
  };
  return (4 * secant(h) - secant(2 * h)) / 3;
}

/**
 * Asserts that backward through `run()` gives ∂L/∂t for every tensor in `wrt`, where
 * L = Σᵢ wᵢ·yᵢ with fixed random weights w (a plain sum would hide errors that cancel across
 * outputs — for BatchNorm, ∂Σy/∂x is exactly 0). The numeric side runs under noGrad in float32
 * and accumulates L in float64.
 */
function expectGradientsMatch(run: () => Tensor, wrt: Tensor[], { h = 1e-2, rtol = 1e-2, atol = 1e-3 } = {}): void {
  for (const t of wrt) t.grad = null;
  const y = run();
  const w = new Rng(7).stream('weights').fillUniform(new Float32Array(y.size), -1, 1);
  y.backward(w);
  const objective = (): number =>
    noGrad(() => {
      const out = run().data;
      let l = 0;
      for (let i = 0; i < out.length; i++) l += w[i] * out[i];
      return l;
    });
  wrt.forEach((t, k) => {
    const analytic = t.grad ?? new Float32Array(t.size);
    for (let j = 0; j < t.size; j++) {
      const numeric = numericDerivative(t.data, j, h * Math.max(1, Math.abs(t.data[j])), objective);
      const a = analytic[j];
      const tolerance = atol + rtol * Math.max(Math.abs(a), Math.abs(numeric));
      if (!(Math.abs(a - numeric) <= tolerance)) {
        expect.fail(`tensor ${k} (shape [${t.shape.join(', ')}]) element ${j}: analytic ${a}, numeric ${numeric}`);
      }
    }
  });
}

function paramsOf(m: Module): Tensor[] {
  return m.parameters();
}

describe('layer gradients agree with central differences', () => {
  test('Linear: input, weight and bias', () => {
    const layer = new Linear(3, 4, { rng: new Rng(1) });
    const x = input([5, 3], 2);
    expectGradientsMatch(() => layer.call(x), [x, ...paramsOf(layer)]);
  });

  test('Linear without bias: input and weight', () => {
    const layer = new Linear(4, 2, { bias: false, rng: new Rng(3) });
    const x = input([3, 4], 4);
    expectGradientsMatch(() => layer.call(x), [x, ...paramsOf(layer)]);
  });

  const convGeometry = fc.record({
    c: fc.integer({ min: 1, max: 2 }),
    oc: fc.integer({ min: 1, max: 3 }),
    k: fc.integer({ min: 1, max: 3 }),
    stride: fc.integer({ min: 1, max: 2 }),
    padding: fc.integer({ min: 0, max: 1 }),
    dilation: fc.integer({ min: 1, max: 2 }),
    extra: fc.integer({ min: 0, max: 2 }),
    seed: fc.integer({ min: 0, max: 1000 }),
  });

  test.prop([convGeometry], { numRuns: 12 })('Conv2d: input, weight and bias for any small stride/padding/dilation', (g) => {
    const side = Math.max(1, g.dilation * (g.k - 1) + 1 - 2 * g.padding) + g.extra;
    const conv = new Conv2d(g.c, g.oc, g.k, { stride: g.stride, padding: g.padding, dilation: g.dilation, rng: new Rng(g.seed) });
    const x = input([2, g.c, side, side + 1], g.seed + 1);
    expectGradientsMatch(() => conv.call(x), [x, ...paramsOf(conv)]);
  });

  test('Conv2d 2→3, kernel 3, stride 2, padding 1 on [2, 2, 5, 5]', () => {
    const conv = new Conv2d(2, 3, 3, { stride: 2, padding: 1, rng: new Rng(5) });
    const x = input([2, 2, 5, 5], 6);
    expectGradientsMatch(() => conv.call(x), [x, ...paramsOf(conv)]);
  });

  test('BatchNorm2d in training mode: input (through the batch statistics), weight and bias', () => {
    const bn = new BatchNorm2d(3);
    bn.weight?.data.set([1.5, -0.5, 2]);
    bn.bias?.data.set([0.1, 0.2, -0.3]);
    const x = input([2, 3, 2, 2], 7);
    expectGradientsMatch(() => bn.call(x), [x, ...paramsOf(bn)]);
  });

  test('BatchNorm1d in training mode on [N, C] and [N, C, L]', () => {
    const bn = new BatchNorm1d(2);
    bn.weight?.data.set([0.7, 1.3]);
    const x2 = input([4, 2], 8);
    expectGradientsMatch(() => bn.call(x2), [x2, ...paramsOf(bn)]);
    const x3 = input([3, 2, 3], 9);
    expectGradientsMatch(() => bn.call(x3), [x3, ...paramsOf(bn)]);
  });

  test('BatchNorm2d in evaluation mode (running statistics are constants)', () => {
    const bn = new BatchNorm2d(2).eval();
    bn.runningMean.data.set([0.5, -1]);
    bn.runningVar.data.set([2, 0.5]);
    const x = input([2, 2, 2, 2], 10);
    expectGradientsMatch(() => bn.call(x), [x, ...paramsOf(bn)]);
  });
});
