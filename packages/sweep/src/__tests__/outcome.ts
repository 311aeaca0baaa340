import type { Metrics, TrialRecord } from '../index';

/** Metrics without the trainer's wall-clock ones (`time`, `samplesPerSec`), which differ run to run. */
const timeless = (m: Metrics | null) => (m === null ? null : Object.fromEntries(Object.entries(m).filter(([k]) => k !== 'time' && k !== 'samplesPerSec')));

/** What must agree between two runs of the same sweep (not where or how fast it ran). */
export const outcome = (r: TrialRecord) => ({ trialId: r.trialId, seed: r.seed, config: r.config, status: r.status, metrics: timeless(r.metrics), epochs: r.epochs.map(timeless) });
