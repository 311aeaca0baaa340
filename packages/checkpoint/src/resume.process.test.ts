import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { decodeCheckpoint } from './index';
import { historyOf, spawnRun } from './__tests__/spawnRun';

// Exact resume across processes: the foundation CNN on 256 MNIST images, Adam, a cosine
// schedule, dropout and augmentation (see REGULARIZERS in __tests__/trainRun.ts), 3 epochs of
// 8 batches. A run is killed (SIGKILL) and a new process resumes from `latest`; its final
// weights must equal, bit for bit, those of a run that was never interrupted.

const weights = (path: string) => {
  const { model } = decodeCheckpoint(readFileSync(path), { requireChecksum: true });
  return Object.fromEntries(Object.entries(model).map(([k, t]) => [k, Array.from(t.data)]));
};
const withoutTimes = (h: ReturnType<typeof historyOf>) => h.map((r) => ({ ...r, metrics: { ...r.metrics, time: 0, samplesPerSec: 0 } }));

describe('exact resume in a new process', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'trainkit-resume-'));
  let straight: Promise<{ out: string; history: ReturnType<typeof historyOf> }> | null = null;
  /** The uninterrupted run, without any checkpointing (once, shared by the cases). */
  const uninterrupted = () =>
    (straight ??= spawnRun({ epochs: 3, out: join(scratch, 'straight.safetensors') }).then((r) => ({ out: join(scratch, 'straight.safetensors'), history: historyOf(r) })));

  test.each([
    ['after epoch 1 (killed during epoch 2, resumed from the end of epoch 1)', { killAt: { epoch: 2, batch: 3 }, everyNSteps: 0 }, 'latest.safetensors', 16],
    ['after a mid-epoch step (saved every 5 steps, killed at step 14, resumed from step 10)', { killAt: { epoch: 1, batch: 5 }, everyNSteps: 5 }, 'latest.safetensors', 10],
  ])('a run stopped %s ends with the same weights and history as an uninterrupted run', async (_, stop, file, resumedStep) => {
    const dir = mkdtempSync(join(tmpdir(), 'trainkit-resume-'));
    // Arrange: the uninterrupted run
    const reference = await uninterrupted();
    // Act: the interrupted run, then a new process that resumes it
    const killed = await spawnRun({ epochs: 3, dir: join(dir, 'ckpt'), ...stop, out: join(dir, 'never.safetensors') });
    expect(killed.signal).toBe('SIGKILL');
    const saved = decodeCheckpoint(readFileSync(join(dir, 'ckpt', file)));
    expect(saved.trainer!.step).toBe(resumedStep);
    const resumed = await spawnRun({ epochs: 3, dir: join(dir, 'ckpt'), everyNSteps: stop.everyNSteps, resume: true, out: join(dir, 'resumed.safetensors') });
    // Assert
    expect(JSON.parse(resumed.stdout.trim().split('\n').pop()!).resumedFrom).toBe(file);
    expect(weights(join(dir, 'resumed.safetensors'))).toEqual(weights(reference.out));
    expect(withoutTimes(historyOf(resumed))).toEqual(withoutTimes(reference.history));
  });
});
