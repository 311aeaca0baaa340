import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { POOL_THREAD_SOURCE, type PoolWorker, startPool } from './threadPool';
import { stopPool } from './runtime';

/** The Node worker: CommonJS (execArgv [] keeps a parent's --input-type=module out). */
const NODE_WORKER = `${POOL_THREAD_SOURCE}
const { workerData, parentPort } = require('node:worker_threads');
poolThread(workerData, () => parentPort.postMessage('ready'));
`;

function spawn(data: object): Promise<PoolWorker> {
  const w = new Worker(NODE_WORKER, { eval: true, execArgv: [], workerData: data });
  w.unref();
  return new Promise<PoolWorker>((resolve, reject) => {
    w.once('message', () => resolve(w));
    w.once('error', reject);
  });
}

/**
 * Starts a pool of `threads` threads (the calling thread plus `threads − 1` workers) that
 * split convolutions and large matrix products between them. Results are bit-identical to
 * one thread: each output value is computed by one thread, in the single-threaded order.
 * Opt-in; Node's `worker_threads` (browsers: the same function from `@trainkit/tensor/web`);
 * the kernels must be the wasm ones.
 *
 * @param threads total threads, default `os.availableParallelism()` (2 to 16)
 * @example
 * import { startThreadPool } from '@trainkit/tensor/node';
 * await startThreadPool(2);
 */
export function startThreadPool(threads: number = availableParallelism()): Promise<number> {
  return startPool(threads, spawn, 'startThreadPool');
}

/** Stops the pool started by {@link startThreadPool}; the kernels go back to one thread. */
export function stopThreadPool(): Promise<void> {
  return stopPool();
}
