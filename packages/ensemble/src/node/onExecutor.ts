/**
 * Members as trials of a `@trainkit/sweep` executor (`local()` worker threads, or BullMQ
 * workers on other machines): each member runs the member trial, which writes its full-state
 * checkpoint into the shared directory; the caller reads the members back from there.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config, Executor, ExecutorFactory, TrialJob } from '@trainkit/sweep';
import type { MemberResult } from '../member';
import type { MemberTrialConfig } from '../memberTrial';
import type { MemberJob } from '../trainMembers';
import { memberTrialUrl } from '../workerUrl';
import { loadMember, memberFileName } from './memberCheckpoint';
import type { PoolOutcome } from './workerPool';

export interface ExecutorRunOptions {
  executor: ExecutorFactory;
  module: string;
  exportName: string;
  /** The shared directory (default: a temporary one, removed afterwards). */
  dir?: string;
  everyNSteps: number;
  /** Runs after a failure before a member counts as failed; each resumes from the member's latest checkpoint. */
  retries: number;
  onMemberEnd: (result: MemberResult) => void | Promise<void>;
}

/** The job of member `job.index` as a trial: its config names the definition and the shared directory. */
function trialJob(job: MemberJob, attempt: number, options: ExecutorRunOptions, dir: string): TrialJob {
  const config: MemberTrialConfig = { module: options.module, exportName: options.exportName, params: job.params ?? null, dir, everyNSteps: options.everyNSteps };
  return { trialId: `member-${job.index}`, index: job.index, seed: job.seed, attempt, config: config as unknown as Config };
}

/** Runs one member on the executor (again after a failure, up to `retries` times) and reads back what it saved. */
async function runMember(executor: Executor, job: MemberJob, options: ExecutorRunOptions, dir: string): Promise<MemberResult> {
  const controller = new AbortController();
  for (let attempt = 0; ; attempt++) {
    try {
      await executor.run({ job: trialJob(job, attempt, options, dir), report: () => Promise.resolve('continue'), signal: controller.signal });
      break;
    } catch (e) {
      if (attempt >= options.retries) throw e;
    }
  }
  const path = join(dir, memberFileName(job.index));
  const { state, info, trainer } = await loadMember(path);
  if (trainer === null) throw new Error(`${path} holds no training state`);
  return { index: job.index, seed: job.seed, state, history: info.history, trainer, seconds: info.seconds };
}

/**
 * Trains `jobs` on the executor, `executor.concurrency` at a time; a member that fails is
 * recorded and the others go on.
 */
export async function runOnExecutor(jobs: readonly MemberJob[], options: ExecutorRunOptions): Promise<PoolOutcome> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'trainkit-ensemble-')));
  const executor = options.executor({ module: memberTrialUrl().href, exportName: 'memberTrial' });
  const outcome: PoolOutcome = { results: [], failures: [] };
  const queue = [...jobs];
  const lane = async () => {
    for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
      try {
        const result = await runMember(executor, job, options, dir);
        await options.onMemberEnd(result);
        outcome.results[job.index] = result;
      } catch (error) {
        outcome.failures.push({ member: job.index, seed: job.seed, error });
      }
    }
  };
  try {
    await (executor as { open?: () => Promise<void> }).open?.(); // a queue executor connects here (newer @trainkit/sweep)
    await Promise.all(Array.from({ length: Math.max(1, Math.min(executor.concurrency, jobs.length)) }, lane));
  } finally {
    await executor.close?.();
    if (options.dir === undefined) await rm(dir, { recursive: true, force: true });
  }
  return outcome;
}
