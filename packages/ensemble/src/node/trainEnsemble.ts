import { availableParallelism } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EnsembleError } from '../errors';
import { type MemberDefinition, type MemberResult, checkDefinition } from '../member';
import { type MembersOptions, type TrainedEnsemble, finishTraining, resolveJobs, trainMembers } from '../trainMembers';
import type { ExecutorFactory } from '@trainkit/sweep';
import { saveMember } from './memberCheckpoint';
import { runOnExecutor } from './onExecutor';
import { runInWorkers } from './workerPool';

/** Options of {@link trainEnsemble}. */
export interface TrainEnsembleOptions<P = unknown> extends MembersOptions<P> {
  /**
   * The member definition: the URL (or absolute path) of a module that exports it, so worker
   * threads can load it — `new URL('./member.ts', import.meta.url)` — or, with `concurrency: 1`
   * only, the definition object itself.
   */
  member: string | URL | MemberDefinition<P>;
  /** Name of the export holding the definition (default `'default'`). */
  exportName?: string;
  /**
   * Members trained at once, each on its own worker thread (default: one per core, at most
   * the number of members). With 1 the members train one after another in the calling thread.
   */
  concurrency?: number;
  /** Save each member as `dir/member-<i>.safetensors` when it finishes. */
  dir?: string;
  /** Node flags of the worker threads (default: inherited; from TypeScript sources, the source condition and tsx). */
  execArgv?: string[];
  /**
   * Run the members as trials of a `@trainkit/sweep` executor instead: `local({ concurrency })`
   * (worker threads) or a queue executor whose workers run on other machines — then `dir` must
   * be a directory they all share. Each member writes its full-state checkpoint there and
   * checkpoints its latest state while it trains (resumed if its run restarts; a second call
   * with the same `dir` continues those runs, so give a new ensemble a new `dir`).
   * `concurrency` and `execArgv` are the executor's business; progress events are not relayed.
   */
  executor?: ExecutorFactory;
  /** With an executor: also checkpoint a training member every N optimizer steps (default 0: after every epoch only). */
  everyNSteps?: number;
  /** With an executor: runs after a failure (a crashed worker, say) before a member counts as failed, each resuming from its latest checkpoint (default 0). */
  retries?: number;
}

function moduleUrl(member: string | URL): string {
  if (member instanceof URL) return member.href;
  if (/^(file|data):/.test(member)) return member;
  return pathToFileURL(isAbsolute(member) ? member : resolve(member)).href;
}

function resolveConcurrency(concurrency: number | undefined, members: number): number {
  const c = concurrency ?? availableParallelism();
  if (!Number.isInteger(c) || c < 1) throw new EnsembleError(`trainEnsemble({ concurrency: ${concurrency} }): concurrency must be an integer ≥ 1`);
  return Math.min(c, members);
}

async function importDefinition<P>(url: string, exportName: string): Promise<MemberDefinition<P>> {
  const mod = (await import(url)) as Record<string, unknown>;
  const def = mod[exportName];
  checkDefinition(def, `trainEnsemble: export "${exportName}" of ${url}`);
  return def as MemberDefinition<P>;
}

/**
 * Trains the members of an ensemble in parallel on worker threads, one per core by default,
 * and returns them with their ensemble. Member i is built from the member definition with its
 * own seed (initialization, shuffling, dropout and augmentation all derive from it), trained,
 * sent back and — with `dir` — saved as a checkpoint as soon as it finishes. With
 * `concurrency: 1` the members train one after another in the calling thread; the weights
 * are bit-identical either way.
 *
 * If a member fails (an error in its training, or its worker crashes), the others still
 * train and are saved; then a {@link MemberError} naming the failed member is thrown.
 *
 * @param options - `member` (module URL or path), `members`/`seeds`, `params`, `concurrency`, `dir`, `onProgress`
 * @see https://arxiv.org/abs/1612.01474 (Lakshminarayanan et al. 2017, Deep Ensembles)
 * @example
 * // member.ts: export default defineMember({ model: ({ rng }) => mnistCnn({ rng }), setup: … })
 * const trained = await trainEnsemble({
 *   member: new URL('./member.ts', import.meta.url),
 *   members: 5,
 *   dir: 'runs/ensemble',
 *   onProgress: memberProgressPrinter(),
 * });
 * const { accuracy } = await new Trainer().evaluate(trained.ensemble(), testLoader);
 */
export async function trainEnsemble<P = unknown>(options: TrainEnsembleOptions<P>): Promise<TrainedEnsemble> {
  const { member, exportName = 'default', dir } = options;
  const jobs = resolveJobs(options, 'trainEnsemble');
  const concurrency = resolveConcurrency(options.concurrency, jobs.length);
  const save = async (r: MemberResult) => {
    if (dir !== undefined) await saveMember(dir, r);
    await options.onMemberEnd?.(r);
  };
  if (typeof member === 'object' && !(member instanceof URL)) {
    if (options.executor !== undefined) throw new EnsembleError('trainEnsemble: an executor loads the member definition from its module; pass member: new URL(\'./member.ts\', import.meta.url)');
    if (concurrency > 1) throw new EnsembleError(`trainEnsemble: to train ${concurrency} members at once, pass the URL of the module that exports the definition (member: new URL('./member.ts', import.meta.url)); a definition object trains only with concurrency: 1`);
    return trainMembers(member, { ...options, onMemberEnd: save });
  }
  if (typeof member !== 'string' && !(member instanceof URL)) throw new EnsembleError(`trainEnsemble: member must be a module URL, a path or a member definition, got ${typeof member}`);
  const url = moduleUrl(member);
  const definition = await importDefinition<P>(url, exportName);
  if (options.executor !== undefined) {
    const { everyNSteps = 0, retries = 0 } = options;
    for (const [name, v] of Object.entries({ everyNSteps, retries })) {
      if (!Number.isInteger(v) || v < 0) throw new EnsembleError(`trainEnsemble({ ${name}: ${v} }): ${name} must be an integer ≥ 0`);
    }
    const onMemberEnd = async (r: MemberResult) => void (await options.onMemberEnd?.(r));
    const { results, failures } = await runOnExecutor(jobs, { executor: options.executor, module: url, exportName, dir, everyNSteps, retries, onMemberEnd });
    return finishTraining(definition, jobs, results, failures);
  }
  if (concurrency === 1) return trainMembers(definition, { ...options, onMemberEnd: save });
  const { results, failures } = await runInWorkers(jobs, { module: url, exportName, concurrency, execArgv: options.execArgv, onProgress: options.onProgress, onMemberEnd: save });
  return finishTraining(definition, jobs, results, failures);
}
