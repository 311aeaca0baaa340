import { Tensor, mul, setKernelBackend, sum } from '@trainkit/tensor';
import { afterEach, describe, expect, test } from 'vitest';
import { ConfigError, type ParamRef, defineOptimizer } from './index';

afterEach(() => setKernelBackend('auto'));

/** A JS momentum update, so these tests depend only on where the arrays live. */
const traced = (resident: boolean) =>
  defineOptimizer<{ lr: number; mu: number }>({
    name: 'test/traced',
    defaults: { lr: 0.1, mu: 0.9 },
    slots: ['buf'],
    resident,
    update({ value, grad, slots }) {
      for (let i = 0; i < value.length; i++) {
        slots.buf[i] = 0.9 * slots.buf[i] + grad[i];
        value[i] -= 0.1 * slots.buf[i];
      }
    },
  });

/** The same momentum with a second slot, `max`, only when `keepMax`; records the slots the last update saw. */
const lastSlots = new Map<boolean, Readonly<Record<string, Float32Array>>>();
const withMax = (resident: boolean) =>
  defineOptimizer<{ lr: number; keepMax: boolean }>({
    name: 'test/with-max',
    defaults: { lr: 0.1, keepMax: false },
    slots: (h) => (h.keepMax ? ['buf', 'max'] : ['buf']),
    resident,
    update({ value, grad, slots, hyper }) {
      lastSlots.set(resident, slots);
      for (let i = 0; i < value.length; i++) {
        slots.buf[i] = 0.9 * slots.buf[i] + grad[i];
        if (hyper.keepMax) slots.max[i] = Math.max(slots.max[i], slots.buf[i]);
        value[i] -= 0.1 * slots.buf[i];
      }
    },
  });

/** Parameters as tensors with refs rebuilt each step, as the Trainer does; counts moves. */
function model(sizes: Record<string, number>) {
  const tensors = Object.entries(sizes).map(([name, n]) => {
    const t = new Tensor(Float32Array.from({ length: n }, (_, i) => Math.sin(i + n)), [n], { requiresGrad: true });
    t.grad = new Float32Array(n);
    return { name, t };
  });
  let moves = 0;
  const refs = (names = tensors.map((x) => x.name)): ParamRef[] =>
    tensors
      .filter((x) => names.includes(x.name))
      .map(({ name, t }) => ({
        name,
        value: t.data,
        grad: t.grad as Float32Array,
        move: (v, g) => {
          moves++;
          t.moveTo(v, g);
        },
      }));
  const setGrads = (step: number) => {
    for (const { t } of tensors) (t.grad as Float32Array).forEach((_, i, g) => (g[i] = Math.cos(i * step)));
  };
  return { tensors, refs, setGrads, moves: () => moves };
}

describe('resident optimizers (parameters, gradients and slots in one WebAssembly block)', () => {
  test('each parameter moves once, and the updates equal those of a non-resident optimizer', () => {
    const a = model({ w: 50, b: 3 });
    const b = model({ w: 50, b: 3 });
    const resident = traced(true)();
    const plain = traced(false)();
    for (let step = 1; step <= 4; step++) {
      a.setGrads(step);
      b.setGrads(step);
      resident.step(a.refs());
      plain.step(b.refs());
    }
    expect(a.moves()).toBe(2);
    expect(b.moves()).toBe(0);
    a.tensors.forEach(({ t }, i) => expect(Array.from(t.data)).toEqual(Array.from(b.tensors[i].t.data)));
    expect(resident.stateDict().slots).toEqual(plain.stateDict().slots);
  });

  test('a parameter shares its block with its gradient and slots; later parameters get a block of their own', () => {
    const m = model({ w: 8, late: 5 });
    const opt = traced(true)();
    m.setGrads(1);
    opt.step(m.refs(['w']));
    const [w, late] = m.tensors.map((x) => x.t);
    expect(w.data.buffer).toBe(w.grad?.buffer);
    expect(w.data.byteOffset % 16).toBe(0);
    opt.step(m.refs());
    expect(m.moves()).toBe(2);
    expect(late.data.buffer).not.toBe(w.data.buffer);
    expect(late.data.buffer).toBe(late.grad?.buffer);
  });

  test('the gradient keeps accumulating into the moved buffer (backward writes where grad points)', () => {
    const m = model({ w: 4 });
    const opt = traced(true)();
    m.setGrads(1);
    opt.step(m.refs());
    const t = m.tensors[0].t;
    t.zeroGrad();
    const x = new Tensor(Float32Array.of(1, 2, 3, 4), [4]);
    sum(mul(t, x)).backward();
    expect(Array.from(t.grad as Float32Array)).toEqual([1, 2, 3, 4]);
  });

  test('loadStateDict writes into the resident slots, and the next steps match a fresh non-resident copy', () => {
    const a = model({ w: 20 });
    const opt = traced(true)();
    a.setGrads(1);
    opt.step(a.refs());
    const saved = opt.stateDict();
    const values = a.tensors[0].t.data.slice();
    a.setGrads(2);
    opt.step(a.refs()); // diverge, then restore
    opt.loadStateDict(saved);
    a.tensors[0].t.data.set(values);
    const b = model({ w: 20 });
    b.tensors[0].t.data.set(values);
    const plain = traced(false)();
    plain.loadStateDict(saved);
    for (let step = 2; step <= 3; step++) {
      a.setGrads(step);
      b.setGrads(step);
      opt.step(a.refs());
      plain.step(b.refs());
    }
    expect(a.moves()).toBe(1);
    expect(Array.from(a.tensors[0].t.data)).toEqual(Array.from(b.tensors[0].t.data));
  });

  test('state loaded before the first step is carried into the block', () => {
    const a = model({ w: 6 });
    const src = traced(false)();
    const b = model({ w: 6 });
    b.setGrads(1);
    src.step(b.refs());
    const opt = traced(true)();
    opt.loadStateDict(src.stateDict());
    a.tensors[0].t.data.set(b.tensors[0].t.data);
    a.setGrads(2);
    b.setGrads(2);
    opt.step(a.refs());
    src.step(b.refs());
    expect(a.moves()).toBe(1);
    expect(Array.from(a.tensors[0].t.data)).toEqual(Array.from(b.tensors[0].t.data));
  });

  test('the block holds only the slots the configuration names; a slot needed later moves the parameter once more, and the numbers equal a non-resident run', () => {
    // Arrange
    const a = model({ w: 40 });
    const b = model({ w: 40 });
    const resident = withMax(true)();
    const plain = withMax(false)();
    const stepBoth = (step: number) => {
      a.setGrads(step);
      b.setGrads(step);
      resident.step(a.refs());
      plain.step(b.refs());
    };
    // Act and Assert
    stepBoth(1);
    const t = a.tensors[0].t;
    expect(Object.keys(lastSlots.get(true) ?? {})).toEqual(['buf']);
    expect(lastSlots.get(true)?.buf.buffer).toBe(t.data.buffer);
    expect(a.moves()).toBe(1);
    for (const opt of [resident, plain]) opt.groups[0].hyper.keepMax = true;
    stepBoth(2);
    stepBoth(3);
    expect(Object.keys(lastSlots.get(true) ?? {})).toEqual(['buf', 'max']);
    expect(lastSlots.get(true)?.max.buffer).toBe(t.data.buffer);
    expect(a.moves()).toBe(2);
    expect(Array.from(t.data)).toEqual(Array.from(b.tensors[0].t.data));
    expect(resident.stateDict().slots).toEqual(plain.stateDict().slots);
  });

  test('with the JS kernels nothing moves', () => {
    setKernelBackend('js');
    const m = model({ w: 10 });
    m.setGrads(1);
    traced(true)().step(m.refs());
    expect(m.moves()).toBe(0);
  });

  test('a parameter whose size changed under the same name is still a clear error', () => {
    const opt = traced(true)();
    const m = model({ w: 10 });
    m.setGrads(1);
    opt.step(m.refs());
    const other = model({ w: 12 });
    other.setGrads(1);
    expect(() => opt.step(other.refs())).toThrow(ConfigError);
    expect(() => opt.step(other.refs())).toThrow('test/traced: parameter "w" has 12 values but its optimizer state has 10');
  });

  test('a NaN in a resident gradient is found before anything changes', () => {
    const m = model({ w: 37 });
    const opt = traced(true)();
    m.setGrads(1);
    opt.step(m.refs());
    const t = m.tensors[0].t;
    (t.grad as Float32Array)[29] = Number.NaN;
    const before = t.data.slice();
    expect(() => opt.step(m.refs())).toThrow(/is NaN at element 29 in step 2/);
    expect(t.data).toEqual(before);
  });
});
