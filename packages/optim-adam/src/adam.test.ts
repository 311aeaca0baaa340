import { addDecayedWeights, chain, ConfigError, NonFiniteGradientError, scaleByLearningRate, type Optimizer, type ParamRef } from '@trainkit/core';
import { fc, test as propTest } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import { adamStateBeforeLeanSlots } from './__tests__/adamState010';
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

  test.each(['maximize', 'foreach', 'capturable', 'differentiable', 'fused', 'betas'])("torch's %s, which is not offered, is refused by name, never silently ignored", (option) => {
    expect(() => adam({ [option]: true } as never)).toThrow(`optim-adam/adam: unknown option "${option}"`);
    expect(() => adamw({ groups: [{ params: /bias$/, [option]: true }] } as never)).toThrow(`optim-adam/adamw: parameter group 0: unknown option "${option}"`);
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

describe("adam's slots (as torch.optim.Adam's state: exp_avg, exp_avg_sq, and max_exp_avg_sq only with amsgrad)", () => {
  const slotsAfterOneStep = (opt: Optimizer, names: readonly string[]) => {
    opt.step(names.map((name) => ({ name, value: Float32Array.of(1, 2), grad: Float32Array.of(0.5, -0.5) })));
    return Object.fromEntries(Object.entries(opt.stateDict().slots).map(([p, s]) => [p, Object.keys(s)]));
  };

  test.each([
    ['adam()', adam(), { w: ['m', 'v'] }],
    ['adam({ amsgrad: true })', adam({ amsgrad: true }), { w: ['m', 'v', 'vmax'] }],
    ['adamw()', adamw(), { w: ['m', 'v'] }],
    ['adamw({ amsgrad: true })', adamw({ amsgrad: true }), { w: ['m', 'v', 'vmax'] }],
    ['chain(scaleByAdam(), scaleByLearningRate())', chain('test/adam', scaleByAdam(), scaleByLearningRate())(), { w: ['0:scaleByAdam.m', '0:scaleByAdam.v'] }],
  ])('%s keeps %o', (_, opt, expected) => {
    expect(slotsAfterOneStep(opt, ['w'])).toEqual(expected);
  });

  test('amsgrad in one parameter group gives vmax to that group only', () => {
    const opt = adam({ groups: [{ params: /bias$/, amsgrad: true }] });
    expect(slotsAfterOneStep(opt, ['fc.weight', 'fc.bias'])).toEqual({ 'fc.weight': ['m', 'v'], 'fc.bias': ['m', 'v', 'vmax'] });
  });

  test('a state saved by optim-adam 0.1.0 (a vmax slot of zeros, amsgrad false) loads, drops vmax, and continues bit for bit like an uninterrupted run', () => {
    // Arrange: today's Adam from the start, with the configuration and gradients the old state was made with
    const { state, params } = adamStateBeforeLeanSlots;
    const options = { lr: 1e-2, groups: [{ params: /bias$/, lr: 1e-3, weightDecay: 0.1 }] };
    const gradAt = (name: string, t: number, i: number) => Math.sin(1.7 * i + t + name.length);
    const stepAt = (opt: Optimizer, refs: ParamRef[], t: number) => {
      for (const p of refs) p.grad.forEach((_, i, g) => (g[i] = gradAt(p.name, t, i)));
      opt.step(refs);
    };
    const sizes = { 'fc.weight': 6, 'fc.bias': 3 };
    const run = Object.entries(sizes).map(([name, n]) => ({ name, value: Float32Array.from({ length: n }, (_, i) => Math.cos(i + n)), grad: new Float32Array(n) }));
    const uninterrupted = adam(options);
    for (let t = 1; t <= 3; t++) stepAt(uninterrupted, run, t);
    // the first 3 steps give what 0.1.0 gave, in the parameters and in m and v
    for (const p of run) {
      expect(Array.from(p.value)).toEqual(params[p.name as keyof typeof sizes]);
      const saved = state.slots[p.name as keyof typeof sizes];
      expect(uninterrupted.stateDict().slots[p.name]).toEqual({ m: Float32Array.from(saved.m), v: Float32Array.from(saved.v) });
    }
    // Act: load the old state into a fresh Adam and continue both for 3 more steps
    const resumed = adam(options);
    resumed.loadStateDict({
      ...state,
      groups: state.groups.map((g) => ({ ...g })),
      paramSteps: { ...state.paramSteps },
      slots: Object.fromEntries(Object.entries(state.slots).map(([p, s]) => [p, { m: Float32Array.from(s.m), v: Float32Array.from(s.v), vmax: Float32Array.from(s.vmax) }])),
    });
    const refs = run.map((p) => ({ name: p.name, value: p.value.slice(), grad: new Float32Array(p.value.length) }));
    for (let t = 4; t <= 6; t++) {
      stepAt(uninterrupted, run, t);
      stepAt(resumed, refs, t);
    }
    // Assert
    refs.forEach((p, i) => expect(p.value).toEqual(run[i].value));
    expect(resumed.stateDict()).toEqual(uninterrupted.stateDict());
    expect(Object.keys(resumed.stateDict().slots['fc.weight'])).toEqual(['m', 'v']);
  });
});
