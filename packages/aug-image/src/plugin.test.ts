import { describe, expect, test } from 'vitest';
import { type Batch, type Plugin, Trainer, sgd } from '@trainkit/core';
import { Flatten, Linear, Sequential } from '@trainkit/nn';
import { Rng, Tensor } from '@trainkit/tensor';
import { augment } from './plugin';
import { compose } from './compose';
import { randomTranslate } from './translate';
import { randomRotation } from './rotation';
import { randomHorizontalFlip } from './flip';
import { AugmentError } from './errors';
import { mixup } from './mixup';
import { cutmix } from './cutmix';

/** Four batches of 8 random 1×6×6 images in 3 classes; kept for comparison after training. */
function data(seed = 1): Batch[] {
  const rng = new Rng(seed);
  return Array.from({ length: 4 }, () => ({
    x: new Tensor(rng.fillUniform(new Float32Array(8 * 36)), [8, 1, 6, 6]),
    y: Int32Array.from({ length: 8 }, () => rng.int(3)),
  }));
}

const model = () => new Sequential({ flat: new Flatten(), fc: new Linear(36, 3, { rng: new Rng(0).stream('init') }) });
const pipeline = () => compose([randomTranslate({ max: 1 }), randomRotation({ degrees: 15 }), randomHorizontalFlip()]);

/** Records a copy of every batch the model sees, per stage. */
function recorder(): Plugin & { train: Float32Array[]; val: Float32Array[] } {
  const train: Float32Array[] = [];
  const val: Float32Array[] = [];
  return {
    name: 'recorder',
    train,
    val,
    onTrainBatchStart: (ctx) => void train.push(Float32Array.from(ctx.batch.x.data)),
    onValidationBatchStart: (ctx) => void val.push(Float32Array.from(ctx.batch.x.data)),
  };
}

async function fit(seed: number, plugins: Plugin[], train = data(), val = data(2)) {
  const m = model();
  await new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins, seed }).fit(m, { train, val, epochs: 2 });
  return m;
}

describe('augment (the trainer plugin)', () => {
  test('augments training batches only; validation batches reach the model as they are', async () => {
    const rec = recorder();
    const train = data();
    const val = data(2);
    await fit(0, [augment(pipeline()), rec], train, val);
    expect(rec.train).toHaveLength(8);
    rec.train.forEach((x, k) => expect(x).not.toEqual(train[k % 4].x.data));
    rec.val.forEach((x, k) => expect(x).toEqual(val[k % 4].x.data));
  });

  test("never mutates the caller's batch tensors", async () => {
    const train = data();
    const copies = train.map((b) => [Float32Array.from(b.x.data), Int32Array.from(b.y as Int32Array)] as const);
    await fit(0, [augment(pipeline())], train);
    train.forEach((b, k) => {
      expect(b.x.data).toEqual(copies[k][0]);
      expect(b.y).toEqual(copies[k][1]);
    });
  });

  test('does nothing while the model is in eval mode', async () => {
    const rec = recorder();
    const train = data();
    const freezeMode: Plugin = { name: 'evalMode', onTrainBatchStart: (ctx) => void ctx.model.eval() };
    await fit(0, [freezeMode, augment(pipeline()), rec], train);
    rec.train.forEach((x, k) => expect(x).toEqual(train[k % 4].x.data));
  });

  test("draws from the trainer's 'augment' stream: the same seed gives the same batches and weights, another seed differs", async () => {
    const [a, b, c] = [recorder(), recorder(), recorder()];
    const ma = await fit(7, [augment(pipeline()), a]);
    const mb = await fit(7, [augment(pipeline()), b]);
    await fit(8, [augment(pipeline()), c]);
    expect(b.train).toEqual(a.train);
    expect(mb.stateDict()['fc.weight'].data).toEqual(ma.stateDict()['fc.weight'].data);
    expect(c.train).not.toEqual(a.train);
  });

  test('stopping mid-epoch and resuming from the trainer state replays the same augmented batches and weights', async () => {
    const full = recorder();
    const m = await fit(3, [augment(pipeline()), full]);

    const first = recorder();
    const stopAt: Plugin = { name: 'kill', onTrainBatchEnd: (ctx) => void (ctx.epoch === 1 && ctx.batchIndex === 1 && ctx.stop('killed')) };
    const part = model();
    const t1 = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [augment(pipeline()), first, stopAt], seed: 3 });
    await t1.fit(part, { train: data(), val: data(2), epochs: 2 });
    const state = structuredClone(t1.stateDict());
    const weights = Object.fromEntries(Object.entries(part.stateDict()).map(([k, t]) => [k, t.clone()]));

    const rest = recorder();
    const resumed = model();
    resumed.loadStateDict(weights);
    await new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [augment(pipeline()), rest], seed: 3 }).fit(resumed, { train: data(), val: data(2), epochs: 2, resume: state });
    expect([...first.train, ...rest.train]).toEqual(full.train);
    expect(resumed.stateDict()['fc.weight'].data).toEqual(m.stateDict()['fc.weight'].data);
  });

  test('lastDraw holds the parameters of the latest batch', async () => {
    const plugin = augment(pipeline());
    expect(plugin.lastDraw).toBeNull();
    await fit(0, [plugin]);
    expect(plugin.lastDraw).toHaveLength(3);
    expect((plugin.lastDraw as unknown[][])[0]).toHaveLength(8);
  });

  test('with mixup and cutmix the model trains on soft labels (crossEntropy and accuracy take them)', async () => {
    const seen: Tensor[] = [];
    const spy: Plugin = { name: 'spy', onTrainBatchStart: (ctx) => void seen.push(ctx.batch.y as Tensor) };
    const m = model();
    const { history } = await new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [augment(compose([cutmix({ p: 0.5 }), mixup({ alpha: 0.4 })]), { numClasses: 3 }), spy] }).fit(m, {
      train: data(),
      val: data(2),
      epochs: 2,
    });
    expect(seen.every((y) => y instanceof Tensor && y.shape[0] === 8 && y.shape[1] === 3)).toBe(true);
    expect(Number.isFinite(history[1].metrics.loss)).toBe(true);
    expect(history[1].metrics.valAccuracy).toBeGreaterThanOrEqual(0);
  });

  test('options are validated when the plugin is made', () => {
    expect(() => augment(pipeline(), { numClasses: 0 })).toThrow(new AugmentError('augment', 'numClasses must be a positive integer, got 0'));
    expect(() => augment(pipeline(), { stream: 'a/b' })).toThrow('aug-image: augment: stream must be a non-empty name without "/", got "a/b"');
    expect(() => augment(null as never)).toThrow('aug-image: augment: expected a transform or compose([...]) pipeline, got null');
  });

  test('a flat batch is refused with an error that names the plugin, the shape and the fix', async () => {
    const flat = [{ x: new Tensor(new Float32Array(2 * 36), [2, 36]), y: Int32Array.of(0, 1) }];
    const m = new Sequential({ fc: new Linear(36, 3) });
    await expect(new Trainer({ optimizer: sgd(), plugins: [augment(pipeline())] }).fit(m, { train: flat, epochs: 1 })).rejects.toThrow(
      'aug-image: compose: expected an NCHW image batch (rank 4), got shape [2, 36]; reshape it to [N, C, H, W] first (MNIST rows of 784: [N, 1, 28, 28])',
    );
  });
});
