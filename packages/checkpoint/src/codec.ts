import type { TrainerState } from '@trainkit/core';
import { MAX_TENSORS, type NativeArray, type TensorInput, type TensorView, parseSafetensors, serializeSafetensors, toFloat32, toTypedArray } from '@trainkit/safetensors';
import { Tensor } from '@trainkit/tensor';
import { CheckpointError } from './errors';
import { decodeState, encodeState } from './stateJson';

/** The checkpoint layout version this package writes; it reads every version up to this one. */
export const CHECKPOINT_FORMAT_VERSION = 1;

/** Metadata keys of a trainkit checkpoint (besides `format: 'pt'` and the codec's `trainkit.checksum`). */
const KEYS = { format: 'trainkit.format', version: 'trainkit.version', trainer: 'trainkit.trainer' } as const;

/** What a checkpoint holds. */
export interface CheckpointContents {
  /** The model's parameters and buffers (`model.stateDict()`), written as F32 under their own names. */
  model: Readonly<Record<string, Tensor>>;
  /** The trainer's state (`trainer.stateDict()`), or nothing for a weights-only file. */
  trainer?: TrainerState | null;
  /** Extra string metadata (keys starting with `trainkit.` are reserved). */
  metadata?: Readonly<Record<string, string>>;
}

/** A decoded checkpoint, or the weights of any safetensors file (such as a PyTorch state dict). */
export interface Checkpoint {
  /** Tensors by name, as float32 (every other tensor of the file that is not trainer state). */
  model: Record<string, Tensor>;
  /** The trainer state to resume from; null in a weights-only file. */
  trainer: TrainerState | null;
  /** The trainkit checkpoint format version, or null for a file not written by trainkit. */
  version: number | null;
  /** The file's metadata, reserved keys included. */
  metadata: Readonly<Record<string, string>>;
  /** Whether the file carried a checksum that was verified. */
  checksum: 'verified' | 'absent';
}

/**
 * Encodes a checkpoint as a safetensors file: the model's tensors under their own names (so
 * the file opens as a PyTorch state dict; `num_batches_tracked` counters as I64 like PyTorch's),
 * the trainer state as JSON in the metadata with its typed arrays (optimizer slots, …) as
 * further tensors under `trainer/…`, the format version, and a CRC-32 checksum of the file.
 *
 * @example
 * const bytes = encodeCheckpoint({ model: model.stateDict(), trainer: trainer.stateDict() });
 */
export function encodeCheckpoint(contents: CheckpointContents): Uint8Array {
  const { model, trainer = null, metadata = {} } = contents;
  for (const k of Object.keys(metadata)) if (k.startsWith('trainkit.')) throw new CheckpointError(`encodeCheckpoint: metadata key "${k}" is reserved (keys starting with "trainkit.")`);
  const tensors: Array<[string, TensorInput]> = Object.entries(model).map(([name, t]) => [name, modelTensor(name, t)]);
  const meta: Record<string, string> = { format: 'pt', ...metadata, [KEYS.format]: 'checkpoint', [KEYS.version]: String(CHECKPOINT_FORMAT_VERSION) };
  if (trainer !== null) meta[KEYS.trainer] = JSON.stringify(encodeState(trainer, 'trainer', tensors, new Set(Object.keys(model))));
  return serializeSafetensors(tensors, { metadata: meta, checksum: true });
}

function modelTensor(name: string, t: Tensor): TensorInput {
  if (!(t instanceof Tensor)) throw new CheckpointError(`encodeCheckpoint: model["${name}"] is not a Tensor`);
  const counter = name.endsWith('num_batches_tracked') && t.data.every((v) => Number.isSafeInteger(v));
  return counter ? { dtype: 'I64', shape: t.shape, data: Array.from(t.data) } : { shape: t.shape, data: t.data };
}

/** The most tensors {@link decodeCheckpoint} accepts by default (a large model with Adam's slots has a few thousand): the parser's `MAX_TENSORS`. */
export const DEFAULT_MAX_TENSORS = MAX_TENSORS;

/** Options of {@link decodeCheckpoint}. */
export interface DecodeOptions {
  /** Require a checksum (checkpoints written by trainkit always have one). Default false: verify when present. */
  requireChecksum?: boolean;
  /** The most tensors a file may hold (default {@link DEFAULT_MAX_TENSORS}); the parser refuses a file with more as soon as it reads one too many. */
  maxTensors?: number;
  /** The largest header accepted, in bytes (default: `@trainkit/safetensors`' `MAX_HEADER_BYTES`, 100 MB). */
  maxHeaderBytes?: number;
}

/**
 * Decodes a checkpoint, or the weights of any safetensors file. Everything is checked: the
 * safetensors layout (see `parseSafetensors`), the checksum, the format version (a file from a
 * newer trainkit is refused with a message saying so), and the trainer state's JSON and tensor
 * references. Tensors of any dtype become float32 tensors. The cost is bounded: a file with
 * more than `maxTensors` tensors or a header over `maxHeaderBytes` is refused by the parser
 * before anything is converted.
 *
 * @example
 * const { model: weights, trainer } = decodeCheckpoint(bytes);
 */
export function decodeCheckpoint(bytes: Uint8Array, options: DecodeOptions = {}): Checkpoint {
  const maxTensors = options.maxTensors ?? DEFAULT_MAX_TENSORS;
  if (!Number.isSafeInteger(maxTensors) || maxTensors < 0) throw new CheckpointError(`decodeCheckpoint({ maxTensors: ${String(maxTensors)} }): must be a non-negative integer`);
  const file = parseSafetensors(bytes, { checksum: options.requireChecksum ? 'require' : 'verify', maxHeaderBytes: options.maxHeaderBytes, maxTensors });
  const version = readVersion(file.metadata);
  const used = new Set<string>(); // tensors the trainer state took; the others are the model's
  const trainerJson = file.metadata[KEYS.trainer];
  const trainer = trainerJson === undefined ? null : readTrainer(trainerJson, file.tensors, used);
  const model = Object.create(null) as Record<string, Tensor>;
  for (const [name, view] of file.tensors) if (!used.has(name)) model[name] = toTensor(view);
  return { model, trainer, version, metadata: file.metadata, checksum: file.checksum };
}

function readVersion(metadata: Readonly<Record<string, string>>): number | null {
  const raw = metadata[KEYS.version];
  if (raw === undefined) {
    if (metadata[KEYS.trainer] !== undefined) throw new CheckpointError(`checkpoint: the file has a trainer state but no ${KEYS.version}`);
    return null;
  }
  if (!/^[1-9]\d{0,8}$/.test(raw)) throw new CheckpointError(`checkpoint: ${KEYS.version} is ${JSON.stringify(raw.slice(0, 20))}, expected a positive integer`);
  const version = Number(raw);
  if (version > CHECKPOINT_FORMAT_VERSION) {
    throw new CheckpointError(
      `checkpoint: the file was written by a newer trainkit (checkpoint format version ${version}; this @trainkit/checkpoint reads versions up to ${CHECKPOINT_FORMAT_VERSION}); upgrade @trainkit/checkpoint to load it`,
    );
  }
  return version;
}

function readTrainer(json: string, tensors: ReadonlyMap<string, TensorView>, used: Set<string>): TrainerState {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (e) {
    throw new CheckpointError(`checkpoint: the trainer state is not valid JSON (${(e as Error).message})`);
  }
  const resolve = (name: string): NativeArray => {
    const view = used.has(name) ? undefined : tensors.get(name);
    if (view === undefined) throw new CheckpointError(`checkpoint: the trainer state refers to tensor "${name}", which the file does not hold (or refers to it twice)`);
    used.add(name);
    return toTypedArray(view);
  };
  const state = decodeState(parsed, resolve);
  if (state === null || typeof state !== 'object' || Array.isArray(state) || typeof (state as TrainerState).version !== 'number') {
    throw new CheckpointError('checkpoint: the trainer state must be an object with a numeric version');
  }
  return state as TrainerState;
}

function toTensor(view: TensorView): Tensor {
  return new Tensor(toFloat32(view), [...view.shape]);
}
