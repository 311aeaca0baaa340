/**
 * What travels through BullMQ between a sweep's coordinator and its workers.
 *
 * - Queue `<queue>`: one job per trial run (`data`: {@link TrialJobData}); its id is derived from
 *   the sweep id, the trial and the attempt, so enqueueing it again (a restarted coordinator) adds
 *   nothing and waits for the same job. The return value is a {@link TrialJobResult}.
 * - The job's progress ({@link TrialProgress}): the metrics of every epoch so far and the worker
 *   running it, updated after each epoch; a worker that takes over a stalled trial reads it back.
 * - Queue `<queue>-reports.<sweepId>` (only for sweeps with a scheduler; named in the trial job's
 *   `reports`): one job per epoch report (id `<trial job id>.e<epoch>`), processed by the
 *   coordinator, whose return value is the scheduler's decision; the worker waits for it.
 *   Reporting the same epoch again (a resumed trial repeating the epoch it died in) returns the
 *   decision already taken. A coordinator hands a report of a trial it does not run back to the
 *   queue (delayed a moment), for the coordinator of that trial: sweeps never answer each other.
 */
import { createHash } from 'node:crypto';
import type { Decision } from '../asha';
import { SweepError } from '../errors';
import type { Metrics, TrialJob, TrialOutcome } from '../trial';

/**
 * The version of the job format; a worker refuses jobs of a newer one. 2: the sweep's reports
 * queue travels in `reports` (a worker of format 1 would report where no coordinator listens).
 */
export const JOB_FORMAT = 2;

/** The data of a trial job. */
export interface TrialJobData {
  format: number;
  /** The trial module (an absolute file URL) and its export. */
  trial: { module: string; exportName: string };
  job: TrialJob;
  /** The directory (or store URL) of the sweep's trial checkpoints. */
  checkpoints: string;
  /** Milliseconds the trial may run once a worker has started it. */
  timeoutMs: number | null;
  /** Whether a scheduler decides on the epoch reports (without one, workers do not wait for decisions). */
  scheduled: boolean;
  /** The sweep's queue of epoch reports (jobs queued by versions without it: `<queue>-reports`). */
  reports?: string;
}

/**
 * Metrics as a job carries them: JSON turns NaN and ±Infinity (a diverged loss) into null, so
 * those travel as the strings 'NaN', 'Infinity' and '-Infinity' ({@link toWire}, {@link fromWire}).
 */
export type WireMetrics = Record<string, number | string | null>;

/** Metrics for a job's data, progress or result. */
export const toWire = (m: Metrics): WireMetrics => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Number.isFinite(v) ? v : String(v)]));

/** Metrics back from a job (a null from an older worker is NaN). */
export const fromWire = (m: WireMetrics): Metrics => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, typeof v === 'number' ? v : v === null ? Number.NaN : Number(v)]));

/** The return value of a trial job (its metrics as {@link WireMetrics}). */
export interface TrialJobResult {
  outcome: Omit<TrialOutcome, 'metrics' | 'epochs'> & { metrics: WireMetrics; epochs: WireMetrics[] };
  worker: string;
}

/** A trial job's progress. */
export interface TrialProgress {
  worker: string;
  /** The metrics after each epoch reported so far. */
  epochs: WireMetrics[];
  /** The epoch after which the scheduler stopped the trial (a worker taking it over stops there too). */
  prunedAt?: number;
  /** Set by the worker just before it fails the job: the trial's error. */
  error?: { name: string; message: string };
}

/** The data of a report job. */
export interface ReportJobData {
  trialJobId: string;
  epoch: number;
  metrics: WireMetrics;
}

export type { Decision };

/** The name of the queue of the epoch reports of sweep `sweepId` on trial queue `queue` (without a sweep id: the one queue of older versions). */
export const reportsQueue = (queue: string, sweepId?: string) => (sweepId === undefined ? `${queue}-reports` : `${queue}-reports.${sweepId}`);

/** Checks a queue name (BullMQ keys use `:` as a separator). */
export function checkQueueName(queue: unknown, where: string): string {
  if (typeof queue !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(queue)) {
    throw new SweepError(`${where}: queue must be a name of letters, digits, '.', '_' and '-' (e.g. 'sweeps'), got ${JSON.stringify(queue)}`);
  }
  return queue;
}

/**
 * The id of a trial run's job (also its checkpoint folder): `<sweepId>.<trialId>.<hash>.a<attempt>`,
 * the hash covering the trial module, seed and configuration, so that two sweeps with another
 * space or seed never share a job even under the same `sweepId`.
 */
export function trialJobId(sweepId: string, trial: TrialJobData['trial'], job: TrialJob): string {
  const hash = createHash('sha256').update(JSON.stringify([trial.module, trial.exportName, job.trialId, job.seed, job.config])).digest('hex').slice(0, 12);
  return `${sweepId}.${job.trialId}.${hash}.a${job.attempt}`;
}

/** Reads and checks a trial job's data (it may come from another version of this package). */
export function parseTrialJobData(data: unknown, jobId: string | undefined): TrialJobData {
  const d = data as Partial<TrialJobData> | null;
  if (typeof d !== 'object' || d === null || typeof d.format !== 'number') throw new SweepError(`job ${jobId}: not a @trainkit/sweep trial job (no format)`);
  if (d.format > JOB_FORMAT) throw new SweepError(`job ${jobId} was queued by a newer version of @trainkit/sweep (job format ${d.format}; this worker reads ${JOB_FORMAT}): upgrade the worker`);
  if (typeof d.trial?.module !== 'string' || typeof d.job?.trialId !== 'string' || typeof d.checkpoints !== 'string') throw new SweepError(`job ${jobId}: a trial job needs trial.module, job and checkpoints`);
  return d as TrialJobData;
}

/** A trial job's progress, or an empty one (a job no worker has reported on yet). */
export function progressOf(progress: unknown): TrialProgress {
  const p = progress as Partial<TrialProgress> | null;
  return typeof p === 'object' && p !== null && Array.isArray(p.epochs) ? (p as TrialProgress) : { worker: '', epochs: [] };
}
