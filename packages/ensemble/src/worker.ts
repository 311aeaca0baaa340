/**
 * The member worker: receives `train` messages, trains the member with exactly the function
 * the calling thread uses (`trainMember`) and sends progress and the final weights back.
 * One worker trains several members one after another.
 * @internal
 */
import { parentPort, workerData } from 'node:worker_threads';
import { setKernelBackend } from '@trainkit/tensor';
import { type MemberDefinition, checkDefinition, trainMember } from './member';
import { type TrainMessage, type WorkerMessage, packState } from './node/protocol';

const definitions = new Map<string, Promise<MemberDefinition>>();

/** Whether TypeScript modules load in this worker (tsx registered by the bootstrap or here). */
let typescript = (workerData as { typescript?: boolean } | null)?.typescript === true;

/**
 * Node 20 does not pass `--import tsx` on to worker threads, so a member definition written in
 * TypeScript needs tsx registered here (tsx is an optional peer dependency).
 */
async function enableTypeScript(module: string): Promise<void> {
  if (typescript || !/\.[cm]?ts$/.test(new URL(module).pathname)) return;
  let api: { register(): unknown };
  try {
    api = (await import('tsx/esm/api')) as { register(): unknown };
  } catch {
    throw new Error(`the member module ${module} is TypeScript; install tsx (npm i -D tsx) so worker threads can load it, or point trainEnsemble at a built .js module`);
  }
  api.register();
  typescript = true;
}

async function load(module: string, exportName: string): Promise<MemberDefinition> {
  const key = `${module}#${exportName}`;
  let def = definitions.get(key);
  if (def === undefined) {
    def = enableTypeScript(module).then(() => import(module)).then((mod: Record<string, unknown>) => {
      const d = mod[exportName];
      checkDefinition(d, `trainEnsemble: export "${exportName}" of ${module}`);
      return d;
    });
    definitions.set(key, def);
  }
  return def;
}

const port = parentPort;
if (port === null) throw new Error('@trainkit/ensemble worker: this file runs only as a worker thread');
const post = (msg: WorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(msg, transfer);

port.on('message', async (msg: TrainMessage) => {
  try {
    if (msg.kernels === 'js') setKernelBackend('js');
    const definition = await load(msg.module, msg.exportName);
    const result = await trainMember(definition, msg.job, (event) => post({ type: 'progress', event }));
    const { packed, transfer } = packState(result.state);
    post({ type: 'done', result: { ...result, state: packed } }, transfer);
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    post({ type: 'failed', member: msg.job.index, error: { name: err.name, message: err.message, stack: err.stack } });
  }
});
