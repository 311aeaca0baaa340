/**
 * Trial functions for the tests: a small MLP on a synthetic 3-class problem, loaded by worker
 * threads through this module's URL. One trial of 9 epochs takes a few tens of milliseconds.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Trainer, sgd } from '@trainkit/core';
import { DataLoader, TensorDataset } from '@trainkit/data';
import { Linear, ReLU, Sequential, getDefaultRng, manualSeed } from '@trainkit/nn';
import { Rng } from '@trainkit/tensor';
import { type Metrics, type TrialContext, type TrialFunction, choice, logUniform } from '../index';

/** The label is the index of the largest of the first three of four normal features. */
function toyDataset(n: number, seed: number): TensorDataset {
  const x = new Rng(seed).fillNormal(new Float32Array(n * 4));
  const y = Int32Array.from({ length: n }, (_, i) => {
    const r = x.subarray(i * 4, i * 4 + 3);
    return r[0] >= r[1] && r[0] >= r[2] ? 0 : r[1] >= r[2] ? 1 : 2;
  });
  return new TensorDataset({ x, y, sampleShape: [4], numClasses: 3 });
}

export const train = toyDataset(192, 1);
export const val = toyDataset(96, 2);
export const EPOCHS = 9;

/** The toy's search space: learning rates from hopeless to good, and two widths. */
export const toySpace = { lr: logUniform(1e-4, 1), width: choice([4, 16]) };

/** Trains the MLP of `config` for 9 epochs with the sweep's plugins; returns the last epoch's metrics. */
export const toyTrial: TrialFunction<{ lr: number; width: number }> = async (config, ctx) => {
  manualSeed(ctx.seed);
  const rng = getDefaultRng();
  const model = new Sequential({ fc1: new Linear(4, config.width, { rng }), relu: new ReLU(), fc2: new Linear(config.width, 3, { rng }) });
  const trainer = new Trainer({ optimizer: sgd({ lr: config.lr }), plugins: ctx.plugins, seed: ctx.seed });
  const fit = await trainer.fit(model, { train: new DataLoader(train, { batchSize: 32, shuffle: true }), val: new DataLoader(val, { batchSize: 96 }), epochs: EPOCHS });
  return fit.history.at(-1)!.metrics;
};

/** Never settles on trial 0 (to test timeouts); the toy trial otherwise. */
export const hangOnFirst: TrialFunction<{ lr: number; width: number }> = (config, ctx) => (ctx.index === 0 ? new Promise<Metrics>(() => undefined) : toyTrial(config, ctx));

/** Throws on the first attempt of trial 1 (to test retries); the toy trial otherwise. */
export const flakyOnSecond: TrialFunction<{ lr: number; width: number }> = (config, ctx: TrialContext) => {
  if (ctx.index === 1 && ctx.attempt === 0) throw new Error('flaky on purpose');
  return toyTrial(config, ctx);
};

/** Trial 2 always throws. */
export const brokenThird: TrialFunction<{ lr: number; width: number }> = (config, ctx) => {
  if (ctx.index === 2) throw new RangeError(`broken trial ${ctx.index}`);
  return toyTrial(config, ctx);
};

/** Kills its worker thread on the first attempt of trial 0 (to test crashes); the toy trial otherwise. */
export const crashOnFirst: TrialFunction<{ lr: number; width: number }> = (config, ctx) => {
  if (ctx.index === 0 && ctx.attempt === 0) process.exit(3);
  return toyTrial(config, ctx);
};

/**
 * The toy trial, leaving behind an error nobody handles 20 ms after it returned: a rejection
 * (`throws` false; the worker thread reports it and is replaced after its run) or an exception
 * (`throws`; the thread dies). With `gate` (a directory) the thread first writes `gate/busy`,
 * then stays busy until `gate/go` exists, so that a test can post the next trial meanwhile; after
 * a rejection it writes `gate/reported` once the thread has reported it.
 */
export const dieAfterReturn: TrialFunction<{ lr: number; width: number; gate?: string; throws?: boolean }> = async (config, ctx) => {
  const metrics = await toyTrial(config, ctx);
  setTimeout(() => {
    if (config.gate !== undefined) {
      writeFileSync(join(config.gate, 'busy'), '');
      while (!existsSync(join(config.gate, 'go')));
    }
    if (config.throws === true) throw new Error('a late exception');
    void Promise.reject(new Error('a late rejection'));
    // after the thread has reported the rejection (its handler runs before the next timer)
    if (config.gate !== undefined) setTimeout(() => writeFileSync(join(config.gate!, 'reported'), ''), 0);
  }, 20);
  return metrics;
};
