/**
 * IDX: the binary format of the original MNIST files (http://yann.lecun.com/exdb/mnist/).
 *
 * Layout: two zero bytes, a type code, the rank; then one big-endian uint32 per dimension;
 * then the elements in row-major order, big-endian. Works on a Uint8Array, so it runs in
 * browsers as well as in Node.
 */

/** An IDX element type, named after the typed array it is decoded into. */
export type IdxType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** The contents of an IDX file: element type, dimensions and the decoded elements. */
export type IdxArray =
  | { type: 'uint8'; shape: number[]; data: Uint8Array }
  | { type: 'int8'; shape: number[]; data: Int8Array }
  | { type: 'int16'; shape: number[]; data: Int16Array }
  | { type: 'int32'; shape: number[]; data: Int32Array }
  | { type: 'float32'; shape: number[]; data: Float32Array }
  | { type: 'float64'; shape: number[]; data: Float64Array };

/** Thrown when bytes are not a well-formed IDX file; the message names the source and the problem. */
export class IdxError extends Error {
  override name = 'IdxError';
}

interface TypeInfo {
  readonly type: IdxType;
  readonly bytes: number;
}

/** IDX type codes (third byte of the magic number). */
const TYPE_CODES: ReadonlyMap<number, TypeInfo> = new Map([
  [0x08, { type: 'uint8', bytes: 1 }],
  [0x09, { type: 'int8', bytes: 1 }],
  [0x0b, { type: 'int16', bytes: 2 }],
  [0x0c, { type: 'int32', bytes: 4 }],
  [0x0d, { type: 'float32', bytes: 4 }],
  [0x0e, { type: 'float64', bytes: 8 }],
]);

/** Larger bodies are rejected as corrupt headers (4 GiB; no typed array here can hold more). */
const MAX_DATA_BYTES = 2 ** 32;

const hex = (b: number): string => b.toString(16).padStart(2, '0');

function expectedTypes(): string {
  return [...TYPE_CODES].map(([code, t]) => `0x${hex(code)} (${t.type})`).join(', ');
}

/**
 * Parses an IDX file held in memory.
 *
 * Nothing in the file is trusted: the header is checked byte by byte and the size the
 * dimensions describe is compared with the bytes actually present before anything is
 * allocated, so a corrupt or hostile file gives an {@link IdxError}, never a huge allocation.
 * The returned `data` is a fresh array (it does not alias `bytes`).
 *
 * @param bytes - the whole file.
 * @param source - what the bytes are (a path, a URL), used in error messages.
 * @returns the element type, the dimensions (outermost first) and the elements.
 * @throws {@link IdxError} on a wrong magic number, an unknown type code, a truncated header
 *   or body, trailing bytes, or dimensions too large to be real.
 * @example
 * const images = parseIdx(new Uint8Array(await (await fetch(url)).arrayBuffer()), url);
 * images.shape; // [60000, 28, 28]
 */
export function parseIdx(bytes: Uint8Array, source = '<buffer>'): IdxArray {
  const fail = (problem: string): never => {
    throw new IdxError(`parseIdx(${source}): ${problem}`);
  };
  if (bytes.length < 4) {
    fail(`truncated header: expected at least 4 bytes (magic number), found ${bytes.length}`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const found = Array.from(bytes.subarray(0, 4), hex).join(' ');
    const gzip = bytes[0] === 0x1f && bytes[1] === 0x8b ? '; this looks gzip-compressed, gunzip it first' : '';
    fail(`wrong magic number: expected 00 00 <type> <rank>, found ${found}${gzip}`);
  }
  const info = TYPE_CODES.get(bytes[2]);
  if (info === undefined) fail(`unknown data type code 0x${hex(bytes[2])}; expected one of ${expectedTypes()}`);
  const { type, bytes: elementBytes } = info as TypeInfo;
  const rank = bytes[3];
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    fail(`truncated header: rank ${rank} needs ${headerBytes} header bytes, found ${bytes.length}`);
  }

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let i = 0; i < rank; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    shape.push(d);
    count *= d;
  }
  const dataBytes = count * elementBytes;
  const found = bytes.length - headerBytes;
  if (!Number.isSafeInteger(dataBytes) || dataBytes > MAX_DATA_BYTES) {
    fail(`absurd dimensions [${shape.join(', ')}]: they describe ${dataBytes} bytes of data (limit ${MAX_DATA_BYTES}); the file has ${found}`);
  }
  if (found < dataBytes) {
    fail(`truncated data: dimensions [${shape.join(', ')}] of ${type}: expected ${dataBytes} bytes of data, found ${found}`);
  }
  if (found > dataBytes) {
    fail(`trailing garbage: ${found - dataBytes} bytes after the ${dataBytes} bytes of data that dimensions [${shape.join(', ')}] describe`);
  }
  return { type, shape, data: decode(type, view, headerBytes, count) } as IdxArray;
}

/** Decodes `count` big-endian elements starting at `offset`. */
function decode(type: IdxType, view: DataView, offset: number, count: number): IdxArray['data'] {
  switch (type) {
    case 'uint8':
      return new Uint8Array(view.buffer, view.byteOffset + offset, count).slice();
    case 'int8':
      return new Int8Array(view.buffer, view.byteOffset + offset, count).slice();
    case 'int16': {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(offset + 2 * i, false);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(offset + 4 * i, false);
      return out;
    }
    case 'float32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + 4 * i, false);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(offset + 8 * i, false);
      return out;
    }
  }
}

