import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { SafetensorsError, dtypeSize, parseSafetensors, serializeSafetensors, toFloat32, type Dtype, type SafetensorsProblem } from './index';
import { rawFile, splitFile } from './__tests__/rawFile';

// Untrusted files: whatever the bytes, parsing ends quickly with either a well-formed result
// or a SafetensorsError that names the problem. Never another exception (a RangeError would
// mean an attempted huge allocation), never a hang.

type Header = Record<string, unknown>;
const READABLE: Dtype[] = ['BOOL', 'U8', 'I8', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'F64', 'I64', 'U64'];
/** Time any single parse may take; generous because the test machine is shared (a real parse of these files takes well under a millisecond). */
const TIME_LIMIT_MS = 1000;

/**
 * Parses `bytes`; returns 'ok' or the error. If it parsed, checks what makes the result safe
 * to use: every tensor's bytes lie inside the file and are exactly size × dtype size, so
 * converting it allocates at most 4 bytes per byte of the file, and converting cannot fail.
 */
function outcome(bytes: Uint8Array, options?: Parameters<typeof parseSafetensors>[1]): 'ok' | SafetensorsError {
  const start = performance.now();
  try {
    const file = parseSafetensors(bytes, options);
    let total = 0;
    for (const t of file.tensors.values()) {
      expect(t.bytes.length).toBe(t.size * dtypeSize(t.dtype));
      expect(t.bytes.buffer).toBe(bytes.buffer);
      total += t.bytes.length;
      expect(toFloat32(t)).toHaveLength(t.size); // never throws for a parsed file: BOOL bytes were checked
    }
    expect(total).toBeLessThanOrEqual(bytes.length);
    return 'ok';
  } catch (e) {
    if (e instanceof SafetensorsError) return e;
    throw new Error(`parse threw ${String(e)} instead of a SafetensorsError`);
  } finally {
    expect(performance.now() - start).toBeLessThan(TIME_LIMIT_MS);
  }
}

/** Asserts the file is rejected, optionally for a given problem and with a message matching `message`. */
function rejected(bytes: Uint8Array, problem?: SafetensorsProblem | SafetensorsProblem[], message?: RegExp | string, options?: Parameters<typeof parseSafetensors>[1]): SafetensorsError {
  const r = outcome(bytes, options);
  if (r === 'ok') throw new Error('a hostile file was accepted');
  if (problem !== undefined) expect([problem].flat(), r.message).toContain(r.problem);
  if (message !== undefined) expect(r.message).toMatch(message);
  return r;
}

/** A valid file: tensors of any readable dtype with random bytes, optional metadata. */
const tensorParts = fc.record({ name: fc.string({ minLength: 1, maxLength: 8 }), dtype: fc.constantFrom(...READABLE), shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }) });
const validParts = fc
  .uniqueArray(tensorParts, { selector: (t) => t.name, minLength: 1, maxLength: 5 })
  .filter((ts) => ts.every((t) => t.name !== '__metadata__'))
  .chain((ts) => {
    const sizes = ts.map((t) => t.shape.reduce((a, b) => a * b, 1) * dtypeSize(t.dtype));
    const total = sizes.reduce((a, b) => a + b, 0);
    return fc.record({ tensors: fc.constant(ts), sizes: fc.constant(sizes), data: fc.uint8Array({ minLength: total, maxLength: total, max: 1 }), metadata: fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 10 }), { maxKeys: 2 }) });
  });

function build({ tensors, sizes, metadata }: { tensors: Array<{ name: string; dtype: Dtype; shape: number[] }>; sizes: number[]; metadata: Record<string, string> }): Header {
  const header: Header = Object.keys(metadata).length ? { __metadata__: metadata } : {};
  let at = 0;
  tensors.forEach((t, i) => void (header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [at, (at += sizes[i])] }));
  return header;
}

/** A small real file with a checksum: the subject of the exhaustive truncation and bit-flip tests. */
const SEALED = serializeSafetensors(
  {
    'conv.weight': { shape: [2, 1, 2, 2], data: Float32Array.from({ length: 8 }, (_, i) => i / 8) },
    'bn.num_batches_tracked': { dtype: 'I64', shape: [], data: [12] },
    mask: { dtype: 'BOOL', shape: [3], data: [1, 0, 1] },
  },
  { metadata: { format: 'pt', note: 'ünïcødé' }, checksum: true },
);

describe('hostile files: arbitrary bytes', () => {
  test.prop([fc.uint8Array({ maxLength: 300 })], { numRuns: 3000 })('random bytes are rejected with a SafetensorsError, never a crash', (bytes) => {
    outcome(bytes);
  });

  test.prop([fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 64 })], { numRuns: 2000 })('random bytes behind a consistent length prefix reach the UTF-8 and JSON checks and are rejected cleanly', (header, data) => {
    outcome(rawFile(header, data));
  });

  const token = fc.constantFrom('{', '}', '[', ']', ',', ':', '"dtype"', '"shape"', '"data_offsets"', '"F32"', '"__metadata__"', '"a"', '0', '4', '-1', '1e400', 'null', 'true', ' ', '"\\u0000"', '"\\ud800"');
  test.prop([fc.array(token, { maxLength: 40 }), fc.uint8Array({ maxLength: 32 })], { numRuns: 2000 })('random sequences of JSON tokens are rejected or parsed consistently', (tokens, data) => {
    outcome(rawFile(`{${tokens.join('')}`, data));
  });
});

describe('hostile files: truncation and the length prefix', () => {
  test('every truncation of a real file is rejected (all lengths 0 … n-1), naming what is missing', () => {
    for (let n = 0; n < SEALED.length; n++) rejected(SEALED.subarray(0, n), ['truncated', 'offsets', 'header-json', 'header-length']);
    expect(rejected(SEALED.subarray(0, 5), 'truncated').message).toBe('safetensors: the file is 5 bytes, shorter than the 8-byte header length');
    expect(rejected(SEALED.subarray(0, 40), 'truncated').message).toMatch(/the header length \d+ is larger than the 32 bytes that follow it/);
    expect(rejected(SEALED.subarray(0, SEALED.length - 1), 'offsets').message).toMatch(/data_offsets \[\d+, \d+\] run past the end of the data/);
  });

  test.prop([validParts, fc.nat()], { numRuns: 1000 })('any valid file cut short anywhere is rejected', (parts, cut) => {
    const bytes = rawFile(build(parts), parts.data);
    expect(outcome(bytes)).toBe('ok');
    const total = parts.sizes.reduce((a, b) => a + b, 0);
    if (total === 0) return; // cutting the (empty) data changes nothing
    rejected(bytes.subarray(0, cut % bytes.length));
  });

  test.each([
    ['2^60', 2n ** 60n, 'header-length', /the header length 1152921504606846976 is larger than the \d+ bytes that follow it/],
    ['2^64 - 1', 2n ** 64n - 1n, 'header-length', /header length 18446744073709551615 is larger/],
    ['2^53 + 1', 2n ** 53n + 1n, 'header-length', /9007199254740993/],
    ['one byte past the end', 'past', 'truncated', /is larger than the \d+ bytes that follow it/],
    ['0', 0n, 'header-length', /the header length is 0; the smallest header, "\{\}", has 2 bytes/],
  ] as const)('a header length of %s is rejected at once, before anything is allocated', (_, length, problem, message) => {
    const { header, data } = splitFile(SEALED);
    const bytes = rawFile(header, data, length === 'past' ? BigInt(SEALED.length - 8 + 1) : length);
    rejected(bytes, problem, message);
  });

  test('a header larger than maxHeaderBytes is rejected even when the file holds it', () => {
    rejected(rawFile(`{"__metadata__":{"x":"${'y'.repeat(5000)}"}}`), 'header-length', 'the header length 5025 exceeds the limit of 4096 bytes', { maxHeaderBytes: 4096 });
  });
});

describe('hostile files: the header text', () => {
  test.each([
    ['a lone continuation byte', [0x80]],
    ['an overlong encoding of "/"', [0xc0, 0xaf]],
    ['a UTF-16 surrogate encoded in UTF-8', [0xed, 0xa0, 0x80]],
    ['a truncated 3-byte sequence', [0xe2, 0x82]],
    ['a byte that never occurs in UTF-8', [0xff]],
  ])('invalid UTF-8 (%s) in the header is rejected', (_, bad) => {
    const text = new TextEncoder().encode('{"__metadata__":{"k":"v?"}}');
    const header = new Uint8Array([...text.subarray(0, 23), ...bad, ...text.subarray(24)]);
    rejected(rawFile(header), 'header-encoding', /the \d+-byte header is not valid UTF-8/);
  });

  test.each([
    ['trailing comma', '{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},}', /expected a key string, found "\}"/],
    ['single quotes', "{'a':1}", /expected a key string, found "'"/],
    ['a comment', '{/* hi */}', /expected a key string/],
    ['NaN', '{"__metadata__":NaN}', /unexpected "N", expected a value/],
    ['a number with a leading zero', '{"a":{"dtype":"F32","shape":[01],"data_offsets":[0,4]}}', /bad number "01"/],
    ['an unterminated string', '{"a', /unterminated string/],
    ['a raw newline in a string', '{"a\n":1}', /control character U\+000a inside a string/],
    ['a bad escape', '{"a\\x":1}', /bad escape "\\x"/],
    ['a bad unicode escape', '{"\\u12g4":1}', /bad \\u escape/],
    ['text after the object', '{} {}', /unexpected "\{" after the end of the header object/],
    ['duplicate tensor names', '{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}', /duplicate key "a"/],
    ['duplicate fields', '{"a":{"dtype":"F32","dtype":"I32","shape":[],"data_offsets":[0,4]}}', /duplicate key "dtype"/],
    ['deep nesting', `{"__metadata__":${'['.repeat(100_000)}`, /nesting deeper than 8 levels/],
  ])('invalid JSON (%s) is rejected, naming the character', (_, header, message) => {
    rejected(rawFile(header, new Uint8Array(4)), 'header-json', message);
  });

  test.each([
    ['an array', '[]', /the header must start with "\{"/],
    ['a leading space', ' {}', /must start with "\{"/],
    ['a byte-order mark', '\ufeff{}', /must start with "\{"/],
    ['metadata that is not an object', '{"__metadata__":[1]}', /__metadata__ must be an object of strings, got \[1\]/],
    ['a metadata value that is not a string', '{"__metadata__":{"epoch":3}}', /__metadata__\["epoch"\] must be a string, got 3/],
    ['a tensor that is not an object', '{"a":7}', /tensor "a" must be an object \{dtype, shape, data_offsets\}, got 7/],
    ['a missing field', '{"a":{"dtype":"F32","shape":[]}}', /tensor "a" has no data_offsets/],
    ['an unknown field', '{"a":{"dtype":"F32","shape":[],"data_offsets":[0,0],"x":1}}', /tensor "a" has unknown field "x"/],
  ])('valid JSON that is not a safetensors header (%s) is rejected', (_, header, message) => {
    rejected(rawFile(header), 'header-structure', message);
  });

  test.prop([validParts, fc.nat(), fc.integer({ min: 0x20, max: 0x7e }), fc.constantFrom('replace', 'insert', 'delete')], { numRuns: 2000 })(
    'any one-character edit of a valid header is either still a consistent file or rejected cleanly',
    (parts, at, code, edit) => {
      const text = JSON.stringify(build(parts));
      const i = at % text.length;
      const c = String.fromCharCode(code);
      const mutated = edit === 'replace' ? text.slice(0, i) + c + text.slice(i + 1) : edit === 'insert' ? text.slice(0, i) + c + text.slice(i) : text.slice(0, i) + text.slice(i + 1);
      outcome(rawFile(mutated, parts.data));
    },
  );
});

describe('hostile files: dtypes, shapes and offsets', () => {
  const one = (entry: Record<string, unknown>, data = new Uint8Array(4)) => rawFile({ t: { dtype: 'F32', shape: [1], data_offsets: [0, 4], ...entry } }, data);

  test.prop([fc.string({ maxLength: 10 }).filter((s) => !(READABLE as string[]).includes(s))], { numRuns: 500 })('an unknown dtype is rejected, listing the known ones', (dtype) => {
    rejected(one({ dtype }), 'dtype', /tensor "t" has unknown dtype .* \(known: BOOL, U8, I8, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64\)/);
  });

  test.each(['F8_E4M3', 'F8_E5M2', 'C64'])('the safetensors dtype %s is named as one trainkit does not read', (dtype) => {
    rejected(one({ dtype }), 'dtype', `tensor "t" has dtype ${dtype}, which trainkit does not read`);
  });

  test.each([{ dtype: 7 }, { dtype: null }, { dtype: true }, { dtype: ['F32'] }])('a dtype that is not a string (%j) is rejected', (entry) => {
    rejected(one(entry), 'dtype', /unknown dtype/);
  });

  test.each([
    [[-1], /shape \[-1\] has -1, expected non-negative integers/],
    [[1.5], /has 1.5/],
    [['1'], /has "1"/],
    [[null], /has null/],
    [[2 ** 53], /has 9007199254740992/],
    [[1e300], /has 1e\+300/],
    [[2 ** 31, 2 ** 31, 2 ** 31], /shape \[2147483648, 2147483648, 2147483648\] has more than 2\^53 elements/],
    ['[1]', /shape must be a list of non-negative integers, got "\[1\]"/],
    [{ 0: 1 }, /shape must be a list/],
  ])('a bad shape (%j) is rejected', (shape, message) => {
    rejected(one({ shape }), 'shape', message);
  });

  test.prop([fc.constantFrom(...READABLE), fc.array(fc.integer({ min: 0, max: 1e6 }), { maxLength: 4 }), fc.nat(64)], { numRuns: 2000 })(
    'a dtype and shape that disagree with the byte count are rejected, with both numbers in the message',
    (dtype, shape, bytes) => {
      const need = shape.reduce((a, b) => a * b, 1) * dtypeSize(dtype);
      const r = outcome(rawFile({ t: { dtype, shape, data_offsets: [0, bytes] } }, new Uint8Array(bytes)));
      if (need === bytes) return void expect(r).toBe('ok');
      expect(r).toBeInstanceOf(SafetensorsError);
      expect((r as SafetensorsError).problem).toBe('shape');
      if (Number.isSafeInteger(need)) expect((r as SafetensorsError).message).toContain(`needs ${need} bytes, but its data_offsets [0, ${bytes}] span ${bytes}`);
    },
  );

  test.each([
    [[0, 8], /data_offsets \[0, 8\] run past the end of the data \(4 bytes\)/],
    [[4, 0], /data_offsets \[4, 0\] end before they begin/],
    [[0, 2 ** 60], /data_offsets \[0,1152921504606847000\] has 1152921504606847000, which is 2\^53 or more/],
    [[-4, 0], /data_offsets \[-4,0\] has -4, expected non-negative integers written as digits only/],
    [[0], /data_offsets \[0\] has fewer than 2 entries, expected \[begin, end\]/],
    [[0, 4, 8], /data_offsets \[0,4,8\] has more than 2 entries/],
    [['0', '4'], /data_offsets \["0","4"\] has "0"/],
    [{ 0: 0, 1: 4 }, /data_offsets must be a list of non-negative integers, got \{"0":0,"1":4\}/],
  ])('data offsets %j out of range or malformed are rejected', (offsets, message) => {
    rejected(one({ data_offsets: offsets }), 'offsets', message);
  });

  test.prop([validParts.filter((p) => p.sizes.some((s) => s > 0)), fc.nat(), fc.integer({ min: 1, max: 16 }), fc.constantFrom('shift', 'overlap', 'gap', 'extra')], { numRuns: 2000 })(
    'tensors must tile the data exactly: a shifted, overlapping, gapped or surplus layout is rejected',
    (parts, pick, delta, how) => {
      const header = build(parts);
      const names = Object.keys(header).filter((k) => k !== '__metadata__' && parts.sizes[parts.tensors.findIndex((t) => t.name === k)] > 0);
      const name = names[pick % names.length];
      const entry = header[name] as { data_offsets: [number, number] };
      let data = parts.data;
      if (how === 'shift') entry.data_offsets = [entry.data_offsets[0] + delta, entry.data_offsets[1] + delta];
      if (how === 'overlap' && names.length > 1) {
        const other = header[names[(pick + 1) % names.length]] as { data_offsets: [number, number] };
        const size = entry.data_offsets[1] - entry.data_offsets[0];
        entry.data_offsets = [other.data_offsets[0], other.data_offsets[0] + size];
      }
      if (how === 'gap' || how === 'extra') data = new Uint8Array([...data, ...new Uint8Array(delta)]);
      if (how === 'gap') for (const k of names) {
        const e = header[k] as { data_offsets: [number, number] };
        if (e.data_offsets[0] >= entry.data_offsets[1]) e.data_offsets = [e.data_offsets[0] + delta, e.data_offsets[1] + delta];
      }
      const r = outcome(rawFile(header, data));
      if (how === 'overlap' && names.length === 1) return void expect(r).toBe('ok');
      expect(r).toBeInstanceOf(SafetensorsError);
      expect(['offsets', 'shape']).toContain((r as SafetensorsError).problem);
    },
  );

  test('the layout errors say which tensors and which bytes', () => {
    const t = (a: number, b: number) => ({ dtype: 'F32', shape: [1], data_offsets: [a, b] });
    rejected(rawFile({ a: t(0, 4), b: t(2, 6) }, new Uint8Array(6)), 'offsets', 'tensors "a" and "b" overlap (bytes 2..4 of the data)');
    rejected(rawFile({ a: t(0, 4), b: t(0, 4) }, new Uint8Array(4)), 'offsets', 'tensors "a" and "b" overlap (bytes 0..4 of the data)');
    rejected(rawFile({ a: t(0, 4), b: t(8, 12) }, new Uint8Array(12)), 'offsets', 'bytes 4..8 of the data belong to no tensor (a gap after "a")');
    rejected(rawFile({ a: t(4, 8) }, new Uint8Array(8)), 'offsets', 'bytes 0..4 of the data belong to no tensor (a gap before the first tensor)');
    rejected(rawFile({ a: t(0, 4) }, new Uint8Array(9)), 'offsets', 'the last 5 bytes of the data belong to no tensor');
  });
});

describe('hostile files: the checksum', () => {
  test('every single-bit flip anywhere in a sealed file is detected (exhaustive)', () => {
    let checksumErrors = 0;
    for (let byte = 0; byte < SEALED.length; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        const bad = SEALED.slice();
        bad[byte] ^= 1 << bit;
        if (rejected(bad, undefined, undefined, { checksum: 'require' }).problem === 'checksum') checksumErrors++;
      }
    }
    // a good share of the flips leave a well-formed file that only the checksum catches
    expect(checksumErrors).toBeGreaterThan(SEALED.length * 2);
  });

  test('a modified value is caught with both checksums in the message', () => {
    const bad = SEALED.slice();
    bad[bad.length - 5] ^= 0x40;
    rejected(bad, 'checksum', /checksum mismatch: the metadata says crc32:[0-9a-f]{8} but the file's bytes give crc32:[0-9a-f]{8}; the file is corrupt or was modified/);
  });

  test.each([
    ['not hex', '{"__metadata__":{"trainkit.checksum":"crc32:zzzzzzzz"}}', /expected "crc32:" and 8 lowercase hex digits/],
    ['another algorithm', '{"__metadata__":{"trainkit.checksum":"md5:0"}}', /expected "crc32:"/],
    ['not in compact form', '{"__metadata__":{"trainkit.checksum" : "crc32:00000000"}}', /not written in the compact form trainkit writes/],
  ])('a malformed checksum entry (%s) is rejected', (_, header, message) => {
    rejected(rawFile(header), 'checksum', message);
  });
});
