/**
 * Member definitions for the tests: a small MLP with dropout on a synthetic 3-class problem,
 * loaded by worker threads through this module's URL. Training one member takes milliseconds.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { sgd } from '@trainkit/core';
import { DataLoader, TensorDataset } from '@trainkit/data';
import { Linear, ReLU, Sequential } from '@trainkit/nn';
import { Dropout } from '@trainkit/reg-dropout';
import { Rng } from '@trainkit/tensor';
import { defineMember, type MemberContext } from '../index';

/** The label is the index of the largest of the first three of four normal features. */
export function toyDataset(n: number, seed = 1): TensorDataset {
  const rng = new Rng(seed);
  const x = rng.fillNormal(new Float32Array(n * 4));
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const r = x.subarray(i * 4, i * 4 + 3);
    y[i] = r[0] >= r[1] && r[0] >= r[2] ? 0 : r[1] >= r[2] ? 1 : 2;
  }
  return new TensorDataset({ x, y, sampleShape: [4], numClasses: 3 });
}

export interface TinyParams {
  samples?: number;
  epochs?: number;
  /** Members with this index throw in setup (to test failures). */
  failMember?: number;
  /** Members with this index kill their worker thread mid-training. */
  crashMember?: number;
  /** Kills the worker thread once at this optimizer step, the first time only (it leaves `marker` behind). */
  crashOnce?: { step: number; marker: string };
}

/**
 * The plugin of `crashOnce`: exits the thread at `step` unless `marker` exists, creating it
 * first. The run after the crash writes the step it starts from to `<marker>.start`.
 */
const crashOnce = ({ step, marker }: { step: number; marker: string }) => ({
  name: 'crash-once',
  onTrainBatchStart: (ctx: { step: number }) => {
    if (existsSync(marker) && !existsSync(`${marker}.start`)) writeFileSync(`${marker}.start`, String(ctx.step));
  },
  onTrainBatchEnd: (ctx: { step: number }) => {
    if (ctx.step !== step || existsSync(marker)) return;
    writeFileSync(marker, `crashed at step ${step}`);
    process.exit(3);
  },
});

export const tinyModel = ({ rng }: Pick<MemberContext, 'rng'>) =>
  new Sequential({ fc1: new Linear(4, 16, { rng }), relu: new ReLU(), drop: new Dropout(0.2), fc2: new Linear(16, 3, { rng }) });

export const tinyMember = defineMember<TinyParams>({
  model: tinyModel,
  setup: ({ index, params }) => {
    if (params.failMember === index) throw new Error('setup failed on purpose');
    return {
      optimizer: sgd({ lr: 0.1 }),
      train: new DataLoader(toyDataset(params.samples ?? 256), { batchSize: 16, shuffle: true }),
      epochs: params.epochs ?? 2,
      plugins: [
        // where the member trained, as a metric in its history (weights do not depend on it)
        { name: 'thread', onTrainBatchEnd: (ctx) => ctx.log('mainThread', isMainThread ? 1 : 0) },
        ...(params.crashMember === index ? [{ name: 'crash', onTrainBatchEnd: () => process.exit(3) }] : []),
        ...(params.crashOnce !== undefined && index === 0 ? [crashOnce(params.crashOnce)] : []),
      ],
    };
  },
});

export default tinyMember;
