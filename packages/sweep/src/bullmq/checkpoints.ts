/**
 * Where the trials of a queue sweep keep their training state: one `CheckpointStore` (the
 * interface of `@trainkit/checkpoint`) per trial run, under a location every worker can reach.
 * A directory on a shared filesystem is the default; another kind of store (S3-compatible object
 * storage) is a {@link TrialCheckpointStore} for its own URL scheme, added to {@link openCheckpoints}.
 */
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Checkpointer, type CheckpointStore } from '@trainkit/checkpoint';
import { directoryStore } from '@trainkit/checkpoint/node';
import type { Plugin } from '@trainkit/core';
import { SweepError } from '../errors';

/** The checkpoint stores of a sweep's trial runs, shared by all workers. */
export interface TrialCheckpointStore {
  /** Where they are, as recorded in every job: opening the same location on any worker gives the same files. */
  readonly location: string;
  /** The store of one trial run (`key` names the run: sweep, trial, attempt). */
  open(key: string): CheckpointStore;
}

const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Trial checkpoints in a directory (a shared volume when workers run on several machines): the
 * files of run `key` go to `<dir>/<key>/`. The store takes no lock file of its own: BullMQ's job
 * lock is what keeps one worker per trial, and a lock file of a worker that died on another
 * machine would block the worker that takes the trial over.
 */
export function directoryCheckpoints(dir: string): TrialCheckpointStore {
  if (typeof dir !== 'string' || dir === '') throw new SweepError('directoryCheckpoints: dir must name a directory (a shared volume when workers run on several machines)');
  const location = resolve(dir);
  return {
    location,
    open(key) {
      if (!KEY.test(key)) throw new SweepError(`directoryCheckpoints(${JSON.stringify(location)}): invalid trial run key ${JSON.stringify(key)}`);
      const { lock: _lock, ...store } = directoryStore(join(location, key));
      return store;
    },
  };
}

/**
 * Opens the checkpoint location recorded in a job: an absolute directory path or a `file:` URL.
 * Other schemes (`s3://…`) are refused with a message naming them until a store for them is added.
 */
export function openCheckpoints(location: string): TrialCheckpointStore {
  if (location.startsWith('file:')) return directoryCheckpoints(fileURLToPath(location));
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) throw new SweepError(`trial checkpoints at ${location}: no store for the scheme "${location.split(':')[0]}:" (this version keeps checkpoints in a directory)`);
  if (!isAbsolute(location)) throw new SweepError(`trial checkpoints at ${JSON.stringify(location)}: a job must name an absolute directory`);
  return directoryCheckpoints(location);
}

/**
 * The plugins that make a trial run resumable: a checkpointer on the run's store (`latest` after
 * every epoch, resumed with `fit({ resume: ctx.resume })`), and, for a run the scheduler had
 * already pruned at epoch `prunedAt` when its worker died, a stop before any further epoch.
 */
export function resumePlugins(ref: { location: string; key: string; prunedAt?: number }): Plugin[] {
  const plugins: Plugin[] = [new Checkpointer({ store: openCheckpoints(ref.location).open(ref.key), name: 'sweep-checkpoint', stateKey: 'sweep-checkpoint' })];
  const { prunedAt } = ref;
  if (prunedAt !== undefined) {
    plugins.push({
      name: 'sweep-pruned',
      onFitStart(ctx) {
        if (ctx.epoch >= prunedAt) ctx.stop(`pruned by the sweep scheduler after epoch ${prunedAt}`);
      },
    });
  }
  return plugins;
}
