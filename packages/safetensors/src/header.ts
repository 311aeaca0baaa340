import { type Dtype, checkDtype, dtypeSize } from './dtype';
import { SafetensorsError } from './errors';
import { JsonReader, quote } from './json';
import type { TensorView } from './parse';

/** Most dimensions a shape may have (numpy 2 allows 64; torch and numpy 1 fewer). */
export const MAX_RANK = 64;
const UNSIGNED = /^(?:0|[1-9][0-9]*)$/;
const FIELDS = 'dtype, shape, data_offsets';
/** Where {@link readIntegers} puts what it read: the shape is then copied out at its exact size, the offsets taken as two numbers. */
const SCRATCH: number[] = new Array<number>(MAX_RANK).fill(0);

/** What a header may hold before it is refused (see ParseOptions). */
export interface HeaderLimits {
  readonly maxTensors: number;
  readonly maxMetadataEntries: number;
}

/** A header read against the safetensors schema: its metadata and its tensors, as views into `data`. */
export interface Header {
  readonly metadata: Record<string, string>;
  readonly tensors: Map<string, TensorView>;
}

const fail = (problem: SafetensorsError['problem'], message: string): never => {
  throw new SafetensorsError(problem, message);
};
const where = (name: string) => `tensor ${quote(name)}`;

/** A parsed tensor. Its bytes are cut from the data section when first asked for: a header of a million tensors makes no million views up front. */
class ParsedTensor implements TensorView {
  readonly #data: Uint8Array;
  readonly #begin: number;
  readonly #end: number;
  #bytes: Uint8Array | undefined;

  constructor(readonly name: string, readonly dtype: Dtype, readonly shape: readonly number[], readonly size: number, data: Uint8Array, begin: number, end: number) {
    this.#data = data;
    this.#begin = begin;
    this.#end = end;
  }

  get bytes(): Uint8Array {
    return (this.#bytes ??= this.#data.subarray(this.#begin, this.#end));
  }
}

/**
 * Reads the header text against the safetensors schema as it goes: each tensor becomes its
 * view the moment its entry is read and nothing else of the JSON is kept, so reading costs the
 * views plus a bounded amount. Limits are checked before each entry is read, so a header with
 * too many tensors is refused after reading `maxTensors` of them, not all. Then checks that the
 * tensors tile the data section.
 */
export function readHeader(text: string, data: Uint8Array, limits: HeaderLimits): Header {
  const r = new JsonReader(text);
  const tensors = new Map<string, TensorView>();
  const begins: number[] = [];
  const ends: number[] = [];
  let metadata: Record<string, string> | null = null;
  let sawMetadata = false;
  for (let name = r.firstKey(); name !== undefined; name = r.nextKey()) {
    if (name === '__metadata__') {
      if (sawMetadata) r.duplicate(name);
      sawMetadata = true;
      metadata = readMetadata(r, limits.maxMetadataEntries);
      continue;
    }
    if (tensors.has(name)) r.duplicate(name);
    if (name === '') fail('header-structure', `a tensor has an empty name (the key "" at character ${r.keyAt} of the header)`);
    if (tensors.size >= limits.maxTensors) {
      fail('limit', `the header has more than ${limits.maxTensors} tensors (the maxTensors limit; the next is ${quote(name)} at character ${r.keyAt}); pass a larger maxTensors to read it`);
    }
    tensors.set(name, readEntry(r, name, data, begins, ends));
  }
  r.end();
  checkLayout(begins, ends, () => [...tensors.keys()], data.length);
  return { metadata: metadata ?? (Object.create(null) as Record<string, string>), tensors };
}

/** The reader's next value, skipped (and so checked) and quoted as written, for a message. */
function written(r: JsonReader, depth: number): string {
  r.peek();
  const at = r.pos;
  r.skip(depth);
  return r.source(at);
}

function readMetadata(r: JsonReader, maxEntries: number): Record<string, string> | null {
  const c = r.peek();
  if (c === 'n') {
    r.skip(1); // null: no metadata, as the reference reader allows
    return null;
  }
  if (c !== '{') return fail('header-structure', `__metadata__ must be an object of strings, got ${written(r, 1)}`);
  const out = Object.create(null) as Record<string, string>;
  let count = 0;
  for (let key = r.firstKey(); key !== undefined; key = r.nextKey()) {
    if (key in out) r.duplicate(key);
    if (++count > maxEntries) {
      fail('limit', `__metadata__ has more than ${maxEntries} entries (the maxMetadataEntries limit; the next is ${quote(key)} at character ${r.keyAt}); pass a larger maxMetadataEntries to read it`);
    }
    if (r.peek() !== '"') fail('header-structure', `__metadata__[${quote(key)}] must be a string, got ${written(r, 2)}`);
    out[key] = r.string();
  }
  return out;
}

/** Reads one tensor's entry; its offsets go on `begins` and `ends` for the layout check. */
function readEntry(r: JsonReader, name: string, data: Uint8Array, begins: number[], ends: number[]): ParsedTensor {
  if (r.peek() !== '{') return fail('header-structure', `${where(name)} must be an object {${FIELDS}}, got ${written(r, 1)}`);
  let dtype: Dtype | undefined;
  let shape: number[] | undefined;
  let begin = -1;
  let end = -1;
  for (let field = r.firstKey(); field !== undefined; field = r.nextKey()) {
    if (field === 'dtype' && dtype === undefined) dtype = readDtype(r, name);
    else if (field === 'shape' && shape === undefined) shape = SCRATCH.slice(0, readIntegers(r, name, 'shape'));
    else if (field === 'data_offsets' && begin < 0) {
      readIntegers(r, name, 'data_offsets');
      begin = SCRATCH[0];
      end = SCRATCH[1];
    }
    else if (field === 'dtype' || field === 'shape' || field === 'data_offsets') r.duplicate(field);
    else fail('header-structure', `${where(name)} has unknown field ${quote(field)} (expected ${FIELDS})`);
  }
  if (dtype === undefined) return fail('header-structure', `${where(name)} has no dtype`);
  if (shape === undefined) return fail('header-structure', `${where(name)} has no shape`);
  if (begin < 0) return fail('header-structure', `${where(name)} has no data_offsets`);
  if (begin > end) fail('offsets', `${where(name)}: data_offsets [${begin}, ${end}] end before they begin`);
  if (end > data.length) fail('offsets', `${where(name)}: data_offsets [${begin}, ${end}] run past the end of the data (${data.length} bytes)`);
  const size = elementCount(shape, name);
  const need = size * dtypeSize(dtype);
  if (need !== end - begin) {
    fail('shape', `${where(name)} has dtype ${dtype} and shape [${shape.join(', ')}], which needs ${need} bytes, but its data_offsets [${begin}, ${end}] span ${end - begin}`);
  }
  begins.push(begin);
  ends.push(end);
  return new ParsedTensor(name, dtype, shape, size, data, begin, end);
}

function readDtype(r: JsonReader, name: string): Dtype {
  if (r.peek() !== '"') return checkDtype(undefined, name, written(r, 2));
  return checkDtype(r.string(), name);
}

/**
 * Reads `shape` (at most {@link MAX_RANK} entries) or `data_offsets` (exactly two) into
 * {@link SCRATCH} and returns the count: a list of unsigned integer literals, `0` or digits
 * without a leading zero, below 2^53. What JSON also allows (`-0`, `2.0`, `1e1`, `0.8e1`) is
 * refused, as the reference reader refuses it, and the message quotes the list and the entry
 * as written.
 */
function readIntegers(r: JsonReader, name: string, field: 'shape' | 'data_offsets'): number {
  if (r.peek() !== '[') return fail(field === 'shape' ? 'shape' : 'offsets', `${where(name)}: ${field} must be a list of non-negative integers, got ${written(r, 2)}`);
  const listAt = r.pos;
  let n = 0;
  for (let more = r.firstElement(); more; more = r.nextElement()) {
    if (n === (field === 'shape' ? MAX_RANK : 2)) refuse(r, listAt, name, field, field === 'shape' ? `has more than ${MAX_RANK} dimensions` : 'has more than 2 entries, expected [begin, end]');
    const value = r.unsignedInteger();
    if (value >= 0) {
      SCRATCH[n++] = value;
      continue;
    }
    const at = r.pos;
    const c = r.peek();
    const entry = c === '-' || (c >= '0' && c <= '9') ? r.numberText() : written(r, 3);
    refuse(r, listAt, name, field, UNSIGNED.test(entry) ? `has ${r.source(at)}, which is 2^53 or more` : `has ${r.source(at)}, expected non-negative integers written as digits only (no sign, fraction or exponent)`);
  }
  if (field === 'data_offsets' && n !== 2) refuse(r, listAt, name, field, 'has fewer than 2 entries, expected [begin, end]');
  return n;
}

/** Fails for the list at `listAt`, quoting it. */
function refuse(r: JsonReader, listAt: number, name: string, field: 'shape' | 'data_offsets', message: string): never {
  r.pos = listAt;
  return fail(field === 'shape' ? 'shape' : 'offsets', `${where(name)}: ${field} ${written(r, 2)} ${message}`);
}

/** Product of the dims; an error as soon as it passes 2^53 (no file is that large). */
function elementCount(shape: readonly number[], name: string): number {
  if (shape.includes(0)) return 0;
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (n > Number.MAX_SAFE_INTEGER) fail('shape', `${where(name)}: shape [${shape.join(', ')}] has more than 2^53 elements`);
  }
  return n;
}

/**
 * Tensors must tile the data section: in offset order, each begins where the previous ended,
 * the last ends at the end. Files are usually written in offset order, so the tensors are
 * sorted only when they are not. `names` is called only to write a message.
 */
function checkLayout(begins: readonly number[], ends: readonly number[], names: () => string[], dataLength: number): void {
  let order: number[] | null = null;
  for (let i = 1; i < begins.length && order === null; i++) {
    if (begins[i] < begins[i - 1] || (begins[i] === begins[i - 1] && ends[i] < ends[i - 1])) {
      order = Array.from(begins, (_, k) => k).sort((a, b) => begins[a] - begins[b] || ends[a] - ends[b]);
    }
  }
  let at = 0;
  let previous = -1;
  for (let k = 0; k < begins.length; k++) {
    const i = order === null ? k : order[k];
    if (begins[i] < at) fail('offsets', `tensors ${quote(names()[previous])} and ${quote(names()[i])} overlap (bytes ${begins[i]}..${at} of the data)`);
    if (begins[i] > at) fail('offsets', `bytes ${at}..${begins[i]} of the data belong to no tensor (a gap ${previous < 0 ? 'before the first tensor' : `after ${quote(names()[previous])}`})`);
    at = ends[i];
    previous = i;
  }
  if (at !== dataLength) fail('offsets', `the last ${dataLength - at} bytes of the data belong to no tensor (the file has extra bytes or a tensor is missing)`);
}
