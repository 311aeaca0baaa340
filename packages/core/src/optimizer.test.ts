import { describe, expect, test } from 'vitest';
import { fc, test as propTest } from '@fast-check/vitest';
import { ConfigError, defineOptimizer, sgd, type ParamRef } from './index';

const ref = (name: string, value: number[], grad: number[]): ParamRef => ({ name, value: Float32Array.from(value), grad: Float32Array.from(grad) });

describe('sgd (torch.optim.SGD with momentum 0)', () => {
  test('two hand-computed steps with weight decay', () => {
    const opt = sgd({ lr: 0.1, weightDecay: 0.5 });
    const p = ref('w', [1, -2], [0.2, 0.4]);
    opt.step([p]);
    // g' = g + 0.5·p = [0.7, -0.6]; p = p − 0.1·g' = [0.93, −1.94]
    expect(p.value[0]).toBeCloseTo(0.93, 6);
    expect(p.value[1]).toBeCloseTo(-1.94, 6);
    opt.step([p]);
    // g' = [0.2 + 0.465, 0.4 − 0.97] = [0.665, −0.57]; p = [0.93 − 0.0665, −1.94 + 0.057]
    expect(p.value[0]).toBeCloseTo(0.8635, 6);
    expect(p.value[1]).toBeCloseTo(-1.883, 6);
    expect(opt.stepCount).toBe(2);
  });

  propTest.prop([fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 1, maxLength: 20 }), fc.double({ min: 0, max: 1, noNaN: true })])(
    'a zero gradient leaves parameters unchanged when weightDecay is 0',
    (values, lr) => {
      const p = ref('w', values, values.map(() => 0));
      const before = p.value.slice();
      sgd({ lr }).step([p]);
      expect(p.value).toEqual(before);
    },
  );

  test.each([
    [{ lr: -1 }, 'core/sgd: lr must be ≥ 0, got -1'],
    [{ lr: NaN }, 'core/sgd: lr must be a finite number, got NaN'],
    [{ weightDecay: -0.1 }, 'core/sgd: weightDecay must be ≥ 0, got -0.1'],
    [JSON.parse('{ "momentum": 0.9 }'), 'core/sgd: unknown option "momentum"'], // as from a config file, past the types
  ])('invalid options %o are rejected: %s', (options, message) => {
    expect(() => sgd(options)).toThrow(ConfigError);
    expect(() => sgd(options)).toThrow(message);
  });
});

describe('defineOptimizer', () => {
  // a tiny Adagrad-like optimizer with one slot, to exercise the bookkeeping
  const accum = defineOptimizer({
    name: 'test/accum',
    defaults: { lr: 0.1, eps: 1e-8 },
    slots: ['sum'],
    update({ value, grad, slots, hyper, step }) {
      const s = slots.sum;
      for (let i = 0; i < value.length; i++) {
        s[i] += grad[i] * grad[i];
        value[i] -= (hyper.lr / step) * grad[i] / (Math.sqrt(s[i]) + hyper.eps);
      }
    },
  });

  test('parameter groups: the first matching group wins, others use the defaults', () => {
    const opt = sgd({ lr: 0.1, groups: [{ params: /bias$/, lr: 0.01 }, { params: ['fc.weight'], weightDecay: 0.1 }] });
    expect(opt.hyperFor('fc.bias').lr).toBe(0.01);
    expect(opt.hyperFor('fc.weight')).toEqual({ lr: 0.1, weightDecay: 0.1 });
    expect(opt.hyperFor('conv.weight')).toEqual({ lr: 0.1, weightDecay: 0 });
  });

  test('setting lr scales every group by the same factor (what schedules rely on)', () => {
    const opt = sgd({ lr: 0.1, groups: [{ params: /^backbone/, lr: 0.01 }] });
    opt.lr = 0.05;
    expect(opt.hyperFor('head.weight').lr).toBeCloseTo(0.05);
    expect(opt.hyperFor('backbone.weight').lr).toBeCloseTo(0.005);
    expect(() => (opt.lr = -1)).toThrow(/lr must be a finite number ≥ 0/);
  });

  test('state round-trips through stateDict/loadStateDict and the next step is identical', () => {
    const a = accum();
    const pa = ref('w', [1, 2, 3], [0.5, -1, 2]);
    a.step([pa]);
    a.step([pa]);
    const state = structuredClone(a.stateDict());
    const b = accum();
    b.loadStateDict(state);
    const pb = ref('w', Array.from(pa.value), [0.3, 0.3, -0.3]);
    pa.grad.set(pb.grad);
    a.step([pa]);
    b.step([pb]);
    expect(pb.value).toEqual(pa.value);
    expect(b.stateDict()).toEqual(a.stateDict());
  });

  test('a frozen parameter (not passed to step) keeps its own step count', () => {
    const opt = accum();
    const w = ref('w', [1], [1]);
    const b = ref('b', [1], [1]);
    opt.step([w, b]);
    opt.step([w]);
    expect(opt.stateDict().paramSteps).toEqual({ w: 2, b: 1 });
  });

  test('loading state from another optimizer or with missing slots is a clear error', () => {
    const s = sgd().stateDict();
    expect(() => accum().loadStateDict(s)).toThrow('test/accum: cannot load state saved by "core/sgd"');
    const bad = accum().stateDict();
    bad.slots = { w: {} };
    expect(() => accum().loadStateDict(bad)).toThrow('test/accum: saved state of "w" lacks slot "sum"');
  });

  test('loadStateDict checks every group before it applies any (a bad second group leaves the first as it was)', () => {
    const opt = sgd({ lr: 0.1, groups: [{ params: /bias$/, lr: 0.01 }] });
    const state = opt.stateDict();
    state.groups = [{ ...state.groups[0], lr: 0.5 }, { ...state.groups[1], lr: -1 }];
    expect(() => opt.loadStateDict(state)).toThrow('core/sgd: lr must be ≥ 0 (saved parameter group 1), got -1');
    expect(opt.hyperFor('fc.bias').lr).toBe(0.01);
  });

  test('a parameter whose size changed under the same name is refused before the step counts advance', () => {
    const opt = accum();
    opt.step([ref('w', [1, 2, 3], [1, 1, 1])]);
    expect(() => opt.step([ref('w', [1, 2, 3, 4], [1, 1, 1, 1])])).toThrow('test/accum: parameter "w" has 4 values but its optimizer state has 3');
    expect(opt.stepCount).toBe(1);
    expect(opt.stateDict().paramSteps).toEqual({ w: 1 });
  });

  describe('a parameter replaced under the same name (a new head) starts with fresh state, as a new parameter in PyTorch', () => {
    const keyed = (name: string, key: object, value: number[], grad: number[]): ParamRef => ({ ...ref(name, value, grad), key });

    test('its first step equals a fresh optimizer\'s first step; the parameters that stayed keep their state', () => {
      const opt = accum();
      const [body, oldHead, newHead] = [{}, {}, {}];
      for (let i = 0; i < 3; i++) opt.step([keyed('body', body, [1, 2], [0.5, 0.5]), keyed('head', oldHead, [1, 2], [2, 2])]);
      const head = keyed('head', newHead, [1, 2], [0.3, -0.3]);
      opt.step([keyed('body', body, [1, 2], [0.5, 0.5]), head]);
      const fresh = ref('head', [1, 2], [0.3, -0.3]);
      accum().step([fresh]);
      expect(head.value).toEqual(fresh.value);
      expect(opt.stateDict().paramSteps).toEqual({ body: 4, head: 1 });
      expect(opt.stateDict().slots.body.sum).toEqual(Float32Array.of(1, 1));
    });

    test('a replacement of another size is taken (the old state was refused as a size mismatch before), and without a key state follows the name', () => {
      const opt = accum();
      opt.step([keyed('head', {}, [1, 2, 3], [1, 1, 1])]);
      opt.step([keyed('head', {}, [1, 2], [1, 1])]);
      expect(opt.stateDict().paramSteps).toEqual({ head: 1 });
      opt.step([ref('head', [1, 2], [1, 1])]);
      expect(opt.stateDict().paramSteps).toEqual({ head: 2 });
    });

    test('a refused step drops nothing; adopt() (what a device backend calls) drops the state of a rebound name; a loaded state binds to the next parameters', () => {
      const opt = accum();
      const a = {};
      opt.step([keyed('w', a, [1], [1])]);
      expect(() => opt.step([keyed('w', {}, [1], [Number.NaN])])).toThrow(/non-finite|NaN/i);
      expect(opt.stateDict().paramSteps).toEqual({ w: 1 });
      const saved = opt.stateDict();
      opt.adopt?.([{ name: 'w', key: {} }]);
      expect(opt.stateDict().paramSteps).toEqual({});
      opt.loadStateDict(saved);
      opt.step([keyed('w', {}, [1], [1])]); // resume into a new model instance: the loaded state is its own
      expect(opt.stateDict().paramSteps).toEqual({ w: 2 });
    });
  });

  test('the same parameter name twice in one step is refused before anything changes (they would share and double-count state)', () => {
    const opt = accum();
    const a = ref('w', [1, 1], [1, 1]);
    expect(() => opt.step([a, ref('w', [1, 1, 1], [1, 1, 1])])).toThrow('test/accum: parameter "w" is passed twice to one step; each parameter needs its own name');
    expect([opt.stepCount, Array.from(a.value)]).toEqual([0, [1, 1]]);
  });

  test.each([
    [{ step: 'two' }, 'test/accum: saved step must be an integer ≥ 0, got "two"'],
    [{ paramSteps: { w: Number.NaN } }, 'test/accum: saved step count of "w" must be an integer ≥ 0, got null'],
    [{ paramSteps: { w: -1 } }, 'test/accum: saved step count of "w" must be an integer ≥ 0, got -1'],
    [{ paramSteps: {} }, 'test/accum: saved state of "w" has slots but no step count in paramSteps'],
    [{ slots: { w: { sum: Float32Array.of(1, Number.NaN) } } }, 'test/accum: saved slot "sum" of "w" holds NaN at element 1; the state is corrupt'],
    [{ slots: { w: { sum: [1, 2] } } }, 'test/accum: saved slot "sum" of "w" is an Array, expected a Float32Array'],
    [{ slots: { w: { sum: Float64Array.of(1, 2) } } }, 'test/accum: saved slot "sum" of "w" is a Float64Array, expected a Float32Array'],
  ])('a saved state with %o is refused, naming what is wrong, and the optimizer keeps its own state', (patch, message) => {
    const opt = accum();
    opt.step([ref('w', [1, 2], [1, 1])]);
    const before = opt.stateDict();
    const bad = { ...structuredClone(before), ...(patch as object) };
    expect(() => opt.loadStateDict(bad as never)).toThrow(message);
    expect(opt.stateDict()).toEqual(before);
  });

  test.each([
    [{ groups: [{ params: ['w'], learningRate: 0.1 }] }, 'test/accum: parameter group 0: unknown option "learningRate" (known: lr, eps, params)'],
    [{ groups: [{ lr: 0.1 }] }, 'test/accum: parameter group 0: params must be a list of parameter names, a RegExp or a function of the name, got undefined'],
    [{ groups: [{ params: 'w', lr: 0.1 }] }, 'test/accum: parameter group 0: params must be a list of parameter names, a RegExp or a function of the name, got "w"'],
  ])('a malformed parameter group %o is refused when the optimizer is built', (options, message) => {
    expect(() => accum(options as never)).toThrow(message);
  });

  test('a hyperparameter set by hand between steps is checked at the next step, naming the group, before anything changes', () => {
    const opt = accum({ groups: [{ params: ['b'], lr: 0.5 }] });
    const a = ref('a', [1], [1]);
    opt.step([a]);
    const before = Array.from(a.value);
    (opt.groups[0].hyper as { eps: number }).eps = Number.NaN;
    expect(() => opt.step([a])).toThrow('test/accum: eps must be a finite number (parameter group 0), got NaN');
    (opt.groups[0].hyper as { eps: number }).eps = 1e-8;
    (opt.groups[1].hyper as { lr: number }).lr = -1;
    expect(() => opt.step([a])).toThrow('test/accum: lr must be ≥ 0, got -1');
    expect([opt.stepCount, Array.from(a.value)]).toEqual([1, before]);
  });

  test('invalid hyperparameters inside a group name the group', () => {
    expect(() => sgd({ groups: [{ params: /x/, lr: -2 }] })).toThrow('core/sgd: lr must be ≥ 0 (parameter group 0), got -2');
  });
});
