/**
 * The worker's side of a queue sweep (what `trainkit worker` runs): a BullMQ worker on the
 * trial queue whose processor runs each trial on a worker thread of this process (the `local`
 * executor), so the main thread stays free to renew BullMQ's job locks however long an epoch
 * takes, and a trial past its `timeoutMs` can be terminated.
 */
import { hostname } from 'node:os';
import { type Job, Queue, QueueEvents, Worker } from 'bullmq';
import { SweepError, TrialTimeoutError } from '../errors';
import type { Executor } from '../executor';
import { absoluteModule, local } from '../node/local';
import type { Metrics } from '../trial';
import { CONNECT_TIMEOUT_MS, checkRedis, redisOptions } from './connection';
import { finished } from './finished';
import { type Decision, type ReportJobData, type TrialJobData, type TrialJobResult, type TrialProgress, checkQueueName, fromWire, parseTrialJobData, progressOf, reportsQueue, toWire } from './protocol';

/** Options of {@link startWorker}. */
export interface SweepWorkerOptions {
  /** The Redis server, `redis://host:6379`. */
  redis: string;
  /** The trial queue (the coordinator's `bullmq({ queue })`). */
  queue: string;
  /** Trials at once, each on its own worker thread (default 1). */
  concurrency?: number;
  /** Load every trial from this module (a path or URL) instead of the one recorded in the job; the export name still comes from the job. */
  trials?: string;
  /** The checkpoint directory as mounted on this machine, when it differs from the coordinator's `checkpoints`. */
  checkpoints?: string;
  /** How this worker appears in trial records (default `<host>:<pid>`). */
  name?: string;
  /** BullMQ's job lock: a worker silent this long has its trial taken over (default 30000 ms). */
  lockDurationMs?: number;
  /** How often this worker looks for stalled trials (default 30000 ms). */
  stalledIntervalMs?: number;
  /** Takeovers of one trial before it is failed (default 2). */
  maxStalledCount?: number;
  /** Milliseconds to wait for Redis to answer at start (default 5000). */
  connectTimeoutMs?: number;
  /**
   * Milliseconds an epoch's report waits while no coordinator is connected (its sweep is gone), or
   * while Redis is silent, before the trial goes on without that decision (default 600,000).
   */
  waitLimitMs?: number;
  /** Where the worker's log lines go (default stderr). */
  log?: (line: string) => void;
}

/** A running sweep worker. */
export interface SweepWorker {
  readonly name: string;
  /** Stops taking trials, waits for the running ones, and disconnects. */
  close(): Promise<void>;
}

function positive(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new SweepError(`startWorker: ${name} must be an integer ≥ 1, got ${value}`);
  return value;
}

interface Reports {
  queue: Queue<ReportJobData>;
  events: QueueEvents;
}

/** What the trial processor of a worker uses. */
interface ProcessorContext {
  name: string;
  log: (line: string) => void;
  /** The queue of a sweep's epoch reports and its events, connected. */
  reportsFor: (name: string) => Promise<Reports>;
  executorFor: (module: string, exportName: string) => Executor;
  /** The trial module that replaces the job's (`--trials`). */
  trials: string | undefined;
  /** The checkpoint location that replaces the job's (`--checkpoints`). */
  checkpoints: string | undefined;
  /** How long a report waits for a coordinator to answer it, or for Redis, before the trial goes on unpruned. */
  waitLimit: number;
}

/**
 * The BullMQ processor of trial jobs: runs the trial on a worker thread, publishes each epoch's
 * metrics as the job's progress, asks the coordinator for the scheduler's decision (with a
 * scheduler), enforces the trial's timeout, and records a failure's error in the progress.
 */
function trialProcessor({ name, log, reportsFor, executorFor, trials, checkpoints: mounted, waitLimit }: ProcessorContext) {
  return async (job: Job<TrialJobData, TrialJobResult>): Promise<TrialJobResult> => {
    const data = parseTrialJobData(job.data, job.id);
    const id = job.id!;
    const reportsName = data.reports ?? reportsQueue(job.queueName);
    // the epochs a worker that died on this trial reported survive in the job's progress
    const prior = progressOf(job.progress);
    const epochs: Metrics[] = prior.epochs.map(fromWire);
    let prunedAt = prior.prunedAt;
    const progress = (extra: Partial<TrialProgress> = {}) => job.updateProgress({ worker: name, epochs: epochs.map(toWire), prunedAt, ...extra } satisfies TrialProgress);
    const controller = new AbortController();
    const ask = async (epoch: number, metrics: Metrics): Promise<Decision> => {
      epochs[epoch - 1] = metrics;
      epochs.length = epoch;
      await progress();
      if (data.scheduled === false) return 'continue';
      const reports = await reportsFor(reportsName);
      await reports.queue.add('report', { trialJobId: id, epoch, metrics: toWire(metrics) } satisfies ReportJobData, { jobId: `${id}.e${epoch}`, removeOnComplete: { age: 86_400 }, removeOnFail: { age: 86_400 } });
      const limits = { noWorkerMs: waitLimit, redisMs: waitLimit, what: `report of ${data.job.trialId} epoch ${epoch}`, takers: 'coordinator', hint: 'its sweep is gone' };
      const decision = (await finished(reports.queue, reports.events, `${id}.e${epoch}`, controller.signal, limits)) as Decision;
      if (decision === 'stop' && !controller.signal.aborted) await progress({ prunedAt: (prunedAt = epoch) });
      return decision;
    };
    // a report never rejects: a timed-out trial stops, and a report lost to Redis lets the trial go on
    const report = (epoch: number, metrics: Metrics): Promise<Decision> =>
      ask(epoch, metrics).catch((e: Error) => {
        if (controller.signal.aborted) return 'stop';
        log(`${name}: ${data.job.trialId} (job ${id}): the report of epoch ${epoch} was lost (${e.message}); the trial goes on`);
        return 'continue';
      });
    let timedOut = false;
    const timer = data.timeoutMs === null ? undefined : setTimeout(() => ((timedOut = true), controller.abort()), data.timeoutMs);
    const executor = executorFor(trials ?? data.trial.module, data.trial.exportName);
    const started = Date.now();
    try {
      await progress();
      const checkpoints = { location: mounted ?? data.checkpoints, key: id, prunedAt: prior.prunedAt };
      const { outcome } = await executor.run({ job: { ...data.job, checkpoints }, report, signal: controller.signal });
      log(`${name}: ${data.job.trialId} (job ${id}) ${prunedAt !== undefined ? 'pruned' : 'completed'} in ${Date.now() - started} ms`);
      return { outcome: { ...outcome, metrics: toWire(outcome.metrics), epochs: epochs.map(toWire), pruned: prunedAt !== undefined }, worker: name };
    } catch (e) {
      const err = timedOut ? new TrialTimeoutError(`${data.job.trialId} did not finish within ${data.timeoutMs} ms (timeoutMs)`) : (e as Error);
      await progress({ error: { name: err.name, message: err.message } });
      log(`${name}: ${data.job.trialId} (job ${id}) failed: ${err.name}: ${err.message}`);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  };
}

/**
 * Starts a worker that pulls the trials of `queue` from Redis and runs them (`trainkit worker
 * --redis URL --queue NAME` on any number of machines). Resolves once it is connected; rejects
 * within `connectTimeoutMs` when Redis does not answer.
 *
 * @example
 * const worker = await startWorker({ redis: 'redis://redis:6379', queue: 'sweeps', concurrency: 4 });
 * process.on('SIGTERM', () => void worker.close());
 */
export async function startWorker(options: SweepWorkerOptions): Promise<SweepWorker> {
  const where = `startWorker({ redis: ${JSON.stringify(options.redis)} })`;
  const connection = redisOptions(options.redis, where);
  const queue = checkQueueName(options.queue, 'startWorker');
  const concurrency = positive(options.concurrency, 'concurrency', 1);
  const lockDuration = positive(options.lockDurationMs, 'lockDurationMs', 30_000);
  const stalledInterval = positive(options.stalledIntervalMs, 'stalledIntervalMs', 30_000);
  const maxStalledCount = positive(options.maxStalledCount, 'maxStalledCount', 2);
  const waitLimit = positive(options.waitLimitMs, 'waitLimitMs', 600_000);
  const name = options.name ?? `${hostname()}:${process.pid}`;
  const log = options.log ?? ((line: string) => console.error(line));
  const trials = options.trials === undefined ? undefined : absoluteModule(options.trials);
  await checkRedis(options.redis, connection, options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS, where);

  let lastError = '';
  const onError = (e: Error) => {
    // while Redis restarts every connection reports the same refusal: say it once
    if (e.message !== lastError) log(`${name}: ${(lastError = e.message)}`);
  };
  // each sweep has a queue of reports (see ./protocol.ts): connected when its first trial reports
  const reports = new Map<string, Promise<Reports>>();
  const reportsFor = (reportsName: string) => {
    let r = reports.get(reportsName);
    if (r === undefined) {
      const connected = { queue: new Queue<ReportJobData>(reportsName, { connection }), events: new QueueEvents(reportsName, { connection }) };
      for (const emitter of [connected.queue, connected.events] as unknown as NodeJS.EventEmitter[]) emitter.on('error', onError);
      reports.set(reportsName, (r = connected.events.waitUntilReady().then(() => connected)));
    }
    return r;
  };
  const executors = new Map<string, Executor>();
  const executorFor = (module: string, exportName: string) => {
    const key = `${module}#${exportName}`;
    let e = executors.get(key);
    if (e === undefined) executors.set(key, (e = local({ concurrency })({ module, exportName })));
    return e;
  };

  const processTrial = trialProcessor({ name, log, reportsFor, executorFor, trials, checkpoints: options.checkpoints, waitLimit });

  const worker = new Worker<TrialJobData, TrialJobResult>(queue, processTrial, { connection, concurrency, lockDuration, stalledInterval, maxStalledCount });
  (worker as unknown as NodeJS.EventEmitter).on('error', onError);
  await worker.waitUntilReady();
  log(`${name}: waiting for trials on queue ${queue} at ${options.redis} (concurrency ${concurrency})`);
  return {
    name,
    async close() {
      await worker.close();
      const open = await Promise.all(reports.values());
      await Promise.all([...open.flatMap((r) => [r.events.close(), r.queue.close()]), ...[...executors.values()].map((e) => e.close?.())]);
    },
  };
}
