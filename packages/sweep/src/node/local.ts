import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { getKernelBackend } from '@trainkit/tensor';
import { SweepError } from '../errors';
import { type Executor, type ExecutorFactory, type TrialRun, moduleHref } from '../executor';
import type { TrialOutcome } from '../trial';
import { trialWorkerUrl } from '../workerUrl';
import type { FromWorker, ToWorker } from './protocol';

/** Options of {@link local}. */
export interface LocalOptions {
  /** Trials at once, each on its own worker thread (default: one per core). */
  concurrency?: number;
  /** Node flags of the worker threads (default: inherited; from TypeScript sources, the source condition). */
  execArgv?: string[];
}

/** URL of tsx's ESM registration API (`tsx/esm/api`), from tsx's own exports map. */
function tsxApiUrl(): string {
  const pkgPath = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  return pathToFileURL(join(dirname(pkgPath), pkg.exports['./esm/api'].import.default)).href;
}

/** Starts a trial worker; from the TypeScript sources a bootstrap registers tsx inside it first (Node 20 loads no `.ts` worker). */
function spawn(execArgv: string[] | undefined): Worker {
  const { url, fromSource } = trialWorkerUrl();
  const worker = fromSource
    ? new Worker(`import(${JSON.stringify(tsxApiUrl())}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`, {
        eval: true,
        execArgv: execArgv ?? ['--conditions=@trainkit/source'],
        workerData: { typescript: true },
      })
    : new Worker(url, { execArgv, workerData: { typescript: false } });
  // one that dies or retires (a rejection its trial left unhandled) is not reused; a run's own listeners report its errors
  worker.on('error', () => retired.add(worker));
  worker.once('exit', () => retired.add(worker));
  worker.on('message', (msg: FromWorker) => {
    if (msg.type === 'retire') retired.add(worker);
  });
  return worker;
}

/** Worker threads that crashed, exited or asked to retire: never handed another trial. */
const retired = new WeakSet<Worker>();

/** A reused worker thread died before it began the trial (the previous trial's late crash): the trial is not at fault. */
class DiedBeforeStart extends Error {}

/** The absolute URL of a trial module given as a URL, a file URL string or a path. */
export function absoluteModule(module: string | URL): string {
  const href = moduleHref(module);
  if (/^(file|data):/.test(href)) return href;
  return pathToFileURL(isAbsolute(href) ? href : resolve(href)).href;
}

/** Runs one trial on `worker` (`reused`: it ran trials before), answering its reports; rejects on failure, crash or abort. */
function runOn(worker: Worker, reused: boolean, { job, report, signal }: TrialRun, module: string, exportName: string): Promise<TrialOutcome> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      signal.removeEventListener('abort', onAbort);
    };
    const fail = (e: Error) => {
      cleanup();
      reject(e);
    };
    let started = false;
    let crash: Error | undefined;
    const onMessage = (msg: FromWorker) => {
      if (msg.type === 'started') started = true;
      else if (msg.type === 'retire') return; // handled by spawn's listener: replaced after this run
      else if (msg.type === 'report') void report(msg.epoch, msg.metrics).then((decision) => worker.postMessage({ type: 'decision', epoch: msg.epoch, decision } satisfies ToWorker));
      else if (msg.type === 'done') {
        cleanup();
        resolve(msg.outcome);
      } else fail(Object.assign(new Error(msg.error.message), { name: msg.error.name, stack: msg.error.stack }));
    };
    // decided at 'exit': by then every message the thread posted (its 'started' too) has arrived
    const onError = (e: Error) => void (crash ??= e);
    const onExit = (code: number) => {
      const message = crash ? `its worker thread crashed: ${crash.message}` : `its worker thread exited with code ${code} before the trial finished`;
      fail(started || !reused ? new Error(message, { cause: crash }) : new DiedBeforeStart(message, { cause: crash }));
    };
    const onAbort = () => fail(new Error('aborted'));
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    signal.addEventListener('abort', onAbort);
    const kernels = getKernelBackend() === 'js' ? 'js' : null;
    worker.postMessage({ type: 'run', job, module, exportName, kernels } satisfies ToWorker);
  });
}

/**
 * The `local` executor: trials on worker threads of this process, `concurrency` at once
 * (default: one per core). The trial must be a module reference (`{ module: new
 * URL('./trial.ts', import.meta.url), exportName: 'trial' }`) so that workers can load it.
 * A worker whose trial failed to finish (timeout, crash) is terminated and replaced.
 */
export function local(options: LocalOptions = {}): ExecutorFactory {
  const concurrency = options.concurrency ?? availableParallelism();
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new SweepError(`local({ concurrency: ${options.concurrency} }): concurrency must be an integer ≥ 1`);
  return (trial): Executor => {
    if (typeof trial !== 'object' || trial === null || !('module' in trial)) {
      throw new SweepError("local executor: worker threads load the trial from a module; pass trial: { module: new URL('./trial.ts', import.meta.url), exportName: 'trial' } (a function runs only with executor: inProcess())");
    }
    const module = absoluteModule(trial.module);
    const exportName = trial.exportName ?? 'default';
    const idle: Worker[] = [];
    return {
      name: 'local',
      concurrency,
      async run(run) {
        for (;;) {
          let worker = idle.pop();
          for (; worker !== undefined && retired.has(worker); worker = idle.pop()) void worker.terminate();
          const reused = worker !== undefined;
          worker ??= spawn(options.execArgv);
          const name = `thread-${worker.threadId}`;
          try {
            const outcome = await runOn(worker, reused, run, module, exportName);
            if (retired.has(worker)) void worker.terminate();
            else idle.push(worker);
            return { outcome, worker: name };
          } catch (e) {
            if (run.signal.aborted || /its worker thread/.test((e as Error).message)) void worker.terminate();
            else idle.push(worker);
            if (e instanceof DiedBeforeStart && !run.signal.aborted) continue; // the trial never began: a fresh thread runs it
            throw Object.assign(e as Error, { worker: name });
          }
        }
      },
      async close() {
        await Promise.all(idle.splice(0).map((w) => w.terminate()));
      },
    };
  };
}
