import { CHECKSUM_KEY, CHECKSUM_PLACEHOLDER, checksumOf, findChecksum } from './checksum';
import { DTYPES, type Dtype, isDtype } from './dtype';
import { SafetensorsError } from './errors';
import { MAX_RANK } from './header';

/** Values of a tensor to write: a typed array or a plain array of numbers, in row-major order. */
export type TensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | readonly number[];

/** A tensor to write. */
export interface TensorInput {
  /**
   * Default `'F32'`. Integer dtypes (I64 for counters such as BatchNorm's `num_batches_tracked`) need integer values in range;
   * F32 needs finite values within float32's range (±Infinity and NaN are written as they are).
   */
  dtype?: Dtype;
  /** At most {@link MAX_RANK} dimensions, as readers refuse more. */
  shape: readonly number[];
  data: TensorData;
}

/** Options of {@link serializeSafetensors}. */
export interface SerializeOptions {
  /** String key/value pairs stored as the header's `__metadata__` (written when given, even empty; left out when not given). */
  metadata?: Readonly<Record<string, string>>;
  /** Add a `trainkit.checksum` of the whole file to the metadata (see {@link CHECKSUM_KEY}), replacing one `metadata` holds. Default false. */
  checksum?: boolean;
}

/** The largest finite float32 (a larger finite value rounds to Infinity). */
const F32_MAX = 3.4028234663852886e38;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** A high surrogate not followed by a low one, or a low one not after a high one (such a string has no UTF-8 encoding). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const fail = (problem: SafetensorsError['problem'], message: string): never => {
  throw new SafetensorsError(problem, message);
};

/**
 * Writes tensors in the safetensors format: an 8-byte little-endian header length, a JSON
 * header (padded with spaces to a multiple of 8 bytes, so the data section starts aligned) giving each
 * tensor's `dtype`, `shape` and `data_offsets`, then the raw little-endian data with the
 * tensors laid out contiguously in the order given. PyTorch (through the `safetensors`
 * package or a few lines of numpy) reads the result.
 *
 * @param tensors - name → tensor, in the order to write them.
 * @param options - `metadata` strings and whether to add a `checksum`.
 * @example
 * const bytes = serializeSafetensors(
 *   { 'fc.weight': { shape: [10, 784], data: w }, steps: { dtype: 'I64', shape: [], data: [1200] } },
 *   { metadata: { format: 'pt' }, checksum: true },
 * );
 */
export function serializeSafetensors(tensors: Readonly<Record<string, TensorInput>> | Iterable<readonly [string, TensorInput]>, options: SerializeOptions = {}): Uint8Array {
  const entries = toEntries(tensors);
  const metadata = { ...options.metadata };
  if (Object.hasOwn(metadata, CHECKSUM_KEY)) {
    // the metadata of a file read back carries that file's checksum: with { checksum: true } it is computed anew
    if (!options.checksum) fail('value', `metadata key "${CHECKSUM_KEY}" is reserved; pass { checksum: true } to add one (a copied checksum would not match this file)`);
    delete metadata[CHECKSUM_KEY];
  }
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') fail('value', `metadata[${JSON.stringify(k)}] must be a string, got ${typeof v}`);
    if (LONE_SURROGATE.test(k) || LONE_SURROGATE.test(v)) fail('value', `metadata[${JSON.stringify(k)}] holds a lone UTF-16 surrogate, which no reader accepts`);
  }
  if (options.checksum) metadata[CHECKSUM_KEY] = CHECKSUM_PLACEHOLDER;

  const parts: string[] = [];
  // metadata given is written even when empty, so that a file read and written again keeps its size
  if (options.metadata !== undefined || options.checksum) parts.push(`"__metadata__":${JSON.stringify(metadata)}`);
  let offset = 0;
  const planned = entries.map(([name, t]) => {
    const dtype = t.dtype ?? 'F32';
    const size = checkTensor(name, t, dtype);
    const begin = offset;
    offset += size * DTYPES[dtype].size;
    parts.push(`${JSON.stringify(name)}:${JSON.stringify({ dtype, shape: t.shape, data_offsets: [begin, offset] })}`);
    return { name, dtype, data: t.data, begin };
  });
  let header = new TextEncoder().encode(`{${parts.join(',')}}`);
  const padded = Math.ceil((8 + header.length) / 8) * 8 - 8;
  const out = new Uint8Array(8 + padded + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(padded), true);
  out.set(header, 8);
  out.fill(0x20, 8 + header.length, 8 + padded);
  for (const p of planned) writeValues(out, view, 8 + padded + p.begin, p.name, p.dtype, p.data);
  if (options.checksum) {
    header = out.subarray(8, 8 + padded);
    const at = 8 + findChecksum(header);
    out.set(new TextEncoder().encode(checksumOf(out, at)), at);
  }
  return out;
}

function toEntries(tensors: Readonly<Record<string, TensorInput>> | Iterable<readonly [string, TensorInput]>): Array<readonly [string, TensorInput]> {
  const entries = Symbol.iterator in tensors ? [...(tensors as Iterable<readonly [string, TensorInput]>)] : Object.entries(tensors);
  const seen = new Set<string>();
  for (const [name] of entries) {
    if (typeof name !== 'string') fail('value', `tensor names must be strings, got ${typeof name}`);
    if (name === '') fail('value', 'a tensor name is empty; readers refuse empty names');
    if (LONE_SURROGATE.test(name)) fail('value', `tensor name ${JSON.stringify(name)} holds a lone UTF-16 surrogate, which no reader accepts`);
    if (name === '__metadata__') fail('value', 'a tensor cannot be named "__metadata__" (the key is reserved for metadata)');
    if (seen.has(name)) fail('value', `two tensors are named ${JSON.stringify(name)}`);
    seen.add(name);
  }
  return entries;
}

/** Checks dtype, shape and length; returns the element count. */
function checkTensor(name: string, t: TensorInput, dtype: Dtype): number {
  const where = `tensor ${JSON.stringify(name)}`;
  if (!isDtype(dtype)) fail('dtype', `${where}: unknown dtype ${JSON.stringify(dtype)} (known: ${Object.keys(DTYPES).join(', ')})`);
  if (DTYPES[dtype].range === false) fail('dtype', `${where}: writing ${dtype} is not supported; write F32 (or F64)`);
  if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail('shape', `${where}: shape must be a list of non-negative integers, got ${JSON.stringify(t.shape)}`);
  if (t.shape.length > MAX_RANK) fail('shape', `${where}: shape has ${t.shape.length} dimensions, more than the ${MAX_RANK} readers accept; reshape it to at most ${MAX_RANK} dimensions`);
  const size = t.shape.reduce((a, b) => a * b, 1);
  if (t.data?.length !== size) fail('shape', `${where}: shape [${t.shape.join(', ')}] has ${size} elements but the data has ${String(t.data?.length)}`);
  const big = t.data instanceof BigInt64Array || t.data instanceof BigUint64Array;
  if (big && dtype !== (t.data instanceof BigInt64Array ? 'I64' : 'U64')) fail('dtype', `${where}: a ${t.data.constructor.name} can only be written as ${t.data instanceof BigInt64Array ? 'I64' : 'U64'}, not ${dtype}`);
  return size;
}

function writeValues(out: Uint8Array, view: DataView, at: number, name: string, dtype: Dtype, data: TensorData): void {
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    for (let i = 0; i < data.length; i++) {
      if (data instanceof BigInt64Array) view.setBigInt64(at + 8 * i, data[i], true);
      else view.setBigUint64(at + 8 * i, data[i], true);
    }
    return;
  }
  if (dtype === 'F32' && data instanceof Float32Array && LITTLE_ENDIAN) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    return;
  }
  const info = DTYPES[dtype];
  const range = info.range;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (typeof v !== 'number') fail('value', `tensor ${JSON.stringify(name)}: element ${i} is ${typeof v}, expected a number`);
    if (range && !(Number.isInteger(v) && v >= range[0] && v <= range[1])) {
      fail('value', `tensor ${JSON.stringify(name)}: element ${i} is ${v}, which ${dtype} cannot hold (integers in ${range[0]}..${range[1]})`);
    }
    // a finite value beyond float32's range would silently become ±Infinity; ±Infinity and NaN themselves are representable
    if (dtype === 'F32' && Number.isFinite(v) && !Number.isFinite(Math.fround(v))) {
      fail('value', `tensor ${JSON.stringify(name)}: element ${i} is ${v}, which F32 cannot hold (finite values up to ±${F32_MAX}, it would become ${v > 0 ? '' : '-'}Infinity); write the tensor as F64, or scale the values`);
    }
    info.set(view, at + i * info.size, v);
  }
}
