import { chain, ConfigError, addDecayedWeights, scaleByLearningRate, type Optimizer, type ParamRef } from '@trainkit/core';
import { fc, test as propTest } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import { adagrad, rmsprop, scaleByAdagrad, scaleByRms } from './index';

const ref = (value: number[], grad: number[]): ParamRef => ({ name: 'w', value: Float32Array.from(value), grad: Float32Array.from(grad) });
const vec = fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 1, maxLength: 16 });

describe('adagrad (torch.optim.Adagrad)', () => {
  test('two hand-computed steps with an initial accumulator and lr decay', () => {
    const opt = adagrad({ lr: 0.1, initialAccumulatorValue: 1, lrDecay: 0.5 });
    const p = ref([0], [1]);
    opt.step([p]); // sum = 2; p = −0.1·1/√2 = −0.0707107
    expect(p.value[0]).toBeCloseTo(-0.0707107, 6);
    opt.step([p]); // sum = 3; clr = 0.1/1.5; p −= 0.0666667/√3 = 0.0384900
    expect(p.value[0]).toBeCloseTo(-0.1092007, 6);
  });

  propTest.prop([vec])('equals chain(addDecayedWeights, scaleByAdagrad, scaleByLearningRate)', (values) => {
    const o = { lr: 0.05, lrDecay: 0.01, weightDecay: 0.1, initialAccumulatorValue: 0.1 };
    const chained = chain('test/adagrad', addDecayedWeights(), scaleByAdagrad(), scaleByLearningRate())(o);
    const fused = adagrad(o);
    const a = ref(values, values.map((v) => Math.sin(v)));
    const b = ref(values, values.map((v) => Math.sin(v)));
    for (let t = 0; t < 5; t++) {
      fused.step([a]);
      chained.step([b]);
    }
    a.value.forEach((v, i) => expect(v).toBeCloseTo(b.value[i], 5));
  });
});

describe('rmsprop (torch.optim.RMSprop)', () => {
  test('one hand-computed step: sq = 0.01·g², p −= lr·g/(√sq + eps)', () => {
    const p = ref([0], [2]);
    rmsprop({ lr: 0.01 }).step([p]); // sq = 0.04; √ = 0.2; p = −0.01·2/0.2 = −0.1
    expect(p.value[0]).toBeCloseTo(-0.1, 6);
  });

  for (const o of [{ lr: 0.01 }, { lr: 0.01, centered: true, momentum: 0.9, weightDecay: 0.01 }]) {
    propTest.prop([vec])(`${JSON.stringify(o)} equals its chain of transforms`, (values) => {
      const chained = chain('test/rms', addDecayedWeights(), scaleByRms(), scaleByLearningRate())(o);
      const fused = rmsprop(o);
      const a = ref(values, values.map((v) => Math.cos(2 * v) + 0.5));
      const b = ref(values, values.map((v) => Math.cos(2 * v) + 0.5));
      for (let t = 0; t < 5; t++) {
        fused.step([a]);
        chained.step([b]);
      }
      a.value.forEach((v, i) => expect(Math.abs(v - b.value[i])).toBeLessThanOrEqual(1e-4 * Math.abs(v) + 1e-5));
    });
  }

  test.each([
    [() => rmsprop({ alpha: 1 }), 'optim-adaptive/rmsprop: alpha must be in [0, 1), got 1'],
    [() => rmsprop({ eps: -1 }), 'optim-adaptive/rmsprop: eps must be > 0, got -1'],
    [() => rmsprop({ momentum: -0.5 }), 'optim-adaptive/rmsprop: momentum must be ≥ 0, got -0.5'],
    [() => adagrad({ lrDecay: -1 }), 'optim-adaptive/adagrad: lrDecay must be ≥ 0, got -1'],
    [() => adagrad({ initialAccumulatorValue: -1 }), 'optim-adaptive/adagrad: initialAccumulatorValue must be ≥ 0, got -1'],
  ])('invalid options: %s', (make, message) => {
    expect(make).toThrow(ConfigError);
    expect(make).toThrow(message);
  });
});

describe('options torch has and these do not', () => {
  test.each([
    ['adagrad', adagrad, 'maximize'],
    ['adagrad', adagrad, 'lr_decay'],
    ['rmsprop', rmsprop, 'maximize'],
    ['rmsprop', rmsprop, 'foreach'],
  ] as const)('%s refuses %s by name, never silently ignoring it', (name, make, option) => {
    expect(() => make({ [option]: true } as never)).toThrow(`optim-adaptive/${name}: unknown option "${option}"`);
  });
});

describe("slots (as torch.optim's state: square_avg; grad_avg only when centered; momentum_buffer only with momentum > 0; Adagrad's sum)", () => {
  const slotsAfterOneStep = (opt: Optimizer) => {
    opt.step([ref([1, 2], [0.5, -0.5])]);
    return Object.keys(opt.stateDict().slots.w);
  };

  test.each([
    ['rmsprop()', rmsprop(), ['squareAvg']],
    ['rmsprop({ centered: true })', rmsprop({ centered: true }), ['squareAvg', 'gradAvg']],
    ['rmsprop({ momentum: 0.9 })', rmsprop({ momentum: 0.9 }), ['squareAvg', 'momentumBuffer']],
    ['rmsprop({ centered: true, momentum: 0.9 })', rmsprop({ centered: true, momentum: 0.9 }), ['squareAvg', 'gradAvg', 'momentumBuffer']],
    ['chain(scaleByRms({ centered: true }), …)', chain('test/rms', scaleByRms({ centered: true }), scaleByLearningRate())(), ['0:scaleByRms.squareAvg', '0:scaleByRms.gradAvg']],
    ['adagrad()', adagrad(), ['sum']],
  ])('%s keeps %o', (_, opt, expected) => {
    expect(slotsAfterOneStep(opt)).toEqual(expected);
  });

  test('an RMSProp state saved with every slot (zero gradAvg and momentumBuffer for plain RMSProp) loads and continues identically', () => {
    // Arrange: two steps, then the state as it was saved when all three slots were always allocated
    const a = rmsprop({ lr: 0.01 });
    const p = ref([1, -2, 3], [0.5, 0.25, -1]);
    a.step([p]);
    a.step([p]);
    const state = a.stateDict();
    const zeros = () => new Float32Array(3);
    const old = { ...state, slots: { w: { squareAvg: state.slots.w.squareAvg, gradAvg: zeros(), momentumBuffer: zeros() } } };
    // Act
    const b = rmsprop({ lr: 0.01 });
    b.loadStateDict(old);
    const q = ref(Array.from(p.value), [2, -2, 0.125]);
    p.grad.set(q.grad);
    a.step([p]);
    b.step([q]);
    // Assert
    expect(q.value).toEqual(p.value);
    expect(b.stateDict()).toEqual(a.stateDict());
  });
});
