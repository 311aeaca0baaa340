/** A safetensors file from a header (an object, written as JSON, or the exact header text or bytes) and data bytes, with a correct length prefix unless `length` overrides it. */
export function rawFile(header: object | string | Uint8Array, data: Uint8Array = new Uint8Array(0), length?: bigint): Uint8Array {
  const h = header instanceof Uint8Array ? header : new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, length ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

/** The header text and data section of a file. */
export function splitFile(bytes: Uint8Array): { header: string; data: Uint8Array } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { header: new TextDecoder().decode(bytes.subarray(8, 8 + n)), data: bytes.subarray(8 + n) };
}
