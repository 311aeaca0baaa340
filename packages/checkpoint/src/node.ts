/**
 * @trainkit/checkpoint/node — the Node-only part: the `checkpoint({ dir })` plugin, the
 * directory store with atomic writes, and checkpoint files.
 * @packageDocumentation
 */
import { Checkpointer } from './checkpointer';
import type { CheckpointOptions } from './options';
import { directoryStore } from './node/directoryStore';

/** Options of {@link checkpoint}: those of a {@link Checkpointer}, with a directory instead of a store. */
export type DirectoryCheckpointOptions = Omit<CheckpointOptions, 'store'> & {
  /** The directory the checkpointer owns (created if missing). */
  dir: string;
};

/**
 * The checkpoint plugin for Node: saves `latest.safetensors` every epoch (or every N steps),
 * `best.safetensors` by a monitored metric, optionally the top-k and the last k, atomically
 * into `dir`, and resumes with `fit(model, { …, resume: 'latest' })`. See {@link Checkpointer}.
 *
 * @param options - `dir`, and `monitor`, `mode`, `everyNEpochs`, `everyNSteps`, `topK`, `keepLast`, `overwrite`, … (see CheckpointOptions).
 * @example
 * const ckpt = checkpoint({ dir: 'runs/mnist', monitor: 'valLoss', topK: 3 });
 * const trainer = new Trainer({ optimizer: adam({ lr: 1e-3 }), plugins: [ckpt] });
 * await trainer.fit(model, { train, val, epochs: 10, resume: 'latest' });
 * ckpt.best; // { file: 'best.safetensors', epoch, step, score }
 */
export function checkpoint(options: DirectoryCheckpointOptions): Checkpointer {
  const { dir, ...rest } = options ?? ({} as DirectoryCheckpointOptions);
  if (typeof dir !== 'string' || dir === '') throw new TypeError('checkpoint: options.dir must name a directory, e.g. checkpoint({ dir: "runs/mnist" })');
  return new Checkpointer({ ...rest, store: directoryStore(dir) });
}

export { directoryStore } from './node/directoryStore';
export { writeFileAtomic } from './node/atomicWrite';
export { readCheckpoint, writeCheckpoint } from './node/files';
