import { open, readFile, rename, unlink } from 'node:fs/promises';
import { type TensorInput, parseSafetensors, serializeSafetensors, toFloat32 } from '@trainkit/safetensors';
import { Tensor } from '@trainkit/tensor';

/** BatchNorm's step counter is an integer in PyTorch (I64); writing it so keeps `load_state_dict` happy. */
const isCounter = (name: string) => name.endsWith('num_batches_tracked');

/**
 * Writes a state dict and string metadata as a safetensors file (with a CRC-32 checksum),
 * atomically: a temporary file is written and flushed, then renamed over `path`.
 */
export async function writeSafetensors(path: string, tensors: Record<string, Tensor>, metadata: Record<string, string>): Promise<void> {
  const inputs: Record<string, TensorInput> = {};
  for (const [name, t] of Object.entries(tensors)) inputs[name] = isCounter(name) ? { dtype: 'I64', shape: t.shape, data: Array.from(t.data) } : { shape: t.shape, data: t.data };
  const bytes = serializeSafetensors(inputs, { metadata, checksum: true });
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(bytes);
    await fh.sync();
    await fh.close();
    await rename(tmp, path);
  } catch (e) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/** Reads a safetensors file (validated by @trainkit/safetensors) into float32 tensors and its metadata. */
export async function readSafetensors(path: string): Promise<{ tensors: Record<string, Tensor>; metadata: Record<string, string> }> {
  const file = parseSafetensors(await readFile(path));
  const tensors: Record<string, Tensor> = {};
  for (const [name, view] of file.tensors) tensors[name] = new Tensor(toFloat32(view).slice(), view.shape);
  return { tensors, metadata: { ...file.metadata } };
}
