import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SweepError } from '../errors';
import { runSweep as runSweepWith, type SweepOptions } from '../runSweep';
import type { Config } from '../space';
import type { TrialStore } from '../store';
import { type Objective, type Sweep, checkMetricReported, checkObjective, sweepOf } from '../sweep';
import { SWEEP_META, TRIALS_FILE, directoryStore, parseTrialLines } from './directoryStore';
import { local } from './local';

/** Options of the Node `runSweep`: those of the browser-safe one plus a results directory. */
export interface NodeSweepOptions<C = Config> extends SweepOptions<C> {
  /** The sweep directory (`sweep.json` + `trials.jsonl`); running again with it resumes the sweep. */
  dir?: string;
}

/**
 * Runs a hyperparameter sweep on worker threads (the `local` executor, one trial per core)
 * and, with `dir`, records every trial run as a JSON line there; running it again with the
 * same `dir` continues without rerunning finished trials. Everything else is as in the
 * browser-safe `runSweep` of `@trainkit/sweep`.
 * @example
 * const sweep = await runSweep({ dir: 'runs/lr-sweep', space, trial: { module: new URL('./trial.ts', import.meta.url), exportName: 'trial' }, trials: 24, metric: 'valLoss', scheduler: asha({ maxEpochs: 9 }) });
 */
export async function runSweep<C = Config>(options: NodeSweepOptions<C>): Promise<Sweep> {
  const { dir, ...rest } = options;
  return runSweepWith({ executor: local(), ...rest, store: rest.store ?? (dir === undefined ? undefined : lazyDirectoryStore(dir)) });
}

/**
 * The directory store of `dir`, created (the directory and its `sweep.json`) when the sweep first
 * reads it, after `runSweep` has checked its options: a refused sweep leaves no directory behind.
 */
function lazyDirectoryStore(dir: string): TrialStore {
  let store: TrialStore | undefined;
  const open = () => (store ??= directoryStore(dir));
  return { load: () => open().load(), append: (record) => open().append(record) };
}

/**
 * Reads the results of a sweep directory (finished or not).
 * @throws {@link SweepError} when `dir` is no sweep directory, or no trial there reported `objective.metric`
 */
export function openSweep(dir: string, objective: Partial<Objective>): Sweep {
  const obj = checkObjective(objective, `openSweep(${JSON.stringify(dir)})`);
  if (!existsSync(join(dir, SWEEP_META))) throw new SweepError(`openSweep: ${dir} is not a sweep directory (no ${SWEEP_META})`);
  directoryStore(dir); // checks the format
  const path = join(dir, TRIALS_FILE);
  const records = existsSync(path) ? parseTrialLines(readFileSync(path, 'utf8'), path) : [];
  // a misspelt metric would make best() undefined, as if no trial had completed
  checkMetricReported(records, obj.metric, `openSweep(${JSON.stringify(dir)})`);
  return sweepOf(records, obj);
}
