import { Rng } from '@trainkit/tensor';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { decodeCheckpoint } from './index';
import { NUMBERED, stepOf } from './ranking';
import { spawnRun } from './__tests__/spawnRun';
import type { KillSwitch } from './__tests__/killSwitch';

// Retention under kills: a run that saves after every step with keepLast: 2 and topK: 2 writes
// a numbered file, then latest, then deletes the file that dropped out. A process killed
// (SIGKILL) between those steps leaves a numbered file no list names. Each run here is killed
// at a random file-system call (the n-th rename, unlink, open or link), restarted with
// resume: 'latest', killed again, and so on; at the end a run goes to completion. The store
// must then hold exactly what the retention policy keeps, and nothing else.

const KILLS = 10;
const KEEP = { keepLast: 2, topK: 2, monitor: 'loss' } as const;

const latestOf = (ckpt: string) => (existsSync(join(ckpt, 'latest.safetensors')) ? decodeCheckpoint(readFileSync(join(ckpt, 'latest.safetensors')), { requireChecksum: true }) : null);

/** The files the checkpointer's lists in `latest` name. */
function listed(ckpt: string): Set<string> {
  const latest = latestOf(ckpt);
  if (latest === null) return new Set();
  const lists = latest.trainer!.plugins['checkpoint:loss'] as { ranked: Array<{ file: string }>; recent: Array<{ file: string }> };
  return new Set([...lists.ranked, ...lists.recent].map((f) => f.file));
}

test(`after ${KILLS} SIGKILLs at random file-system calls, resuming leaves exactly the files keepLast and topK keep`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trainkit-retention-'));
  const ckpt = join(dir, 'ckpt');
  const rng = new Rng(12);
  const fns: Array<KillSwitch['fn']> = ['rename', 'rm', 'open', 'link'];
  const numbered = () => readdirSync(ckpt).filter((f) => NUMBERED.test(f));
  let orphansSeen = 0;
  for (let i = 0; i < KILLS; i++) {
    const fn = fns[i % fns.length];
    const kill: KillSwitch = { fn, nth: 1 + Math.floor(rng.uniform(0, fn === 'link' ? 2 : 24)) }; // a run links only to take the lock (twice when it breaks a stale one)
    const backstop = { epoch: (latestOf(ckpt)?.trainer!.epoch ?? 0) + 8, batch: 0 }; // in case the n-th call never comes
    const run = await spawnRun({ epochs: 100_000, small: true, dir: ckpt, everyNSteps: 1, checkpoint: KEEP, resume: true, kill, killAt: backstop, out: join(dir, 'never.safetensors') });
    expect(run.signal, `run ${i} (${JSON.stringify(kill)}): ${run.stderr}`).toBe('SIGKILL');
    if (numbered().some((f) => !listed(ckpt).has(f))) orphansSeen++;
  }
  // Act: one run to completion, two epochs past where the killed runs got
  const done = await spawnRun({ epochs: latestOf(ckpt)!.trainer!.epoch + 2, small: true, dir: ckpt, everyNSteps: 1, checkpoint: KEEP, resume: true, out: join(dir, 'final.safetensors') });
  expect(done.code, done.stderr).toBe(0);
  // Assert: the two most recent steps, the two lowest epoch losses, latest, and no leftovers of the killed runs
  const final = latestOf(ckpt)!;
  const steps = numbered().filter((f) => !f.includes('-loss=')).map((f) => stepOf(f)).sort((a, b) => a! - b!);
  expect(steps).toEqual([final.trainer!.step - 1, final.trainer!.step]);
  expect(numbered().sort()).toEqual([...listed(ckpt)].sort());
  expect(readdirSync(ckpt).filter((f) => !numbered().includes(f)).sort()).toEqual(['best.safetensors', 'latest.safetensors']);
  expect(orphansSeen, 'the kills left orphaned files behind at least once (the case this test is about)').toBeGreaterThan(0);
}, 300_000);
