import type { KernelBackend } from '@trainkit/tensor';
import type { Decision } from '../asha';
import type { Metrics, TrialJob, TrialOutcome } from '../trial';

/** From the sweep to a worker: run one trial, or the scheduler's answer to a report. */
export type ToWorker =
  | { type: 'run'; job: TrialJob; module: string; exportName: string; kernels: KernelBackend | null }
  | { type: 'decision'; epoch: number; decision: Decision };

/** From a worker to the sweep. */
export type FromWorker =
  | { type: 'started' }
  /** A rejection nobody handled (a trial's stray promise): the thread finishes its run, then is replaced. */
  | { type: 'retire'; reason: string }
  | { type: 'report'; epoch: number; metrics: Metrics }
  | { type: 'done'; outcome: TrialOutcome }
  | { type: 'failed'; error: { name: string; message: string; stack?: string } };
