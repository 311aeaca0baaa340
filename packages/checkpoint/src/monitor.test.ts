import { Trainer, earlyStopping, type Plugin } from '@trainkit/core';
import { adam } from '@trainkit/optim-adam';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { Checkpointer, type CheckpointOptions, type CheckpointStore, decodeCheckpoint, memoryStore } from './index';
import { checkpoint } from './node';
import { bnCnn, imageLoader, snapshot } from './__tests__/models';

// What the monitored metric decides (the best file, the top-k names) and how plugin states
// that hold weights travel through a checkpoint.

/** Logs `values[epoch]` as the metric `name` on every batch, so the epoch's mean is exactly that value. */
const scripted = (values: number[], name = 'score'): Plugin => ({ name: `scripted-${name}`, onTrainBatchEnd: (ctx) => ctx.log(name, values[ctx.epoch]) });

async function fit(store: CheckpointStore, options: Omit<CheckpointOptions, 'store'>, epochs: number, plugins: Plugin[], resume?: string) {
  const ckpt = new Checkpointer({ store, ...options });
  const model = bnCnn(resume === undefined ? 0 : 9);
  const result = await new Trainer({ optimizer: adam({ lr: 1e-2 }), seed: 5, plugins: [ckpt, ...plugins] }).fit(model, { train: imageLoader(24, 8), epochs, resume });
  return { ckpt, model, result };
}

describe('the best checkpoint without best.safetensors', () => {
  test('with saveBest: false, best names the top-k file that holds the best checkpoint, and resume: best loads that file', async () => {
    const store = memoryStore();
    const options = { monitor: 'score', mode: 'min', saveBest: false, topK: 2 } as const;
    const { ckpt } = await fit(store, options, 4, [scripted([3, 1, 2, 4])]);
    expect(ckpt.best).toEqual({ file: 'epoch=1-step=6-score=1.0000.safetensors', epoch: 1, step: 6, score: 1 });
    expect(store.files.has(ckpt.best!.file)).toBe(true);
    const warnings: string[] = [];
    const resumed = await fit(store, { ...options, warn: (m) => void warnings.push(m) }, 4, [scripted([3, 1, 2, 4])], 'best');
    expect(resumed.ckpt.resumedFrom).toBe('epoch=1-step=6-score=1.0000.safetensors');
    expect(warnings).toEqual(['checkpoint: memory holds 1 checkpoint file(s) saved after the step this run resumed from (epoch=2-step=9-score=2.0000.safetensors); they are kept, outside the retention lists']);
    expect(resumed.result.history.map((h) => h.epoch)).toEqual([0, 1, 2, 3]);
  });

  test('a monitor with saveBest: false and topK 0 keeps no ranked file, and is refused', () => {
    expect(() => new Checkpointer({ store: memoryStore(), monitor: 'valLoss', saveBest: false, keepLast: 2 })).toThrow(
      "checkpoint({ saveBest: false }): with topK 0 no file would hold the best checkpoint, so monitor 'valLoss' would decide nothing; keep saveBest, set topK, or leave out monitor",
    );
  });
});

describe('resuming with another monitor', () => {
  test('a resume from a file that holds no state of this checkpointer (its monitor changed) warns that ranking starts afresh', async () => {
    const store = memoryStore();
    await fit(store, { monitor: 'score', mode: 'min', topK: 1 }, 2, [scripted([3, 1])]);
    const warnings: string[] = [];
    await fit(store, { monitor: 'other', mode: 'min', warn: (m) => void warnings.push(m) }, 3, [scripted([3, 1, 2]), scripted([5, 5, 4], 'other')], 'latest');
    expect(warnings).toEqual([
      'checkpoint: memory/latest.safetensors holds no state of this checkpointer (stateKey "checkpoint:other"; the file has: checkpoint:score); ' +
        'its best and top-k lists start afresh, best.safetensors will be replaced by this run\'s best, and the numbered files already in memory are kept outside its lists',
    ]);
  });
});

describe('top-k file names', () => {
  test('a monitor with characters a file name cannot hold (val/loss) is written with _ in its place; the files land in the directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trainkit-monitor-'));
    const ckpt = checkpoint({ dir, monitor: 'val/loss', mode: 'min', topK: 2 });
    await new Trainer({ optimizer: adam(), seed: 5, plugins: [scripted([0.5, 0.25], 'val/loss'), ckpt] }).fit(bnCnn(), { train: imageLoader(24, 8), epochs: 2 });
    expect(readdirSync(dir).sort()).toEqual(['best.safetensors', 'epoch=0-step=3-val_loss=0.5000.safetensors', 'epoch=1-step=6-val_loss=0.2500.safetensors', 'latest.safetensors']);
    expect(ckpt.ranked.map((f) => f.score)).toEqual([0.25, 0.5]);
  });
});

describe('plugin states with typed arrays', () => {
  test("earlyStopping's best weights (Float32Arrays in its state) round-trip bit for bit, and a resumed run restores them at its end", async () => {
    const es = () => earlyStopping({ monitor: 'score', mode: 'min', patience: 10, restoreBestWeights: true });
    const values = [3, 1, 2, 4, 5];
    const straightStopper = es();
    const straight = await fit(memoryStore(), {}, 5, [scripted(values), straightStopper]);
    const store = memoryStore();
    const first = es();
    let live: Record<string, Float32Array> | null = null;
    const grab: Plugin = { name: 'grab', onTrainEpochEnd: (ctx) => void (ctx.epoch === 2 && (live = structuredClone((ctx.trainer.stateDict().plugins['earlyStopping:score'] as { weights: Record<string, Float32Array> }).weights))) };
    await fit(store, {}, 3, [scripted(values), first, grab]);
    const saved = decodeCheckpoint(store.files.get('latest.safetensors')!).trainer!.plugins['earlyStopping:score'] as { bestEpoch: number; weights: Record<string, Float32Array> };
    expect(saved.bestEpoch).toBe(1);
    expect(Object.values(saved.weights).every((w) => w instanceof Float32Array)).toBe(true);
    expect(saved.weights).toEqual(live);
    const resumedStopper = es();
    const resumed = await fit(store, {}, 5, [scripted(values), resumedStopper], 'latest');
    expect([resumedStopper.bestEpoch, straightStopper.bestEpoch]).toEqual([1, 1]);
    expect(snapshot(resumed.model)).toEqual(snapshot(straight.model));
  });
});
