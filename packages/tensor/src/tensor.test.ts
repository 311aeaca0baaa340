import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { finite, leaf, shapeOf, specFrom } from './__tests__/arbitraries';
import { add, exp, mul, square, tanh } from './ops/elementwise';
import { linear } from './ops/matmul';
import { sum } from './ops/reduce';
import { ValueError } from './shape';
import { Tensor, backward, isGradEnabled, noGrad } from './tensor';

const anySpec = specFrom(shapeOf(0, 3));

describe('backward', () => {
  test.prop([anySpec])('gradients accumulate across two backward calls: two forward/backward passes give twice the gradient', (spec) => {
    const x = leaf(spec);
    const loss = () => sum(mul(tanh(x), x));
    loss().backward();
    const once = Array.from(x.grad ?? []);
    loss().backward();
    (x.grad ?? []).forEach((g, i) => expect(g).toBeCloseTo(2 * once[i], 5));
  });

  test.prop([anySpec])('zeroGrad resets the accumulated gradient in place (same buffer)', (spec) => {
    const x = leaf(spec);
    sum(square(x)).backward();
    const buffer = x.grad;
    x.zeroGrad();
    expect(x.grad).toBe(buffer);
    expect(Array.from(x.grad ?? [])).toEqual(new Array(x.size).fill(0));
  });

  test.prop([anySpec])('a tensor used twice receives the sum of both paths: d/dx Σ(x·x + x) = 2x + 1', (spec) => {
    const x = leaf(spec);
    sum(add(mul(x, x), x)).backward();
    x.data.forEach((v, i) => expect(x.grad?.[i]).toBeCloseTo(2 * v + 1, 5));
  });

  test('backward on a non-scalar without a seed throws a ShapeError naming the shape', () => {
    const y = square(new Tensor(new Float32Array(6), [2, 3], { requiresGrad: true }));
    expect(() => y.backward()).toThrow('backward: called on a tensor of shape [2, 3]; pass a seed gradient or reduce to a scalar');
  });

  test('backward with a seed of the wrong size, or on a tensor that does not require gradients, throws', () => {
    const y = square(new Tensor(new Float32Array(6), [2, 3], { requiresGrad: true }));
    expect(() => y.backward(new Float32Array(5))).toThrow('backward: seed has 5 elements, tensor has 6');
    expect(() => new Tensor(new Float32Array(1), []).backward()).toThrow('backward: tensor (op "leaf") does not require gradients');
  });

  test('backward twice through a released graph throws instead of silently dropping gradients', () => {
    const x = new Tensor(Float32Array.of(1, 2), [2], { requiresGrad: true });
    const h = exp(x);
    const loss1 = sum(h);
    loss1.backward();
    expect(() => loss1.backward()).toThrow('backward: the graph through "sum" (shape []) was already released');
    // a second loss built on the released intermediate h would give x no gradient from h
    expect(() => sum(square(h)).backward()).toThrow('backward: the graph through "exp" (shape [2]) was already released');
    // with h detached it is an honest constant
    sum(mul(h.detach(), x)).backward();
    expect(x.grad?.[0]).toBeCloseTo(2 * Math.E, 5);
  });

  test.prop([anySpec])('an observer sees every op node once, in reverse order, and the gradients are those of a plain backward', (spec) => {
    const x = leaf(spec);
    const loss = () => sum(mul(tanh(x), exp(x)));
    loss().backward();
    const plain = Array.from(x.grad ?? []);
    x.zeroGrad();
    const seen: string[] = [];
    backward(loss(), undefined, (node, run) => {
      seen.push(node.op);
      run();
    });
    expect(seen).toEqual(['sum', 'mul', 'exp', 'tanh']);
    expect(Array.from(x.grad ?? [])).toEqual(plain);
  });

  test('backward handles a graph 20 000 ops deep (no recursion limit)', () => {
    const x = new Tensor(Float32Array.of(0), [], { requiresGrad: true });
    let y = x;
    for (let i = 0; i < 20_000; i++) y = add(y, 1);
    y.backward();
    expect(x.grad?.[0]).toBe(1);
  });
});

describe('gradient buffers of intermediate results', () => {
  test.prop([fc.integer({ min: 1024, max: 3000 }), fc.integer({ min: 1, max: 4 })])(
    'are recycled between backward passes without leaking values: every pass gives the gradients of the first',
    (n, passes) => {
      const x = new Tensor(Float32Array.from({ length: n }, (_, i) => Math.sin(i)), [n], { requiresGrad: true });
      const grads: Float32Array[] = [];
      for (let k = 0; k < passes + 1; k++) {
        const h = tanh(mul(x, x)); // intermediates of n ≥ 1024 values go back to the pool
        const out = sum(add(h, exp(h)));
        out.backward();
        expect(h.grad, 'an intermediate keeps no gradient after backward').toBeNull();
        grads.push((x.grad as Float32Array).slice());
        x.zeroGrad();
      }
      for (const g of grads) expect(g).toEqual(grads[0]);
    },
  );
});

describe('requiresGrad and noGrad', () => {
  test.prop([anySpec])('noGrad records no graph: the result has requiresGrad false even when inputs require gradients', (spec) => {
    const x = leaf(spec);
    const y = noGrad(() => square(x));
    expect(y.requiresGrad).toBe(false);
    expect(y._parents).toHaveLength(0);
    expect(isGradEnabled()).toBe(true);
  });

  test('noGrad refuses an async callback, whose operations after the first await would be recorded, with a ValueError saying so', () => {
    const x = new Tensor(Float32Array.of(1, 2), [2], { requiresGrad: true });
    const evaluate = async (): Promise<Tensor> => {
      await Promise.resolve();
      return square(x);
    };
    expect(() => noGrad(evaluate)).toThrow(ValueError);
    expect(() => noGrad(evaluate)).toThrow('noGrad: the callback returned a Promise; operations after its first await would run with gradients recorded');
    expect(isGradEnabled()).toBe(true);
  });

  test('noGrad restores the previous mode after its callback throws, and nests', () => {
    expect(() =>
      noGrad(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(isGradEnabled()).toBe(true);
    noGrad(() => {
      noGrad(() => expect(isGradEnabled()).toBe(false));
      expect(isGradEnabled()).toBe(false);
    });
    expect(isGradEnabled()).toBe(true);
  });

  test.prop([fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), finite()])(
    'frozen inputs (requiresGrad false) get no gradient buffer: grad stays null',
    (n, i, o, v) => {
      const x = new Tensor(new Float32Array(n * i).fill(v), [n, i]);
      const w = new Tensor(new Float32Array(o * i).fill(v), [o, i], { requiresGrad: true });
      const frozenBias = new Tensor(new Float32Array(o), [o]);
      sum(linear(x, w, frozenBias)).backward();
      expect(x.grad).toBeNull();
      expect(frozenBias.grad).toBeNull();
      expect(w.grad).not.toBeNull();
    },
  );

  test('an op whose inputs are all frozen returns a plain leaf, so backward has nothing to do', () => {
    const y = square(new Tensor(Float32Array.of(3), []));
    expect(y.requiresGrad).toBe(false);
    expect(y.op).toBe('square');
  });
});

describe('Tensor', () => {
  test('the constructor rejects data that does not fill the shape, or an invalid shape', () => {
    expect(() => new Tensor(new Float32Array(5), [2, 3])).toThrow('Tensor: data has 5 elements but shape [2, 3] needs 6');
    expect(() => new Tensor(new Float32Array(0), [-1])).toThrow('Tensor: invalid shape [-1]');
  });

  test('detach shares data and drops the graph; clone copies the data', () => {
    const x = new Tensor(Float32Array.of(1, 2), [2], { requiresGrad: true });
    const d = x.detach();
    const c = x.clone();
    expect(d.data).toBe(x.data);
    expect(d.requiresGrad).toBe(false);
    expect(c.data).not.toBe(x.data);
    expect(c.toArray()).toEqual([1, 2]);
  });

  test('item() needs exactly one element', () => {
    expect(new Tensor(Float32Array.of(4), []).item()).toBe(4);
    expect(() => new Tensor(new Float32Array(2), [2]).item()).toThrow('item: tensor has shape [2], expected one element');
  });
});
