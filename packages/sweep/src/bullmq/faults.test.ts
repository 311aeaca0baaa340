import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { outcome } from '../__tests__/outcome';
import { toySpace } from '../__tests__/toyTrial';
import { type Sweep, type TrialRecord, inProcess, runSweep } from '../node';
import { bullmq } from './index';
import { type Proc, gatedWorkerProcess, start, startWorkerProcess, stopAll } from './__tests__/processes';
import { type TestRedis, startRedis } from './__tests__/redis';
import { trial } from './__tests__/trial';
import { latestWeights } from './__tests__/weights';

const module = new URL('./__tests__/trial.ts', import.meta.url);
const base = { space: toySpace, metric: 'valLoss', mode: 'min' as const };
const tmp = mkdtempSync(join(tmpdir(), 'trainkit-bullmq-faults-'));
const log = join(tmp, 'starts.log');
// for (a), where a worker dies: one that stops renewing its lock for 2 s loses its trial (short, yet far
// above a busy machine's pauses); for (b) and (c), where no worker dies, long locks that a starved
// process keeps, so no trial ever runs twice; a pause per epoch leaves time to kill a worker mid-trial
const shortLocks = (redis: TestRedis) => ({ redis: redis.url, queue: 'faults', lockDurationMs: 2000, stalledIntervalMs: 1000 });
const longLocks = (redis: TestRedis) => ({ redis: redis.url, queue: 'faults', lockDurationMs: 30_000, stalledIntervalMs: 15_000 });
const env = { TRAINKIT_TEST_EPOCH_MS: '40', TRAINKIT_TEST_LOG: log };

let redis: TestRedis;
const procs: Proc[] = [];
let reference: Sweep;
/** The long-lock workers of (b) and (c): loaded now, connected once (a) is over. */
let later: Array<ReturnType<typeof gatedWorkerProcess>>;

beforeAll(async () => {
  redis = await startRedis();
  later = [1, 2].map((n) => gatedWorkerProcess(longLocks(redis), env, join(tmp, `gate-${n}`)));
  procs.push(...later);
  const workers = [startWorkerProcess(shortLocks(redis), env), startWorkerProcess(shortLocks(redis), env)];
  reference = await runSweep({ ...base, trials: 6, trial, executor: inProcess() });
  procs.push(...(await Promise.all(workers)));
});
afterAll(async () => {
  await stopAll(procs);
  await redis?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const workers = () => procs.filter((p): p is Proc & { name: string } => 'name' in p && p.child.exitCode === null && p.child.signalCode === null);
const executor = (sweepId: string) => bullmq({ redis: redis.url, queue: 'faults', sweepId, checkpoints: join(tmp, sweepId) });
/** Lines of the start log: `<trial> a<attempt> epoch=<E> pid=<P>`. */
const starts = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []);
const linesOf = (dir: string) => readFileSync(join(dir, 'trials.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as TrialRecord);

/** The model tensors of the final checkpoint of the one trial run under `dir`. */
const finalWeights = (dir: string) => latestWeights(join(dir, readdirSync(dir)[0]));

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe('trials on BullMQ survive dead workers, a dead coordinator and a restarted Redis', () => {
  test('(a) a worker killed (SIGKILL) mid-trial: another worker resumes the trial from its checkpoint, and its final weights equal an uninterrupted run bit for bit', async () => {
    const whole = await runSweep({ ...base, trials: 1, trial: { module, exportName: 'trial' }, executor: executor('whole') });
    const before = starts().length;
    const queue = new Queue('faults', { connection: { host: '127.0.0.1', port: Number(new URL(redis.url).port) } });
    try {
      const sweep = runSweep({ ...base, trials: 1, trial: { module, exportName: 'trial' }, executor: executor('killed') });
      // kill the worker that runs the trial once it has reported 3 epochs
      const runner = await until('3 epochs of the trial', async () => {
        const [job] = await queue.getJobs(['active']);
        const p = job?.progress as { worker?: string; epochs?: unknown[] } | undefined;
        return p?.epochs !== undefined && p.epochs.length >= 3 ? p.worker : undefined;
      });
      const victim = workers().find((w) => w.name === runner)!;
      victim.child.kill('SIGKILL');
      await victim.exited();
      const [record] = (await sweep).trials();
      expect(record.status).toBe('completed');
      expect(record.worker).not.toBe(victim.name);
      expect(outcome(record)).toEqual(outcome(whole.trials()[0]));
      expect(finalWeights(join(tmp, 'killed'))).toEqual(finalWeights(join(tmp, 'whole')));
      // it resumed: the run started at epoch 0 on the victim, then at a checkpointed epoch on another worker
      const lines = starts().slice(before);
      expect(lines, `${lines.join('\n')}\n${procs.map((p) => p.output()).join('\n---\n')}`).toHaveLength(2);
      const [first, second] = lines.map((l) => /^trial-0000 a0 epoch=(\d+) pid=(\d+)$/.exec(l)!.slice(1).map(Number));
      expect(first).toEqual([0, victim.pid]);
      expect(second[0]).toBeGreaterThanOrEqual(2);
      expect(second[1]).not.toBe(victim.pid);
    } finally {
      await queue.close();
    }
    // the next tests run on long-lock workers only
    const shortLived = workers();
    await Promise.all(later.map((w) => w.release()));
    for (const w of shortLived) w.child.kill('SIGTERM');
    await Promise.all(shortLived.map((w) => w.exited()));
  });

  test('(b) a coordinator killed (SIGKILL) and started again on the same sweep directory finishes the sweep without running a finished trial again', async () => {
    const dir = join(tmp, 'coordinated');
    const options = { dir, redis: redis.url, queue: 'faults', checkpoints: join(tmp, 'coordinated-checkpoints'), trials: 6 };
    const before = starts().length;
    const first = start('./coordinatorProcess.ts', options);
    procs.push(first);
    await first.waitFor(/trial trial-\d+ completed\n(.|\n)*trial trial-\d+ completed\n/);
    first.child.kill('SIGKILL');
    await first.exited();
    const second = start('./coordinatorProcess.ts', options);
    procs.push(second);
    await second.waitFor(/^done$/m);
    // the killed coordinator left its lock: the second, on the same host, took it over and said so
    expect(second.output()).toContain(`SweepWarning: sweep directory ${dir}: took over the lock of a coordinator that no longer runs (pid ${first.pid} on `);
    expect(existsSync(join(dir, 'lock'))).toBe(false);
    const lines = linesOf(dir);
    expect(lines.map((r) => r.trialId).sort()).toEqual(reference.trials().map((t) => t.trialId));
    expect(lines.every((r) => r.status === 'completed')).toBe(true);
    // every trial started once on a worker: the jobs that finished while no coordinator ran were not queued again
    const started = starts().slice(before).map((l) => l.split(' ')[0]);
    expect(started.sort()).toEqual(reference.trials().map((t) => t.trialId));
    expect(lines.sort((a, b) => a.index - b.index).map(outcome)).toEqual(reference.trials().map(outcome));
  });

  test('(c) Redis killed and restarted (append-only file on) in the middle of a sweep: no trial is lost and none is counted twice', async () => {
    const dir = join(tmp, 'restarted');
    let ended = 0;
    const sweep = runSweep({ ...base, trials: 6, dir, trial: { module, exportName: 'trial' }, executor: executor('restarted'), onTrialEnd: () => ended++ });
    await until('two finished trials', () => (ended >= 2 ? true : undefined));
    await redis.restart();
    const result = await sweep;
    const lines = linesOf(dir);
    expect(lines.map((r) => r.trialId).sort()).toEqual(reference.trials().map((t) => t.trialId));
    expect(lines.every((r) => r.status === 'completed')).toBe(true);
    expect(result.trials().map(outcome)).toEqual(reference.trials().map(outcome));
  });
});
