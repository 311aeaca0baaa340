import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { outcome } from '../__tests__/outcome';
import { EPOCHS, toySpace } from '../__tests__/toyTrial';
import { type Scheduler, type Sweep, type TrialRecord, asha, inProcess, local, runSweep } from '../node';
import { finished } from './finished';
import { bullmq, startWorker } from './index';
import { JOB_FORMAT, type TrialJobData, type TrialJobResult, fromWire, trialJobId } from './protocol';
import { type WorkerProc, gatedWorkerProcess, startWorkerProcess, stopAll } from './__tests__/processes';
import { type TestRedis, freePort, startRedis } from './__tests__/redis';
import { trial } from './__tests__/trial';
import { latestWeights } from './__tests__/weights';

const module = new URL('./__tests__/trial.ts', import.meta.url);
const base = { space: toySpace, trials: 4, metric: 'valLoss', mode: 'min' as const };
const tmp = mkdtempSync(join(tmpdir(), 'trainkit-bullmq-'));
// no worker dies here: locks long enough that a starved process on a busy machine keeps its trial;
// a little pace per epoch so that trials spread over the workers
const workerOptions = (redis: TestRedis) => ({ redis: redis.url, queue: 'trials', lockDurationMs: 10_000, stalledIntervalMs: 5000 });
/** What the worker processes printed, for the message of a failed assertion. */
const printed = () => workers.map((w) => `--- ${w.name}\n${w.output()}`).join('\n');
const paced = { TRAINKIT_TEST_EPOCH_MS: '8' };

let redis: TestRedis;
const workers: WorkerProc[] = [];
let later: Array<ReturnType<typeof gatedWorkerProcess>>;
let reference: Sweep;
let pruned: TrialRecord;
/** The scores the scheduler of the ASHA sweep on the queue was given, `<trial> e<epoch> <score>`. */
let decided: string[];
let ashaSweep: Sweep;
let unreachable: Promise<{ error: unknown; ms: number }>;
const nowhere = freePort().then((port) => `redis://127.0.0.1:${port}`);

beforeAll(async () => {
  redis = await startRedis();
  // the 5 s that a Redis without an answer takes run alongside the other tests; timed from the call
  unreachable = nowhere.then((url) => {
    const t0 = Date.now();
    return runSweep({ ...base, trial: { module }, executor: bullmq({ redis: url, queue: 'q' }) }).then(
      () => ({ error: null, ms: Date.now() - t0 }),
      (error: unknown) => ({ error, ms: Date.now() - t0 }),
    );
  });
  // the second and third worker processes start now and take trials once released
  later = [2, 3].map((n) => gatedWorkerProcess(workerOptions(redis), paced, join(tmp, `gate-${n}`)));
  [reference] = await Promise.all([
    runSweep({ ...base, trial: { module, exportName: 'trial' }, executor: local({ concurrency: 2 }) }),
    startWorkerProcess(workerOptions(redis), paced).then((w) => void workers.push(w)),
  ]);
});
afterAll(async () => {
  await stopAll([...workers, ...later]);
  await redis?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

/** `scheduler`, writing down every score it is given in `calls`. */
const recording = (scheduler: Scheduler, calls: string[]): Scheduler => ({
  name: scheduler.name,
  decide: (trialId, epoch, score) => (calls.push(`${trialId} e${epoch} ${score}`), scheduler.decide(trialId, epoch, score)),
});

const onQueue = (sweepId: string, exportName = 'trial') => ({
  trial: { module, exportName },
  executor: bullmq({ redis: redis.url, queue: 'trials', sweepId, checkpoints: join(tmp, 'checkpoints') }),
});

describe('the bullmq executor: trials as BullMQ jobs, run by worker processes', () => {
  test('with one worker, the ASHA decisions that travel through the reports queue prune exactly as in the calling thread', async () => {
    const scheduler = () => asha({ maxEpochs: EPOCHS });
    const here = await runSweep({ ...base, scheduler: scheduler(), trial, executor: inProcess() });
    const queued = await runSweep({ ...base, scheduler: recording(scheduler(), (decided = [])), ...onQueue('asha') });
    expect(queued.trials().map(outcome)).toEqual(here.trials().map(outcome));
    expect(queued.trials().filter((t) => t.status === 'pruned').length).toBeGreaterThan(0);
    expect(queued.trials().every((t) => t.worker === workers[0].name)).toBe(true);
    pruned = queued.trials().find((t) => t.status === 'pruned')!;
    ashaSweep = queued;
  });

  test('a worker that takes over a trial already pruned (its worker died before the job ended) stops it there: same epochs, metrics and weights', async () => {
    // the pruned trial's job as a dead worker left it: its checkpoint, and its progress up to the pruning decision
    const job = { trialId: pruned.trialId, index: pruned.index, seed: pruned.seed, attempt: 0, config: pruned.config };
    const dir = join(tmp, 'checkpoints', trialJobId('asha', { module: module.href, exportName: 'trial' }, job));
    cpSync(dir, join(tmp, 'takeover', 'orphan'), { recursive: true });
    const connection = { host: '127.0.0.1', port: Number(new URL(redis.url).port) };
    const [queue, events] = [new Queue('takeover', { connection }), new QueueEvents('takeover', { connection })];
    const data: TrialJobData = { format: JOB_FORMAT, trial: { module: module.href, exportName: 'trial' }, job, checkpoints: join(tmp, 'takeover'), timeoutMs: null, scheduled: true };
    await (await queue.add('trial', data, { jobId: 'orphan' })).updateProgress({ worker: 'dead', epochs: pruned.epochs, prunedAt: pruned.epochs.length });
    // without a coordinator on this queue, a trial that trained on would wait for decisions forever
    const worker = await startWorker({ redis: redis.url, queue: 'takeover', log: () => undefined });
    try {
      const { outcome: result } = (await finished(queue, events, 'orphan')) as TrialJobResult;
      const decoded = { ...result, metrics: fromWire(result.metrics), epochs: result.epochs.map(fromWire) };
      expect(outcome({ ...pruned, ...decoded, status: result.pruned ? 'pruned' : 'completed' })).toEqual(outcome(pruned));
      expect(latestWeights(join(tmp, 'takeover', 'orphan'))).toEqual(latestWeights(dir));
    } finally {
      await Promise.all([worker.close(), events.close(), queue.close()]);
    }
  });

  test('a coordinator that finds its trials already run (restarted, its records lost) first gives its scheduler every epoch they reported', async () => {
    const again: string[] = [];
    const sweep = await runSweep({ ...base, scheduler: recording(asha({ maxEpochs: EPOCHS }), again), ...onQueue('asha') });
    expect(again.sort()).toEqual(decided.slice().sort());
    expect(sweep.trials().map(outcome)).toEqual(ashaSweep.trials().map(outcome));
  });

  test('two ASHA sweeps at once on one queue, even under one sweep id, each get their own decisions: each prunes exactly as in the calling thread', async () => {
    const scheduler = () => asha({ maxEpochs: EPOCHS });
    const seeds = [0, 1];
    const here = await Promise.all(seeds.map((seed) => runSweep({ ...base, seed, scheduler: scheduler(), trial, executor: inProcess() })));
    const queued = await Promise.all(seeds.map((seed) => runSweep({ ...base, seed, scheduler: scheduler(), ...onQueue('twins') })));
    expect(queued.map((s) => s.trials().map(outcome)), printed()).toEqual(here.map((s) => s.trials().map(outcome)));
    expect(queued.map((s) => s.trials().filter((t) => t.status === 'pruned').length)).not.toContain(0);
  });

  test('a fixed-seed sweep gives identical trials on local worker threads and on 1, 2 and 3 worker processes', async () => {
    for (const n of [1, 2, 3]) {
      while (workers.length < n) workers.push(await later[workers.length - 1].release());
      const sweep = await runSweep({ ...base, ...onQueue(`workers${n}`) });
      expect(sweep.trials().map(outcome), printed()).toEqual(reference.trials().map(outcome));
      const ranOn = new Set(sweep.trials().map((t) => t.worker));
      expect([...ranOn].every((w) => workers.some((p) => p.name === w))).toBe(true);
      expect(ranOn.size).toBeGreaterThanOrEqual(Math.min(n, 2));
    }
  });

  test('a trial that throws is recorded as failed with its error, retried up to the limit, and the sweep goes on', async () => {
    const runs: TrialRecord[] = [];
    const sweep = await runSweep({ ...base, trials: 4, retries: 1, ...onQueue('failing', 'failing'), onTrialEnd: (r) => runs.push(r) });
    expect(runs.filter((r) => r.status === 'failed').map((r) => [r.trialId, r.attempt, r.error])).toEqual(
      expect.arrayContaining([
        ['trial-0001', 0, { name: 'Error', message: 'flaky on purpose' }],
        ['trial-0002', 0, { name: 'RangeError', message: 'broken trial 2' }],
        ['trial-0002', 1, { name: 'RangeError', message: 'broken trial 2' }],
      ]),
    );
    expect(runs.filter((r) => r.status === 'failed')).toHaveLength(3);
    expect(sweep.trials().map((t) => t.status), printed()).toEqual(['completed', 'completed', 'failed', 'completed']);
    expect(sweep.trials()[2].worker).toMatch(/^[^:]+:\d+$/);
    const ok = [0, 1, 3].map((i) => outcome(sweep.trials()[i]));
    expect(ok).toEqual([0, 1, 3].map((i) => outcome(reference.trials()[i])));
  });

  // generous: the limit includes starting the worker thread that a new trial export gets, slow on a busy machine
  test('a trial that never resolves fails by the per-trial timeout (counted from its start on a worker), and the sweep goes on', async () => {
    const sweep = await runSweep({ ...base, trials: 2, timeoutMs: 6000, ...onQueue('hang', 'hangOnFirst') });
    expect(sweep.trials().map((t) => [t.status, t.error]), printed()).toEqual([
      ['failed', { name: 'TrialTimeoutError', message: 'trial-0000 did not finish within 6000 ms (timeoutMs)' }],
      ['completed', null],
    ]);
  });

  test('NaN and infinite metrics (a diverged trial) travel through the queue as they are, so the trial ends as it does in the calling thread: failed for a NaN objective, completed (ranked last) for a loss of +Infinity', async () => {
    const run = (executor: Parameters<typeof runSweep>[0]['executor']) => runSweep({ ...base, trials: 2, trial: { module, exportName: 'diverging' }, executor });
    const [here, queued] = [await run(inProcess()), await run(onQueue('diverge', 'diverging').executor)];
    expect(queued.trials().map(outcome), printed()).toEqual(here.trials().map(outcome));
    expect(queued.trials().map((t) => [t.status, t.metrics?.valLoss, t.error])).toEqual([
      ['failed', undefined, { name: 'SweepError', message: 'trial-0000: objective "valLoss" was NaN at epoch 1' }],
      ['completed', Number.POSITIVE_INFINITY, null],
    ]);
    expect(queued.trials()[0].epochs.map((m) => m.valLoss)).toEqual([Number.NaN, Number.NaN]);
    expect(queued.best()?.trialId).toBe('trial-0001');
  });

  test('a sweep on a queue that no worker serves fails each trial after waitLimitMs with an error that says so, instead of waiting forever; the jobs are taken back', async () => {
    const executor = bullmq({ redis: redis.url, queue: 'nobody-listens', checkpoints: join(tmp, 'nobody'), waitLimitMs: 1500 });
    const sweep = await runSweep({ ...base, trials: 2, trial: { module }, executor });
    expect(sweep.trials().map((t) => [t.status, t.error?.name])).toEqual([['failed', 'WaitLimitError'], ['failed', 'WaitLimitError']]);
    expect(sweep.trials()[0].error?.message).toMatch(/^bullmq: trial trial-0000 \(job .*\): no worker is connected to queue "nobody-listens", and the job has waited \d+ s for one \(limit 1500 ms\); start workers with `trainkit worker --queue nobody-listens`$/);
    const queue = new Queue('nobody-listens', { connection: { host: '127.0.0.1', port: Number(new URL(redis.url).port) } });
    expect(await queue.getWaitingCount()).toBe(0);
    await queue.close();
    expect(() => bullmq({ redis: redis.url, queue: 'q', waitLimitMs: 0 })).toThrow(/waitLimitMs must be a positive number, got 0/);
  });

  test('bad input: a Redis that does not answer fails the sweep within 5 s; bad options, a newer sweep directory and a newer job are refused', async () => {
    const url = await nowhere;
    const { error, ms } = await unreachable;
    expect((error as Error).message).toMatch(new RegExp(`^bullmq\\(\\{ redis: "${url}" \\}\\): Redis at ${url} did not answer within 5000 ms \\(.*ECONNREFUSED.*\\); is redis-server running there\\?$`));
    // the check gives up at 5000 ms by design; the rest is a timer firing late on a loaded machine
    expect(ms).toBeLessThan(5500);
    await expect(startWorker({ redis: url, queue: 'q', connectTimeoutMs: 300 })).rejects.toThrow(/did not answer within 300 ms/);
    // a timer cannot hold Infinity (or more than 2^31 − 1 ms): it would give up at once
    for (const connectTimeoutMs of [Number.POSITIVE_INFINITY, 30 * 86_400_000, 0]) {
      await expect(startWorker({ redis: url, queue: 'q', connectTimeoutMs })).rejects.toThrow(`connectTimeoutMs must be a positive number of milliseconds up to 2147483647, got ${connectTimeoutMs}`);
      expect(() => bullmq({ redis: url, queue: 'q', connectTimeoutMs })).toThrow(`bullmq(): connectTimeoutMs must be a positive number of milliseconds up to 2147483647, got ${connectTimeoutMs}`);
    }
    expect(() => bullmq({ redis: 'http://localhost:6379', queue: 'q' })).toThrow("bullmq(): redis must be a redis:// or rediss:// URL, got \"http://localhost:6379\"");
    expect(() => bullmq({ redis: redis.url, queue: 'a:b' })).toThrow(/queue must be a name of letters, digits/);
    await expect(runSweep({ ...base, trial, executor: bullmq({ redis: redis.url, queue: 'q' }) })).rejects.toThrow(/workers import the trial from a module/);

    const newer = join(tmp, 'newer');
    mkdirSync(newer);
    writeFileSync(join(newer, 'sweep.json'), JSON.stringify({ format: 99 }));
    await expect(runSweep({ ...base, dir: newer, ...onQueue('newer') })).rejects.toThrow(/was written by a newer version of @trainkit\/sweep \(format 99/);

    const queue = new Queue('trials', { connection: { host: '127.0.0.1', port: Number(new URL(redis.url).port) } });
    const events = new QueueEvents('trials', { connection: { host: '127.0.0.1', port: Number(new URL(redis.url).port) } });
    try {
      await events.waitUntilReady();
      await queue.add('trial', { format: JOB_FORMAT + 1 }, { jobId: 'from-the-future' });
      await expect(finished(queue, events, 'from-the-future')).rejects.toThrow(`job from-the-future was queued by a newer version of @trainkit/sweep (job format ${JOB_FORMAT + 1}; this worker reads ${JOB_FORMAT}): upgrade the worker`);
    } finally {
      await Promise.all([events.close(), queue.close()]);
    }
  });
});
