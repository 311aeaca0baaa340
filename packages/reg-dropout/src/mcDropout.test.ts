import { Trainer } from '@trainkit/core';
import { fc, test as propTest } from '@fast-check/vitest';
import { BatchNorm1d, Linear, Module, ReLU, Sequential } from '@trainkit/nn';
import { Rng, Tensor, reshape, softmax } from '@trainkit/tensor';
import { describe, expect, test } from 'vitest';
import { Dropout, predictMc } from './index';

const inputs = (n: number, seed = 1) => new Tensor(new Rng(seed).fillNormal(new Float32Array(n * 6)), [n, 6]);

/** 6 → 16 → (BatchNorm) → ReLU → Dropout(p) → 4, with running statistics that differ from a batch's. */
function net(p: number, seed = 0): Sequential {
  const rng = new Rng(seed);
  const model = new Sequential({ fc1: new Linear(6, 16, { rng }), bn: new BatchNorm1d(16), relu: new ReLU(), drop: new Dropout(p), fc2: new Linear(16, 4, { rng }) });
  const bn = model.at('bn');
  for (const [name, t] of Object.entries(bn.stateDict())) if (name.startsWith('running_')) rng.fillNormal(t.data).forEach((v, i) => (t.data[i] = name === 'running_var' ? 1 + Math.abs(v) : v));
  return model;
}

const quiet = { onNotice: () => {} };
const bits = (a: Float32Array | Float64Array) => Array.from(a);

describe('predictMc', () => {
  test.each([0, null])('with samples: 1 and dropout off (p = %s) the probabilities equal softmax of Trainer.predict bit for bit', async (p) => {
    const model = p === null ? new Sequential({ fc1: new Linear(6, 16, { rng: new Rng(0) }), relu: new ReLU(), fc2: new Linear(16, 4, { rng: new Rng(1) }) }) : net(p);
    const x = inputs(300);
    const expected = softmax(await new Trainer().predict(model, x));
    const mc = await predictMc(model, x, { samples: 1, ...quiet });
    expect(mc.probs.shape).toEqual([300, 4]);
    expect(bits(mc.probs.data)).toEqual(bits(expected.data));
    expect(mc.mutualInformation.every((v) => v === 0)).toBe(true);
  });

  test('one batch of 200,000 rows gives one entropy and one mutual information per row (no call-stack overflow)', async () => {
    const model = new Sequential({ fc: new Linear(1, 2, { rng: new Rng(0) }), drop: new Dropout(0.5) });
    const mc = await predictMc(model, new Tensor(new Float32Array(200_000).fill(1), [200_000, 1]), { samples: 1, batchSize: 200_000, ...quiet });
    expect(mc.entropy).toHaveLength(200_000);
    expect(mc.mutualInformation).toHaveLength(200_000);
  });

  test.each([[null, 'null'], [30, 'number']])('options %j are refused naming what came (a bare number is not the sample count)', async (options, what) => {
    await expect(predictMc(net(0.5), inputs(4), options as never)).rejects.toThrow(`predictMc: options must be an object such as { samples: 30 }, got ${what}`);
  });

  test('a model without active dropout gets a clear notice, in the result and through onNotice', async () => {
    const notices: string[] = [];
    const mc = await predictMc(net(0), inputs(8), { samples: 3, onNotice: (m) => notices.push(m) });
    expect(mc.notice).toMatch(/predictMc: the model has no active dropout/);
    expect(notices).toEqual([mc.notice]);
    const withDropout = await predictMc(net(0.5), inputs(8), { samples: 3, onNotice: (m) => notices.push(m) });
    expect(withDropout.notice).toBeUndefined();
    expect(notices).toHaveLength(1);
  });

  test('dropout is active while BatchNorm stays in eval mode: running statistics are untouched, training flags restored', async () => {
    const model = net(0.5).train();
    const before = bits(model.at('bn').stateDict().running_mean.data);
    const mc = await predictMc(model, inputs(64), { samples: 10, seed: 3 });
    expect(bits(model.at('bn').stateDict().running_mean.data)).toEqual(before);
    expect(model.namedModules().every(([, m]) => m.training)).toBe(true);
    expect(Math.max(...mc.mutualInformation)).toBeGreaterThan(1e-3); // the masks differed between samples
    // each sample is an eval-mode pass with a mask after the ReLU: with the masks off (p = 0), the same weights give the eval output
    const off = net(0);
    off.loadStateDict(model.stateDict());
    expect(bits((await predictMc(off, inputs(64), { samples: 1, ...quiet })).probs.data)).toEqual(bits(softmax(await new Trainer().predict(model, inputs(64))).data));
  });

  test('seeded: the same seed gives the same result, another seed another; the layers’ own trainer streams are not used', async () => {
    const model = net(0.5);
    const layerRng = new Rng(42);
    (model.at('drop') as Dropout).bindRng(layerRng);
    const before = layerRng.getState();
    const a = await predictMc(model, inputs(32), { samples: 5, seed: 7 });
    const b = await predictMc(model, inputs(32), { samples: 5, seed: 7 });
    const c = await predictMc(model, inputs(32), { samples: 5, seed: 8 });
    expect(bits(a.probs.data)).toEqual(bits(b.probs.data));
    expect(bits(a.entropy)).toEqual(bits(b.entropy));
    expect(bits(a.probs.data)).not.toEqual(bits(c.probs.data));
    expect(layerRng.getState()).toEqual(before);
  });

  test('a DataLoader-like source, an array of batches and a tensor give the same result', async () => {
    const model = net(0.3);
    const x = inputs(20);
    const fromTensor = await predictMc(model, x, { samples: 4, batchSize: 10 });
    const batches = [0, 10].map((i) => ({ x: new Tensor(x.data.slice(i * 6, (i + 10) * 6), [10, 6]), y: new Int32Array(10) }));
    const fromArray = await predictMc(model, batches, { samples: 4 });
    const fromSource = await predictMc(model, { epoch: () => batches }, { samples: 4 });
    expect(bits(fromArray.probs.data)).toEqual(bits(fromTensor.probs.data));
    expect(bits(fromSource.mutualInformation)).toEqual(bits(fromTensor.mutualInformation));
  });

  test('a shuffling DataLoader gives its rows back in dataset order (through its order()), as the tensor does', async () => {
    // Arrange: a source shaped like @trainkit/data's DataLoader with shuffle: true, batches of 3
    const model = net(0.4);
    const x = inputs(10);
    const perm = Int32Array.of(7, 2, 9, 0, 4, 1, 8, 3, 6, 5);
    const rows = (idx: ArrayLike<number>) => new Tensor(Float32Array.from(Array.from(idx).flatMap((i) => Array.from(x.data.subarray(i * 6, i * 6 + 6)))), [idx.length, 6]);
    const loader = (dropLast: boolean) => ({
      order: () => perm.slice(),
      epoch: () => [0, 3, 6, 9].filter((i) => !dropLast || i + 3 <= 10).map((i) => ({ x: rows(perm.subarray(i, i + 3)), y: new Int32Array(Math.min(3, 10 - i)) })),
    });
    // Act
    const off = net(0);
    off.loadStateDict(model.stateDict());
    const inOrder = await predictMc(off, x, { samples: 1, ...quiet });
    const shuffledOff = await predictMc(off, loader(false), { samples: 1, ...quiet });
    // Assert: row i is example i's, bit for bit
    expect(bits(shuffledOff.probs.data)).toEqual(bits(inOrder.probs.data));
    expect(bits(shuffledOff.entropy)).toEqual(bits(inOrder.entropy));
    await expect(predictMc(model, loader(true), quiet)).rejects.toThrow('predictMc: the DataLoader shuffles and yielded 9 of its 10 samples (dropLast), so the rows cannot be returned in dataset order');
  });

  test.each([
    ['a list of tensors', [inputs(2)], 'predictMc: batch 0 must be { x: Tensor, … }, got a Tensor (pass a single Tensor of inputs directly, not inside a list)'],
    ['a batch without x', [{ y: new Int32Array(2) }], 'predictMc: batch 0 must be { x: Tensor, … }, got an object with keys y'],
    ['null', null, 'predictMc: data must be a Tensor of inputs, a DataSource (such as a DataLoader) or an iterable of { x: Tensor } batches, got null'],
    ['a number', 5, 'predictMc: data must be a Tensor of inputs, a DataSource (such as a DataLoader) or an iterable of { x: Tensor } batches, got number 5'],
  ])('data that is %s is a clear error, and the model keeps its training flags', async (_, data, message) => {
    const model = net(0.5).train();
    await expect(predictMc(model, data as never, quiet)).rejects.toThrow(message);
    expect(model.namedModules().every(([, m]) => m.training && !m.hasForwardHooks)).toBe(true);
  });

  test('a model that outputs another number of rows than its batch has, or fewer than 2 classes, is a clear error (not a silent 0 entropy)', async () => {
    class Pairs extends Module {
      forward(x: Tensor): Tensor {
        return reshape(x, [x.shape[0] / 2, 8]);
      }
    }
    const rowsOff = new Sequential(new Linear(6, 4), new Dropout(0.5), new Pairs());
    await expect(predictMc(rowsOff, inputs(4), quiet)).rejects.toThrow('predictMc: the model output 2 rows for a batch of 4 examples (shape [2, 8]); it must output one row of class logits per example');
    const oneLogit = new Sequential(new Linear(6, 1), new Dropout(0.5));
    await expect(predictMc(oneLogit, inputs(4), quiet)).rejects.toThrow('predictMc: the model outputs 1 logit per example, and a softmax over fewer than 2 classes is always 1 (every entropy would be 0); give a binary classifier two logits, e.g. [0, z]');
  });

  test('with the dropout plugin’s options it drops after the named layers of a model that has no Dropout layer', async () => {
    const model: Module = new Sequential({ fc1: new Linear(6, 16, { rng: new Rng(0) }), relu: new ReLU(), fc2: new Linear(16, 4, { rng: new Rng(1) }) });
    const notices: string[] = [];
    const mc = await predictMc(model, inputs(32), { samples: 8, dropout: { after: ['relu'], p: 0.5 }, onNotice: (m) => notices.push(m) });
    expect(notices).toEqual([]);
    expect(Math.max(...mc.mutualInformation)).toBeGreaterThan(1e-3);
    expect(model.namedModules().every(([, m]) => !m.hasForwardHooks)).toBe(true); // hooks removed
    await expect(predictMc(model, inputs(4), { dropout: { after: ['relu2'] } })).rejects.toThrow("predictMc({ dropout: { after: ['relu2'] } }): no such layer; the model has fc1, relu, fc2");
  });

  test.each([
    [{ samples: 0 }, 'predictMc: samples must be a positive integer, got 0'],
    [{ samples: 1.5 }, 'predictMc: samples must be a positive integer, got 1.5'],
    [{ seed: -1 }, 'predictMc: seed must be an integer in [0, 2^32), got -1'],
    [{ batchSize: 0 }, 'predictMc: batchSize must be a positive integer, got 0'],
    [{ dropout: { after: ['relu'], p: 1.5 } }, 'predictMc({ dropout }): p must be a number in [0, 1], got 1.5'],
  ])('bad option %o is a clear error', async (options, message) => {
    await expect(predictMc(net(0.5), inputs(4), options)).rejects.toThrow(message);
  });

  test('one Dropout layer used twice drops once per call (twice per pass), not twice per call', async () => {
    const d = new Dropout(0.5);
    // logits [0, 0.25·m]: m is 0 or 4 (kept by both calls, p = 1/4), so the mean probability of class 1 is ¼·σ(1) + ¾·½
    const { probs } = await predictMc(new Sequential(d, d), new Tensor(Float32Array.from([0, 0.25]), [1, 2]), { samples: 4000, seed: 1 });
    expect(Math.abs(probs.data[1] - (0.25 / (1 + Math.exp(-1)) + 0.375))).toBeLessThan(0.008); // twice per call: 1/16·σ(4) + 15/16·½ ≈ 0.530
  });

  test('empty data and non-[examples, classes] outputs are clear errors', async () => {
    await expect(predictMc(net(0.5), [])).rejects.toThrow('predictMc: the data yielded no batches');
    class Squeeze extends Module {
      forward(x: Tensor): Tensor {
        return reshape(x, [x.shape[0]]);
      }
    }
    await expect(predictMc(new Sequential(new Linear(6, 1), new Dropout(0.5), new Squeeze()), inputs(2))).rejects.toThrow(/predictMc: the model must output \[examples, classes\] logits, got \[2\]/);
  });

  test('a model whose output is NaN (a diverged weight) is a clear error naming the example, not a confident 0-entropy answer', async () => {
    const model = net(0.5);
    model.at('fc2').stateDict()['weight'].data[0] = Number.NaN;
    await expect(predictMc(model, inputs(8), quiet)).rejects.toThrow(/predictMc: the model's output is not finite for example 0 of a batch \(sample 0\): NaN or \+∞ logits/);
  });

  propTest.prop([fc.double({ min: 0.05, max: 0.8, noNaN: true }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 1000 })], { numRuns: 25 })(
    'laws: entropy ≥ 0 and ≤ log(classes), 0 ≤ mutual information ≤ entropy, probabilities sum to 1',
    async (p, samples, seed) => {
      const mc = await predictMc(net(p, seed), inputs(16, seed + 1), { samples, seed });
      for (let r = 0; r < 16; r++) {
        const row = mc.probs.data.subarray(r * 4, r * 4 + 4);
        expect(Math.abs(row.reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-5);
        expect(mc.entropy[r]).toBeGreaterThanOrEqual(0);
        expect(mc.entropy[r]).toBeLessThanOrEqual(Math.log(4) + 1e-12);
        expect(mc.mutualInformation[r]).toBeGreaterThanOrEqual(0);
        expect(mc.mutualInformation[r]).toBeLessThanOrEqual(mc.entropy[r]);
      }
    },
  );
});
