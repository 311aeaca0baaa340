/**
 * The trial contract: `(config, ctx) => Promise<metrics>`, a function that builds a model and
 * calls `fit` with `ctx.plugins` among its plugins; those report each epoch's metrics to the
 * sweep and stop the run when the scheduler says so.
 */
import type { Plugin } from '@trainkit/core';
import type { Decision } from './asha';
import { SweepError } from './errors';
import type { Config } from './space';

/** Metrics by name (`valLoss`, `valAccuracy`, …). */
export type Metrics = Record<string, number>;

/** What identifies one run of a trial. */
export interface TrialJob {
  /** `trial-0000`, `trial-0001`, … in sampling order. */
  readonly trialId: string;
  readonly index: number;
  /** The trial's seed, derived from the sweep's seed and the index: seed the trainer and model with it. */
  readonly seed: number;
  /** 0 on the first run, then 1, 2, … on retries after a failure. */
  readonly attempt: number;
  readonly config: Config;
  /**
   * Where this run keeps its training state, set by executors that resume trials on another
   * worker (`@trainkit/sweep/bullmq`): the worker adds a checkpoint plugin on that store to
   * `ctx.plugins` and sets `ctx.resume`.
   */
  readonly checkpoints?: { readonly location: string; readonly key: string; readonly prunedAt?: number };
}

/** The second argument of a trial function. */
export interface TrialContext extends TrialJob {
  /** Plugins to pass to the trial's `Trainer`: they report every epoch and stop a pruned trial. */
  readonly plugins: Plugin[];
  /** Aborted when the trial timed out or the sweep is shutting down. */
  readonly signal: AbortSignal;
  /** Reports the metrics after `epoch` epochs (from 1) and returns the scheduler's decision (what `reportTo` calls). */
  report(epoch: number, metrics: Metrics): Promise<Decision>;
  /**
   * `'latest'` when the executor checkpoints the trial (`ctx.plugins` then holds the checkpoint
   * plugin): pass it on, `fit(model, { …, resume: ctx.resume })`, so that a trial restarted on
   * another worker continues from its last checkpoint. Undefined otherwise.
   */
  readonly resume?: 'latest';
}

/** A trial: builds a model from `config`, trains it with `ctx.plugins`, and returns its final metrics. */
export type TrialFunction<C = Config> = (config: C, ctx: TrialContext) => Promise<Metrics> | Metrics;

/** Where a worker finds a trial function: a module URL (or absolute path) and the export's name. */
export interface TrialModule {
  module: string | URL;
  /** Default `'default'`. */
  exportName?: string;
}

/**
 * The plugin that connects a trainer to a sweep: after every epoch (once validation has
 * run) it reports `ctx.metrics` and calls `stop()` when the scheduler prunes the trial or
 * the trial was aborted. `ctx.plugins` already holds one.
 */
export function reportTo(trial: Pick<TrialContext, 'report' | 'signal'>): Plugin {
  return {
    name: 'sweep-report',
    async onTrainEpochEnd(ctx) {
      if (trial.signal.aborted) return ctx.stop('the trial was aborted');
      if ((await trial.report(ctx.epoch + 1, { ...ctx.metrics })) === 'stop') ctx.stop('pruned by the sweep scheduler');
    },
  };
}

/** What a trial run produced. */
export interface TrialOutcome {
  metrics: Metrics;
  /** The metrics reported after each epoch. */
  epochs: Metrics[];
  /** Whether the scheduler stopped it early. */
  pruned: boolean;
}

/** Runs a trial function with a context whose reports go to `report` (and `plugins` after the reporting one); the same code runs in the caller and in workers. */
export async function executeTrial(
  fn: TrialFunction<never>,
  job: TrialJob,
  report: (epoch: number, metrics: Metrics) => Promise<Decision>,
  signal: AbortSignal,
  plugins: readonly Plugin[] = [],
): Promise<TrialOutcome> {
  const epochs: Metrics[] = [];
  let pruned = false;
  const reporter = async (epoch: number, metrics: Metrics): Promise<Decision> => {
    epochs[epoch - 1] = { ...metrics };
    const decision = signal.aborted ? 'stop' : await report(epoch, metrics);
    if (decision === 'stop' && !signal.aborted) pruned = true;
    return decision;
  };
  const ctx: TrialContext = { ...job, signal, report: reporter, plugins: [], resume: job.checkpoints === undefined ? undefined : 'latest' };
  ctx.plugins.push(reportTo(ctx), ...plugins);
  const metrics = await (fn as TrialFunction)(job.config, ctx);
  if (typeof metrics !== 'object' || metrics === null || Object.values(metrics).some((v) => typeof v !== 'number')) {
    throw new SweepError(`${job.trialId}: a trial function returns its metrics as { name: number }, got ${JSON.stringify(metrics)}`);
  }
  return { metrics: { ...metrics }, epochs: epochs.filter((e) => e !== undefined), pruned };
}

/** Loads the trial function a {@link TrialModule} names. */
export async function importTrial(module: string, exportName: string): Promise<TrialFunction<never>> {
  const mod = (await import(/* @vite-ignore */ module)) as Record<string, unknown>;
  const fn = mod[exportName];
  if (typeof fn !== 'function') throw new SweepError(`runSweep: export "${exportName}" of ${module} is not a trial function (config, ctx) => Promise<metrics>, got ${typeof fn}`);
  return fn as TrialFunction<never>;
}
