/**
 * @trainkit/checkpoint — checkpoints that never lose a run: the {@link Checkpointer} plugin
 * (latest + best + top-k + keep-last, exact resume), the checkpoint codec (safetensors with the
 * trainer state in the metadata, versioned and checksummed) and stores. Runs in Node and in
 * browsers (`indexedDbStore`); the directory store and files are in `@trainkit/checkpoint/node`.
 * @packageDocumentation
 */
export { Checkpointer } from './checkpointer';
export { encodeCheckpoint, decodeCheckpoint, CHECKPOINT_FORMAT_VERSION, DEFAULT_MAX_TENSORS } from './codec';
export { memoryStore } from './store';
export { indexedDbStore } from './indexedDb';
export { CheckpointError } from './errors';

export type { CheckpointOptions } from './options';
export type { Checkpoint, CheckpointContents, DecodeOptions } from './codec';
export type { CheckpointStore } from './store';
export type { IndexedDbStoreOptions } from './indexedDb';
export type { SavedFile, CheckpointerState } from './ranking';
