/**
 * Asynchronous successive halving (ASHA): rungs at min·η^k epochs. When a trial reaches a rung
 * its score is recorded there, and it goes on only if it is among the best 1/η of the scores
 * that rung has seen so far (the first trial at a rung always goes on). No trial waits for
 * others, so the decisions depend on the order in which trials reach the rung. A NaN score (a
 * diverged loss) stops the trial at a rung whatever came before, as Optuna's pruners do, and
 * counts there as the worst score.
 * @see https://arxiv.org/abs/1810.05934 (Li et al. 2018, A System for Massively Parallel Hyperparameter Tuning)
 */
import { SweepError } from './errors';

/** What a scheduler says after a report. */
export type Decision = 'continue' | 'stop';

/** Decides, from reported scores only, whether a trial goes on. Scores: higher is better. */
export interface Scheduler {
  readonly name: string;
  /** Called after each epoch (`epoch` counts from 1) with the trial's score. */
  decide(trialId: string, epoch: number, score: number): Decision;
}

/** Options of {@link asha}: the rungs are at minEpochs·η^k epochs below maxEpochs. */
export interface AshaOptions {
  /** Reduction factor η: keep the best 1/η at each rung (default 3). */
  reductionFactor?: number;
  /** Epochs before the first rung (default 1). */
  minEpochs?: number;
  /** Epochs of a trial that is never stopped; no rung at or past it. */
  maxEpochs: number;
}

/** The rung milestones (epochs) of an ASHA scheduler: min·η^k rounded, strictly increasing, below max. */
export function ashaRungs(options: AshaOptions): number[] {
  const { reductionFactor: eta = 3, minEpochs = 1, maxEpochs } = options;
  const where = `asha(${JSON.stringify(options)})`;
  if (!(Number.isFinite(eta) && eta > 1)) throw new SweepError(`${where}: reductionFactor must be a number > 1, got ${eta}`);
  if (!Number.isInteger(minEpochs) || minEpochs < 1) throw new SweepError(`${where}: minEpochs must be an integer ≥ 1, got ${minEpochs}`);
  if (!Number.isInteger(maxEpochs) || maxEpochs <= minEpochs) throw new SweepError(`${where}: maxEpochs must be an integer above minEpochs (${minEpochs}), got ${maxEpochs}`);
  // rung k is minEpochs·η^k rounded (Math.round: η = 2.5 gives 1, 3, 6, 16), each at least one epoch
  // past the last: rounding the exact power does not compound, and an η near 1 still advances
  const rungs: number[] = [];
  for (let k = 1, r = minEpochs; r < maxEpochs; k++) {
    rungs.push(r);
    r = Math.max(r + 1, Math.round(minEpochs * eta ** k));
  }
  return rungs;
}

/**
 * An ASHA scheduler (asynchronous successive halving) for `runSweep({ scheduler })`.
 * @param options - `reductionFactor` η (default 3), `minEpochs` (default 1), `maxEpochs`
 * @example
 * await runSweep({ space, trial, trials: 27, metric: 'valLoss', mode: 'min', scheduler: asha({ maxEpochs: 9 }) });
 */
export function asha(options: AshaOptions): Scheduler {
  const rungs = ashaRungs(options);
  const eta = options.reductionFactor ?? 3;
  // per rung, each trial's score there (a retried trial overwrites its own entry)
  const recorded = new Map<number, Map<string, number>>(rungs.map((r) => [r, new Map()]));
  return {
    name: 'asha',
    decide(trialId, epoch, score) {
      const rung = recorded.get(epoch);
      if (rung === undefined) return 'continue';
      rung.set(trialId, Number.isNaN(score) ? -Infinity : score);
      // NaN is no result: it must not go on for being first at a rung (runSweep fails such a trial if it ends with NaN)
      if (Number.isNaN(score)) return 'stop';
      const keep = Math.max(1, Math.floor(rung.size / eta));
      let better = 0;
      for (const [id, s] of rung) if (id !== trialId && s > rung.get(trialId)!) better++;
      return better < keep ? 'continue' : 'stop';
    },
  };
}
