import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { inProcess } from '@trainkit/sweep';
import { bullmq, startWorker } from '@trainkit/sweep/bullmq';
import { local } from '@trainkit/sweep/node';
// the sweep package's private test Redis: a free port, its own directory, stopped by the test
import { startRedis } from '../../../sweep/src/bullmq/__tests__/redis';
import type { Tensor } from '@trainkit/tensor';
import { type TrainedEnsemble, loadMember, loadMemberState, saveMember, trainEnsemble, trainMember } from '../node';
import { tinyMember } from '../__tests__/tinyMember';

const member = new URL('../__tests__/tinyMember.ts', import.meta.url);
const values = (state: Record<string, Tensor>) => Object.fromEntries(Object.entries(state).map(([k, t]) => [k, Array.from(t.data)]));
const dir = mkdtempSync(join(tmpdir(), 'trainkit-ensemble-executor-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('trainEnsemble on a sweep executor: members are trials', () => {
  let inThread: TrainedEnsemble;
  let onLocal: TrainedEnsemble;

  beforeAll(async () => {
    inThread = await trainEnsemble({ member, members: 3, concurrency: 1, params: { epochs: 3 } });
    onLocal = await trainEnsemble({ member, members: 3, params: { epochs: 3 }, executor: local({ concurrency: 2 }), dir: join(dir, 'local') });
  }, 60_000);

  test('members trained through the local worker-thread executor equal members trained in the calling thread, bit for bit', () => {
    expect(onLocal.members.map((m) => values(m.state))).toEqual(inThread.members.map((m) => values(m.state)));
    expect(onLocal.members.map((m) => m.history.map((h) => h.metrics.loss))).toEqual(inThread.members.map((m) => m.history.map((h) => h.metrics.loss)));
    // …and they really ran on worker threads: the fixture logs isMainThread into the history
    expect(onLocal.members.map((m) => m.history[0].metrics.mainThread)).toEqual([0, 0, 0]);
  });

  test('each member checkpoint in the shared directory holds the full training state, not only weights', async () => {
    const { state, trainer } = await loadMember(join(dir, 'local', 'member-2.safetensors'));
    expect(values(state)).toEqual(values(inThread.members[2].state));
    expect(trainer).toMatchObject({ epoch: 3, batchIndex: 0, step: 48 });
    expect(trainer?.optimizer).not.toBeNull();
    expect(readdirSync(join(dir, 'local')).filter((f) => f.endsWith('.safetensors')).sort()).toEqual(['member-0.safetensors', 'member-1.safetensors', 'member-2.safetensors']);
  });

  test('a member whose worker dies mid-epoch is retried and resumes from its step checkpoint to the same weights', async () => {
    const marker = join(dir, 'crashed-once');
    const params = { epochs: 3, crashOnce: { step: 27, marker } };
    const resumed = await trainEnsemble({ member, members: 1, params, executor: local({ concurrency: 1 }), dir: join(dir, 'crash'), everyNSteps: 8, retries: 1 });
    expect(existsSync(marker)).toBe(true); // it did crash, at step 27…
    expect(readFileSync(`${marker}.start`, 'utf8')).toBe('24'); // …and the retry started from the checkpoint at step 24, mid-epoch
    expect(values(resumed.members[0].state)).toEqual(values(inThread.members[0].state));
  }, 60_000);

  test('without retries the crashed member fails with the worker named, and the rest of the error says which member', async () => {
    const params = { epochs: 1, crashOnce: { step: 3, marker: join(dir, 'crash-no-retry') } };
    await expect(trainEnsemble({ member, members: 1, params, executor: local({ concurrency: 1 }) })).rejects.toThrow(/^ensemble: member 0 \(seed 0\) failed: its worker thread exited with code 3/);
  }, 60_000);

  test('members trained by two BullMQ workers on a private Redis equal the members of the calling thread, bit for bit', async () => {
    const redis = await startRedis();
    const workers = await Promise.all([0, 1].map((i) => startWorker({ redis: redis.url, queue: 'members', concurrency: 1, name: `worker-${i}`, log: () => undefined })));
    try {
      const executor = bullmq({ redis: redis.url, queue: 'members', checkpoints: join(dir, 'queue-checkpoints') });
      const onQueue = await trainEnsemble({ member, members: 3, params: { epochs: 3 }, executor, dir: join(dir, 'queue') });
      expect(onQueue.members.map((m) => values(m.state))).toEqual(inThread.members.map((m) => values(m.state)));
    } finally {
      await Promise.all(workers.map((w) => w.close()));
      await redis.stop();
    }
  }, 60_000);

  test('bad options and a definition object are errors that say what to pass', async () => {
    await expect(trainEnsemble({ member, members: 1, executor: inProcess(), retries: -1 })).rejects.toThrow('trainEnsemble({ retries: -1 }): retries must be an integer ≥ 0');
    await expect(trainEnsemble({ member: tinyMember, members: 1, concurrency: 1, executor: inProcess() })).rejects.toThrow(/an executor loads the member definition from its module/);
  });
});

describe('member checkpoints are full training state', () => {
  test('a member resumed from its checkpoint after 2 epochs ends bit-identical to one trained 4 epochs without a stop', async () => {
    const job = (epochs: number) => ({ index: 1, seed: 7, params: { epochs } });
    const straight = await trainMember(tinyMember, job(4));
    const half = await trainMember(tinyMember, job(2));
    const path = await saveMember(join(dir, 'resume'), half);
    const resumed = await trainMember(tinyMember, job(4), undefined, { resume: await loadMemberState(path) });
    expect(values(resumed.state)).toEqual(values(straight.state));
    expect(resumed.history.map((h) => h.metrics.loss)).toEqual(straight.history.map((h) => h.metrics.loss));
  });

  test('a weights-only member file is refused for resuming, with the reason', async () => {
    const half = await trainMember(tinyMember, { index: 0, seed: 0, params: { epochs: 1 } });
    const path = await saveMember(join(dir, 'weights-only'), { ...half, trainer: null as unknown as typeof half.trainer });
    await expect(loadMemberState(path)).rejects.toThrow(`loadMemberState: ${path} holds the member's weights only, no training state to resume from`);
  });
});
