import { DTYPES } from './dtype';
import { SafetensorsError } from './errors';
import type { TensorView } from './parse';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * A tensor's values as a new Float32Array, whatever its dtype: F32 is copied bit for bit
 * (NaN payloads included), F16 and BF16 convert exactly, F64 and 64-bit integers round to the
 * nearest float32, BOOL bytes must be 0 or 1. Allocates 4 bytes per element, and the element
 * count was checked against the bytes actually in the file.
 *
 * @example model.fc.weight.data.set(toFloat32(file.tensors.get('fc.weight')!));
 */
export function toFloat32(t: TensorView): Float32Array {
  if (t.dtype === 'F32' && LITTLE_ENDIAN) return new Float32Array(copyOf(t.bytes));
  const out = new Float32Array(t.size);
  readInto(t, out);
  return out;
}

/** The typed array that holds a dtype's values natively (F16/BF16 widen to Float32Array). */
export type NativeArray = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

/**
 * A tensor's values in their own type, copied: I64 → BigInt64Array (exact), I32 → Int32Array,
 * U8 and BOOL → Uint8Array, F64 → Float64Array, and so on; F16 and BF16 → Float32Array (exact).
 */
export function toTypedArray(t: TensorView): NativeArray {
  const copy = copyOf(t.bytes);
  if (!LITTLE_ENDIAN && DTYPES[t.dtype].size > 1) return toFloat32(t); // big-endian hosts: numbers only
  switch (t.dtype) {
    case 'F32': return new Float32Array(copy);
    case 'F64': return new Float64Array(copy);
    case 'I8': return new Int8Array(copy);
    case 'U8': return new Uint8Array(copy);
    case 'BOOL': checkBool(t); return new Uint8Array(copy);
    case 'I16': return new Int16Array(copy);
    case 'U16': return new Uint16Array(copy);
    case 'I32': return new Int32Array(copy);
    case 'U32': return new Uint32Array(copy);
    case 'I64': return new BigInt64Array(copy);
    case 'U64': return new BigUint64Array(copy);
    default: return toFloat32(t); // F16, BF16
  }
}

/** A fresh, exactly sized ArrayBuffer with the bytes (`slice` would not copy a Node Buffer). */
function copyOf(bytes: Uint8Array): ArrayBuffer {
  return new Uint8Array(bytes).buffer;
}

function readInto(t: TensorView, out: Float32Array): void {
  const { size, get } = DTYPES[t.dtype];
  if (t.dtype === 'BOOL') checkBool(t);
  const view = new DataView(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength);
  if (t.dtype === 'F16' || t.dtype === 'BF16') return widen16(t.dtype, view, out);
  for (let i = 0; i < out.length; i++) out[i] = get(view, i * size);
}

/**
 * F16 and BF16 → float32 written as bits, so that a NaN keeps its sign and payload as numpy and
 * torch widen it (a JavaScript number has one NaN): BF16 is the top half of a float32, and an F16
 * NaN or infinity is the float32 one with the same sign and the fraction shifted up by 13 bits.
 */
function widen16(dtype: 'F16' | 'BF16', view: DataView, out: Float32Array): void {
  const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < out.length; i++) {
    const h = view.getUint16(2 * i, true);
    if (dtype === 'BF16') bits[i] = h << 16;
    else if ((h & 0x7c00) === 0x7c00) bits[i] = ((h & 0x8000) << 16) | 0x7f800000 | ((h & 0x3ff) << 13);
    else out[i] = DTYPES.F16.get(view, 2 * i); // finite: exact as a number
  }
}

function checkBool(t: TensorView): void {
  const i = t.bytes.findIndex((b) => b > 1);
  if (i >= 0) throw new SafetensorsError('value', `tensor ${JSON.stringify(t.name)} is BOOL but element ${i} is ${t.bytes[i]} (expected 0 or 1)`);
}
