// Checkpoints: a run killed mid-epoch continues from latest.safetensors to the same weights.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkpoint } from '@trainkit/checkpoint/node';
import { Trainer } from '@trainkit/core';
import { Linear, manualSeed } from '@trainkit/nn';
import { adam } from '@trainkit/optim-adam';
import { Rng, Tensor } from '@trainkit/tensor';

const rng = new Rng(0);
const batch = () => {
  const x = new Tensor(rng.fillNormal(new Float32Array(32 * 4)), [32, 4]);
  return { x, y: Int32Array.from({ length: 32 }, (_, i) => Number(x.data[4 * i] > x.data[4 * i + 1])) };
};
const train = [batch(), batch(), batch(), batch()];
const val = [batch()];

// #region resume
/** Trains a fresh model in `dir` for 3 epochs, continuing from the latest checkpoint there if any. */
async function run(dir: string, killAtStep?: number) {
  manualSeed(0);
  const model = new Linear(4, 2);
  const ckpt = checkpoint({ dir, monitor: 'valLoss', everyNSteps: 3 }); // also best.safetensors
  const trainer = new Trainer({ optimizer: adam({ lr: 0.05 }), plugins: [ckpt], seed: 0 });
  if (killAtStep !== undefined) trainer.on('trainBatchEnd', (ctx) => ctx.step === killAtStep && ctx.stop('killed'));
  const { stopReason } = await trainer.fit(model, { train, val, epochs: 3, resume: 'latest' }); // a fresh start or a continuation
  return { weights: model.stateDict(), stopReason, best: ckpt.best };
}

const dir = mkdtempSync(join(tmpdir(), 'trainkit-checkpoint-'));
const killed = await run(dir, 6); // stops in the middle of the second epoch
const resumed = await run(dir); // same directory: resumes from latest.safetensors
const straight = await run(mkdtempSync(join(tmpdir(), 'trainkit-checkpoint-'))); // never interrupted
const same = Object.entries(straight.weights).every(([k, t]) => t.data.every((v, i) => v === resumed.weights[k].data[i]));
console.log(`${killed.stopReason}; resumed weights equal the uninterrupted run's: ${same}`);
console.log(`best: ${resumed.best?.file} from epoch ${(resumed.best?.epoch ?? 0) + 1}`);
// #endregion resume
