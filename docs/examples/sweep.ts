// A sweep of 8 trials on worker threads: learning rate, optimizer (momentum only for the
// momentum optimizer) and width; ASHA stops the bad trials early; results go to a directory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { Trainer, sgd } from '@trainkit/core';
import { DataLoader, TensorDataset } from '@trainkit/data';
import { Linear, ReLU, Sequential, getDefaultRng, manualSeed } from '@trainkit/nn';
import { momentum } from '@trainkit/optim-momentum';
import { type TrialFunction, asha, choice, local, logUniform, runSweep, uniform, when } from '@trainkit/sweep/node';
import { Rng } from '@trainkit/tensor';

// two noisy classes in the plane: label 1 above the curve y = sin(3x)
const points = (n: number, seed: number) => {
  const x = new Rng(seed).fillUniform(new Float32Array(2 * n), -1, 1);
  const y = Int32Array.from({ length: n }, (_, i) => Number(x[2 * i + 1] > Math.sin(3 * x[2 * i])));
  return new TensorDataset({ x, y, sampleShape: [2], numClasses: 2 });
};

// #region trial
type Config = { lr: number; optimizer: 'sgd' | 'momentum'; momentum?: number; width: number };

// a trial builds a model from its config and fits it with ctx.plugins (they report every epoch to ASHA)
export const trial: TrialFunction<Config> = async (config, ctx) => {
  manualSeed(ctx.seed);
  const rng = getDefaultRng();
  const model = new Sequential({ fc1: new Linear(2, config.width, { rng }), relu: new ReLU(), fc2: new Linear(config.width, 2, { rng }) });
  const optimizer = config.optimizer === 'momentum' ? momentum({ lr: config.lr, momentum: config.momentum }) : sgd({ lr: config.lr });
  const trainer = new Trainer({ optimizer, plugins: ctx.plugins, seed: ctx.seed });
  const train = new DataLoader(points(400, 0), { batchSize: 40, shuffle: true });
  const fit = await trainer.fit(model, { train, val: new DataLoader(points(400, 1), { batchSize: 400 }), epochs: 9 });
  return fit.history.at(-1)!.metrics;
};
// #endregion trial

// worker threads import this file for `trial`; only the main thread runs the sweep
if (isMainThread) {
  const dir = mkdtempSync(join(tmpdir(), 'trainkit-sweep-example-'));
  // #region sweep
  const options = {
    space: {
      lr: logUniform(1e-3, 1),
      optimizer: choice(['sgd', 'momentum'] as const),
      momentum: when((c) => c.optimizer === 'momentum', uniform(0.5, 0.95)),
      width: choice([4, 16]),
    },
    trial: { module: new URL(import.meta.url), exportName: 'trial' },
    trials: 8,
    sampler: 'sobol',
    metric: 'valLoss',
    mode: 'min' as const,
    scheduler: asha({ maxEpochs: 9 }), // rungs after epochs 1 and 3; η = 3
    executor: local({ concurrency: 2 }),
    dir, // sweep.json + trials.jsonl, one line per trial
  };
  const sweep = await runSweep(options);
  const trials = sweep.trials();
  const count = (status: string) => trials.filter((t) => t.status === status).length;
  console.log(`${trials.length} trials: ${count('completed')} completed, ${count('pruned')} pruned early`);
  const best = sweep.best()!;
  console.log(`best: ${JSON.stringify(best.config)} valLoss ${best.metrics!.valLoss.toFixed(4)}`);
  // #endregion sweep

  // running it again with the same directory finds every trial done
  let ran = 0;
  await runSweep({ ...options, scheduler: asha({ maxEpochs: 9 }), onTrialEnd: () => ran++ });
  console.log(`rerun with the same directory ran ${ran} trials`);
  rmSync(dir, { recursive: true, force: true });
}
