/**
 * The sweep loop: sample the configurations, skip the trials a store already finished,
 * run the rest on an executor (retrying failures, timing out hung trials), feed every
 * epoch's metrics to the scheduler, and append one record per run to the store.
 */
import { Rng } from '@trainkit/tensor';
import type { Decision, Scheduler } from './asha';
import { SweepError, TrialTimeoutError } from './errors';
import { type ExecutorFactory, type Executor, type TrialSource, inProcess } from './executor';
import { resolveSampler, type Sampler } from './samplers';
import { type Config, type SpaceSpec, compileSpace } from './space';
import { failedRecord, outcomeRecord } from './record';
import { type TrialRecord, type TrialStore, latestRecords, memoryStore } from './store';
import { type Objective, type Sweep, checkObjective, sweepOf } from './sweep';
import type { Metrics, TrialJob } from './trial';

/** Options of {@link runSweep}. */
export interface SweepOptions<C = Config> extends Partial<Objective> {
  space: SpaceSpec;
  /** The trial: a function, or `{ module, exportName }` (needed by worker executors). */
  trial: TrialSource<C>;
  /** Number of trials (default for a grid: all of it). */
  trials?: number;
  /** `'random'` (default), `'sobol'`, `'grid'` or a {@link Sampler}. */
  sampler?: string | Sampler;
  /** The sweep's seed: configurations and each trial's seed derive from it (default 0). */
  seed?: number;
  /** Stops bad trials early (e.g. {@link asha}); without one every trial runs to the end. */
  scheduler?: Scheduler;
  /** Where trials run (default: `inProcess()`; the Node entry defaults to worker threads). */
  executor?: ExecutorFactory;
  /** Milliseconds a trial run may take before it fails with a {@link TrialTimeoutError}. */
  timeoutMs?: number;
  /** Runs after a failure before a trial counts as failed (default 0). */
  retries?: number;
  /** Where records go (default: in memory). A store holding records of this sweep resumes it. */
  store?: TrialStore;
  /** Called after each trial run with its record. */
  onTrialEnd?: (record: TrialRecord) => void;
}

/** Trial i's seed: the first draw of stream `trial-<i>` of the sweep's seed. */
export const trialSeed = (seed: number, index: number) => new Rng(seed).stream(`trial-${index}`).nextUint32();
const trialId = (index: number) => `trial-${String(index).padStart(4, '0')}`;

function checkInteger(value: number | undefined, name: string, min: number): void {
  if (value !== undefined && (!Number.isInteger(value) || value < min)) throw new SweepError(`runSweep: ${name} must be an integer ≥ ${min}, got ${value}`);
}

/** The longest timer Node and browsers keep (2^31 − 1 ms); a longer one fires at once. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Validates the options and samples the trials' jobs. */
function planJobs(options: SweepOptions<never>): TrialJob[] {
  const { trials, seed = 0, retries, timeoutMs } = options;
  checkInteger(trials, 'trials', 1);
  checkInteger(retries, 'retries', 0);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new SweepError(`runSweep: seed must be an integer in [0, 2^32), got ${seed}`);
  // setTimeout fires at once past 2^31 − 1 ms: timeoutMs: Infinity failed every trial after 1 ms
  if (timeoutMs !== undefined && !(timeoutMs > 0 && timeoutMs <= MAX_TIMEOUT_MS)) {
    throw new SweepError(`runSweep: timeoutMs must be a positive number of milliseconds up to ${MAX_TIMEOUT_MS} (24.8 days; leave it out for no limit), got ${timeoutMs}`);
  }
  const sampler = resolveSampler(options.sampler);
  const configs = sampler.sample(compileSpace(options.space), trials, seed);
  return configs.map((config, index) => ({ trialId: trialId(index), index, seed: trialSeed(seed, index), attempt: 0, config }));
}

/** Checks that stored records belong to these jobs and replays the finished ones into the scheduler. */
function restore(records: TrialRecord[], jobs: TrialJob[], done: (r: TrialRecord) => boolean, score: (r: Metrics) => number | undefined, scheduler?: Scheduler): void {
  for (const r of latestRecords(records)) {
    const job = jobs[r.index];
    if (job === undefined || job.trialId !== r.trialId || JSON.stringify(job.config) !== JSON.stringify(r.config) || job.seed !== r.seed) {
      throw new SweepError(`runSweep: the store holds ${r.trialId} with another configuration or seed than this sweep samples; it belongs to a different sweep (space, sampler, trials or seed changed): use a new directory`);
    }
    if (!done(r) || scheduler === undefined) continue;
    // every stored epoch, whatever the replayed answer: the order differs from the original run's,
    // and a 'stop' here must not hide the later rungs a finished trial really reached
    for (const [i, m] of r.epochs.entries()) {
      const s = score(m);
      if (s !== undefined) scheduler.decide(r.trialId, i + 1, s);
    }
  }
}

/** Runs one attempt of a job with a timeout; resolves to its record. */
async function attempt(executor: Executor, job: TrialJob, options: SweepOptions<never>, objective: Objective, score: (m: Metrics) => number | undefined, sweep: AbortSignal): Promise<TrialRecord> {
  const started = Date.now();
  const controller = new AbortController();
  let onSweepEnd = () => undefined as void;
  const ended = new Promise<never>((_, reject) => {
    onSweepEnd = () => {
      reject(new SweepError(`${job.trialId}: the sweep stopped after an error elsewhere`));
      controller.abort();
    };
    sweep.addEventListener('abort', onSweepEnd, { once: true });
  });
  const report = (epoch: number, metrics: Metrics): Promise<Decision> => {
    const s = score(metrics);
    if (controller.signal.aborted) return Promise.resolve('stop');
    return Promise.resolve(s === undefined || options.scheduler === undefined ? 'continue' : options.scheduler.decide(job.trialId, epoch, s));
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    if (options.timeoutMs === undefined || executor.timesTrials === true) return;
    timer = setTimeout(() => {
      reject(new TrialTimeoutError(`${job.trialId} did not finish within ${options.timeoutMs} ms (timeoutMs)`));
      controller.abort();
    }, options.timeoutMs);
  });
  try {
    const { outcome, worker } = await Promise.race([executor.run({ job, report, signal: controller.signal, scheduled: options.scheduler !== undefined, timeoutMs: executor.timesTrials === true ? options.timeoutMs : undefined }), timeout, ended]);
    return outcomeRecord(job, outcome, objective, { worker, durationMs: Date.now() - started });
  } catch (e) {
    return failedRecord(job, e, { worker: (e as { worker?: string } | null)?.worker ?? executor.name, durationMs: Date.now() - started });
  } finally {
    clearTimeout(timer);
    sweep.removeEventListener('abort', onSweepEnd);
  }
}

/**
 * Runs a hyperparameter sweep: samples `trials` configurations of `space`, runs the trial
 * function on each (in the calling thread by default), stops bad trials early with the
 * `scheduler`, and returns the results. With a `store` that already holds records of the
 * same sweep it continues where it stopped and does not rerun finished trials. A trial that
 * throws or times out, or whose final value of `metric` is missing, NaN or the infinity that
 * would beat every real result, is recorded as failed (with the reason as its error), retried up
 * to `retries` times, and never stops the sweep.
 *
 * @example
 * const sweep = await runSweep({
 *   space: { lr: logUniform(1e-4, 1e-1), optimizer: choice(['sgd', 'adam']) },
 *   trial: async (config, ctx) => { … return (await trainer.fit(model, { … })).history.at(-1)!.metrics; },
 *   trials: 20, metric: 'valLoss', mode: 'min', scheduler: asha({ maxEpochs: 9 }),
 * });
 * console.log(sweep.best()?.config);
 */
export async function runSweep<C = Config>(options: SweepOptions<C>): Promise<Sweep> {
  const opts = options as SweepOptions<never>;
  const objective = checkObjective(opts, 'runSweep');
  const jobs = planJobs(opts);
  // made before the store is read, so that an executor refusing the trial refuses the sweep before
  // anything is written (a directory store writes nothing before it is opened)
  const executor = (opts.executor ?? inProcess())(opts.trial);
  const retries = opts.retries ?? 0;
  const store = opts.store ?? memoryStore();
  const score = (m: Metrics) => (typeof m[objective.metric] === 'number' ? (objective.mode === 'min' ? -m[objective.metric] : m[objective.metric]) : undefined);
  const done = (r: TrialRecord) => r.status !== 'failed' || r.attempt >= retries;
  await executor.open?.(); // before the store is read: an executor that cannot start (Redis down) leaves no sweep directory
  let opened = false;
  try {
    await store.open?.(); // a sweep directory takes its lock here, before anything in it is read or written
    opened = true;
    const records = await store.load();
    restore(records, jobs, done, score, opts.scheduler);
    const latest = new Map(latestRecords(records).map((r) => [r.trialId, r]));
    // unfinished trials, each from the attempt after its last stored one
    const queue = jobs.flatMap((j) => {
      const last = latest.get(j.trialId);
      return last !== undefined && done(last) ? [] : [{ ...j, attempt: last === undefined ? 0 : last.attempt + 1 }];
    });
    await runLanes({ executor, store, records, queue, retries, options: opts, objective, score });
    return sweepOf(records, objective);
  } finally {
    // the store last: its lock is held until the executor has let go of every trial
    try {
      await executor.close?.();
    } finally {
      if (opened) await store.close?.();
    }
  }
}

/** What the lanes of a sweep share. */
interface Lanes {
  executor: Executor;
  store: TrialStore;
  /** The records so far; each new one is appended. */
  records: TrialRecord[];
  /** The runs left, taken from the front by each lane. */
  queue: TrialJob[];
  retries: number;
  options: SweepOptions<never>;
  objective: Objective;
  score: (m: Metrics) => number | undefined;
}

/**
 * Runs the queued jobs on `executor.concurrency` lanes, appending each run's record. An error of
 * the sweep itself (the store cannot append, onTrialEnd throws) stops every lane: no new trials,
 * the running ones given up and not recorded; it is thrown once all lanes have stopped.
 */
async function runLanes({ executor, store, records, queue, retries, options, objective, score }: Lanes): Promise<void> {
  const stop = new AbortController();
  let failure: { error: unknown } | null = null;
  const lane = async () => {
    try {
      for (let job = queue.shift(); job !== undefined && !stop.signal.aborted; job = queue.shift()) {
        for (let a = job.attempt; a <= retries; a++) {
          const record = await attempt(executor, { ...job, attempt: a }, options, objective, score, stop.signal);
          if (stop.signal.aborted) return;
          await store.append(record);
          records.push(record);
          options.onTrialEnd?.(record);
          if (record.status !== 'failed') break;
        }
      }
    } catch (error) {
      failure ??= { error };
      stop.abort();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(executor.concurrency, queue.length)) }, lane));
  if (failure !== null) throw (failure as { error: unknown }).error;
}
