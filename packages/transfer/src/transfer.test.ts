import { Checkpointer, decodeCheckpoint, encodeCheckpoint, memoryStore } from '@trainkit/checkpoint';
import { Trainer, cosineAnnealing, scheduler, type Batch, type Plugin } from '@trainkit/core';
import { BatchNorm2d, Conv2d, Flatten, Linear, MaxPool2d, Module, ReLU, Sequential, mnistCnn } from '@trainkit/nn';
import { adam } from '@trainkit/optim-adam';
import { Rng, Tensor, noGrad } from '@trainkit/tensor';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { TransferError, freeze, loadPretrained, replaceHead, stagedUnfreeze, unfreeze } from './index';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '__tests__', 'fixtures');
const values = (m: Module) => Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, Array.from(t.data)]));

/** A backbone (conv + BatchNorm) with a head of `classes` outputs, on 1×8×8 images. */
function net(classes: number, seed: number): Sequential {
  const rng = new Rng(seed).stream('init');
  return new Sequential({
    conv1: new Conv2d(1, 4, 3, { padding: 1, rng }),
    bn1: new BatchNorm2d(4),
    relu1: new ReLU(),
    pool1: new MaxPool2d(2),
    flatten: new Flatten(),
    fc: new Linear(64, classes, { rng }),
  });
}

/** A seeded resumable source of 1×8×8 images in `classes` classes. */
function images(n = 32, classes = 3, seed = 1) {
  const rng = new Rng(seed);
  const x = rng.fillNormal(new Float32Array(n * 64));
  const y = Int32Array.from({ length: n }, (_, i) => i % classes);
  for (let i = 0; i < n; i++) for (let p = 0; p < 64; p++) if (p % classes === y[i]) x[i * 64 + p] += 1;
  return {
    *epoch(e: number, { seed: s, startBatch = 0 }: { seed: number; startBatch?: number }): Iterable<Batch> {
      const order = new Rng(s).stream('shuffle').stream(`epoch-${e}`).permutation(n);
      for (let b = startBatch; b < n / 8; b++) {
        const idx = order.subarray(b * 8, b * 8 + 8);
        const bx = new Float32Array(8 * 64);
        idx.forEach((j, k) => bx.set(x.subarray(j * 64, j * 64 + 64), k * 64));
        yield { x: new Tensor(bx, [8, 1, 8, 8]), y: Int32Array.from(idx, (j) => y[j]) };
      }
    },
  };
}

describe('loadPretrained', () => {
  test('loads a pretrained model with the same architecture completely (strict) and reports every key', () => {
    const source = net(3, 1);
    const target = net(3, 2);
    const report = loadPretrained(target, encodeCheckpoint({ model: source.stateDict() }));
    expect(report).toEqual({ loaded: Object.keys(source.stateDict()), missing: [], unexpected: [], mismatched: [], excluded: [] });
    expect(values(target)).toEqual(values(source));
  });

  test('a different head is an error under strict, listing every difference and the fix', () => {
    const target = net(5, 2);
    expect(() => loadPretrained(target, net(3, 1).stateDict())).toThrow(
      new TransferError(
        'loadPretrained: the pretrained weights do not fit this Sequential — shape mismatches: fc.weight (model [5, 64], pretrained [3, 64]), fc.bias (model [5], pretrained [3]); exclude the layers you replace ({ exclude: /^(fc)\\./ }) or pass { strict: false } to load what matches',
      ),
    );
    const before = values(target);
    expect(() => loadPretrained(target, { 'conv1.weight': net(3, 1).stateDict()['conv1.weight'], 'extra.weight': new Tensor(new Float32Array(1), [1]) })).toThrow(
      /missing from the pretrained weights: conv1.bias, bn1.weight, .*; not in the model: extra.weight; exclude the layers you replace \(\{ exclude: \/\^\(extra\)\\.\/ \}\)/,
    );
    expect(values(target)).toEqual(before); // nothing was loaded
  });

  test('exclude drops the old head: the backbone loads, the new head keeps its initialization', () => {
    const source = net(3, 1);
    const target = net(5, 2);
    const head = values(target)['fc.weight'];
    const report = loadPretrained(target, source.stateDict(), { exclude: /^fc\./ });
    expect(report).toMatchObject({ missing: ['fc.weight', 'fc.bias'], unexpected: [], mismatched: [], excluded: ['fc.weight', 'fc.bias'] });
    expect(report.loaded).toEqual(['conv1.weight', 'conv1.bias', 'bn1.weight', 'bn1.bias', 'bn1.running_mean', 'bn1.running_var', 'bn1.num_batches_tracked']);
    expect(values(target)['conv1.weight']).toEqual(values(source)['conv1.weight']);
    expect(values(target)['fc.weight']).toEqual(head);
  });

  test('strict: false loads what matches and reports the rest', () => {
    const report = loadPretrained(net(5, 2), { ...net(3, 1).stateDict(), 'old.weight': new Tensor(new Float32Array(2), [2]) }, { strict: false });
    expect(report.mismatched.map((m) => [m.key, m.expected, m.got])).toEqual([['fc.weight', [5, 64], [3, 64]], ['fc.bias', [5], [3]]]);
    expect([report.missing, report.unexpected, report.loaded.length]).toEqual([[], ['old.weight'], 7]);
  });

  test('rename maps source names onto the model (e.g. a "module." prefix)', () => {
    const source = Object.fromEntries(Object.entries(net(3, 1).stateDict()).map(([k, t]) => [`module.${k}`, t]));
    expect(loadPretrained(net(3, 2), source, { rename: (k) => k.replace(/^module\./, '') }).loaded).toHaveLength(9);
  });

  test('a state dict exported from PyTorch (bfloat16 backbone, float32 head) loads into mnistCnn() with the numbers PyTorch has', () => {
    const bytes = readFileSync(join(fixtures, 'torch-mnist-cnn.safetensors'));
    const model = mnistCnn();
    expect(loadPretrained(model, decodeCheckpoint(bytes)).loaded).toEqual(['conv1.weight', 'conv1.bias', 'conv2.weight', 'conv2.bias', 'fc.weight', 'fc.bias']);
    const { input, output } = JSON.parse(readFileSync(join(fixtures, 'torch-mnist-cnn.json'), 'utf8')) as { input: number[]; output: number[] };
    const y = noGrad(() => model.eval().call(new Tensor(Float32Array.from(input), [4, 1, 28, 28])));
    expect(Math.max(...Array.from(y.data, (v, i) => Math.abs(v - output[i])))).toBeLessThan(1e-4);
  });
});

describe('replaceHead', () => {
  test('replaces a child of a Sequential and returns the old one', () => {
    const model = net(3, 1);
    const old = replaceHead(model, 'fc', new Linear(64, 7));
    expect(old).toBeInstanceOf(Linear);
    expect(noGrad(() => model.call(new Tensor(new Float32Array(64), [1, 1, 8, 8]))).shape).toEqual([1, 7]);
    expect(model.stateDict()['fc.weight'].shape).toEqual([7, 64]);
  });

  test('follows a dotted path into nested modules, including plain Module fields', () => {
    class Classifier extends Module {
      out = new Linear(4, 2);
      forward(x: Tensor) {
        return this.out.call(x);
      }
    }
    const model = new Sequential({ body: new Linear(4, 4), head: new Classifier() });
    model.eval();
    const fresh = new Linear(4, 9);
    replaceHead(model, 'head.out', fresh);
    expect((model.at('head') as Classifier).out).toBe(fresh);
    expect(fresh.training).toBe(false);
  });

  test('fitting again with the same Trainer after replaceHead starts the new head\'s optimizer state fresh (same shape or not), as PyTorch does for new parameters; the backbone keeps its state', async () => {
    for (const classes of [3, 5]) {
      const model = net(3, 1);
      const trainer = new Trainer({ optimizer: adam({ lr: 1e-2 }), seed: 0 });
      await trainer.fit(model, { train: images(), epochs: 1 });
      const head = new Linear(64, classes, { rng: new Rng(7) });
      replaceHead(model, 'fc', head);
      freeze(model, /^(conv1|bn1)\./);
      await trainer.fit(model, { train: images(32, classes), epochs: 1 });
      // the same head, on the same frozen backbone, trained from a fresh Adam
      const twin = net(3, 1);
      twin.loadStateDict(model.stateDict(), { strict: false });
      const fresh = new Linear(64, classes, { rng: new Rng(7) });
      replaceHead(twin, 'fc', fresh);
      freeze(twin, /^(conv1|bn1)\./);
      twin.loadStateDict(Object.fromEntries(Object.entries(model.stateDict()).filter(([k]) => !k.startsWith('fc.'))), { strict: false });
      await new Trainer({ optimizer: adam({ lr: 1e-2 }), seed: 0 }).fit(twin, { train: images(32, classes), epochs: 1 });
      expect(Array.from(head.weight.data)).toEqual(Array.from(fresh.weight.data));
      expect(trainer.optimizer?.stateDict().paramSteps).toMatchObject({ 'fc.weight': 4, 'conv1.weight': 4 });
    }
  });

  test('an unknown path names the children that exist', () => {
    expect(() => replaceHead(net(3, 1), 'classifier', new Linear(1, 1))).toThrow('replaceHead: no submodule "classifier" (children of the model: conv1, bn1, relu1, pool1, flatten, fc)');
    expect(() => replaceHead(net(3, 1), 'fc.x', new Linear(1, 1))).toThrow('no submodule "fc.x" (children of fc: none)');
  });

  test('an empty, malformed or non-string path is refused saying what a path is', () => {
    for (const path of ['', 'fc.', '.fc', 0]) {
      expect(() => replaceHead(net(3, 1), path as string, new Linear(1, 1)), String(path)).toThrow(`replaceHead: path must be a child name or a dotted path such as 'classifier.out', got ${JSON.stringify(path)}`);
    }
  });
});

describe('freeze and unfreeze (re-exported from @trainkit/core)', () => {
  test('a frozen backbone gets no gradient, no optimizer state and no update; its BatchNorm keeps its statistics', async () => {
    const model = net(3, 1);
    freeze(model, /^(conv1|bn1)\./);
    const before = values(model);
    const optimizer = adam({ lr: 1e-2 });
    await new Trainer({ optimizer, seed: 1 }).fit(model, { train: images(), epochs: 2 });
    const after = values(model);
    for (const k of ['conv1.weight', 'conv1.bias', 'bn1.weight', 'bn1.running_mean', 'bn1.running_var', 'bn1.num_batches_tracked']) expect(after[k], k).toEqual(before[k]);
    expect(after['fc.weight']).not.toEqual(before['fc.weight']);
    expect(Object.keys(optimizer.stateDict().slots)).toEqual(['fc.weight', 'fc.bias']);
    expect(Object.fromEntries(model.namedParameters())['conv1.weight'].grad).toBeNull();
  });

  test('unfreeze lets the backbone train again', async () => {
    const model = net(3, 1);
    freeze(model, /^conv1\./);
    unfreeze(model, /^conv1\./);
    const before = values(model)['conv1.weight'];
    await new Trainer({ optimizer: adam({ lr: 1e-2 }) }).fit(model, { train: images(), epochs: 1 });
    expect(values(model)['conv1.weight']).not.toEqual(before);
  });
});

describe('stagedUnfreeze with per-group learning rates', () => {
  /** Records the weights at the start of every epoch. */
  function recorder(model: Module, into: Array<Record<string, number[]>>): Plugin {
    return { name: 'recorder', onTrainEpochStart: () => void into.push(values(model)) };
  }

  test('the backbone stays frozen until its epoch, then trains at its group lr (Adam’s first step moves each weight by about lr)', async () => {
    const model = net(3, 1);
    const seen: Array<Record<string, number[]>> = [];
    const firstStep: Record<string, number> = {};
    const watch: Plugin = {
      name: 'first-backbone-step',
      onBeforeOptimizerStep: () => void (firstStep.before ??= seen.length === 3 ? values(model)['conv1.weight'][0] : undefined!),
      onAfterOptimizerStep: () => void (firstStep.after ??= seen.length === 3 ? values(model)['conv1.weight'][0] : undefined!),
    };
    const optimizer = adam({ lr: 1e-2, groups: [{ params: /^(conv1|bn1)\./, lr: 1e-4 }] });
    await new Trainer({ optimizer, seed: 2, plugins: [stagedUnfreeze([{ epoch: 2, params: /^(conv1|bn1)\./ }]), recorder(model, seen), watch] }).fit(model, { train: images(), epochs: 4 });
    expect(seen[1]['conv1.weight']).toEqual(seen[0]['conv1.weight']);
    expect(seen[1]['bn1.running_mean']).toEqual(seen[0]['bn1.running_mean']); // frozen BatchNorm: eval mode
    expect(seen[2]['conv1.weight']).toEqual(seen[0]['conv1.weight']);
    expect(seen[3]['conv1.weight']).not.toEqual(seen[2]['conv1.weight']);
    expect(seen[3]['bn1.running_mean']).not.toEqual(seen[2]['bn1.running_mean']);
    expect(Math.abs(firstStep.after - firstStep.before)).toBeCloseTo(1e-4, 5);
    expect(optimizer.stateDict().paramSteps).toMatchObject({ 'fc.weight': 16, 'conv1.weight': 8 });
  });

  test('a scheduler scales both groups and keeps their ratio', async () => {
    const optimizer = adam({ lr: 1e-2, groups: [{ params: /^conv1\./, lr: 1e-3 }] });
    const lrs: Array<[number, number]> = [];
    const spy: Plugin = { name: 'spy', onTrainBatchStart: () => void lrs.push([optimizer.hyperFor('fc.weight').lr, optimizer.hyperFor('conv1.weight').lr]) };
    await new Trainer({ optimizer, plugins: [scheduler(cosineAnnealing({ tMax: 4 })), stagedUnfreeze([{ epoch: 1, params: /^conv1\./ }]), spy] }).fit(net(3, 1), { train: images(), epochs: 3 });
    for (const [head, backbone] of lrs) expect(backbone / head).toBeCloseTo(0.1, 12);
    expect(lrs.at(-1)![0]).toBeCloseTo(5e-3, 12);
  });

  test('a fine-tuning run with staged unfreezing resumes exactly from a checkpoint taken before or after the unfreezing', async () => {
    const run = async (store: ReturnType<typeof memoryStore> | null, crashAt: [number, number] | null, resume?: string) => {
      const model = net(3, 5);
      loadPretrained(model, net(3, 1).stateDict(), { exclude: /^fc\./ });
      const plugins: Plugin[] = [scheduler(cosineAnnealing({ tMax: 4 })), stagedUnfreeze([{ epoch: 2, params: /^(conv1|bn1)\./ }])];
      if (store) plugins.push(new Checkpointer({ store, everyNSteps: 3 }));
      if (crashAt) plugins.push({ name: 'crash', onTrainBatchStart: (ctx) => { if (ctx.epoch === crashAt[0] && ctx.batchIndex === crashAt[1]) throw new Error('killed'); } });
      const optimizer = adam({ lr: 1e-2, groups: [{ params: /^(conv1|bn1)\./, lr: 1e-3 }] });
      await new Trainer({ optimizer, seed: 9, plugins }).fit(model, { train: images(), epochs: 4, resume });
      return values(model);
    };
    const straight = await run(null, null);
    for (const crashAt of [[1, 2], [2, 1], [3, 0]] as Array<[number, number]>) {
      const store = memoryStore();
      await expect(run(store, crashAt)).rejects.toThrow('killed');
      expect(await run(store, null, 'latest'), `crash at ${crashAt}`).toEqual(straight);
    }
  });

  test('invalid stages are refused', () => {
    expect(() => stagedUnfreeze([])).toThrow('stagedUnfreeze: give at least one stage');
    expect(() => stagedUnfreeze([{ epoch: -1, params: /x/ }])).toThrow('stagedUnfreeze: stages[0].epoch must be an integer ≥ 0, got -1');
    expect(() => stagedUnfreeze([{ epoch: 1 } as never])).toThrow('stages[0].params must select parameters');
  });
});
