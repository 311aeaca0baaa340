// The kernels are embedded as text: the plain SIMD build as base64, and each other build
// (relaxed SIMD, shared memory) as a base64 delta against its base build, about 1.5 KB instead
// of 30 KB each. The format is documented by the encoder, assembly/delta.mjs.

/** @internal The bytes of a module embedded as base64 (the generated modules). */
export function decodeBase64(base64: string): Uint8Array {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** FNV-1a, 32 bits (as assembly/delta.mjs computes it). */
function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

/**
 * @internal The build that `delta` (from assembly/delta.mjs's encodeDelta) makes of `base`.
 * Throws on a delta that does not fit its base (a copy past its end, a wrong total length or
 * hash: a stale base or a corrupt build), never returns other bytes.
 */
export function applyDelta(base: Uint8Array, delta: Uint8Array): Uint8Array {
  let pos = 0;
  const varint = (): number => {
    let v = 0;
    for (let scale = 1; ; scale *= 128) {
      if (pos >= delta.length) throw new Error('embedded WebAssembly kernels: the delta ends inside a number (corrupt build)');
      const b = delta[pos++];
      v += (b & 127) * scale;
      if (b < 128) return v;
    }
  };
  const out = new Uint8Array(varint());
  const hash = varint();
  let written = 0;
  let from = 0;
  while (pos < delta.length) {
    const op = varint();
    const n = Math.floor(op / 2);
    let source: Uint8Array;
    let start: number;
    if (op % 2 === 1) [source, start, pos] = [delta, pos, pos + n];
    else {
      const move = varint();
      [source, start] = [base, from + (move % 2 === 1 ? -(move + 1) / 2 : move / 2)];
      from = start + n;
    }
    if (start < 0 || start + n > source.length || written + n > out.length) {
      throw new Error(`embedded WebAssembly kernels: the delta does not fit its base build at byte ${pos} (corrupt build)`);
    }
    out.set(source.subarray(start, start + n), written);
    written += n;
  }
  if (written !== out.length) throw new Error(`embedded WebAssembly kernels: the delta gives ${written} of ${out.length} bytes (corrupt build)`);
  if (fnv1a(out) !== hash) throw new Error('embedded WebAssembly kernels: the delta does not give the build it was made for (its base changed; rebuild with npm run build:wasm -w @trainkit/tensor)');
  return out;
}
