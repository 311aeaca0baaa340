import type { Decision } from './asha';
import { SweepError } from './errors';
import { type Metrics, type TrialFunction, type TrialJob, type TrialModule, type TrialOutcome, executeTrial, importTrial } from './trial';

/** One trial run handed to an executor. */
export interface TrialRun {
  readonly job: TrialJob;
  /** Sends one epoch's metrics to the sweep's scheduler. */
  report(epoch: number, metrics: Metrics): Promise<Decision>;
  /** Aborted on timeout: the executor should give the run up (a worker is terminated). */
  readonly signal: AbortSignal;
  /** False when the sweep has no scheduler: `report` then always answers `'continue'`, and a remote executor need not wait for it. */
  readonly scheduled?: boolean;
  /** The sweep's `timeoutMs`, passed only to executors that time trials themselves ({@link Executor.timesTrials}). */
  readonly timeoutMs?: number;
}

/** Runs trials: in the calling thread, on worker threads, or on other machines. */
export interface Executor {
  readonly name: string;
  /** Trials run at once. */
  readonly concurrency: number;
  /**
   * True when the executor enforces `timeoutMs` itself, from the moment a trial starts running
   * rather than from when it was handed over (a queue executor: a trial may wait for a worker).
   */
  readonly timesTrials?: boolean;
  /** Connects and checks the executor before the first trial; a rejection fails the sweep (a trial's failure does not). */
  open?(): Promise<void>;
  /** Runs one trial; `worker` names where it ran. Rejects when the trial fails. */
  run(run: TrialRun): Promise<{ outcome: TrialOutcome; worker: string }>;
  /** Releases workers when the sweep ends. */
  close?(): Promise<void>;
}

/** The trial as a function or as a module reference. */
export type TrialSource<C = never> = TrialFunction<C> | TrialModule;

/** Makes the executor of a sweep for its trial (`inProcess()`, `local({ concurrency })`). */
export type ExecutorFactory = (trial: TrialSource) => Executor;

/** The module URL of a {@link TrialModule} as a string. */
export function moduleHref(module: string | URL): string {
  return module instanceof URL ? module.href : module;
}

/**
 * Runs trials one at a time in the calling thread (browsers, tests, debugging). The trial
 * may be a function or a module reference.
 */
export function inProcess(): ExecutorFactory {
  return (trial) => inProcessExecutor(trial);
}

function inProcessExecutor(trial: TrialSource): Executor {
  let loaded: Promise<TrialFunction<never>> | undefined;
  const load = () => {
    if (typeof trial === 'function') return Promise.resolve(trial as TrialFunction<never>);
    if (typeof trial !== 'object' || trial === null || !('module' in trial)) throw new SweepError('runSweep: trial must be a function (config, ctx) => Promise<metrics> or { module, exportName }');
    return (loaded ??= importTrial(moduleHref(trial.module), trial.exportName ?? 'default'));
  };
  return {
    name: 'in-process',
    concurrency: 1,
    async run({ job, report, signal }) {
      const fn = await load();
      return { outcome: await executeTrial(fn, job, report, signal), worker: 'main' };
    },
  };
}
