/**
 * @trainkit/sweep/node — the Node-only half: the `local` executor (trials on worker threads)
 * and sweep directories (JSONL records, resume after a restart). Everything of
 * `@trainkit/sweep` is re-exported; `runSweep` here defaults to worker threads and takes `dir`.
 * @packageDocumentation
 */
export * from './index';
export { runSweep, openSweep } from './node/runSweep';
export { local } from './node/local';
export { directoryStore, parseTrialLines, SWEEP_META, TRIALS_FILE } from './node/directoryStore';
export { LOCK_FILE } from './node/lock';

export type { NodeSweepOptions } from './node/runSweep';
export type { LocalOptions } from './node/local';
