import { Trainer, sgd, type Plugin } from '@trainkit/core';
import { fc, test as propTest } from '@fast-check/vitest';
import { Linear, ReLU, Sequential } from '@trainkit/nn';
import { Rng, Tensor, sum } from '@trainkit/tensor';
import { describe, expect, test } from 'vitest';
import { Dropout, Dropout2d, dropout, dropoutOp } from './index';

const input = (n: number, seed = 1) => new Tensor(new Rng(seed).fillNormal(new Float32Array(n)), [n]);
const pArb = fc.double({ min: 0.05, max: 0.9, noNaN: true });

describe('dropout laws', () => {
  propTest.prop([pArb])('eval mode is the identity (the same tensor comes back)', (p) => {
    const layer = new Dropout(p).eval();
    const x = input(100);
    expect(layer.call(x)).toBe(x);
  });

  propTest.prop([pArb, fc.integer({ min: 0, max: 1000 })], { numRuns: 20 })('the fraction of zeros is p within 4.5 binomial standard deviations', (p, seed) => {
    const n = 20_000;
    const y = dropoutOp(new Tensor(new Float32Array(n).fill(1), [n]), p, new Rng(seed));
    const zeros = y.data.reduce((c, v) => c + (v === 0 ? 1 : 0), 0);
    expect(Math.abs(zeros - n * p)).toBeLessThanOrEqual(4.5 * Math.sqrt(n * p * (1 - p)));
  });

  propTest.prop([pArb], { numRuns: 10 })('in train mode the expected output equals the input (mean of 400 masks within 5 standard errors)', (p) => {
    const x = input(50, 3);
    const rng = new Rng(9);
    const mean = new Float64Array(50);
    const masks = 400;
    for (let k = 0; k < masks; k++) dropoutOp(x, p, rng).data.forEach((v, i) => (mean[i] += v / masks));
    // each output is x/(1−p) with probability 1−p, else 0: variance x²·p/(1−p)
    x.data.forEach((v, i) => expect(Math.abs(mean[i] - v)).toBeLessThanOrEqual(5 * Math.abs(v) * Math.sqrt(p / (1 - p) / masks) + 1e-6));
  });

  propTest.prop([pArb, fc.integer({ min: 0, max: 2 ** 31 })])('the same seed gives the same mask', (p, seed) => {
    const x = input(64);
    expect(dropoutOp(x, p, new Rng(seed)).data).toEqual(dropoutOp(x, p, new Rng(seed)).data);
  });

  propTest.prop([pArb])('gradients flow only through kept units, scaled by 1/(1−p)', (p) => {
    const x = new Tensor(new Float32Array(200).fill(2), [200], { requiresGrad: true });
    const y = dropoutOp(x, p, new Rng(4));
    sum(y).backward();
    y.data.forEach((v, i) => expect(x.grad![i]).toBeCloseTo(v === 0 ? 0 : 1 / (1 - p), 5));
  });

  test.each([-0.1, 1.5, NaN])('p = %s is a clear error', (p) => {
    expect(() => new Dropout(p)).toThrow(`Dropout: p must be a number in [0, 1], got ${p}`);
    expect(() => dropout({ after: ['fc1'], p })).toThrow(`dropout plugin: p must be a number in [0, 1], got ${p}`);
  });

  test('p = 1 zeroes every unit as torch.nn.Dropout(p=1) does (x·0: NaN and ∞ give NaN, −2 gives −0), passes no gradient, draws nothing, and is the identity in eval mode', () => {
    // torch 1.13: nn.Dropout(1.0)(tensor([1, -2, nan, inf, 0])) = [0, -0, nan, nan, 0], grad zeros, RNG state unchanged
    const rng = new Rng(5);
    const before = rng.getState();
    const layer = new Dropout(1, { rng });
    const x = new Tensor(Float32Array.of(1, -2, NaN, Infinity, 0), [5], { requiresGrad: true });
    const y = layer.call(x);
    expect(Array.from(y.data)).toEqual([0, -0, NaN, NaN, 0]);
    sum(y).backward();
    expect(Array.from(x.grad!)).toEqual([0, 0, 0, 0, 0]);
    expect(rng.getState()).toEqual(before);
    expect(Array.from(new Dropout2d(1, { rng }).call(new Tensor(new Float32Array(12).fill(3), [2, 3, 2])).data)).toEqual(Array(12).fill(0));
    expect(layer.eval().call(x)).toBe(x);
  });

  test('Dropout2d zeroes whole channels and needs a channel axis', () => {
    const layer = new Dropout2d(0.5, { rng: new Rng(1) });
    const y = layer.call(new Tensor(new Float32Array(4 * 6 * 3 * 3).fill(1), [4, 6, 3, 3]));
    for (let c = 0; c < 24; c++) {
      const plane = y.data.subarray(c * 9, c * 9 + 9);
      expect(new Set(plane).size).toBe(1); // all 0 or all 2
    }
    expect(() => layer.call(new Tensor(new Float32Array(6), [6]))).toThrow(/Dropout2d: input must be \[N, C, H, W\]/);
  });
});

describe('with the Trainer', () => {
  const data = (n: number) => {
    const rng = new Rng(2);
    return Array.from({ length: n }, () => ({ x: new Tensor(rng.fillNormal(new Float32Array(8 * 4)), [8, 4]), y: Int32Array.from({ length: 8 }, () => rng.int(3)) }));
  };

  test('Dropout layers get their masks from the trainer seed: same seed → bit-identical weights, other seed → different', async () => {
    const run = async (seed: number) => {
      const rng = new Rng(0).stream('init');
      const model = new Sequential({ fc1: new Linear(4, 16, { rng }), relu: new ReLU(), drop: new Dropout(0.5), fc2: new Linear(16, 3, { rng }) });
      await new Trainer({ optimizer: sgd({ lr: 0.1 }), seed }).fit(model, { train: data(6), epochs: 2 });
      return Array.from(model.parameters()[0].data);
    };
    expect(await run(1)).toEqual(await run(1));
    expect(await run(1)).not.toEqual(await run(2));
  });

  test('a run stopped mid-epoch and resumed from the trainer state draws the same masks (bit-identical weights)', async () => {
    const make = () => {
      const rng = new Rng(0).stream('init');
      return new Sequential({ fc1: new Linear(4, 16, { rng }), relu: new ReLU(), drop: new Dropout(0.5), fc2: new Linear(16, 3, { rng }) });
    };
    const plugins = () => [dropout({ after: ['fc1'], p: 0.3 })];
    const full = make();
    await new Trainer({ optimizer: sgd({ lr: 0.1 }), seed: 3, plugins: plugins() }).fit(full, { train: data(6), epochs: 2 });
    const part = make();
    const kill: Plugin = { name: 'kill', onTrainBatchEnd: (ctx) => { if (ctx.step === 4) ctx.stop(); } };
    const t1 = new Trainer({ optimizer: sgd({ lr: 0.1 }), seed: 3, plugins: [...plugins(), kill] });
    await t1.fit(part, { train: data(6), epochs: 2 });
    const state = structuredClone(t1.stateDict());
    const resumed = make();
    resumed.loadStateDict(part.stateDict());
    await new Trainer({ optimizer: sgd({ lr: 0.1 }), seed: 3, plugins: plugins() }).fit(resumed, { train: data(6), epochs: 2, resume: state });
    expect(resumed.parameters().map((p) => Array.from(p.data))).toEqual(full.parameters().map((p) => Array.from(p.data)));
  });

  test.each([
    [[''], '""'],
    [['fc1', 'fc1'], '"fc1"'],
    [[3], '3'],
  ])('the plugin refuses after: %j (an empty name is the model itself, a repeat would drop twice), naming %s', (after, named) => {
    expect(() => dropout({ after: after as string[] })).toThrow(`dropout plugin: \`after\` must list distinct layer names (non-empty strings; the model itself is not a layer here), got ${named}`);
  });

  test('the plugin refuses a channelwise that is not a boolean', () => {
    expect(() => dropout({ after: ['fc1'], channelwise: 'yes' as never })).toThrow('dropout plugin: channelwise must be true or false, got "yes"');
  });

  test('the plugin adds dropout after named layers in training only, and removes its hooks at teardown', async () => {
    const rng = new Rng(0).stream('init');
    const model = new Sequential({ fc1: new Linear(4, 16, { rng }), relu: new ReLU(), fc2: new Linear(16, 3, { rng }) });
    const zeros: number[] = [];
    const spy: Plugin = { name: 'spy', onAfterForward: () => undefined };
    model.at('relu').registerForwardHook((_m, _x, y) => void zeros.push(y.data.filter((v) => v === 0).length));
    const trainer = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [dropout({ after: ['fc1'], p: 0.9 }), spy] });
    await trainer.fit(model, { train: data(3), epochs: 1 });
    // with p = 0.9 most of fc1's 128 outputs per batch are zero before the ReLU sees them
    for (const z of zeros) expect(z).toBeGreaterThan(90);
    zeros.length = 0;
    model.train();
    model.call(new Tensor(new Float32Array(8 * 4).fill(1), [8, 4]));
    expect(zeros[0]).toBeLessThan(90); // hooks removed after fit
  });

  test('a layer name that does not exist lists the real ones', async () => {
    const model = new Sequential({ fc1: new Linear(4, 3) });
    const trainer = new Trainer({ optimizer: sgd(), plugins: [dropout({ after: ['fc9'] })] });
    await expect(trainer.fit(model, { train: data(1), epochs: 1 })).rejects.toThrow(/dropout\(\{ after: \['fc9'\] \}\): no such layer; the model has fc1/);
  });
});
