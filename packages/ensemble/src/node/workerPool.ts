import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { getKernelBackend } from '@trainkit/tensor';
import type { MemberResult } from '../member';
import type { MemberProgress } from '../progress';
import type { MemberJob } from '../trainMembers';
import { memberWorkerUrl } from '../workerUrl';
import { type TrainMessage, type WorkerMessage, reviveError, unpackState } from './protocol';

/** The worker resolves sibling packages to their TypeScript sources, as the caller does. */
const SOURCE_EXEC_ARGV = ['--conditions=@trainkit/source'];

/** URL of tsx's ESM registration API (`tsx/esm/api`), from tsx's own exports map. */
function tsxApiUrl(): string {
  const pkgPath = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  return pathToFileURL(join(dirname(pkgPath), pkg.exports['./esm/api'].import.default)).href;
}

export interface PoolOptions {
  module: string;
  exportName: string;
  concurrency: number;
  execArgv?: string[];
  onProgress?: (event: MemberProgress) => void;
  onMemberEnd?: (result: MemberResult) => void | Promise<void>;
}

export interface PoolOutcome {
  results: Array<MemberResult | undefined>;
  failures: Array<{ member: number; seed: number; error: unknown }>;
}

/** The worker died (uncaught error, process.exit, out of memory) while training a member. */
class WorkerCrash extends Error {
  override name = 'WorkerCrash';
}

const exited = new WeakSet<Worker>();

/**
 * Starts a member worker. From the TypeScript sources, Node 20 loads neither a `.ts` worker
 * file nor `--import tsx` in a worker, so a two-line bootstrap registers tsx's loader inside
 * the worker and then imports `worker.ts`.
 */
function spawn(execArgv: string[] | undefined): Worker {
  const { url, fromSource } = memberWorkerUrl();
  const worker = fromSource
    ? new Worker(`import(${JSON.stringify(tsxApiUrl())}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`, {
        eval: true,
        execArgv: execArgv ?? SOURCE_EXEC_ARGV,
        workerData: { typescript: true },
      })
    : new Worker(url, { execArgv, workerData: { typescript: false } });
  // errors between jobs must not become uncaught exceptions of the caller; a job's own listeners report them
  worker.on('error', () => undefined);
  worker.once('exit', () => exited.add(worker));
  return worker;
}

/** Sends one job to `worker` and settles when that member is done, failed, or the worker died. */
function runJob(worker: Worker, job: MemberJob, options: PoolOptions): Promise<MemberResult> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const onMessage = (msg: WorkerMessage) => {
      if (msg.type === 'progress') options.onProgress?.(msg.event);
      else {
        cleanup();
        if (msg.type === 'done') resolve({ ...msg.result, state: unpackState(msg.result.state) });
        else reject(reviveError(msg.error));
      }
    };
    const onError = (e: Error) => {
      cleanup();
      reject(new WorkerCrash(`its worker thread crashed: ${e.message}`, { cause: e }));
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new WorkerCrash(`its worker thread exited with code ${code} before the member finished`));
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    const kernels = getKernelBackend() === 'js' ? 'js' : null;
    const msg: TrainMessage = { type: 'train', job, module: options.module, exportName: options.exportName, kernels };
    worker.postMessage(msg);
  });
}

/**
 * Trains `jobs` on `concurrency` worker threads: each worker takes the next member when it
 * finishes one; a crashed worker is replaced and only its member fails.
 */
export async function runInWorkers(jobs: readonly MemberJob[], options: PoolOptions): Promise<PoolOutcome> {
  const queue = [...jobs];
  const outcome: PoolOutcome = { results: [], failures: [] };
  const lane = async (): Promise<void> => {
    let worker: Worker | null = null;
    try {
      for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
        if (worker === null || exited.has(worker)) worker = spawn(options.execArgv);
        try {
          const result = await runJob(worker, job, options);
          await options.onMemberEnd?.(result);
          outcome.results[job.index] = result;
        } catch (error) {
          outcome.failures.push({ member: job.index, seed: job.seed, error });
          if (error instanceof WorkerCrash) {
            void worker.terminate();
            worker = null;
          }
        }
      }
    } finally {
      if (worker !== null) await worker.terminate();
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, jobs.length) }, lane));
  return outcome;
}
