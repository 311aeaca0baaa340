import { Trainer, sgd, type Plugin } from '@trainkit/core';
import { fc, test as propTest } from '@fast-check/vitest';
import { Linear, ReLU, Sequential } from '@trainkit/nn';
import { Rng, Tensor } from '@trainkit/tensor';
import { describe, expect, test } from 'vitest';
import { elasticNet, l1Penalty, l2Penalty, penalty, weightsOnly } from './index';

const model = () => {
  const rng = new Rng(0).stream('init');
  return new Sequential({ fc1: new Linear(4, 6, { rng }), relu: new ReLU(), fc2: new Linear(6, 3, { rng }) });
};
const batch = () => {
  const rng = new Rng(5);
  return [{ x: new Tensor(rng.fillNormal(new Float32Array(16 * 4)), [16, 4]), y: Int32Array.from({ length: 16 }, () => rng.int(3)) }];
};
const weights = (m: Sequential) => m.namedParameters().filter(([, p]) => p.rank >= 2);

describe('penalty', () => {
  test('the L2 term is λ·Σw² over the weights only (no biases), part of the loss and logged as its own metric', async () => {
    const m = model();
    const expected = 1e-2 * weights(m).reduce((s, [, p]) => s + p.data.reduce((a, v) => a + v * v, 0), 0);
    let seen = { term: 0, total: 0, data: 0 };
    const spy: Plugin = { name: 'spy', onBeforeBackward: (ctx) => { seen = { term: ctx.loss.item() - ctx.dataLoss.item(), total: ctx.loss.item(), data: ctx.dataLoss.item() }; } };
    const { history } = await new Trainer({ optimizer: sgd({ lr: 0 }), plugins: [penalty({ l2: 1e-2 }), spy] }).fit(m, { train: batch(), epochs: 1 });
    expect(seen.term).toBeCloseTo(expected, 5);
    expect(history[0].metrics.l2).toBeCloseTo(expected, 5);
    expect(history[0].metrics.loss).toBeCloseTo(seen.total, 5);
  });

  propTest.prop([fc.double({ min: 1e-4, max: 0.1, noNaN: true })], { numRuns: 15 })(
    'an L2 penalty λ with SGD moves the weights exactly like weightDecay 2λ on the weights',
    async (lambda) => {
      const a = model();
      const b = model();
      await new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [penalty({ l2: lambda })] }).fit(a, { train: batch(), epochs: 2 });
      await new Trainer({ optimizer: sgd({ lr: 0.1, groups: [{ params: /weight$/, weightDecay: 2 * lambda }] }) }).fit(b, { train: batch(), epochs: 2 });
      const pb = new Map(b.namedParameters());
      for (const [n, p] of a.namedParameters()) p.data.forEach((v, i) => expect(v).toBeCloseTo(pb.get(n)!.data[i], 5));
    },
  );

  test('the L1 term is λ·Σ|w|; elastic net logs both; a custom filter can include biases', async () => {
    const m = model();
    const l1 = 1e-3 * weights(m).reduce((s, [, p]) => s + p.data.reduce((a, v) => a + Math.abs(v), 0), 0);
    const { history } = await new Trainer({ optimizer: sgd({ lr: 0 }), plugins: [elasticNet(1e-3, 1e-2)] }).fit(m, { train: batch(), epochs: 1 });
    expect(history[0].metrics.l1).toBeCloseTo(l1, 5);
    expect(history[0].metrics.l2).toBeGreaterThan(0);
    const all = 1e-3 * m.parameters().reduce((s, p) => s + p.data.reduce((a, v) => a + Math.abs(v), 0), 0);
    const { history: h2 } = await new Trainer({ optimizer: sgd({ lr: 0 }), plugins: [l1Penalty(1e-3, () => true)] }).fit(m, { train: batch(), epochs: 1 });
    expect(h2[0].metrics.l1).toBeCloseTo(all, 5);
  });

  test('two penalties with the same λ on different parameters both apply; the logged l2 is their sum', async () => {
    const m = model();
    const sq = (prefix: string) => 1e-2 * weights(m).filter(([n]) => n.startsWith(prefix)).reduce((s, [, p]) => s + p.data.reduce((a, v) => a + v * v, 0), 0);
    let term = 0;
    const spy: Plugin = { name: 'spy', onBeforeBackward: (ctx) => { term = ctx.loss.item() - ctx.dataLoss.item(); } };
    const plugins = [l2Penalty(1e-2, (n) => n === 'fc1.weight'), l2Penalty(1e-2, (n) => n === 'fc2.weight'), spy];
    const { history } = await new Trainer({ optimizer: sgd({ lr: 0 }), plugins }).fit(m, { train: batch(), epochs: 1 });
    expect(term).toBeCloseTo(sq('fc1') + sq('fc2'), 5);
    expect(history[0].metrics.l2).toBeCloseTo(sq('fc1') + sq('fc2'), 5);
  });

  test.each([
    ['fc.weight', [6, 4], true], ['conv.weight', [8, 1, 5, 5], true], ['blocks.0.attn.in_proj_weight', [48, 16], true],
    ['fc.bias', [6], false], ['norm.weight', [16], false], ['cls_token', [1, 1, 16], false], ['pos_embed', [1, 17, 16], false], ['vit.pos_embed', [1, 17, 16], false],
  ] as const)('weightsOnly(%s, shape %o) is %s: kernels yes; biases, norms and a ViT\'s class token and position embedding no (timm)', (name, shape, penalized) => {
    expect(weightsOnly(name, new Tensor(new Float32Array(shape.reduce((a: number, b: number) => a * b, 1)), [...shape]) as never)).toBe(penalized);
  });

  test.each([
    [{ l2: -1 }, 'penalty: l2 must be a finite number ≥ 0, got -1'],
    [{ l1: NaN }, 'penalty: l1 must be a finite number ≥ 0, got NaN'],
    [{}, 'penalty: give l2 and/or l1 greater than 0'],
  ])('bad options %o: "%s"', (o, message) => {
    expect(() => penalty(o)).toThrow(message);
  });

  test('options that are not an object are refused with the shorthand to use', () => {
    expect(() => penalty(1e-4 as never)).toThrow('penalty: options must be an object such as { l2: 1e-4 }, got 0.0001 (for an L2 term alone: l2Penalty(0.0001))');
    expect(() => (penalty as (o?: unknown) => unknown)()).toThrow('penalty: options must be an object such as { l2: 1e-4 }, got undefined');
  });

  test('a filter that is not a function is refused when the plugin is made, with the predicate to write instead', () => {
    expect(() => penalty({ l2: 1e-4, filter: /^fc1\./ as never })).toThrow("penalty: filter must be a function (name, param) => boolean, got the RegExp /^fc1\\./; e.g. filter: (name) => /^fc1\\./.test(name)");
    expect(() => l1Penalty(1e-4, ['fc1.weight'] as never)).toThrow("penalty: filter must be a function (name, param) => boolean, got a list of names; e.g. filter: (name) => names.includes(name)");
    expect(() => penalty({ l1: 1e-4, filter: 'weights' as never })).toThrow('penalty: filter must be a function (name, param) => boolean, got a string ("weights")');
  });
});
