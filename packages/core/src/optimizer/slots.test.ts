import { describe, expect, expectTypeOf, test } from 'vitest';
import { ConfigError, chain, defineOptimizer, scaleByLearningRate, type GradientTransform, type OptimizerState, type ParamRef, type TransformArgs } from '../index';

const ref = (name: string, value: number[], grad: number[]): ParamRef => ({ name, value: Float32Array.from(value), grad: Float32Array.from(grad) });

const NONE: readonly string[] = [];
const BUF = ['buf'];
const BUF_AND_MAX = ['buf', 'max'];

/** Heavy-ball momentum whose buffer exists only with mu > 0, plus a running max of |step| with `keepMax`. */
const lean = defineOptimizer<{ lr: number; mu: number; keepMax: boolean }>({
  name: 'test/lean',
  defaults: { lr: 0.1, mu: 0.9, keepMax: false },
  slots: (h) => (h.mu === 0 ? NONE : h.keepMax ? BUF_AND_MAX : BUF),
  update({ value, grad, slots, hyper }) {
    for (let i = 0; i < value.length; i++) {
      const d = hyper.mu === 0 ? grad[i] : (slots.buf[i] = hyper.mu * slots.buf[i] + grad[i]);
      if (hyper.keepMax) slots.max[i] = Math.max(slots.max[i], Math.abs(d));
      value[i] -= hyper.lr * d;
    }
  },
});

const slotNames = (state: OptimizerState) => Object.fromEntries(Object.entries(state.slots).map(([p, s]) => [p, Object.keys(s)]));

describe('slots chosen by the configuration', () => {
  test('each parameter keeps exactly the slots its group configuration names', () => {
    const opt = lean({ groups: [{ params: ['a'], mu: 0 }, { params: ['b'], keepMax: true }] });
    opt.step([ref('a', [1], [1]), ref('b', [1], [1]), ref('c', [1], [1])]);
    expect(slotNames(opt.stateDict())).toEqual({ a: [], b: ['buf', 'max'], c: ['buf'] });
  });

  test('a slot the configuration starts to need starts from zero, and one it stops needing is dropped', () => {
    const opt = lean();
    const p = ref('w', [0, 0], [1, -2]);
    opt.step([p]); // buf = [1, −2]
    opt.groups[0].hyper.keepMax = true;
    opt.step([p]); // buf = 0.9·buf + g = [1.9, −3.8]; max = max(0, |buf|)
    expect(Array.from(opt.stateDict().slots.w.max)).toEqual([1.9, 3.8].map(Math.fround));
    opt.groups[0].hyper.keepMax = false;
    opt.step([p]);
    expect(slotNames(opt.stateDict())).toEqual({ w: ['buf'] });
  });

  test('a saved state with slots the configuration does not use (as states were saved when every slot was allocated) loads, drops them, and continues identically', () => {
    // Arrange: two steps, then the state as an older version wrote it, with an unused slot of zeros
    const a = lean();
    const p = ref('w', [1, 2, 3], [0.5, -1, 2]);
    a.step([p]);
    a.step([p]);
    const state = a.stateDict();
    const old: OptimizerState = { ...state, slots: { w: { ...state.slots.w, max: new Float32Array(3) } } };
    // Act: the loaded copy and the original take the same two further steps
    const b = lean();
    b.loadStateDict(old);
    const q = ref('w', Array.from(p.value), [0, 0, 0]);
    for (const g of [[0.25, 0.25, -4], [1, -1, 0.5]]) {
      for (const [opt, x] of [[a, p], [b, q]] as const) {
        x.grad.set(g);
        opt.step([x]);
      }
    }
    // Assert
    expect(q.value).toEqual(p.value);
    expect(slotNames(b.stateDict())).toEqual({ w: ['buf'] });
    expect(b.stateDict()).toEqual(a.stateDict());
  });

  test('a saved state lacking a slot its configuration uses is refused, naming the slot, and nothing is applied', () => {
    const src = lean();
    src.step([ref('w', [1], [1])]);
    const state = src.stateDict();
    state.groups[0].keepMax = true;
    const opt = lean();
    expect(() => opt.loadStateDict(state)).toThrow(ConfigError);
    expect(() => opt.loadStateDict(state)).toThrow('test/lean: saved state of "w" lacks slot "max"');
    expect(opt.stepCount).toBe(0);
    expect(opt.hyperFor('w').keepMax).toBe(false);
  });

  test('slot names that are not distinct non-empty strings are refused when the optimizer is defined or built', () => {
    const update = () => undefined;
    expect(() => defineOptimizer({ name: 'test/dup', defaults: { lr: 1 }, slots: ['m', 'm'], update })).toThrow(
      'defineOptimizer("test/dup"): slots must be a list of distinct non-empty slot names, got ["m","m"]',
    );
    const bad = defineOptimizer<{ lr: number; wide: boolean }>({ name: 'test/fn', defaults: { lr: 1, wide: false }, slots: (h) => (h.wide ? ['m', ''] : ['m']), update });
    expect(() => bad({ groups: [{ params: /x/, wide: true }] })).toThrow('test/fn: slots(hyperparameters) must be a list of distinct non-empty slot names, got ["m",""]');
  });
});

describe('typed transforms', () => {
  /** An exponential average of the update, kept only when `decay` > 0. */
  const averaged = (): GradientTransform<{ decay: number }> => ({
    name: 'avg',
    defaults: { decay: 0 },
    slots: (h) => (h.decay > 0 ? ['avg'] : NONE),
    validate: (h) => (h.decay < 0 || h.decay >= 1 ? `decay must be in [0, 1), got ${h.decay}` : undefined),
    update({ update, slots, hyper }) {
      if (hyper.decay === 0) return;
      for (let i = 0; i < update.length; i++) update[i] = slots.avg[i] = hyper.decay * slots.avg[i] + (1 - hyper.decay) * update[i];
    },
  });

  test('a typed transform reads its hyperparameters with their types, and an untyped one as before', () => {
    expectTypeOf<TransformArgs<{ decay: number; on: boolean }>['hyper']['decay']>().toEqualTypeOf<number>();
    expectTypeOf<TransformArgs<{ decay: number; on: boolean }>['hyper']['on']>().toEqualTypeOf<boolean>();
    expectTypeOf<TransformArgs['hyper']['lr']>().toEqualTypeOf<number>();
    expectTypeOf<TransformArgs['hyper']['anything']>().toEqualTypeOf<number | boolean>();
    expect(() => chain('test/avg', averaged(), scaleByLearningRate())({ decay: 1 })).toThrow('test/avg: decay must be in [0, 1), got 1');
  });

  test('a chain keeps a transform slot only where the configuration uses it, per group', () => {
    const make = chain<{ lr: number; decay: number }>('test/avg', averaged(), scaleByLearningRate({ lr: 1 }));
    const opt = make({ groups: [{ params: ['a'], decay: 0.5 }] });
    const [a, b] = [ref('a', [0], [2]), ref('b', [0], [2])];
    opt.step([a, b]);
    expect(slotNames(opt.stateDict())).toEqual({ a: ['0:avg.avg'], b: [] });
    expect([a.value[0], b.value[0]]).toEqual([-1, -2]); // a: u = 0.5·0 + 0.5·2; b: u = g
  });
});
