/**
 * Checkpointed trial functions for the queue tests, loaded by the worker processes' threads: the
 * toy MLP of ../../__tests__/toyTrial.ts, resumed with `ctx.resume`. Two environment variables of
 * the worker process steer them: TRAINKIT_TEST_EPOCH_MS (a pause after each epoch, so a test can
 * kill a worker mid-trial) and TRAINKIT_TEST_LOG (a file that gets a line per trial start:
 * `<trial> a<attempt> epoch=<epoch it starts at> pid=<worker process>`).
 */
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Plugin, Trainer, sgd } from '@trainkit/core';
import { DataLoader } from '@trainkit/data';
import { Linear, ReLU, Sequential, getDefaultRng, manualSeed } from '@trainkit/nn';
import type { Metrics, TrialContext, TrialFunction } from '../../index';
import { EPOCHS, train, val } from '../../__tests__/toyTrial';

type Toy = { lr: number; width: number };

/** Logs where each run starts and paces the epochs (see the file's comment). */
function testHooks(ctx: TrialContext): Plugin {
  const log = process.env.TRAINKIT_TEST_LOG;
  const pause = Number(process.env.TRAINKIT_TEST_EPOCH_MS ?? 0);
  return {
    name: 'test-hooks',
    onFitStart(fit) {
      if (log !== undefined) appendFileSync(log, `${ctx.trialId} a${ctx.attempt} epoch=${fit.epoch} pid=${process.pid}\n`);
    },
    async onTrainEpochEnd() {
      if (pause > 0) await sleep(pause);
    },
  };
}

/** Trains the toy MLP for 9 epochs with the sweep's plugins, resuming from the trial's checkpoint when there is one. */
export const trial: TrialFunction<Toy> = async (config, ctx) => {
  manualSeed(ctx.seed);
  const rng = getDefaultRng();
  const model = new Sequential({ fc1: new Linear(4, config.width, { rng }), relu: new ReLU(), fc2: new Linear(config.width, 3, { rng }) });
  const trainer = new Trainer({ optimizer: sgd({ lr: config.lr }), plugins: [...ctx.plugins, testHooks(ctx)], seed: ctx.seed });
  const loaders = { train: new DataLoader(train, { batchSize: 32, shuffle: true }), val: new DataLoader(val, { batchSize: 96 }) };
  const fit = await trainer.fit(model, { ...loaders, epochs: EPOCHS, resume: ctx.resume });
  return fit.history.at(-1)!.metrics;
};

/** Throws on the first attempt of trial 1, and always on trial 2; the trial otherwise. */
export const failing: TrialFunction<Toy> = (config, ctx) => {
  if (ctx.index === 1 && ctx.attempt === 0) throw new Error('flaky on purpose');
  if (ctx.index === 2) throw new RangeError(`broken trial ${ctx.index}`);
  return trial(config, ctx);
};

/** Never settles on trial 0; the trial otherwise. */
export const hangOnFirst: TrialFunction<Toy> = (config, ctx) => (ctx.index === 0 ? new Promise<Metrics>(() => undefined) : trial(config, ctx));

/** Diverges: every epoch's loss is NaN on trial 0 and +Infinity on trial 1 (the values JSON cannot carry), with a finite accuracy. */
export const diverging: TrialFunction<Toy> = async (_config, ctx) => {
  const metrics = { valLoss: ctx.index === 0 ? Number.NaN : Number.POSITIVE_INFINITY, valAccuracy: 0.25 };
  for (let epoch = 1; epoch <= 2; epoch++) if ((await ctx.report(epoch, metrics)) === 'stop') break;
  return metrics;
};
