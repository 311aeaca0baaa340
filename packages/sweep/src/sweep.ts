import { SweepError } from './errors';
import { type TrialRecord, latestRecords } from './store';

/** Which metric ranks trials, and whether lower (`min`) or higher (`max`) is better. */
export interface Objective {
  metric: string;
  mode: 'min' | 'max';
}

/** The results of a sweep. */
export interface Sweep {
  readonly objective: Objective;
  /** Every trial's latest record, in trial order. */
  trials(): TrialRecord[];
  /** The completed trial with the best final value of the objective's metric (undefined when none completed with a value that ranks). */
  best(): TrialRecord | undefined;
}

/** Checks `metric` and `mode`. */
export function checkObjective(objective: Partial<Objective>, where: string): Objective {
  const { metric, mode = 'min' } = objective;
  if (typeof metric !== 'string' || metric === '') throw new SweepError(`${where}: say which metric to optimize ({ metric: 'valLoss', mode: 'min' })`);
  if (mode !== 'min' && mode !== 'max') throw new SweepError(`${where}: mode must be 'min' or 'max', got ${JSON.stringify(mode)}`);
  return { metric, mode };
}

/**
 * Refuses a metric that none of the trials reported (a typo: `val_loss` for `valLoss`), naming
 * the ones they did; records without any metrics (none yet, or all failed) pass.
 */
export function checkMetricReported(records: readonly TrialRecord[], metric: string, where: string): void {
  const seen = new Set(records.flatMap((r) => [...Object.keys(r.metrics ?? {}), ...r.epochs.flatMap((m) => Object.keys(m))]));
  if (seen.size > 0 && !seen.has(metric)) throw new SweepError(`${where}: no trial reported the metric "${metric}"; the trials report ${[...seen].map((m) => JSON.stringify(m)).join(', ')}`);
}

/**
 * Whether `value` of the objective can rank a trial. NaN (a diverged loss) ranks nowhere, and the
 * infinity on the better side (−∞ with `min`, +∞ with `max`) would beat every real result; the
 * infinity on the worse side (a diverged loss of +∞ with `min`) ranks last, as the honest result.
 */
export function isRankable(value: unknown, objective: Objective): value is number {
  return typeof value === 'number' && !Number.isNaN(value) && value !== (objective.mode === 'min' ? -Infinity : Infinity);
}

/** A {@link Sweep} over trial records. */
export function sweepOf(records: readonly TrialRecord[], objective: Objective): Sweep {
  const latest = latestRecords(records);
  const sign = objective.mode === 'min' ? 1 : -1;
  return {
    objective,
    trials: () => latest.map((r) => structuredClone(r)),
    best() {
      let best: TrialRecord | undefined;
      for (const r of latest) {
        const v = r.metrics?.[objective.metric];
        // runSweep records such a trial as failed; a record written before it did may still say completed
        if (r.status !== 'completed' || !isRankable(v, objective)) continue;
        if (best === undefined || sign * v < sign * best.metrics![objective.metric]) best = r;
      }
      return best === undefined ? undefined : structuredClone(best);
    },
  };
}
