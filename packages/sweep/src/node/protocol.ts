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
  | { type: 'report'; epoch: number; metrics: Metrics }
  | { type: 'done'; outcome: TrialOutcome }
  | { type: 'failed'; error: { name: string; message: string; stack?: string } };
