import { Rng } from '@trainkit/tensor';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { decodeCheckpoint } from './index';
import { spawnRun } from './__tests__/spawnRun';

// Crash safety: a training process that saves a large checkpoint (8 MB: a small model plus
// ballast state) after every step spends nearly all its time writing checkpoints. It is killed
// with SIGKILL at random moments, many times, and restarted with resume: 'latest' each time.
// After every kill `latest` must load (checksum verified) and be the previous or a newer
// checkpoint, never a torn file — also when the kill landed mid-write (a temporary file was
// left behind, which the next run removes).

const KILLS = 10;

test(`latest always loads after ${KILLS} SIGKILLs at random moments while checkpoints are being written`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trainkit-crash-'));
  const ckpt = join(dir, 'ckpt');
  const rng = new Rng(2024);
  let lastStep = -1;
  let tornWrites = 0;
  for (let i = 0; i < KILLS; i++) {
    // every other kill lands the moment a write of this process is seen in progress; the others at a random moment after it
    const delay = i % 2 === 0 ? 0 : rng.uniform(0, 1500);
    const result = await spawnRun({ epochs: 100_000, small: true, ballast: 2_000_000, dir: ckpt, everyNSteps: 1, resume: true, out: join(dir, 'never.safetensors') }, (child) => {
      const poll = setInterval(() => {
        if (!existsSync(ckpt) || !readdirSync(ckpt).some((f) => f.endsWith('.tmp') && f.includes(`.${child.pid}.`))) return;
        clearInterval(poll);
        if (delay === 0) child.kill('SIGKILL');
        else setTimeout(() => child.kill('SIGKILL'), delay);
      }, 1);
      child.on('exit', () => clearInterval(poll));
    });
    expect(result.signal, result.stderr).toBe('SIGKILL');
    if (readdirSync(ckpt).some((f) => f.endsWith('.tmp'))) tornWrites++;
    if (lastStep < 0 && !existsSync(join(ckpt, 'latest.safetensors'))) continue; // killed while writing the very first checkpoint
    const latest = decodeCheckpoint(readFileSync(join(ckpt, 'latest.safetensors')), { requireChecksum: true });
    expect(latest.trainer!.step).toBeGreaterThanOrEqual(lastStep);
    lastStep = latest.trainer!.step;
  }
  // at least the immediate kills landed in the middle of writes (they left a temporary file behind; the next run removed it),
  // and the runs between the kills made progress
  expect(tornWrites).toBeGreaterThanOrEqual(KILLS / 2);
  expect(lastStep).toBeGreaterThan(0);
});
