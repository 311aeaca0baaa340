import { checksumOf, findChecksum, CHECKSUM_KEY } from './checksum';
import { type Dtype, checkDtype, dtypeSize } from './dtype';
import { SafetensorsError } from './errors';
import { type Json, parseHeaderJson } from './json';

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

/** Options of {@link parseSafetensors}. */
export interface ParseOptions {
  /** Largest header accepted, in bytes (default 100 MB, the reference implementation's limit). */
  maxHeaderBytes?: number;
  /** `'require'`: a file without a checksum is an error. `'ignore'`: skip verification. Default: verify when present. */
  checksum?: 'verify' | 'require' | 'ignore';
}

/** The reference implementation's header limit. */
export const MAX_HEADER_BYTES = 100_000_000;
const PREFIX = 8;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const fail = (problem: SafetensorsError['problem'], message: string): never => {
  throw new SafetensorsError(problem, message);
};

/**
 * Parses a safetensors file without trusting it: the length prefix, the header's encoding and
 * JSON, every dtype, shape and offset, and the layout (tensors tile the data section exactly,
 * no overlap, no gap, nothing left over) are checked, and a `trainkit.checksum` in the
 * metadata is verified. Any problem is a {@link SafetensorsError} naming it. Parsing copies
 * nothing: tensors are views into `bytes`; it allocates only the parsed header (bounded by
 * `maxHeaderBytes`), never a size read from the file.
 *
 * @param file - the whole file.
 * @param options - `maxHeaderBytes`, and `checksum` to require or skip verification.
 * @see https://github.com/huggingface/safetensors#format
 * @example
 * const file = parseSafetensors(await readFile('model.safetensors'));
 * const w = toFloat32(file.tensors.get('fc.weight')!);
 */
export function parseSafetensors(file: Uint8Array, options: ParseOptions = {}): SafetensorsFile {
  const maxHeader = options.maxHeaderBytes ?? MAX_HEADER_BYTES;
  const headerLength = readHeaderLength(file, maxHeader);
  const bytes = new Uint8Array(file.buffer, file.byteOffset, file.length); // a plain view: a Node Buffer's slice() does not copy
  const headerBytes = bytes.subarray(PREFIX, PREFIX + headerLength);
  let text = '';
  try {
    text = utf8.decode(headerBytes);
  } catch {
    fail('header-encoding', `the ${headerLength}-byte header is not valid UTF-8`);
  }
  if (text[0] !== '{') fail('header-structure', `the header must start with "{", found ${JSON.stringify(text.slice(0, 8))}`);
  const header = parseHeaderJson(text);
  if (!(header instanceof Map)) return fail('header-structure', 'the header must be a JSON object');
  const data = bytes.subarray(PREFIX + headerLength);
  const metadata = readMetadata(header.get('__metadata__'));
  const tensors = new Map<string, TensorView>();
  const spans: Array<[name: string, begin: number, end: number]> = [];
  for (const [name, entry] of header) {
    if (name === '__metadata__') continue;
    const { view, begin, end } = readEntry(name, entry, data);
    tensors.set(name, view);
    spans.push([name, begin, end]);
  }
  checkLayout(spans, data.length);
  const checksum = verifyChecksum(bytes, headerBytes, metadata, options.checksum ?? 'verify');
  return { tensors, metadata, checksum };
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

function readMetadata(meta: Json | undefined): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  if (meta === undefined || meta === null) return out;
  if (!(meta instanceof Map)) return fail('header-structure', `__metadata__ must be an object of strings, got ${describe(meta)}`);
  for (const [k, v] of meta) {
    if (typeof v !== 'string') fail('header-structure', `__metadata__[${JSON.stringify(k)}] must be a string, got ${describe(v)}`);
    out[k] = v as string;
  }
  return out;
}

function readEntry(name: string, entry: Json | undefined, data: Uint8Array): { view: TensorView; begin: number; end: number } {
  const where = `tensor ${JSON.stringify(name)}`;
  if (!(entry instanceof Map)) return fail('header-structure', `${where} must be an object {dtype, shape, data_offsets}, got ${describe(entry)}`);
  for (const k of entry.keys()) {
    if (k !== 'dtype' && k !== 'shape' && k !== 'data_offsets') fail('header-structure', `${where} has unknown field ${JSON.stringify(k)} (expected dtype, shape, data_offsets)`);
  }
  for (const k of ['dtype', 'shape', 'data_offsets']) if (!entry.has(k)) fail('header-structure', `${where} has no ${k}`);
  const dtype = checkDtype(entry.get('dtype'), name);
  const shape = readShape(entry.get('shape'), where);
  const [begin, end] = readOffsets(entry.get('data_offsets'), where, data.length);
  const size = elementCount(shape, where);
  const need = size * dtypeSize(dtype);
  if (need !== end - begin) {
    fail('shape', `${where} has dtype ${dtype} and shape [${shape.join(', ')}], which needs ${need} bytes, but its data_offsets [${begin}, ${end}] span ${end - begin}`);
  }
  return { view: { name, dtype, shape, size, bytes: data.subarray(begin, end) }, begin, end };
}

function readShape(shape: Json | undefined, where: string): number[] {
  if (!Array.isArray(shape)) return fail('shape', `${where}: shape must be a list of non-negative integers, got ${describe(shape)}`);
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) fail('shape', `${where}: shape [${shape.map(describe).join(', ')}] has ${describe(d)}, expected non-negative integers`);
  }
  return shape as number[];
}

/** Product of the dims; an error as soon as it passes 2^53 (no file is that large). */
function elementCount(shape: readonly number[], where: string): number {
  if (shape.includes(0)) return 0;
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (n > Number.MAX_SAFE_INTEGER) fail('shape', `${where}: shape [${shape.join(', ')}] has more than 2^53 elements`);
  }
  return n;
}

function readOffsets(offsets: Json | undefined, where: string, dataLength: number): [number, number] {
  const ok = Array.isArray(offsets) && offsets.length === 2 && offsets.every((o) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0);
  if (!ok) return fail('offsets', `${where}: data_offsets must be [begin, end] with non-negative integers, got ${describe(offsets)}`);
  const [begin, end] = offsets as [number, number];
  if (begin > end) fail('offsets', `${where}: data_offsets [${begin}, ${end}] end before they begin`);
  if (end > dataLength) fail('offsets', `${where}: data_offsets [${begin}, ${end}] run past the end of the data (${dataLength} bytes)`);
  return [begin, end];
}

/** Tensors must tile the data section: sorted by offset, each begins where the previous ended, the last ends at the end. */
function checkLayout(spans: Array<[string, number, number]>, dataLength: number): void {
  spans.sort((a, b) => a[1] - b[1] || a[2] - b[2]);
  let at = 0;
  let previous = '';
  for (const [name, begin, end] of spans) {
    if (begin < at) fail('offsets', `tensors ${JSON.stringify(previous)} and ${JSON.stringify(name)} overlap (bytes ${begin}..${at} of the data)`);
    if (begin > at) fail('offsets', `bytes ${at}..${begin} of the data belong to no tensor (a gap ${previous === '' ? 'before the first tensor' : `after ${JSON.stringify(previous)}`})`);
    at = end;
    previous = name;
  }
  if (at !== dataLength) fail('offsets', `the last ${dataLength - at} bytes of the data belong to no tensor (the file has extra bytes or a tensor is missing)`);
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

/** A short description of a JSON value for messages. */
function describe(v: Json | undefined): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v, (_k, x: unknown) => (x instanceof Map ? Object.fromEntries(x) : x));
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}
