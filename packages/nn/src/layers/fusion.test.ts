import { Rng, Tensor, ValueError, crossEntropy, relu } from '@trainkit/tensor';
import { describe, expect, test } from 'vitest';
import { mnistCnn } from '../models';
import type { Module } from '../module';
import { BatchNorm2d } from './batchnorm';
import { Conv2d } from './conv2d';
import { Sequential } from './sequential';
import { Flatten, MaxPool2d, ReLU } from './simple';
import { Linear } from './linear';

function images(seed: number, n: number): Tensor {
  const r = new Rng(seed);
  return new Tensor(r.fillNormal(new Float32Array(n * 784)), [n, 1, 28, 28]);
}

/** Output and every parameter gradient after one forward/backward of the model. */
function pass(model: Module, x: Tensor): { out: Tensor; grads: Float32Array[] } {
  for (const p of model.parameters()) p.zeroGrad();
  const out = model.call(x);
  crossEntropy(out, Int32Array.from({ length: x.shape[0] }, (_, i) => i % 10)).backward();
  return { out, grads: model.parameters().map((p) => (p.grad as Float32Array).slice()) };
}

describe('Conv2d → ReLU fusion in Sequential', () => {
  test('the reference CNN gives the same output and gradients fused as run module by module', () => {
    const fused = mnistCnn({ rng: new Rng(3) });
    const separate = mnistCnn({ rng: new Rng(3) });
    // a forward hook that changes nothing turns the fusion off for its module
    for (const name of ['relu1', 'relu2']) (separate as Sequential).at(name).registerForwardHook(() => undefined);
    const ops: string[] = [];
    for (const m of [fused, separate]) (m as Sequential).at('flatten').registerForwardHook((_m, input) => void ops.push(input.op));
    const x = images(1, 6);
    const a = pass(fused, x);
    const b = pass(separate, x);
    // conv → ReLU → max-pool ran as one op in the fused model, as three in the other
    expect(ops).toEqual(['conv2d+relu+maxPool2d', 'maxPool2d']);
    expect(Array.from(a.out.data)).toEqual(Array.from(b.out.data));
    a.grads.forEach((g, i) => expect(Array.from(g)).toEqual(Array.from(b.grads[i])));
  });

  test('a hook on the max-pool keeps it out of the fusion (conv + ReLU still fused), with the same numbers', () => {
    const fused = mnistCnn({ rng: new Rng(5) });
    const hooked = mnistCnn({ rng: new Rng(5) });
    const seen: string[] = [];
    (hooked as Sequential).at('pool1').registerForwardHook((_m, input) => void seen.push(input.op));
    const x = images(4, 3);
    const a = pass(fused, x);
    const b = pass(hooked, x);
    expect(seen).toEqual(['conv2d+relu']);
    expect(Array.from(a.out.data)).toEqual(Array.from(b.out.data));
    a.grads.forEach((g, i) => expect(Array.from(g)).toEqual(Array.from(b.grads[i])));
  });

  test('only 2×2, stride-2, unpadded max pooling joins the fusion', () => {
    const x = images(6, 2);
    for (const pool of [new MaxPool2d(3), new MaxPool2d(2, { stride: 1 }), new MaxPool2d(2, { padding: 1 })]) {
      const model = new Sequential({ conv: new Conv2d(1, 2, 3, { rng: new Rng(1) }), relu: new ReLU(), pool });
      const out = model.call(x);
      expect(out.op).toBe('maxPool2d');
    }
    const model = new Sequential({ conv: new Conv2d(1, 2, 3, { rng: new Rng(1) }), relu: new ReLU(), pool: new MaxPool2d([2, 2]) });
    expect(model.call(x).op).toBe('conv2d+relu+maxPool2d');
  });

  test('a hook on the convolution sees its own output, before the ReLU', () => {
    const model = new Sequential({ conv: new Conv2d(1, 4, 3, { rng: new Rng(0) }), relu: new ReLU() });
    let seen: Tensor | null = null;
    model.at('conv').registerForwardHook((_m, _x, y) => void (seen = y));
    const out = model.call(images(2, 2));
    expect((seen as Tensor | null)?.data.some((v) => v < 0)).toBe(true);
    expect(out.data.every((v) => v >= 0)).toBe(true);
  });

  test('a subclass of Conv2d (its forward may differ) is not fused', () => {
    class Doubled extends Conv2d {
      override forward(x: Tensor): Tensor {
        const y = super.forward(x);
        return new Tensor(y.data.map((v) => 2 * v), y.shape);
      }
    }
    const conv = new Doubled(1, 2, 3, { rng: new Rng(0) });
    const x = images(3, 1);
    const expected = relu(conv.call(x)).data;
    expect(Array.from(new Sequential(conv, new ReLU()).call(x).data)).toEqual(Array.from(expected));
  });
});

describe("Conv2d's activation option", () => {
  test("activation: 'relu' equals Conv2d then ReLU, and shows in the module's description", () => {
    const withAct = new Conv2d(1, 3, 5, { padding: 2, activation: 'relu', rng: new Rng(4) });
    const plain = new Conv2d(1, 3, 5, { padding: 2, rng: new Rng(4) });
    const x = images(5, 2);
    expect(Array.from(withAct.call(x).data)).toEqual(Array.from(relu(plain.call(x)).data));
    expect(withAct.toString()).toContain('activation=relu');
  });

  test('an unknown activation is a ValueError at construction', () => {
    expect(() => new Conv2d(1, 1, 3, { activation: 'tanh' as never })).toThrow(ValueError);
    expect(() => new Conv2d(1, 1, 3, { activation: 'tanh' as never })).toThrow(`Conv2d: activation must be 'relu' or omitted, got "tanh"`);
  });
});

describe('BatchNorm → ReLU fusion', () => {
  const net = (seed: number) =>
    new Sequential({ conv: new Conv2d(1, 4, 3, { padding: 1, rng: new Rng(seed) }), bn: new BatchNorm2d(4), relu: new ReLU(), flatten: new Flatten(), fc: new Linear(4 * 28 * 28, 10, { rng: new Rng(seed + 1) }) });

  test('Sequential runs BatchNorm2d → ReLU as one op, with the output, gradients and running statistics of the two run apart', () => {
    const fused = net(2);
    const separate = net(2);
    separate.at('relu').registerForwardHook(() => undefined); // a hook keeps its module out of the fusion
    const ops: string[] = [];
    for (const m of [fused, separate]) m.at('flatten').registerForwardHook((_m, input) => void ops.push(input.op));
    const x = images(7, 5);
    const a = pass(fused, x);
    const b = pass(separate, x);
    expect(ops).toEqual(['batchNorm+relu', 'relu']);
    expect(Array.from(a.out.data)).toEqual(Array.from(b.out.data));
    a.grads.forEach((g, i) => expect(Array.from(g)).toEqual(Array.from(b.grads[i])));
    const stats = (m: Sequential) => (m.at('bn') as BatchNorm2d).runningVar.data;
    expect(Array.from(stats(fused))).toEqual(Array.from(stats(separate)));
  });

  test('callRelu runs apart where a hook must see the BatchNorm output, or the layer is a subclass; evaluation mode fuses too', () => {
    const bn = new BatchNorm2d(4);
    const x = images(8, 2);
    const h = new Conv2d(1, 4, 3, { rng: new Rng(1) }).call(x);
    let seen: Tensor | null = null;
    const remove = bn.registerForwardHook((_m, _x, y) => void (seen = y));
    const y = bn.callRelu(h);
    expect((seen as Tensor | null)?.data.some((v) => v < 0)).toBe(true);
    expect(y.op).toBe('relu');
    remove();
    expect(bn.callRelu(h).op).toBe('batchNorm+relu');
    bn.eval();
    const fusedEval = bn.callRelu(h);
    expect(fusedEval.op).toBe('batchNorm+relu');
    expect(Array.from(fusedEval.data)).toEqual(Array.from(relu(bn.call(h)).data));
    class Shifted extends BatchNorm2d {}
    expect(new Shifted(4).callRelu(h).op).toBe('relu');
  });
});
