import { Trainer, cosineAnnealing, scheduler, type Plugin } from '@trainkit/core';
import { adam } from '@trainkit/optim-adam';
import { describe, expect, test } from 'vitest';
import { Checkpointer, type CheckpointOptions, type CheckpointStore, decodeCheckpoint, memoryStore } from './index';
import { bnCnn, imageLoader, snapshot } from './__tests__/models';

// Checkpoints under faults, on stores in memory: a corrupt latest, files left by a killed run,
// a store that fails mid-run. (Real kills, real full and read-only file systems, and two
// processes on one directory: retention.process.test.ts and node/faults.test.ts.)

type Store = ReturnType<typeof memoryStore>;

/** Logs `values[epoch]` as the metric `score` on every batch, so the epoch's mean is exactly that value. */
const scripted = (values: number[]): Plugin => ({ name: 'scripted', onTrainBatchEnd: (ctx) => ctx.log('score', values[ctx.epoch]) });

async function fit(store: CheckpointStore, options: Omit<CheckpointOptions, 'store'>, epochs: number, resume?: string, plugins: Plugin[] = []) {
  const warnings: string[] = [];
  const ckpt = new Checkpointer({ store, warn: (m) => void warnings.push(m), ...options });
  const model = bnCnn(resume === undefined ? 0 : 9);
  const trainer = new Trainer({ optimizer: adam({ lr: 1e-2 }), seed: 5, plugins: [scheduler(cosineAnnealing({ tMax: 4 })), ckpt, ...plugins] });
  const result = await trainer.fit(model, { train: imageLoader(24, 8), epochs, resume });
  return { ckpt, model, result, warnings };
}

const stepOf = (store: Store, file: string) => decodeCheckpoint(store.files.get(file)!).trainer!.step;
const corrupt = {
  truncated: (b: Uint8Array) => b.slice(0, b.length - 100),
  'bit-flipped': (b: Uint8Array) => b.map((v, i) => (i === Math.floor(b.length / 2) ? v ^ 16 : v)),
};
const message = (e: unknown) => (e as Error).message;

describe('resume from a corrupt latest', () => {
  test.each(Object.keys(corrupt))(
    "with latest %s, resume: 'latest' continues from the newest file that verifies, says which and why, and ends bit-identical to an uninterrupted run",
    async (how) => {
      const straight = await fit(memoryStore(), { keepLast: 2, everyNSteps: 2 }, 4);
      const store = memoryStore();
      await fit(store, { keepLast: 2, everyNSteps: 2 }, 2);
      store.files.set('latest.safetensors', corrupt[how as keyof typeof corrupt](store.files.get('latest.safetensors')!));
      const resumed = await fit(store, { keepLast: 2, everyNSteps: 2 }, 4, 'latest');
      expect(resumed.ckpt.resumedFrom).toBe('epoch=1-step=6.safetensors');
      expect(resumed.warnings).toHaveLength(1);
      expect(resumed.warnings[0]).toMatch(/^checkpoint: resuming from memory\/epoch=1-step=6.safetensors \(step 6\), the newest checkpoint that verifies, because these could not be used: latest.safetensors \(checkpoint: memory\/latest.safetensors: safetensors: /);
      expect(snapshot(resumed.model)).toEqual(snapshot(straight.model));
    },
  );

  test('best is chosen when it is newer than every numbered file that verifies; each skipped file is named', async () => {
    const store = memoryStore();
    await fit(store, { monitor: 'score', mode: 'min', keepLast: 2 }, 3, undefined, [scripted([3, 2, 1])]);
    for (const f of ['latest.safetensors', 'epoch=2-step=9.safetensors']) store.files.set(f, corrupt.truncated(store.files.get(f)!));
    expect([stepOf(store, 'best.safetensors'), stepOf(store, 'epoch=1-step=6.safetensors')]).toEqual([9, 6]);
    const resumed = await fit(store, { monitor: 'score', mode: 'min', keepLast: 2 }, 4, 'latest', [scripted([3, 2, 1, 0])]);
    expect(resumed.ckpt.resumedFrom).toBe('best.safetensors');
    expect(resumed.warnings[0]).toMatch(/because these could not be used: latest.safetensors \(.*\); epoch=2-step=9.safetensors \(checkpoint: memory\/epoch=2-step=9.safetensors: /);
  });

  test("with resumeFallback: false, or for resume: 'best' and file names, a corrupt file is an error naming it", async () => {
    const store = memoryStore();
    await fit(store, { monitor: 'score', mode: 'min', keepLast: 2 }, 2, undefined, [scripted([1, 2])]);
    for (const f of ['latest.safetensors', 'best.safetensors']) store.files.set(f, corrupt['bit-flipped'](store.files.get(f)!));
    expect(await fit(store, { monitor: 'score', mode: 'min', resumeFallback: false }, 3, 'latest').catch(message)).toMatch(/threw in resolveResume: checkpoint: memory\/latest.safetensors: safetensors: /);
    expect(await fit(store, { monitor: 'score', mode: 'min' }, 3, 'best').catch(message)).toMatch(/threw in resolveResume: checkpoint: memory\/best.safetensors: safetensors: /);
  });

  test('when no file verifies, the error lists every file and its problem', async () => {
    const store = memoryStore();
    await fit(store, { keepLast: 1 }, 1);
    for (const [f, b] of store.files) store.files.set(f, corrupt.truncated(b));
    expect(await fit(store, { keepLast: 1 }, 2, 'latest').catch(message)).toMatch(
      /fit\(\{ resume: 'latest' \}\): no checkpoint in memory can be resumed: latest.safetensors: checkpoint: memory\/latest.safetensors: .*; epoch=0-step=3.safetensors: checkpoint: memory\/epoch=0-step=3.safetensors: /,
    );
  });
});

describe('retention after an interrupted run', () => {
  test('a resumed run deletes the numbered files its restored lists do not name (left by a kill before the deletion), and says so', async () => {
    const store = memoryStore();
    await fit(store, { keepLast: 2 }, 2);
    store.files.set('epoch=0-step=1.safetensors', store.files.get('latest.safetensors')!); // what a kill between writing latest and deleting the old file leaves
    const resumed = await fit(store, { keepLast: 2 }, 3, 'latest');
    expect([...store.files.keys()].sort()).toEqual(['epoch=1-step=6.safetensors', 'epoch=2-step=9.safetensors', 'latest.safetensors']);
    expect(resumed.warnings).toEqual([expect.stringMatching(/^checkpoint: deleted 1 checkpoint file\(s\) of memory that the retention policy no longer keeps \(left by an interrupted run\): epoch=0-step=1.safetensors$/)]);
  });

  test("resuming from 'best' (an older step) keeps the files saved after it, outside the lists, and says so", async () => {
    const store = memoryStore();
    await fit(store, { monitor: 'score', mode: 'min', keepLast: 3 }, 3, undefined, [scripted([1, 2, 3])]); // best: epoch 0 (min)
    const resumed = await fit(store, { monitor: 'score', mode: 'min', keepLast: 3 }, 2, 'best', [scripted([1, 2, 3])]);
    expect([...store.files.keys()]).toEqual(expect.arrayContaining(['epoch=1-step=6.safetensors', 'epoch=2-step=9.safetensors']));
    expect(resumed.warnings).toEqual([expect.stringMatching(/^checkpoint: memory holds 2 checkpoint file\(s\) saved after the step this run resumed from \(epoch=1-step=6.safetensors, epoch=2-step=9.safetensors\); they are kept, outside the retention lists$/)]);
  });

  test('two checkpointers (distinct stateKeys): a run resumed from the first one continues the second one too, neither refusing nor clearing its store', async () => {
    const [a, b] = [memoryStore(), memoryStore()];
    const run = async (epochs: number, resume?: string) => {
      const plugins = [new Checkpointer({ store: a, stateKey: 'ckpt-a', warn: () => undefined }), new Checkpointer({ store: b, stateKey: 'ckpt-b', monitor: 'score', mode: 'min', keepLast: 5, warn: () => undefined })];
      const trainer = new Trainer({ optimizer: adam({ lr: 1e-2 }), seed: 5, plugins: [...plugins, scripted([3, 2, 1])] });
      await trainer.fit(bnCnn(0), { train: imageLoader(24, 8), epochs, resume });
    };
    await run(2);
    const before = [...b.files.keys()].sort();
    await run(3, 'latest');
    expect(before).toContain('epoch=1-step=6.safetensors');
    expect([...b.files.keys()].sort()).toEqual([...before, 'epoch=2-step=9.safetensors'].sort());
    expect(stepOf(b, 'latest.safetensors')).toBe(9);
  });

  test('a save writes every other file before latest, and deletes files that dropped out only after it', async () => {
    const store = memoryStore();
    const log: string[] = [];
    const spy: CheckpointStore = { ...store, write: (n, b) => (log.push(`write ${n}`), store.write(n, b)), remove: (n) => (log.push(`remove ${n}`), store.remove(n)) };
    await fit(spy, { monitor: 'score', mode: 'min', keepLast: 1 }, 2, undefined, [scripted([2, 1])]);
    expect(log).toEqual([
      'write best.safetensors', 'write epoch=0-step=3.safetensors', 'write latest.safetensors',
      'write best.safetensors', 'write epoch=1-step=6.safetensors', 'write latest.safetensors', 'remove epoch=0-step=3.safetensors',
    ]);
  });
});

describe('a store that fails mid-run', () => {
  test.each([
    ['ENOSPC', 'no space left on device, write', 'the disk is full: free space or checkpoint to another directory'],
    ['EROFS', 'read-only file system, open', 'the file system became read-only'],
  ])('%s while saving is an error naming the file, the location and what to do; the earlier files stay', async (code, text, hint) => {
    const store = memoryStore();
    const failing: CheckpointStore = { ...store, location: '/mnt/runs/a', write: async (n, b) => {
      if (store.files.size > 0) throw Object.assign(new Error(`${code}: ${text}`), { code });
      await store.write(n, b);
    } };
    const err = await fit(failing, {}, 3).catch(message);
    expect(err).toMatch(/^plugin "checkpoint" threw in onTrainEpochEnd: checkpoint: cannot save latest.safetensors \(\d+ bytes, epoch 1 step 6\) to \/mnt\/runs\/a: /);
    expect(err).toContain(`: ${code}: ${text} (${hint}); the files saved before are intact`);
    expect(stepOf(store, 'latest.safetensors')).toBe(3);
  });
});
