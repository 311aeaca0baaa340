import { fc, test as propTest } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import { ConfigError, addDecayedWeights, chain, clipByGlobalNorm, clipByValue, globalNorm, scaleByLearningRate, sgd, type GradientTransform, type ParamRef } from './index';

const ref = (name: string, value: number[], grad: number[]): ParamRef => ({ name, value: Float32Array.from(value), grad: Float32Array.from(grad) });
const vec = fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 1, maxLength: 12 });

describe('chain', () => {
  propTest.prop([vec, fc.double({ min: 0, max: 0.5, noNaN: true })])('sgd equals chain(addDecayedWeights, scaleByLearningRate) (rtol 1e-6)', (values, wd) => {
    const plain = chain('test/sgd', addDecayedWeights(), scaleByLearningRate({ lr: 0.01 }));
    const a = ref('w', values, values.map((v) => Math.sin(v)));
    const b = ref('w', values, values.map((v) => Math.sin(v)));
    sgd({ lr: 0.1, weightDecay: wd }).step([a]);
    plain({ lr: 0.1, weightDecay: wd }).step([b]);
    a.value.forEach((v, i) => expect(Math.abs(v - b.value[i])).toBeLessThanOrEqual(1e-6 * Math.abs(v) + 1e-7));
  });

  test('the gradient buffers are not modified by a chain step', () => {
    const p = ref('w', [1, 2], [3, 4]);
    chain('test/x', clipByValue({ clipValue: 1 }), scaleByLearningRate({ lr: 1 }))().step([p]);
    expect(Array.from(p.grad)).toEqual([3, 4]);
    expect(Array.from(p.value)).toEqual([0, 1]);
  });

  propTest.prop([fc.array(vec, { minLength: 1, maxLength: 4 }), fc.double({ min: 0.1, max: 5, noNaN: true })])(
    'clipByGlobalNorm leaves the global norm at most maxNorm and keeps directions',
    (grads, maxNorm) => {
      const params = grads.map((g, i) => ref(`p${i}`, g.map(() => 0), g));
      chain('test/clip', clipByGlobalNorm({ maxNorm }), scaleByLearningRate({ lr: 1 }))().step(params);
      // with lr = 1 the parameters (from 0) equal minus the clipped updates
      const norm = globalNorm(params.map((p) => p.value));
      expect(norm).toBeLessThanOrEqual(maxNorm * (1 + 1e-5));
      const scale = Math.min(1, maxNorm / (globalNorm(params.map((p) => p.grad)) + 1e-6));
      params.forEach((p) => p.value.forEach((v, i) => expect(-v).toBeCloseTo(p.grad[i] * scale, 4)));
    },
  );

  test('transforms declaring the same hyperparameter with different defaults are rejected', () => {
    const a: GradientTransform = { name: 'a', defaults: { eps: 1e-8 } };
    const b: GradientTransform = { name: 'b', defaults: { eps: 1e-10 } };
    expect(() => chain('test/bad', a, b, scaleByLearningRate())).toThrow('chain("test/bad"): hyperparameter "eps" is declared by both a (default 1e-8) and b (default 1e-10)');
  });

  test('a chain without a learning rate says how to fix it', () => {
    expect(() => chain('test/nolr', clipByValue())).toThrow(ConfigError);
    expect(() => chain('test/nolr', clipByValue())).toThrow(/end the chain with scaleByLearningRate/);
  });

  test('transform validation runs at construction, also per group', () => {
    const opt = chain<{ lr: number; clipValue: number }>('test/v', clipByValue(), scaleByLearningRate());
    expect(() => opt({ clipValue: 0 })).toThrow('test/v: clipValue must be > 0, got 0');
    expect(() => opt({ groups: [{ params: /b/, clipValue: -1 }] })).toThrow('test/v: clipValue must be > 0, got -1 (parameter group 0)');
  });

  test('chain state round-trips with per-transform slot names', () => {
    const t: GradientTransform = {
      name: 'count',
      defaults: {},
      slots: ['n'],
      update: ({ slots, update }) => {
        for (let i = 0; i < update.length; i++) update[i] = ++slots.n[i];
      },
    };
    const make = chain('test/count', t, scaleByLearningRate({ lr: 1 }));
    const a = make();
    const p = ref('w', [0], [0]);
    a.step([p]);
    a.step([p]);
    const state = a.stateDict();
    expect(Object.keys(state.slots.w)).toEqual(['0:count.n']);
    const b = make();
    b.loadStateDict(structuredClone(state));
    const q = ref('w', [p.value[0]], [0]);
    a.step([p]);
    b.step([q]);
    expect(q.value).toEqual(p.value);
  });
});
