/**
 * The `bullmq` executor, the coordinator's side of a queue sweep: each trial run becomes a job
 * of a BullMQ queue on Redis, which `trainkit worker` processes on any number of machines; the
 * coordinator answers the trials' epoch reports (a second queue) with the scheduler's decisions
 * and waits for each job's result. See ./protocol.ts for what goes through Redis.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DelayedError, type Job, Queue, QueueEvents, type RedisOptions, Worker } from 'bullmq';
import { SweepError } from '../errors';
import type { Executor, ExecutorFactory, TrialRun } from '../executor';
import { absoluteModule } from '../node/local';
import { CONNECT_TIMEOUT_MS, checkConnectTimeout, checkRedis, redisOptions } from './connection';
import { JobFailedError, WaitLimitError, finished } from './finished';
import { JOB_FORMAT, type ReportJobData, type TrialJobData, type TrialJobResult, checkQueueName, fromWire, progressOf, reportsQueue, trialJobId } from './protocol';

/** Options of {@link bullmq}. */
export interface BullmqOptions {
  /** The Redis server, `redis://host:6379` (`rediss://` for TLS, `redis://:password@host:port/db`). */
  redis: string;
  /** The queue that `trainkit worker --queue NAME` processes. */
  queue: string;
  /**
   * Names the sweep in job ids and checkpoint folders (default `'sweep'`). Job ids also hash the
   * trial's module, seed and configuration, so another sweep never reuses a job; running the
   * very same sweep again under the same id returns the results already in the queue.
   */
  sweepId?: string;
  /** The directory of the trials' checkpoints, on a volume every worker mounts (default `<tmpdir>/trainkit-sweeps/<queue>`). */
  checkpoints?: string;
  /** Trials queued at once (default: every trial of the sweep; workers take them in order). */
  concurrency?: number;
  /** Milliseconds to wait for Redis to answer before the sweep fails (default 5000). */
  connectTimeoutMs?: number;
  /**
   * Milliseconds a trial's job may wait while no worker is connected to the queue, and that Redis
   * may stay silent mid-sweep, before the trial fails with an error that says which (default
   * 600,000: ten minutes). Not a limit on a trial's running time (`timeoutMs` of runSweep is).
   */
  waitLimitMs?: number;
}

/** Default {@link BullmqOptions.waitLimitMs}. */
const WAIT_LIMIT_MS = 600_000;
/** How long a report that another coordinator must answer waits before it is offered again. */
const REQUEUE_MS = 50;
/** A report no coordinator has claimed for this long (its trial ended, its sweep is gone) is answered 'continue'. */
const ORPHAN_REPORT_MS = 3_600_000;

interface Connected {
  queue: Queue;
  events: QueueEvents;
  reports: Worker;
  /** The reports queue itself, to read which reports a coordinator has answered. */
  answered: Queue;
}

function checkOptions(options: BullmqOptions): { connection: RedisOptions; sweepId: string; concurrency: number; timeoutMs: number; waitLimitMs: number } {
  const where = 'bullmq()';
  if (typeof options !== 'object' || options === null) throw new SweepError(`${where}: pass { redis: 'redis://localhost:6379', queue: 'sweeps' }`);
  const connection = redisOptions(options.redis, where);
  checkQueueName(options.queue, where);
  const { sweepId = 'sweep', concurrency = Number.POSITIVE_INFINITY, connectTimeoutMs: timeoutMs = CONNECT_TIMEOUT_MS } = options;
  if (typeof sweepId !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(sweepId)) throw new SweepError(`${where}: sweepId must be letters, digits, '_' and '-', got ${JSON.stringify(sweepId)}`);
  if (concurrency !== Number.POSITIVE_INFINITY && (!Number.isInteger(concurrency) || concurrency < 1)) throw new SweepError(`${where}: concurrency must be an integer ≥ 1, got ${concurrency}`);
  checkConnectTimeout(timeoutMs, where);
  const waitLimitMs = options.waitLimitMs ?? WAIT_LIMIT_MS;
  if (!(waitLimitMs > 0)) throw new SweepError(`${where}: waitLimitMs must be a positive number, got ${waitLimitMs}`);
  return { connection, sweepId, concurrency, timeoutMs, waitLimitMs };
}

/** The error a failed trial job stands for: the trial's own (name and message) when its worker recorded it. */
async function jobError(queue: Queue, id: string, trialId: string, failure: JobFailedError): Promise<Error> {
  const p = progressOf((await queue.getJob(id))?.progress);
  const message = p.error?.message ?? (/stalled more than allowable limit/.test(failure.message) ? `${trialId}: its workers died or stalled more often than maxStalledCount allows (${failure.message})` : failure.message);
  return Object.assign(new Error(message), { name: p.error?.name ?? 'Error', worker: p.worker === '' ? 'bullmq' : p.worker });
}

/**
 * Feeds `report` (the scheduler) the epochs that job `id` reported before this coordinator waited
 * for it — a restarted coordinator's running or finished trials — up to the last one a
 * coordinator answered; a report still waiting comes through the reports queue.
 */
async function replay({ queue, answered }: Connected, id: string, report: TrialRun['report']): Promise<void> {
  const { epochs } = progressOf((await queue.getJob(id))?.progress);
  for (const [i, metrics] of epochs.entries()) {
    if ((await answered.getJobState(`${id}.e${i + 1}`)) !== 'completed') return;
    await report(i + 1, fromWire(metrics));
  }
}

/**
 * Runs a sweep's trials as BullMQ jobs on Redis, processed by `trainkit worker` on any number of
 * machines. Each trial checkpoints every epoch into `checkpoints` (shared by the workers); a
 * worker that dies hands its trial, through BullMQ's stalled-job check, to another, which
 * resumes from the latest checkpoint. Restarting the coordinator with the same sweep directory
 * picks up the jobs already queued or finished instead of running them again.
 *
 * The trial must be a module reference that the workers can import, and it passes
 * `resume: ctx.resume` to `fit`.
 *
 * @example
 * await runSweep({ dir: 'runs/lr', space, trials: 24, metric: 'valLoss', scheduler: asha({ maxEpochs: 9 }),
 *   trial: { module: new URL('./trial.ts', import.meta.url), exportName: 'trial' },
 *   executor: bullmq({ redis: 'redis://redis:6379', queue: 'sweeps', checkpoints: '/shared/checkpoints' }) });
 */
export function bullmq(options: BullmqOptions): ExecutorFactory {
  const { connection, sweepId, concurrency, timeoutMs, waitLimitMs } = checkOptions(options);
  const name = options.queue;
  const checkpoints = options.checkpoints ?? join(tmpdir(), 'trainkit-sweeps', name);
  return (source): Executor => {
    if (typeof source !== 'object' || source === null || !('module' in source)) {
      throw new SweepError("bullmq executor: workers import the trial from a module; pass trial: { module: new URL('./trial.ts', import.meta.url), exportName: 'trial' }");
    }
    const trial = { module: absoluteModule(source.module), exportName: source.exportName ?? 'default' };
    const reports = new Map<string, TrialRun['report']>();
    let connected: Connected | undefined;
    let listening = false;
    // the replays of the runs registered before the reports worker starts
    const replays: Array<Promise<void>> = [];
    const reportsName = reportsQueue(name, sweepId);
    const answer = async (job: Job<ReportJobData>, token?: string) => {
      const report = reports.get(job.data.trialJobId);
      if (report !== undefined) return await report(job.data.epoch, fromWire(job.data.metrics));
      // a report of a run this coordinator does not wait for belongs to another coordinator of the
      // same sweep id: back to the queue for it; one nobody claims for an hour changes no decision
      if (Date.now() - job.timestamp > ORPHAN_REPORT_MS) return 'continue';
      await job.moveToDelayed(Date.now() + REQUEUE_MS, token);
      throw new DelayedError();
    };
    return {
      name: 'bullmq',
      concurrency,
      timesTrials: true,
      async open() {
        await checkRedis(options.redis, connection, timeoutMs, `bullmq({ redis: ${JSON.stringify(options.redis)} })`);
        const queue = new Queue(name, { connection });
        const events = new QueueEvents(name, { connection });
        const reportsWorker = new Worker(reportsName, answer, { connection, autorun: false, concurrency: 64 });
        // reconnecting is BullMQ's business, and every wait also polls: errors need no handling here
        for (const emitter of [queue, events, reportsWorker] as unknown as NodeJS.EventEmitter[]) emitter.on('error', () => undefined);
        connected = { queue, events, reports: reportsWorker, answered: new Queue(reportsName, { connection }) };
        connected.answered.on('error', () => undefined);
        await events.waitUntilReady();
      },
      async run({ job, report, signal, scheduled = true, timeoutMs: trialTimeout }) {
        if (connected === undefined) throw new SweepError('bullmq executor: open() it first (runSweep does)');
        const { queue, events } = connected;
        const id = trialJobId(sweepId, trial, job);
        reports.set(id, report);
        const replayed = scheduled ? replay(connected, id, report) : undefined;
        if (replayed !== undefined) replays.push(replayed);
        if (!listening) {
          // after every lane of the sweep has registered its run, and the scheduler has the epochs
          // reported before (a restarted coordinator), so that the first decisions see them
          listening = true;
          setImmediate(() => void Promise.allSettled(replays).then(() => connected?.reports.run()).catch(() => undefined));
        }
        try {
          await replayed;
          const data: TrialJobData = { format: JOB_FORMAT, trial, job, checkpoints, timeoutMs: trialTimeout ?? null, scheduled, reports: reportsName };
          await queue.add('trial', data, { jobId: id, attempts: 1 });
          const limits = { noWorkerMs: waitLimitMs, redisMs: waitLimitMs, what: `bullmq: trial ${job.trialId} (job ${id})`, takers: 'worker', hint: `start workers with \`trainkit worker --queue ${name}\`` };
          const result = (await finished(queue, events, id, signal, limits)) as TrialJobResult;
          const { metrics, epochs, ...rest } = result.outcome;
          return { outcome: { ...rest, metrics: fromWire(metrics), epochs: epochs.map(fromWire) }, worker: result.worker };
        } catch (e) {
          // no worker took it: take the job back, so that a worker starting later does not run a trial nobody waits for
          if (e instanceof WaitLimitError && (await queue.getJobState(id).catch(() => 'unknown')) === 'waiting') await queue.remove(id).catch(() => undefined);
          throw e instanceof JobFailedError ? await jobError(queue, id, job.trialId, e) : e;
        } finally {
          reports.delete(id);
        }
      },
      async close() {
        const c = connected;
        connected = undefined;
        if (c !== undefined) await Promise.all([c.reports.close(), c.events.close(), c.queue.close(), c.answered.close()]);
      },
    };
  };
}
