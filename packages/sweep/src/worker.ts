/**
 * The trial worker: receives `run` messages, runs the trial with exactly the function the
 * calling thread uses (`executeTrial`), relays each epoch's report to the sweep and waits for
 * its decision, then sends the outcome. One worker runs several trials one after another.
 * @internal
 */
import { parentPort, workerData } from 'node:worker_threads';
import { setKernelBackend } from '@trainkit/tensor';
import type { Decision } from './asha';
import type { FromWorker, ToWorker } from './node/protocol';
import { type TrialFunction, executeTrial, importTrial } from './trial';

const trials = new Map<string, Promise<TrialFunction<never>>>();
let typescript = (workerData as { typescript?: boolean } | null)?.typescript === true;

/** Node 20 does not pass `--import tsx` on to worker threads: a TypeScript trial module needs tsx registered here. */
async function enableTypeScript(module: string): Promise<void> {
  if (typescript || !/\.[cm]?ts$/.test(new URL(module).pathname)) return;
  const api = (await import('tsx/esm/api').catch(() => {
    throw new Error(`the trial module ${module} is TypeScript; install tsx (npm i -D tsx) so worker threads can load it, or point runSweep at a built .js module`);
  })) as { register(): unknown };
  api.register();
  typescript = true;
}

function load(module: string, exportName: string): Promise<TrialFunction<never>> {
  const key = `${module}#${exportName}`;
  let fn = trials.get(key);
  if (fn === undefined) trials.set(key, (fn = enableTypeScript(module).then(() => importTrial(module, exportName))));
  return fn;
}

const port = parentPort;
if (port === null) throw new Error('@trainkit/sweep worker: this file runs only as a worker thread');
const post = (msg: FromWorker) => port.postMessage(msg);
let answer: ((d: Decision) => void) | null = null;

// A rejection a trial left unhandled (a promise it forgot) would end this thread at a moment
// that may fall into the next trial's run and fail that trial instead. It is reported, the run
// in progress goes on, and the sweep replaces the thread after it.
process.on('unhandledRejection', (reason) => post({ type: 'retire', reason: reason instanceof Error ? reason.message : String(reason) }));

port.on('message', async (msg: ToWorker) => {
  if (msg.type === 'decision') {
    answer?.(msg.decision);
    return;
  }
  post({ type: 'started' }); // from here on a crash of this thread is the trial's
  try {
    if (msg.kernels === 'js') setKernelBackend('js');
    const fn = await load(msg.module, msg.exportName);
    const report = (epoch: number, metrics: Record<string, number>) =>
      new Promise<Decision>((resolve) => {
        answer = resolve;
        post({ type: 'report', epoch, metrics });
      });
    // a trial of a queue executor checkpoints into its run's store, so that another worker can resume it
    const plugins = msg.job.checkpoints === undefined ? [] : await import('./bullmq/checkpoints').then((m) => m.resumePlugins(msg.job.checkpoints!));
    post({ type: 'done', outcome: await executeTrial(fn, msg.job, report, new AbortController().signal, plugins) });
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    post({ type: 'failed', error: { name: err.name, message: err.message, stack: err.stack } });
  }
});
