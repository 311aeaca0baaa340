/**
 * @trainkit/sweep/bullmq — sweeps on a real job queue: the `bullmq` executor enqueues each trial
 * as a BullMQ job on Redis, `startWorker` (what `trainkit worker` runs) processes them on any
 * number of machines, and trials checkpoint every epoch into a shared store so that a trial whose
 * worker dies resumes on another. Node only; needs the `bullmq` and `ioredis` packages.
 * @packageDocumentation
 */
export { bullmq } from './executor';
export { startWorker } from './worker';
export { directoryCheckpoints, openCheckpoints } from './checkpoints';
export { JOB_FORMAT, reportsQueue, trialJobId } from './protocol';
export { WaitLimitError } from './finished';

export type { BullmqOptions } from './executor';
export type { SweepWorker, SweepWorkerOptions } from './worker';
export type { TrialCheckpointStore } from './checkpoints';
export type { TrialJobData, TrialJobResult, TrialProgress, ReportJobData } from './protocol';
