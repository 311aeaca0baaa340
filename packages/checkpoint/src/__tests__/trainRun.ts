/**
 * A training process for the exact-resume and crash tests, run as its own Node process:
 *
 *   node --conditions=@trainkit/source --import tsx trainRun.ts '<json options>'
 *
 * Trains the foundation CNN on 256 MNIST test images with Adam, a cosine schedule and every
 * stochastic plugin in REGULARIZERS; optionally checkpoints into `dir`, SIGKILLs itself just
 * before a given batch, resumes from 'latest', and writes its final weights and trainer state to
 * `out`. Prints one JSON line: { resumedFrom, history }.
 */
import { Trainer, cosineAnnealing, scheduler, type Plugin } from '@trainkit/core';
import { DataLoader } from '@trainkit/data';
import { loadMnist } from '@trainkit/data/node';
import { manualSeed, mnistCnn, mnistMlp } from '@trainkit/nn';
import { adam } from '@trainkit/optim-adam';
import { augment, compose, randomRotation, randomTranslate } from '@trainkit/aug-image';
import { dropout } from '@trainkit/reg-dropout';
import { checkpoint, writeCheckpoint } from '../node';
import type { CheckpointOptions } from '../index';
import { type KillSwitch, installKillSwitch } from './killSwitch';

interface RunOptions {
  epochs: number;
  /** Checkpoint directory; none: no checkpointing. */
  dir?: string;
  everyNSteps?: number;
  /** SIGKILL this process when batch `batch` of epoch `epoch` is about to start. */
  killAt?: { epoch: number; batch: number };
  resume?: boolean;
  out: string;
  /** Extra bytes of state to make every checkpoint large (slow to write), for the crash test. */
  ballast?: number;
  /** Use a small MLP instead of the CNN (the crash test needs many quick runs). */
  small?: boolean;
  /** More checkpointer options (retention: keepLast, topK with monitor). */
  checkpoint?: Pick<CheckpointOptions, 'keepLast' | 'topK' | 'monitor'>;
  /** SIGKILL this process at a file-system call (see killSwitch.ts). */
  kill?: KillSwitch;
}

const o = JSON.parse(process.argv[2]) as RunOptions;
if (o.kill) installKillSwitch(o.kill);

// Every stochastic plugin trainkit has: exact resume must hold with all of them. Add new ones here, one line each.
const REGULARIZERS: Plugin[] = [
  dropout({ after: ['relu2'], p: 0.25 }),
  augment(compose([randomTranslate({ max: 2 }), randomRotation({ degrees: 10 })])),
];

const plugins: Plugin[] = [scheduler(cosineAnnealing({ tMax: o.epochs })), ...(o.small ? [] : REGULARIZERS)];
if (o.ballast) {
  let ballast: Float32Array = new Float32Array(o.ballast);
  plugins.push({ name: 'ballast', onTrainBatchEnd: (ctx) => void ballast.fill(ctx.step), stateDict: () => ({ ballast }), loadStateDict: (s) => void (ballast = (s as { ballast: Float32Array }).ballast) });
}
const ckpt = o.dir === undefined ? null : checkpoint({ dir: o.dir, everyNSteps: o.everyNSteps ?? 0, ...o.checkpoint });
if (ckpt) plugins.push(ckpt);
if (o.killAt) {
  const { epoch, batch } = o.killAt;
  plugins.push({ name: 'kill', onTrainBatchStart: (ctx) => void (ctx.epoch === epoch && ctx.batchIndex === batch && process.kill(process.pid, 'SIGKILL')) });
}

manualSeed(7);
const model = o.small ? mnistMlp({ hidden: 16 }) : mnistCnn();
const data = await loadMnist({ split: 'test', limit: o.small ? 64 : 256 });
const trainer = new Trainer({ optimizer: adam({ lr: 2e-3 }), seed: 11, plugins });
const { history } = await trainer.fit(model, { train: new DataLoader(data, { batchSize: 32, shuffle: true }), epochs: o.epochs, resume: o.resume ? 'latest' : undefined });
await writeCheckpoint(o.out, { model: model.stateDict(), trainer: trainer.stateDict() });
console.log(JSON.stringify({ resumedFrom: ckpt?.resumedFrom ?? null, history }));

