import { SafetensorsError } from './errors';
import { quote } from './json';

/** The safetensors dtypes trainkit reads. Every one converts to float32; the integer ones and F32/F64 can be written. */
export type Dtype = 'BOOL' | 'U8' | 'I8' | 'I16' | 'U16' | 'F16' | 'BF16' | 'I32' | 'U32' | 'F32' | 'F64' | 'I64' | 'U64';

/** Dtypes the safetensors format defines that trainkit does not read (8-bit and smaller floats, complex). */
const UNSUPPORTED = new Set(['F8_E4M3', 'F8_E5M2', 'F8_E8M0', 'F6_E2M3', 'F6_E3M2', 'F4', 'C64']);

interface DtypeInfo {
  /** Bytes per element. */
  readonly size: number;
  /** Reads element at byte `at` (little-endian) as a JavaScript number. */
  readonly get: (view: DataView, at: number) => number;
  /** Smallest and largest writable value, for integer dtypes; null for floats; `false` if not writable. */
  readonly range: readonly [number, number] | null | false;
  /** Writes an already validated number at byte `at`. */
  readonly set: (view: DataView, at: number, value: number) => void;
}

const scratch = new DataView(new ArrayBuffer(4));

/** IEEE half precision → number (exact: every half is a float32). */
function half(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // zero and subnormals
  if (exponent === 31) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** bfloat16 is the top half of a float32. */
function bfloat(bits: number): number {
  scratch.setUint32(0, bits << 16);
  return scratch.getFloat32(0);
}

const readOnly = (): void => {
  throw new Error('unreachable: read-only dtype');
};

/** Per-dtype size, reader and writer. */
export const DTYPES: Readonly<Record<Dtype, DtypeInfo>> = {
  BOOL: { size: 1, get: (v, at) => v.getUint8(at), range: [0, 1], set: (v, at, x) => v.setUint8(at, x) },
  U8: { size: 1, get: (v, at) => v.getUint8(at), range: [0, 255], set: (v, at, x) => v.setUint8(at, x) },
  I8: { size: 1, get: (v, at) => v.getInt8(at), range: [-128, 127], set: (v, at, x) => v.setInt8(at, x) },
  I16: { size: 2, get: (v, at) => v.getInt16(at, true), range: [-32768, 32767], set: (v, at, x) => v.setInt16(at, x, true) },
  U16: { size: 2, get: (v, at) => v.getUint16(at, true), range: [0, 65535], set: (v, at, x) => v.setUint16(at, x, true) },
  F16: { size: 2, get: (v, at) => half(v.getUint16(at, true)), range: false, set: readOnly },
  BF16: { size: 2, get: (v, at) => bfloat(v.getUint16(at, true)), range: false, set: readOnly },
  I32: { size: 4, get: (v, at) => v.getInt32(at, true), range: [-(2 ** 31), 2 ** 31 - 1], set: (v, at, x) => v.setInt32(at, x, true) },
  U32: { size: 4, get: (v, at) => v.getUint32(at, true), range: [0, 2 ** 32 - 1], set: (v, at, x) => v.setUint32(at, x, true) },
  F32: { size: 4, get: (v, at) => v.getFloat32(at, true), range: null, set: (v, at, x) => v.setFloat32(at, x, true) },
  F64: { size: 8, get: (v, at) => v.getFloat64(at, true), range: null, set: (v, at, x) => v.setFloat64(at, x, true) },
  // 64-bit integers beyond ±2^53 round to the nearest double when read as numbers
  I64: { size: 8, get: (v, at) => Number(v.getBigInt64(at, true)), range: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER], set: (v, at, x) => v.setBigInt64(at, BigInt(x), true) },
  U64: { size: 8, get: (v, at) => Number(v.getBigUint64(at, true)), range: [0, Number.MAX_SAFE_INTEGER], set: (v, at, x) => v.setBigUint64(at, BigInt(x), true) },
};

/** Whether `name` is a dtype trainkit reads. */
export function isDtype(name: unknown): name is Dtype {
  return typeof name === 'string' && Object.hasOwn(DTYPES, name);
}

/** Each dtype name once, so that a million tensors share one string rather than hold a copy each. */
const CANONICAL = new Map(Object.keys(DTYPES).map((name) => [name, name as Dtype]));

/**
 * Checks a dtype read from a file and returns its canonical name; unknown and unsupported
 * names get different messages. `written`: the value as the file spells it, for the message.
 */
export function checkDtype(name: unknown, tensor: string, written?: string): Dtype {
  const dtype = typeof name === 'string' ? CANONICAL.get(name) : undefined;
  if (dtype !== undefined) return dtype;
  const known = Object.keys(DTYPES).join(', ');
  if (typeof name === 'string' && UNSUPPORTED.has(name)) {
    throw new SafetensorsError('dtype', `tensor ${quote(tensor)} has dtype ${name}, which trainkit does not read (it reads ${known})`);
  }
  const shown = written ?? (typeof name === 'string' ? quote(name) : JSON.stringify(name));
  throw new SafetensorsError('dtype', `tensor ${quote(tensor)} has unknown dtype ${shown} (known: ${known})`);
}

/** Bytes per element of a dtype. */
export function dtypeSize(dtype: Dtype): number {
  return DTYPES[dtype].size;
}
