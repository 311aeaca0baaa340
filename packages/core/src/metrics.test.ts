import { describe, expect, test } from 'vitest';
import { Linear } from '@trainkit/nn';
import { Rng, Tensor, mse } from '@trainkit/tensor';
import { Trainer, sgd, type Batch } from './index';

/** Regression batches: 4 features, one target column (y = the sum of the features). */
function regression(batches: number, size = 4): Batch[] {
  const rng = new Rng(3);
  return Array.from({ length: batches }, () => {
    const x = rng.fillNormal(new Float32Array(size * 4));
    const y = Float32Array.from({ length: size }, (_, i) => x[4 * i] + x[4 * i + 1] + x[4 * i + 2] + x[4 * i + 3]);
    return { x: new Tensor(x, [size, 4]), y: new Tensor(y, [size, 1]) };
  });
}

describe('accuracy is logged only for outputs with a column per class', () => {
  test('a single-column output (a regression) gets no accuracy in fit, its validation or evaluate (an argmax over one column called every sample right)', async () => {
    const model = new Linear(4, 1, { rng: new Rng(0) });
    const trainer = new Trainer({ optimizer: sgd({ lr: 0.01 }), loss: (out, y) => mse(out, y as Tensor) });
    const { history } = await trainer.fit(model, { train: regression(3), val: regression(2), epochs: 1 });
    expect(Object.keys(history[0].metrics).sort()).toEqual(['loss', 'samplesPerSec', 'time', 'valLoss']);
    expect(Object.keys(await trainer.evaluate(model, regression(2)))).toEqual(['loss']);
  });

  test('a two-column output still gets accuracy', async () => {
    const model = new Linear(4, 2, { rng: new Rng(0) });
    const batch = { x: new Tensor(new Float32Array(8).fill(1), [2, 4]), y: new Int32Array([0, 1]) };
    expect((await new Trainer().evaluate(model, [batch])).accuracy).toBe(0.5);
  });
});

describe('ctx.log takes a number or a one-value tensor', () => {
  test('a one-value cpu tensor is logged as its value; a tensor of more values is refused with its shape', async () => {
    const model = new Linear(4, 1, { rng: new Rng(0) });
    const logger = { name: 'logger', onAfterBackward: (ctx: { log(n: string, v: number | Tensor): void; loss: Tensor }) => ctx.log('twice', mse(ctx.loss, new Tensor(Float32Array.of(0), []))) };
    const trainer = new Trainer({ optimizer: sgd({ lr: 0.01 }), loss: (out, y) => mse(out, y as Tensor), plugins: [logger] });
    const { history } = await trainer.fit(model, { train: regression(1), epochs: 1 });
    expect(history[0].metrics.twice).toBeCloseTo(history[0].metrics.loss ** 2, 4);
    const wide = { name: 'wide', onTrainBatchEnd: (ctx: { log(n: string, v: number | Tensor): void }) => ctx.log('pair', new Tensor(Float32Array.of(1, 2), [2])) };
    const fit = new Trainer({ optimizer: sgd({ lr: 0.01 }), loss: (out, y) => mse(out, y as Tensor), plugins: [wide] }).fit(model, { train: regression(1), epochs: 1 });
    await expect(fit).rejects.toThrow(/log: metric "pair" must be a number or a tensor of one value, got a tensor of shape \[2\]/);
  });
});
