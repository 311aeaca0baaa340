import { expect, test } from 'vitest';
import { type Batch, type DataSource, Trainer, sgd } from './index';
import { snapshot, toyLoader, toyModel } from './__tests__/fixtures';

/** `source` with an `epochAsync` that hands out each batch after a timer, and counts its calls. */
function delayed(source: DataSource & { length: number }): DataSource & { length: number; asyncCalls: number } {
  const out = {
    length: source.length,
    asyncCalls: 0,
    epoch: (e: number, o: { seed: number; startBatch?: number }) => source.epoch(e, o),
    async *epochAsync(e: number, o: { seed: number; startBatch?: number }): AsyncGenerator<Batch> {
      out.asyncCalls++;
      for (const b of source.epoch(e, o)) yield await new Promise<Batch>((resolve) => setTimeout(() => resolve(b), 1));
    },
  };
  return out;
}

test('fit and evaluate take batches from epochAsync when the source has one, with the weights and metrics of the synchronous epoch', async () => {
  const run = async (train: DataSource, val: DataSource) => {
    const model = toyModel(0);
    const trainer = new Trainer({ optimizer: sgd({ lr: 0.1 }), seed: 3 });
    await trainer.fit(model, { train, val, epochs: 3 });
    const history = trainer.history.map(({ epoch, metrics: { time: _t, samplesPerSec: _s, ...rest } }) => ({ epoch, ...rest })); // timings differ
    return { weights: snapshot(model), history, evaluated: await trainer.evaluate(model, val) };
  };
  const [train, val] = [delayed(toyLoader(64, 8, 1)), delayed(toyLoader(32, 8, 2))];
  const viaAsync = await run(train, val);
  expect([train.asyncCalls, val.asyncCalls]).toEqual([3, 4]);
  expect(viaAsync).toEqual(await run(toyLoader(64, 8, 1), toyLoader(32, 8, 2)));
});
