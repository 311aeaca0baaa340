/**
 * Trial records from what a run produced: the one place where a run's status is decided, for every
 * executor. The calling thread, worker threads and BullMQ workers on other machines all hand their
 * outcome (or their error) back to `runSweep`, which records it with these functions.
 */
import { SweepError } from './errors';
import { SWEEP_FORMAT, type TrialRecord } from './store';
import { type Objective, isRankable } from './sweep';
import type { TrialJob, TrialOutcome } from './trial';

/** Where and how long a run ran. */
export interface RunInfo {
  worker: string;
  durationMs: number;
}

const base = (job: TrialJob) => ({ format: SWEEP_FORMAT, trialId: job.trialId, index: job.index, seed: job.seed, attempt: job.attempt, config: job.config });

/**
 * Why a run's final value of the objective cannot rank it (missing, NaN, or the infinity that would
 * beat every real result), naming the metric, the value and the first epoch that reported it; or
 * undefined when the value ranks.
 */
export function objectiveProblem(job: TrialJob, outcome: TrialOutcome, objective: Objective): string | undefined {
  const { metric, mode } = objective;
  const value = outcome.metrics[metric];
  if (typeof value !== 'number') return `${job.trialId} returned no number for the metric "${metric}"; its metrics: ${JSON.stringify(outcome.metrics)}`;
  if (isRankable(value, objective)) return undefined;
  const first = outcome.epochs.findIndex((m) => Object.is(m[metric], value));
  const where = first >= 0 ? `at epoch ${first + 1}` : 'in the metrics the trial returned';
  const why = Number.isNaN(value) ? '' : ` (with mode '${mode}' it would rank above every real result)`;
  return `${job.trialId}: objective "${metric}" was ${value} ${where}${why}`;
}

/** The record of a run that ended in an error (thrown, timed out, crashed, or given up). */
export function failedRecord(job: TrialJob, error: unknown, run: RunInfo): TrialRecord {
  const err = error instanceof Error ? error : new Error(String(error));
  return { ...base(job), status: 'failed', metrics: null, epochs: [], error: { name: err.name, message: err.message }, ...run };
}

/**
 * The record of a run that returned its metrics: `completed`, or `pruned` when the scheduler stopped
 * it; `failed` when its objective cannot rank it, as Optuna fails a trial that returns NaN, with the
 * reason as its error and the epochs it reported (they show where it diverged).
 */
export function outcomeRecord(job: TrialJob, outcome: TrialOutcome, objective: Objective, run: RunInfo): TrialRecord {
  const problem = objectiveProblem(job, outcome, objective);
  if (problem !== undefined) return { ...failedRecord(job, new SweepError(problem), run), epochs: outcome.epochs };
  return { ...base(job), status: outcome.pruned ? 'pruned' : 'completed', metrics: outcome.metrics, epochs: outcome.epochs, error: null, ...run };
}
