import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SweepError } from '../errors';
import { runSweep as runSweepWith, type SweepOptions } from '../runSweep';
import type { Config } from '../space';
import { type Objective, type Sweep, checkMetricReported, checkObjective, sweepOf } from '../sweep';
import { SWEEP_META, TRIALS_FILE, directoryStore, parseTrialLines } from './directoryStore';
import { local } from './local';

/** Options of the Node `runSweep`: those of the browser-safe one plus a results directory. */
export interface NodeSweepOptions<C = Config> extends SweepOptions<C> {
  /**
   * The sweep directory (`sweep.json` + `trials.jsonl`); running again with it resumes the sweep.
   * The run holds its `lock` file: a second coordinator on the directory is refused.
   */
  dir?: string;
}

/**
 * Runs a hyperparameter sweep on worker threads (the `local` executor, one trial per core)
 * and, with `dir`, records every trial run as a JSON line there; running it again with the
 * same `dir` continues without rerunning finished trials. While it runs it holds `dir/lock`
 * (pid, host, start time): another coordinator on the same `dir` fails with a {@link SweepError}
 * naming it, and a lock left by a coordinator of this host that no longer runs is taken over.
 * Everything else is as in the browser-safe `runSweep` of `@trainkit/sweep`.
 * @example
 * const sweep = await runSweep({ dir: 'runs/lr-sweep', space, trial: { module: new URL('./trial.ts', import.meta.url), exportName: 'trial' }, trials: 24, metric: 'valLoss', scheduler: asha({ maxEpochs: 9 }) });
 */
export async function runSweep<C = Config>(options: NodeSweepOptions<C>): Promise<Sweep> {
  const { dir, ...rest } = options;
  // the store writes nothing before runSweep opens it, once the options and the executor are
  // checked: a refused sweep leaves no directory behind
  return runSweepWith({ executor: local(), ...rest, store: rest.store ?? (dir === undefined ? undefined : directoryStore(dir)) });
}

/**
 * Reads the results of a sweep directory (finished or not); needs no lock, so it works while a
 * coordinator runs the sweep.
 * @throws {@link SweepError} when `dir` is no sweep directory, or no trial there reported `objective.metric`
 */
export function openSweep(dir: string, objective: Partial<Objective>): Sweep {
  const obj = checkObjective(objective, `openSweep(${JSON.stringify(dir)})`);
  if (!existsSync(join(dir, SWEEP_META))) throw new SweepError(`openSweep: ${dir} is not a sweep directory (no ${SWEEP_META})`);
  directoryStore(dir); // checks the format; writes nothing
  const path = join(dir, TRIALS_FILE);
  const records = existsSync(path) ? parseTrialLines(readFileSync(path, 'utf8'), path) : [];
  // a misspelt metric would make best() undefined, as if no trial had completed
  checkMetricReported(records, obj.metric, `openSweep(${JSON.stringify(dir)})`);
  return sweepOf(records, obj);
}
