import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { finite, valuesOf } from './__tests__/arbitraries';
import { Arena, isArenaBuffer, keep } from './arena';
import { backward } from './autograd';
import { residentOwner } from './kernels/wasm/resident';
import { add, mul, relu, sigmoid, tanh } from './ops/elementwise';
import { avgPool2d, maxPool2d } from './ops/pool';
import { conv2d, conv2dReluPool } from './ops/conv';
import { crossEntropy } from './ops/loss';
import { layerNorm } from './ops/norm';
import { linear, matmul } from './ops/matmul';
import { mean, sum } from './ops/reduce';
import { permute, reshape } from './ops/shape';
import { softmax } from './ops/softmax';
import { gelu } from './ops/activation';
import { Tensor } from './tensor';

/** A small network touching every kind of op buffer: outputs written in full, accumulated into, int scratch, float64 scratch. */
function model(seedValues: number[]) {
  const at = (i: number) => seedValues[i % seedValues.length];
  const param = (shape: number[], offset: number) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return new Tensor(Float32Array.from({ length: n }, (_, i) => at(offset + i) * 0.5), shape, { requiresGrad: true });
  };
  const w = param([3, 1, 3, 3], 0);
  const b = param([3], 5);
  const w2 = param([4, 12], 7);
  const b2 = param([4], 11);
  const params = [w, b, w2, b2];
  const step = (x: Tensor, y: Int32Array) => {
    const c = conv2dReluPool(x, w, b, { padding: 1 }); // [N, 3, 4, 4]
    const c2 = avgPool2d(maxPool2d(relu(conv2d(x, w, b, { padding: 1 })), 2), 2); // [N, 3, 2, 2]
    const h = reshape(add(avgPool2d(c, 2), c2), [x.shape[0], 12]);
    const t = permute(permute(layerNorm(gelu(h), [12]), [1, 0]), [1, 0]);
    const logits = linear(tanh(t), w2, b2);
    const gram = matmul(permute(logits, [1, 0]), logits); // [4, 4]
    const extra = mean(sum(mul(softmax(gram), sigmoid(gram)), 1));
    return add(crossEntropy(logits, y), mul(extra, 0.1));
  };
  return { params, step };
}

function batches(values: number[], steps: number): Array<{ x: Tensor; y: Int32Array }> {
  return Array.from({ length: steps }, (_, s) => ({
    x: new Tensor(Float32Array.from({ length: 2 * 64 }, (_, i) => values[(i + 7 * s) % values.length]), [2, 1, 8, 8]),
    y: Int32Array.of(s % 4, (s + 1) % 4),
  }));
}

/** Losses and gradients of `steps` steps (gradients accumulate, as without zeroGrad), with or without an arena. */
function train(values: number[], steps: number, arena: Arena | null): { losses: number[]; grads: number[][] } {
  const { params, step } = model(values);
  const losses: number[] = [];
  for (const { x, y } of batches(values, steps)) {
    arena?.reset();
    const loss = arena ? arena.run(() => step(x, y)) : step(x, y);
    losses.push(loss.item());
    if (arena) arena.run(() => loss.backward());
    else loss.backward();
  }
  return { losses, grads: params.map((p) => Array.from(p.grad as Float32Array)) };
}

describe('Arena', () => {
  test.prop([valuesOf(40, finite(-2, 2)), fc.integer({ min: 2, max: 4 })])(
    'training in an arena is bit-identical to training without one, and steps after the first allocate no buffer',
    (values, steps) => {
      const plain = train(values, steps, null);
      const arena = new Arena();
      const inArena = train(values, steps, arena);
      expect(inArena.losses).toEqual(plain.losses);
      expect(inArena.grads).toEqual(plain.grads);
      const afterAll = arena.stats.fresh;
      train(values, steps, arena); // the same shapes again: every buffer comes from the arena
      expect(arena.stats.fresh).toBe(afterAll);
      expect(arena.stats.reused).toBeGreaterThan(0);
    },
  );

  test('a result read after the next step began throws a ValueError naming the op, its shape and keep()', () => {
    const arena = new Arena();
    const x = new Tensor(Float32Array.of(-1, 2, -3, 4), [2, 2]);
    const y = arena.run(() => relu(x));
    expect(Array.from(y.data)).toEqual([0, 2, 0, 4]);
    const view = y.detach(); // shares the buffer, so it goes stale with it
    arena.reset();
    expect(() => y.data).toThrow('Tensor (op "relu", shape [2, 2]): its values were taken back by the training step\'s arena when the next step began; keep(t) or t.clone() during the step');
    expect(() => view.toArray()).toThrow('taken back by the training step\'s arena');
  });

  test("keep() holds a result past the step: its values stay, and the arena allocates another buffer for that shape (or, for a buffer in the kernels' memory, the result takes a copy and the arena keeps the buffer)", () => {
    const arena = new Arena();
    const x = new Tensor(Float32Array.of(1, 2, 3), [3]);
    const result = arena.run(() => mul(x, 2));
    const inKernels = residentOwner(result.data) !== null;
    const kept = keep(result);
    const freshBefore = arena.stats.fresh;
    arena.reset();
    const next = arena.run(() => mul(x, 10));
    expect(Array.from(kept.data)).toEqual([2, 4, 6]);
    expect(Array.from(next.data)).toEqual([10, 20, 30]);
    expect(arena.stats.fresh).toBe(inKernels ? freshBefore : freshBefore + 1);
  });

  test('a graph left without backward when its step ends is released: backward through it throws instead of reading reused buffers', () => {
    const arena = new Arena();
    const w = new Tensor(Float32Array.of(0.5, -0.5), [2], { requiresGrad: true });
    const loss = arena.run(() => sum(tanh(mul(w, 3))));
    arena.reset();
    expect(() => loss.backward()).toThrow('was already released');
    expect(w.grad).toBeNull();
  });

  test('results computed outside run() are ordinary memory and never go stale', () => {
    const arena = new Arena();
    const x = new Tensor(Float32Array.of(1, -1), [2]);
    const outside = relu(x);
    arena.run(() => relu(x));
    arena.reset();
    arena.reset();
    expect(Array.from(outside.data)).toEqual([1, 0]);
  });

  test('run() restores the previous arena when its function throws, and nests', () => {
    const a = new Arena();
    const b = new Arena();
    const x = new Tensor(Float32Array.of(1), [1]);
    expect(() => a.run(() => b.run(() => { throw new Error('boom'); }))).toThrow('boom');
    const y = a.run(() => {
      const inner = b.run(() => add(x, 1));
      return add(inner, 1);
    });
    b.reset(); // only b's results go stale
    expect(y.item()).toBe(3);
    a.reset();
    expect(() => y.item()).toThrow('taken back');
  });

  test('dispose() drops every buffer: the next steps allocate afresh and stats report no bytes held', () => {
    const arena = new Arena();
    const x = new Tensor(new Float32Array(1000).fill(1), [1000]);
    arena.run(() => relu(x));
    expect(arena.stats.bytes).toBe(4000);
    arena.dispose();
    expect(arena.stats.bytes).toBe(0);
    arena.run(() => relu(x));
    expect(arena.stats.fresh).toBe(2);
  });
  test("inside an arena an intermediate result's gradient is the arena's buffer, a leaf's never: a leaf keeps its gradient, bit for bit, past the reset", () => {
    const arena = new Arena();
    const w = new Tensor(Float32Array.from({ length: 16 }, (_, i) => (i % 5) - 2), [4, 4], { requiresGrad: true });
    const x = new Tensor(Float32Array.from({ length: 16 }, (_, i) => (i % 3) - 1), [4, 4]);
    const seen: boolean[] = [];
    arena.run(() => {
      const loss = sum(mul(relu(matmul(x, w)), 2));
      backward(loss, undefined, (node, run) => {
        seen.push(node.grad !== null && isArenaBuffer(node.grad));
        run();
      });
    });
    expect(seen.length).toBe(4); // sum, mul, relu, matmul: every intermediate gradient
    expect(seen.every(Boolean)).toBe(true);
    expect(isArenaBuffer(w.grad as Float32Array)).toBe(false);
    const g = Array.from(w.grad as Float32Array);
    const plain = new Tensor(w.data.slice(), [4, 4], { requiresGrad: true });
    sum(mul(relu(matmul(x, plain)), 2)).backward();
    expect(g).toEqual(Array.from(plain.grad as Float32Array));
    arena.reset();
    arena.run(() => sum(mul(relu(matmul(x, w)), 3))); // the next step takes the same buffers back
    expect(Array.from(w.grad as Float32Array)).toEqual(g);
  });

  test('a gradient that passes through unchanged to a leaf (a reshape of the input) is copied out of the arena, not handed over', () => {
    const arena = new Arena();
    const x = new Tensor(Float32Array.of(1, -2, 3, -4), [4], { requiresGrad: true });
    arena.run(() => sum(mul(reshape(x, [2, 2]), 5)).backward());
    expect(isArenaBuffer(x.grad as Float32Array)).toBe(false);
    expect(Array.from(x.grad as Float32Array)).toEqual([5, 5, 5, 5]);
    arena.reset();
    arena.run(() => mul(reshape(x, [2, 2]), 7));
    expect(Array.from(x.grad as Float32Array)).toEqual([5, 5, 5, 5]);
  });
});
