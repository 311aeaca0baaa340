import { addDecayedWeights, chain, ConfigError, NonFiniteGradientError, scaleByLearningRate, type ParamRef } from '@trainkit/core';
import { fc, test as propTest } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import { adam, adamw, scaleByAdam } from './index';

const ref = (value: number[], grad: number[]): ParamRef => ({ name: 'w', value: Float32Array.from(value), grad: Float32Array.from(grad) });
const vec = fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 1, maxLength: 16 });
const nonzero = fc.array(fc.double({ min: 1e-3, max: 100, noNaN: true }).chain((m) => fc.constantFrom(m, -m)), { minLength: 1, maxLength: 16 });

describe('adam (torch.optim.Adam)', () => {
  test('two hand-computed steps', () => {
    const opt = adam({ lr: 0.1 });
    const p = ref([1], [2]);
    // t=1: m = 0.2, v = 0.004; m̂ = 2, v̂ = 4; p = 1 − 0.1·2/(2 + 1e-8) = 0.9
    opt.step([p]);
    expect(p.value[0]).toBeCloseTo(0.9, 6);
    // t=2, g=1: m = 0.18 + 0.1 = 0.28, v = 0.003996 + 0.001 = 0.004996
    // m̂ = 0.28/0.19 = 1.47368, v̂ = 0.004996/0.001999 = 2.49925, √ = 1.58090; step = 0.1·0.93218
    p.grad[0] = 1;
    opt.step([p]);
    expect(p.value[0]).toBeCloseTo(0.9 - 0.093218, 5);
  });

  propTest.prop([vec, nonzero])("the first step moves each coordinate by lr·sign(g) (up to eps)", (values, g) => {
    const n = Math.min(values.length, g.length);
    const p = ref(values.slice(0, n), g.slice(0, n));
    const before = p.value.slice();
    adam({ lr: 0.01 }).step([p]);
    for (let i = 0; i < n; i++) expect(p.value[i] - before[i]).toBeCloseTo(-0.01 * Math.sign(p.grad[i]), 5);
  });

  propTest.prop([vec, fc.double({ min: 0.01, max: 100, noNaN: true })])('scaling every gradient by c > 0 leaves the trajectory unchanged (up to eps)', (values, c) => {
    const a = ref(values, values.map((v) => Math.sin(2 * v) + 0.1));
    const b = ref(values, values.map((v) => c * (Math.sin(2 * v) + 0.1)));
    const [oa, ob] = [adam({ lr: 0.01, eps: 1e-12 }), adam({ lr: 0.01, eps: 1e-12 })];
    for (let t = 0; t < 4; t++) {
      oa.step([a]);
      ob.step([b]);
    }
    a.value.forEach((v, i) => expect(v).toBeCloseTo(b.value[i], 4));
  });

  propTest.prop([vec])('AdamW with weightDecay 0 equals Adam exactly', (values) => {
    const a = ref(values, values.map((v) => Math.cos(v)));
    const b = ref(values, values.map((v) => Math.cos(v)));
    const [oa, ob] = [adam({ lr: 0.01 }), adamw({ lr: 0.01, weightDecay: 0 })];
    for (let t = 0; t < 3; t++) {
      oa.step([a]);
      ob.step([b]);
    }
    expect(a.value).toEqual(b.value);
  });

  const cases = [
    ['adam', adam, chain('test/adam', addDecayedWeights(), scaleByAdam(), scaleByLearningRate()), { lr: 0.01, weightDecay: 0.05 }],
    ['adam amsgrad', adam, chain('test/ams', addDecayedWeights(), scaleByAdam(), scaleByLearningRate()), { lr: 0.01, amsgrad: true, beta1: 0.8 }],
    ['adamw', adamw, chain('test/adamw', scaleByAdam(), addDecayedWeights(), scaleByLearningRate()), { lr: 0.01, weightDecay: 0.1 }],
  ] as const;
  for (const [name, fused, chained, options] of cases) {
    propTest.prop([vec])(`${name} equals its chain of transforms (rtol 1e-4 over 6 steps)`, (values) => {
      const a = ref(values, values.map((v) => Math.sin(5 * v)));
      const b = ref(values, values.map((v) => Math.sin(5 * v)));
      const [oa, ob] = [fused(options), chained(options)];
      for (let t = 0; t < 6; t++) {
        oa.step([a]);
        ob.step([b]);
      }
      a.value.forEach((v, i) => expect(Math.abs(v - b.value[i])).toBeLessThanOrEqual(1e-4 * Math.abs(v) + 1e-6));
    });
  }

  test.each([
    [{ beta1: 1 }, 'beta1 must be in [0, 1), got 1'],
    [{ beta2: -0.1 }, 'beta2 must be in [0, 1), got -0.1'],
    [{ eps: 0 }, 'eps must be > 0, got 0'],
    [{ lr: -1 }, 'lr must be ≥ 0, got -1'],
    [{ weightDecay: -1 }, 'weightDecay must be ≥ 0, got -1'],
  ])('invalid options %o: "%s"', (options, message) => {
    expect(() => adam(options)).toThrow(ConfigError);
    expect(() => adam(options)).toThrow(`optim-adam/adam: ${message}`);
  });

  test('a NaN gradient is reported with the parameter name and step, and nothing is updated', () => {
    const opt = adam();
    const ok = { name: 'fc.bias', value: Float32Array.of(1), grad: Float32Array.of(1) };
    const bad = { name: 'fc.weight', value: Float32Array.of(1, 2), grad: Float32Array.of(0.5, NaN) };
    opt.step([ok, { ...bad, grad: Float32Array.of(0.1, 0.1) }]);
    const before = [ok.value.slice(), bad.value.slice()];
    expect(() => opt.step([ok, bad])).toThrow(NonFiniteGradientError);
    expect(() => opt.step([ok, bad])).toThrow('optim-adam/adam: the gradient of "fc.weight" is NaN at element 1 in step 2; no parameter was updated');
    expect([ok.value, bad.value]).toEqual(before);
    expect(opt.stepCount).toBe(1);
  });
});
