import { open, readFile, rename, unlink } from 'node:fs/promises';
import { Tensor } from '@trainkit/tensor';
import { EnsembleError } from '../errors';

// A minimal float32 safetensors codec for member checkpoints, used until @trainkit/safetensors
// ships (https://github.com/huggingface/safetensors#format): 8-byte little-endian header
// length, a JSON header (dtype, shape, data_offsets; strings under "__metadata__"), raw data.

/** Largest header a member checkpoint may declare (a state dict of thousands of tensors fits). */
const MAX_HEADER_BYTES = 16 * 1024 * 1024;

/** Writes `tensors` (float32) and string `metadata` to `path` atomically (temporary file, fsync, rename). */
export async function writeSafetensors(path: string, tensors: Record<string, Tensor>, metadata: Record<string, string>): Promise<void> {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    header[name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + t.size * 4] };
    offset += t.size * 4;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8); // data starts 8-byte aligned
  const head = Buffer.alloc(8 + Buffer.byteLength(json));
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)), 0);
  head.write(json, 8);
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const fh = await open(tmp, 'w');
  try {
    await fh.write(head);
    for (const t of Object.values(tensors)) {
      const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      await fh.write(isLittleEndian ? bytes : swap32(bytes));
    }
    await fh.sync();
  } catch (e) {
    await fh.close();
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fh.close();
  await rename(tmp, path);
}

const isLittleEndian = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

function swap32(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += 4) for (let j = 0; j < 4; j++) out[i + j] = bytes[i + 3 - j];
  return out;
}

/** Reads a float32 safetensors file, checking the header before trusting any offset. */
export async function readSafetensors(path: string): Promise<{ tensors: Record<string, Tensor>; metadata: Record<string, string> }> {
  const buf = await readFile(path);
  const bad = (why: string) => new EnsembleError(`${path} is not a valid safetensors file: ${why}`);
  if (buf.length < 8) throw bad(`only ${buf.length} bytes`);
  const n = buf.readBigUInt64LE(0);
  if (n > BigInt(Math.min(MAX_HEADER_BYTES, buf.length - 8))) throw bad(`header length ${n} exceeds the file (${buf.length} bytes)`);
  let header: Record<string, { dtype?: unknown; shape?: unknown; data_offsets?: unknown }>;
  try {
    header = JSON.parse(buf.toString('utf8', 8, 8 + Number(n)));
  } catch {
    throw bad('the header is not JSON');
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw bad('the header is not an object');
  const start = 8 + Number(n);
  const tensors: Record<string, Tensor> = {};
  let metadata: Record<string, string> = {};
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = e as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets: off } = e ?? {};
    if (dtype !== 'F32') throw bad(`tensor "${name}" has dtype ${String(dtype)}; member checkpoints hold F32`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw bad(`tensor "${name}" has an invalid shape`);
    if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isInteger(o) && o >= 0)) throw bad(`tensor "${name}" has invalid data_offsets`);
    const size = (shape as number[]).reduce((a, b) => a * b, 1);
    const [b, end] = off as [number, number];
    if (end - b !== size * 4 || start + end > buf.length) throw bad(`tensor "${name}" needs ${size * 4} bytes at [${b}, ${end}) of a ${buf.length - start}-byte data section`);
    const bytes = new Uint8Array(buf.buffer, buf.byteOffset + start + b, size * 4).slice();
    tensors[name] = new Tensor(new Float32Array((isLittleEndian ? bytes : swap32(bytes)).buffer), shape as number[]);
  }
  return { tensors, metadata };
}
