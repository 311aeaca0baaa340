// Float32 helpers shared by the laws: bit comparison, ulps and readable mismatch messages.

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** The bit pattern of a float32 value as 8 hex digits (tells −0 from 0 and NaN payloads apart). */
export function float32Hex(x: number): string {
  scratch[0] = x;
  return `0x${scratchBits[0].toString(16).padStart(8, '0')}`;
}

/** The spacing between `x` (rounded to float32) and the next float32 away from zero. */
export function ulp32(x: number): number {
  scratch[0] = Math.abs(x);
  const exponent = (scratchBits[0] >>> 23) & 0xff;
  if (exponent === 0) return 2 ** -149; // zero and subnormals
  return 2 ** (exponent - 127 - 23);
}

/** Index of the first element where two arrays differ in bits, or −1 when they are identical. */
export function firstBitDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return i;
  return -1;
}

/** Index of the first NaN or ±Infinity, or −1. */
export function firstNonFinite(a: ArrayLike<number>): number {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return i;
  return -1;
}

/** `value (bits)` for error messages. */
export function show(x: number): string {
  return `${x} (${float32Hex(x)})`;
}
