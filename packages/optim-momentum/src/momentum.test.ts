import { addDecayedWeights, chain, ConfigError, scaleByLearningRate, sgd, type ParamRef } from '@trainkit/core';
import { fc, test as propTest } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import { momentum, trace } from './index';

const ref = (value: number[], grad: number[]): ParamRef => ({ name: 'w', value: Float32Array.from(value), grad: Float32Array.from(grad) });
const vec = fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 1, maxLength: 16 });

describe('momentum (torch.optim.SGD with momentum)', () => {
  test('two hand-computed steps: the first sets the buffer to g, the second is ρ·buf + g', () => {
    const opt = momentum({ lr: 0.1, momentum: 0.9 });
    const p = ref([1], [0.5]);
    opt.step([p]); // buf = 0.5; p = 1 − 0.05 = 0.95
    expect(p.value[0]).toBeCloseTo(0.95, 7);
    p.grad[0] = 0.5;
    opt.step([p]); // buf = 0.9·0.5 + 0.5 = 0.95; p = 0.95 − 0.095 = 0.855
    expect(p.value[0]).toBeCloseTo(0.855, 6);
  });

  test('dampening is skipped on the first step and applied afterwards', () => {
    const opt = momentum({ lr: 1, momentum: 0.5, dampening: 0.5 });
    const p = ref([0], [1]);
    opt.step([p]); // buf = 1 (no dampening); p = −1
    opt.step([p]); // buf = 0.5·1 + 0.5·1 = 1; p = −2
    expect(Array.from(p.value)).toEqual([-2]);
  });

  test('Nesterov: the first step moves (1 + ρ)× as far as plain SGD', () => {
    const a = ref([1, -2], [0.3, -0.7]);
    const b = ref([1, -2], [0.3, -0.7]);
    momentum({ lr: 0.1, momentum: 0.9, nesterov: true }).step([a]);
    sgd({ lr: 0.1 }).step([b]);
    for (let i = 0; i < 2; i++) expect(a.value[i] - [1, -2][i]).toBeCloseTo(1.9 * (b.value[i] - [1, -2][i]), 6);
  });

  propTest.prop([vec, fc.integer({ min: 1, max: 5 })])('momentum 0 is plain SGD, step for step', (values, steps) => {
    const a = ref(values, values.map((v) => Math.sin(v)));
    const b = ref(values, values.map((v) => Math.sin(v)));
    const m = momentum({ lr: 0.05, momentum: 0, weightDecay: 0.01 });
    const s = sgd({ lr: 0.05, weightDecay: 0.01 });
    for (let t = 0; t < steps; t++) {
      m.step([a]);
      s.step([b]);
    }
    expect(a.value).toEqual(b.value);
  });

  propTest.prop([vec, fc.constantFrom(0, 0.5, 1), fc.integer({ min: 1, max: 5 })])(
    'momentum 0 keeps no buffer and ignores dampening, as torch.optim.SGD: plain SGD bit for bit',
    (values, dampening, steps) => {
      const a = ref(values, values.map((v) => Math.sin(v)));
      const b = ref(values, values.map((v) => Math.sin(v)));
      const m = momentum({ lr: 0.05, momentum: 0, dampening });
      const s = sgd({ lr: 0.05 });
      for (let t = 0; t < steps; t++) {
        m.step([a]);
        s.step([b]);
      }
      expect(a.value).toEqual(b.value);
      expect(m.stateDict().slots).toEqual({ w: {} });
    },
  );

  test('a state saved with a momentum buffer for momentum 0 (as before buffers depended on it) loads and continues as plain SGD', () => {
    const saved = momentum({ lr: 0.1, momentum: 0 }).stateDict();
    saved.step = 2;
    saved.paramSteps = { w: 2 };
    saved.slots = { w: { momentumBuffer: Float32Array.of(0.25, -3) } };
    const opt = momentum({ lr: 0.1, momentum: 0 });
    opt.loadStateDict(saved);
    const [a, b] = [ref([1, 2], [0.5, -0.5]), ref([1, 2], [0.5, -0.5])];
    opt.step([a]);
    sgd({ lr: 0.1 }).step([b]);
    expect(a.value).toEqual(b.value);
    expect(opt.stateDict().slots).toEqual({ w: {} });
  });

  test('momentum > 0 keeps one buffer per parameter, named as in the fused optimizer and the chain', () => {
    const p = ref([1], [1]);
    const fused = momentum({ momentum: 0.9 });
    const chained = chain('test/trace', trace(), scaleByLearningRate())();
    const lean = chain('test/trace0', trace({ momentum: 0 }), scaleByLearningRate())();
    for (const opt of [fused, chained, lean]) opt.step([p]);
    expect(Object.keys(fused.stateDict().slots.w)).toEqual(['momentumBuffer']);
    expect(Object.keys(chained.stateDict().slots.w)).toEqual(['0:trace.momentumBuffer']);
    expect(Object.keys(lean.stateDict().slots.w)).toEqual([]);
  });

  propTest.prop([vec, fc.boolean()])('the fused optimizer equals chain(addDecayedWeights, trace, scaleByLearningRate)', (values, nesterov) => {
    const chained = chain('test/momentum-chain', addDecayedWeights(), trace(), scaleByLearningRate({ lr: 0.01 }));
    const o = { lr: 0.05, momentum: 0.8, nesterov, weightDecay: 0.1 };
    const [fused, chainedOpt] = [momentum(o), chained(o)];
    const a = ref(values, values.map((v) => Math.cos(3 * v)));
    const b = ref(values, values.map((v) => Math.cos(3 * v)));
    for (let t = 0; t < 5; t++) {
      fused.step([a]);
      chainedOpt.step([b]);
    }
    a.value.forEach((v, i) => expect(v).toBeCloseTo(b.value[i], 5));
  });

  test.each([
    [{ momentum: -0.1 }, 'momentum must be ≥ 0, got -0.1'],
    [{ nesterov: true, momentum: 0 }, 'nesterov requires momentum > 0 and dampening 0'],
    [{ nesterov: true, dampening: 0.1 }, 'nesterov requires momentum > 0 and dampening 0'],
    [{ dampening: 2 }, 'dampening must be in [0, 1], got 2'],
    [{ lr: -0.01 }, 'lr must be ≥ 0, got -0.01'],
    [{ weightDecay: -1 }, 'weightDecay must be ≥ 0, got -1'],
    [JSON.parse('{ "nesterov": 1 }'), 'nesterov must be true or false'], // as from a config file, past the types
  ])('invalid options %o: "%s"', (options, message) => {
    expect(() => momentum(options)).toThrow(ConfigError);
    expect(() => momentum(options)).toThrow(`optim-momentum/momentum: ${message}`);
  });
});
