import { type Checkpoint, type CheckpointContents, type DecodeOptions, decodeCheckpoint, encodeCheckpoint } from '../codec';
import { CheckpointError } from '../errors';
import { writeFileAtomic } from './atomicWrite';
import { readWhole } from './readWhole';

/**
 * Reads a checkpoint or any safetensors file (a PyTorch state dict, pretrained weights) and
 * checks it (see `decodeCheckpoint`); errors name the file.
 *
 * @example
 * const { model: weights } = await readCheckpoint('pretrained/mnist-cnn.safetensors');
 */
export async function readCheckpoint(path: string, options: DecodeOptions = {}): Promise<Checkpoint> {
  let bytes: Uint8Array;
  try {
    bytes = await readWhole(path);
  } catch (e) {
    throw new CheckpointError(`readCheckpoint: cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  try {
    return decodeCheckpoint(bytes, options);
  } catch (e) {
    throw new CheckpointError(`readCheckpoint: ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Writes a checkpoint file atomically (see `encodeCheckpoint` for the contents).
 *
 * @example
 * await writeCheckpoint('pretrained/mnist-cnn.safetensors', { model: model.stateDict() });
 */
export async function writeCheckpoint(path: string, contents: CheckpointContents): Promise<void> {
  await writeFileAtomic(path, encodeCheckpoint(contents));
}
