import type { Config } from './space';
import type { Metrics } from './trial';

/** The version of the trial record format this package writes and reads. */
export const SWEEP_FORMAT = 1;

/** How a trial run ended. */
export type TrialStatus = 'completed' | 'pruned' | 'failed';

/** One line of a sweep's results: one run (attempt) of one trial. The last line of a trial is its result. */
export interface TrialRecord {
  format: number;
  trialId: string;
  index: number;
  seed: number;
  attempt: number;
  config: Config;
  status: TrialStatus;
  /** The trial's final metrics (null when it failed, also when its objective was NaN: the error says so). */
  metrics: Metrics | null;
  /** The metrics after each epoch, as reported (empty for a run that threw; kept for one failed for its objective). */
  epochs: Metrics[];
  /** Why it failed. */
  error: { name: string; message: string } | null;
  /** Where it ran (`main`, `thread-1`, …). */
  worker: string;
  durationMs: number;
}

/** Where a sweep keeps its trial records: append-only, read back in order on restart. */
export interface TrialStore {
  /**
   * Called by `runSweep` before it reads the store, so that a store shared between processes can
   * claim it for this run (a sweep directory takes its lock); a rejection fails the sweep.
   */
  open?(): Promise<void>;
  load(): Promise<TrialRecord[]>;
  append(record: TrialRecord): Promise<void>;
  /** Called by `runSweep` when the run ends, however it ends, once `open` has resolved: releases what `open` took. */
  close?(): Promise<void>;
}

/** A store in memory (the default of the browser-safe `runSweep`). */
export function memoryStore(): TrialStore {
  const records: TrialRecord[] = [];
  return {
    load: () => Promise.resolve(records.map((r) => structuredClone(r))),
    append: (r) => {
      records.push(structuredClone(r));
      return Promise.resolve();
    },
  };
}

/** The latest record of each trial, in trial order. */
export function latestRecords(records: readonly TrialRecord[]): TrialRecord[] {
  const byId = new Map<string, TrialRecord>();
  for (const r of records) byId.set(r.trialId, r);
  return [...byId.values()].sort((a, b) => a.index - b.index);
}
