// Same seed, same data, same code → bit-identical weights; a resumed run ends where an uninterrupted one does.
import { Trainer, sgd } from '@trainkit/core';
import { DataLoader } from '@trainkit/data';
import { loadMnist } from '@trainkit/data/node';
import { type Module, manualSeed, mnistMlp } from '@trainkit/nn';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const data = await loadMnist({ split: 'train', limit: env('TRAIN_LIMIT', 2_000) });
const weights = (m: Module) => Object.values(m.stateDict()).flatMap((t) => Array.from(t.data));
const same = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

// #region same-seed
async function run(seed: number, stopAtStep?: number) {
  manualSeed(seed); // initial weights
  const model = mnistMlp({ hidden: 32 });
  const loader = new DataLoader(data, { batchSize: 64, shuffle: true });
  const trainer = new Trainer({ optimizer: sgd({ lr: 0.1 }), seed }); // shuffling and plugin randomness
  if (stopAtStep !== undefined) {
    trainer.on('trainBatchEnd', (ctx) => void (ctx.step === stopAtStep && ctx.stop()));
    await trainer.fit(model, { train: loader, epochs: 2 });
    const state = trainer.stateDict();
    await new Trainer({ optimizer: sgd({ lr: 0.1 }), seed }).fit(model, { train: loader, epochs: 2, resume: state });
  } else {
    await trainer.fit(model, { train: loader, epochs: 2 });
  }
  return weights(model);
}
const a = await run(0);
const b = await run(0);
const c = await run(1);
const resumed = await run(0, 7); // stopped mid-epoch after 7 steps, then resumed
console.log(`seed 0 twice: identical ${same(a, b)}; seed 0 vs 1: identical ${same(a, c)}; resumed: identical ${same(a, resumed)}`);
// #endregion same-seed
if (!same(a, b) || same(a, c) || !same(a, resumed)) throw new Error('determinism example: unexpected result');
