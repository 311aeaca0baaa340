// Build-time half of the kernels' delta encoding (the decoder is src/kernels/wasm/embedded.ts):
// the relaxed-SIMD and shared-memory builds differ from the plain build in a few hundred
// places, so each is embedded as a list of copies from its base build and literal bytes.
//
// Format: varint(target length), varint(FNV-1a hash of the target, 32 bits), then ops until
// the end. An op starts with varint(n·2 + kind):
// kind 1 inserts the n bytes that follow; kind 0 copies n bytes from the base, starting at the
// end of the previous copy (0 at first) moved by a zigzag varint.

/** Copies shorter than this are written as literal bytes (a copy costs about 3 bytes). */
const MIN_COPY = 6;

/** FNV-1a, 32 bits: the decoder's check that a delta met the base it was made for. */
export function fnv1a(bytes) {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

/** The bytes that turn `base` into `target` with {@link applyDelta} (embedded.ts). */
export function encodeDelta(base, target) {
  const at = new Map(); // first 4 bytes → their positions in base
  for (let i = 0; i + 4 <= base.length; i++) {
    const key = base[i] | (base[i + 1] << 8) | (base[i + 2] << 16) | (base[i + 3] << 24);
    const list = at.get(key);
    if (list) list.push(i);
    else at.set(key, [i]);
  }
  const out = [];
  const literal = [];
  const varint = (v) => {
    for (; v >= 128; v = Math.floor(v / 128)) out.push((v % 128) | 128);
    out.push(v);
  };
  const flush = () => {
    if (literal.length === 0) return;
    varint(literal.length * 2 + 1);
    out.push(...literal);
    literal.length = 0;
  };
  varint(target.length);
  varint(fnv1a(target));
  let expected = 0;
  for (let i = 0; i < target.length; ) {
    let best = -1;
    let bestLength = 0;
    const key = target[i] | (target[i + 1] << 8) | (target[i + 2] << 16) | (target[i + 3] << 24);
    for (const p of i + 4 <= target.length ? (at.get(key) ?? []) : []) {
      let n = 0;
      while (i + n < target.length && p + n < base.length && base[p + n] === target[i + n]) n++;
      if (n > bestLength || (n === bestLength && Math.abs(p - expected) < Math.abs(best - expected))) [best, bestLength] = [p, n];
    }
    if (bestLength < MIN_COPY) {
      literal.push(target[i++]);
      continue;
    }
    flush();
    varint(bestLength * 2);
    const move = best - expected;
    varint(move < 0 ? -move * 2 - 1 : move * 2);
    i += bestLength;
    expected = best + bestLength;
  }
  flush();
  return Uint8Array.from(out);
}
