import { checksumOf, findChecksum, CHECKSUM_KEY } from './checksum';
import type { Dtype } from './dtype';
import { SafetensorsError } from './errors';
import { readHeader } from './header';
import { quote } from './json';

/** One tensor of a parsed file: where its bytes are and how to read them. */
export interface TensorView {
  readonly name: string;
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  /** Number of elements (the product of the shape). */
  readonly size: number;
  /** The tensor's raw little-endian bytes: a view into the file, not a copy. */
  readonly bytes: Uint8Array;
}

/** A parsed safetensors file. Tensors are views into the bytes given to {@link parseSafetensors}. */
export interface SafetensorsFile {
  /** The tensors by name, in header order. */
  readonly tensors: ReadonlyMap<string, TensorView>;
  /** The header's `__metadata__` (string to string); empty when the file has none. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Whether a `trainkit.checksum` was present and matched (`'absent'`: the file carries none). */
  readonly checksum: 'verified' | 'absent';
}

/** Options of {@link parseSafetensors}. Each limit is checked before the thing it limits is read or allocated. */
export interface ParseOptions {
  /** Largest header accepted, in bytes (default {@link MAX_HEADER_BYTES}, 100 MB, the reference implementation's limit). */
  maxHeaderBytes?: number;
  /** Most tensors a file may hold (default {@link MAX_TENSORS}, 100,000). */
  maxTensors?: number;
  /** Most `__metadata__` entries a file may hold (default {@link MAX_METADATA_ENTRIES}, 10,000). */
  maxMetadataEntries?: number;
  /** `'require'`: a file without a checksum is an error. `'ignore'`: skip verification. Default: verify when present. */
  checksum?: 'verify' | 'require' | 'ignore';
}

/** The reference implementation's header limit: the default of `maxHeaderBytes`. */
export const MAX_HEADER_BYTES = 100_000_000;
/** The default of `maxTensors`: far more than any model file holds, far fewer than a hostile header can declare. */
export const MAX_TENSORS = 100_000;
/** The default of `maxMetadataEntries`. */
export const MAX_METADATA_ENTRIES = 10_000;
const PREFIX = 8;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const fail = (problem: SafetensorsError['problem'], message: string): never => {
  throw new SafetensorsError(problem, message);
};

/**
 * Parses a safetensors file without trusting it: the length prefix, the header's encoding and
 * strict JSON (integers in `shape` and `data_offsets` written as plain digits, no lone
 * surrogates, no duplicate keys), every dtype, shape and offset, the layout (tensors tile the
 * data section exactly, no overlap, no gap, nothing left over) and every BOOL byte (0 or 1) are
 * checked, and a `trainkit.checksum` in the metadata is verified. Any problem is a
 * {@link SafetensorsError} naming it. Parsing copies nothing: tensors are views into `file`.
 * Its cost is bounded by the header's size and the limits in `options`: under 8 × the file
 * size + 32 MB of memory, never a size the file merely claims.
 *
 * @param file - the whole file.
 * @param options - the limits (`maxHeaderBytes`, `maxTensors`, `maxMetadataEntries`), and `checksum` to require or skip verification.
 * @see https://github.com/huggingface/safetensors#format
 * @example
 * const file = parseSafetensors(await readFile('model.safetensors'));
 * const w = toFloat32(file.tensors.get('fc.weight')!);
 */
export function parseSafetensors(file: Uint8Array, options: ParseOptions = {}): SafetensorsFile {
  const maxHeader = limit(options.maxHeaderBytes, MAX_HEADER_BYTES, 'maxHeaderBytes');
  const limits = { maxTensors: limit(options.maxTensors, MAX_TENSORS, 'maxTensors'), maxMetadataEntries: limit(options.maxMetadataEntries, MAX_METADATA_ENTRIES, 'maxMetadataEntries') };
  const headerLength = readHeaderLength(file, maxHeader);
  const bytes = new Uint8Array(file.buffer, file.byteOffset, file.length); // a plain view: a Node Buffer's slice() does not copy
  const headerBytes = bytes.subarray(PREFIX, PREFIX + headerLength);
  let text = '';
  try {
    text = utf8.decode(headerBytes);
  } catch {
    fail('header-encoding', `the ${headerLength}-byte header is not valid UTF-8`);
  }
  if (text[0] !== '{') fail('header-structure', `the header must start with "{", found ${quote(text.slice(0, 8))}`);
  const data = bytes.subarray(PREFIX + headerLength);
  const { metadata, tensors } = readHeader(text, data, limits);
  for (const t of tensors.values()) if (t.dtype === 'BOOL') checkBool(t);
  const checksum = verifyChecksum(bytes, headerBytes, metadata, options.checksum ?? 'verify');
  return { tensors, metadata, checksum };
}

function limit(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0)) throw new SafetensorsError('value', `parseSafetensors: ${name} must be a non-negative number (Infinity for no limit), got ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
  return value;
}

function readHeaderLength(bytes: Uint8Array, maxHeader: number): number {
  if (!(bytes instanceof Uint8Array)) fail('truncated', `expected the file's bytes as a Uint8Array, got ${Object.prototype.toString.call(bytes)}`);
  if (bytes.length < PREFIX) fail('truncated', `the file is ${bytes.length} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, PREFIX);
  const length = view.getUint32(4, true) * 2 ** 32 + view.getUint32(0, true); // rounds above 2^53, which is rejected anyway
  const after = bytes.length - PREFIX;
  if (length > after) fail(length > maxHeader ? 'header-length' : 'truncated', `the header length ${formatLength(view)} is larger than the ${after} bytes that follow it`);
  if (length > maxHeader) fail('header-length', `the header length ${length} exceeds the limit of ${maxHeader} bytes`);
  if (length < 2) fail('header-length', `the header length is ${length}; the smallest header, "{}", has 2 bytes`);
  return length;
}

/** The exact u64 for messages (a Number would round 2^60 + 1). */
function formatLength(view: DataView): string {
  return view.getBigUint64(0, true).toString();
}

/** A BOOL byte must be 0 or 1: torch and numpy write nothing else, and a reader's behaviour on other bytes is undefined. */
function checkBool(t: TensorView): void {
  const i = t.bytes.findIndex((b) => b > 1);
  if (i >= 0) fail('value', `tensor ${quote(t.name)} is BOOL but element ${i} is ${t.bytes[i]} (expected 0 or 1)`);
}

function verifyChecksum(bytes: Uint8Array, headerBytes: Uint8Array, metadata: Record<string, string>, mode: 'verify' | 'require' | 'ignore'): 'verified' | 'absent' {
  const stored = metadata[CHECKSUM_KEY];
  if (stored === undefined) {
    if (mode === 'require') fail('checksum', `the file has no ${CHECKSUM_KEY} in its metadata, and a checksum is required`);
    return 'absent';
  }
  if (mode === 'ignore') return 'absent';
  const m = /^crc32:([0-9a-f]{8})$/.exec(stored);
  if (m === null) return fail('checksum', `${CHECKSUM_KEY} is ${JSON.stringify(stored.slice(0, 40))}, expected "crc32:" and 8 lowercase hex digits`);
  const at = findChecksum(headerBytes);
  if (at < 0) return fail('checksum', `${CHECKSUM_KEY} is not written in the compact form trainkit writes, so it cannot be verified`);
  const actual = checksumOf(bytes, PREFIX + at);
  if (actual !== m[1]) fail('checksum', `checksum mismatch: the metadata says crc32:${m[1]} but the file's bytes give crc32:${actual}; the file is corrupt or was modified`);
  return 'verified';
}
