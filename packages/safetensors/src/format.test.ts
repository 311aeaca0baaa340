import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { CHECKSUM_KEY, MAX_RANK, SafetensorsError, crc32, parseSafetensors, serializeSafetensors, toFloat32, toTypedArray, type Dtype, type TensorInput } from './index';
import { rawFile } from './__tests__/rawFile';

const ascii = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

describe('serializeSafetensors: the layout', () => {
  test('a hand-checked file: u64 header length, space-padded JSON header, contiguous little-endian data', () => {
    const bytes = serializeSafetensors({ w: { shape: [2], data: Float32Array.of(1, -2) }, n: { dtype: 'I64', shape: [], data: [3] } });
    const header = '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"n":{"dtype":"I64","shape":[],"data_offsets":[8,16]}}';
    // 8 prefix + 107 header bytes = 115 → 5 spaces of padding, so the data starts at byte 120 (a multiple of 8)
    expect(header.length).toBe(107);
    expect(new DataView(bytes.buffer).getBigUint64(0, true)).toBe(112n);
    expect(ascii(bytes.subarray(8, 120))).toBe(header + ' '.repeat(5));
    expect([...bytes.subarray(120)]).toEqual([0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, 3, 0, 0, 0, 0, 0, 0, 0]); // 1.0f, -2.0f, 3n
    expect(bytes.length).toBe(136);
  });

  test('metadata comes first in the header; tensors keep the order given, also for integer-like names', () => {
    const bytes = serializeSafetensors([['b', { shape: [1], data: [1] }], ['10', { shape: [1], data: [2] }], ['2', { shape: [1], data: [3] }]], { metadata: { format: 'pt' } });
    const file = parseSafetensors(bytes);
    expect(ascii(bytes.subarray(8, 44))).toMatch(/^\{"__metadata__":\{"format":"pt"\},"b"/);
    expect([...file.tensors.keys()]).toEqual(['b', '10', '2']);
    expect(file.metadata).toEqual({ format: 'pt' });
  });

  test('an empty file has the header "{}" padded to 8 bytes', () => {
    const bytes = serializeSafetensors({});
    expect(ascii(bytes.subarray(8))).toBe('{}      ');
    expect(parseSafetensors(bytes).tensors.size).toBe(0);
  });

  test('refuses what it cannot write faithfully, naming the tensor', () => {
    const write = (t: TensorInput) => () => serializeSafetensors({ t });
    expect(write({ shape: [2, 2], data: [1, 2, 3] })).toThrow('safetensors: tensor "t": shape [2, 2] has 4 elements but the data has 3');
    expect(write({ dtype: 'I32', shape: [2], data: [1, 2.5] })).toThrow('tensor "t": element 1 is 2.5, which I32 cannot hold (integers in -2147483648..2147483647)');
    expect(write({ dtype: 'U8', shape: [1], data: [256] })).toThrow('element 0 is 256, which U8 cannot hold');
    expect(write({ dtype: 'I64', shape: [1], data: [2 ** 60] })).toThrow('which I64 cannot hold');
    expect(write({ dtype: 'F16', shape: [1], data: [1] })).toThrow('writing F16 is not supported; write F32 (or F64)');
    expect(write({ dtype: 'Q4' as Dtype, shape: [1], data: [1] })).toThrow('unknown dtype "Q4"');
    expect(write({ shape: [-1], data: [] })).toThrow('shape must be a list of non-negative integers, got [-1]');
    expect(() => serializeSafetensors({ __metadata__: { shape: [], data: [1] } })).toThrow('cannot be named "__metadata__"');
    expect(() => serializeSafetensors([['a', { shape: [], data: [1] }], ['a', { shape: [], data: [1] }]])).toThrow('two tensors are named "a"');
    expect(() => serializeSafetensors({}, { metadata: { [CHECKSUM_KEY]: 'x' } })).toThrow('is reserved; pass { checksum: true }');
    expect(() => serializeSafetensors({ '': { shape: [], data: [1] } })).toThrow('a tensor name is empty; readers refuse empty names');
    expect(() => serializeSafetensors({ 'a\ud800': { shape: [], data: [1] } })).toThrow('tensor name "a\\ud800" holds a lone UTF-16 surrogate');
    expect(() => serializeSafetensors({}, { metadata: { k: '\udc00' } })).toThrow('metadata["k"] holds a lone UTF-16 surrogate');
  });

  test(`writes a shape of up to ${MAX_RANK} dimensions (what the parser accepts) and refuses more, naming the tensor`, () => {
    const ones = (n: number) => new Array<number>(n).fill(1);
    const bytes = serializeSafetensors({ deep: { shape: ones(MAX_RANK), data: [1] } });
    expect(parseSafetensors(bytes).tensors.get('deep')!.shape).toHaveLength(MAX_RANK);
    const write = () => serializeSafetensors({ 'too.deep': { shape: ones(MAX_RANK + 1), data: [1] } });
    expect(write).toThrow(`safetensors: tensor "too.deep": shape has ${MAX_RANK + 1} dimensions, more than the ${MAX_RANK} readers accept; reshape it to at most ${MAX_RANK} dimensions`);
    expect(write).toThrow(expect.objectContaining({ problem: 'shape' }));
  });

  test('refuses a finite value too large for F32 (it would become Infinity), naming the tensor, element, value and dtype', () => {
    const write = (data: TensorInput['data'], dtype?: Dtype) => () => serializeSafetensors({ 'fc.bias': { dtype, shape: [data.length], data } });
    expect(write(Float64Array.of(1, 1e300))).toThrow('safetensors: tensor "fc.bias": element 1 is 1e+300, which F32 cannot hold (finite values up to ±3.4028234663852886e+38, it would become Infinity); write the tensor as F64, or scale the values');
    expect(write([0, 0, -1e39], 'F32')).toThrow('element 2 is -1e+39, which F32 cannot hold (finite values up to ±3.4028234663852886e+38, it would become -Infinity)');
    expect(write([-1e39])).toThrow(expect.objectContaining({ problem: 'value' }));
    // what F32 can hold is written: its largest finite value, values that round down to it, ±Infinity and NaN
    const f32max = 3.4028234663852886e38;
    const edge = [f32max, -3.4028235e38, Infinity, -Infinity, NaN];
    expect(Array.from(toFloat32(parseSafetensors(write(edge)()).tensors.get('fc.bias')!))).toEqual([f32max, -f32max, Infinity, -Infinity, NaN]);
    // F64 holds every number
    expect(toTypedArray(parseSafetensors(write([1e300], 'F64')()).tensors.get('fc.bias')!)).toEqual(Float64Array.of(1e300));
  });

  test('metadata given is written even when empty, and a file read and written again keeps its bytes', () => {
    const t = { x: { shape: [1], data: [1] } };
    const withEmpty = serializeSafetensors(t, { metadata: {} });
    expect(ascii(withEmpty)).toContain('{"__metadata__":{},"x"');
    expect(ascii(serializeSafetensors(t))).not.toContain('__metadata__');
    const file = parseSafetensors(withEmpty);
    const again = serializeSafetensors([...file.tensors].map(([n, v]) => [n, { dtype: v.dtype, shape: v.shape, data: toTypedArray(v) as Float32Array }] as const), { metadata: file.metadata });
    expect(again).toEqual(withEmpty);
  });

  test('a checksummed file read and written again with its metadata and { checksum: true } gets a fresh checksum', () => {
    const sealed = serializeSafetensors({ x: { shape: [2], data: [1, 2] } }, { metadata: { format: 'pt' }, checksum: true });
    const file = parseSafetensors(sealed);
    const x = file.tensors.get('x')!;
    expect(serializeSafetensors({ x: { shape: x.shape, data: toFloat32(x) } }, { metadata: file.metadata, checksum: true })).toEqual(sealed);
    const changed = serializeSafetensors({ x: { shape: [2], data: [1, 3] } }, { metadata: file.metadata, checksum: true });
    expect(parseSafetensors(changed, { checksum: 'require' }).checksum).toBe('verified');
  });
});

describe('parseSafetensors ∘ serializeSafetensors', () => {
  const writable: Array<{ dtype: Dtype; value: fc.Arbitrary<number> }> = [
    { dtype: 'F32', value: fc.float({ noNaN: true }) },
    { dtype: 'F64', value: fc.double({ noNaN: true }) },
    { dtype: 'I64', value: fc.maxSafeInteger() },
    { dtype: 'U64', value: fc.maxSafeNat() },
    { dtype: 'I32', value: fc.integer() },
    { dtype: 'U32', value: fc.integer({ min: 0, max: 2 ** 32 - 1 }) },
    { dtype: 'I16', value: fc.integer({ min: -32768, max: 32767 }) },
    { dtype: 'U16', value: fc.integer({ min: 0, max: 65535 }) },
    { dtype: 'I8', value: fc.integer({ min: -128, max: 127 }) },
    { dtype: 'U8', value: fc.integer({ min: 0, max: 255 }) },
    { dtype: 'BOOL', value: fc.integer({ min: 0, max: 1 }) },
  ];
  const tensor = fc.oneof(...writable.map(({ dtype, value }) =>
    fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }).chain((shape) => {
      const n = shape.reduce((a, b) => a * b, 1);
      return fc.record({ dtype: fc.constant(dtype), shape: fc.constant(shape), data: fc.array(value, { minLength: n, maxLength: n }) });
    }),
  ));
  const name = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'conv1.weight', '0', 'ünïcødé 🎉', '"quoted"\\'));
  const files = fc.uniqueArray(fc.tuple(name.filter((n) => n !== '__metadata__' && n !== ''), tensor), { selector: ([n]) => n, maxLength: 6 });
  const metadata = fc.dictionary(fc.string({ maxLength: 8 }).filter((k) => k !== CHECKSUM_KEY), fc.string({ maxLength: 20 }), { maxKeys: 3 });

  test.prop([files, metadata, fc.boolean()], { numRuns: 300 })('gives back every name, dtype, shape, value and metadata entry, in order', (entries, meta, checksum) => {
    const bytes = serializeSafetensors(entries, { metadata: meta, checksum });
    const file = parseSafetensors(bytes, { checksum: checksum ? 'require' : 'verify' });
    expect([...file.tensors.keys()]).toEqual(entries.map(([n]) => n));
    for (const [n, t] of entries) {
      const v = file.tensors.get(n)!;
      expect([v.dtype, v.shape]).toEqual([t.dtype, t.shape]);
      const back = toTypedArray(v);
      expect(Array.from(back, Number)).toEqual(t.data.map((x) => (Object.is(x, -0) && !t.dtype.startsWith('F') ? 0 : x)));
      expect(Array.from(toFloat32(v))).toEqual(t.data.map((x) => Math.fround(x)));
    }
    expect({ ...file.metadata }).toEqual(checksum ? { ...meta, [CHECKSUM_KEY]: expect.stringMatching(/^crc32:[0-9a-f]{8}$/) } : meta);
    expect(file.checksum).toBe(checksum ? 'verified' : 'absent');
  });

  test('float32 values come back bit for bit, including NaN payloads, -0 and ±Infinity', () => {
    const bits = Uint32Array.of(0x7fc00001, 0xffc12345, 0x80000000, 0x7f800000, 0xff800000, 0x00000001);
    const bytes = serializeSafetensors({ x: { shape: [6], data: new Float32Array(bits.buffer) } });
    expect(new Uint32Array(toFloat32(parseSafetensors(bytes).tensors.get('x')!).buffer)).toEqual(bits);
  });

  test('tensors are views into the file (parsing copies nothing); the conversions return copies', () => {
    const bytes = serializeSafetensors({ x: { shape: [2], data: [1, 2] } });
    const v = parseSafetensors(bytes).tensors.get('x')!;
    expect(v.bytes.buffer).toBe(bytes.buffer);
    const f = toFloat32(v);
    f[0] = 9;
    expect(toFloat32(v)[0]).toBe(1);
  });

  test('parses a file that starts at an odd offset inside a larger buffer', () => {
    const inner = serializeSafetensors({ x: { shape: [3], data: [1.5, 2.5, 3.5] }, i: { dtype: 'I64', shape: [1], data: [7] } });
    const outer = new Uint8Array(inner.length + 3);
    outer.set(inner, 3);
    const file = parseSafetensors(outer.subarray(3));
    expect(Array.from(toFloat32(file.tensors.get('x')!))).toEqual([1.5, 2.5, 3.5]);
    expect(toTypedArray(file.tensors.get('i')!)).toEqual(BigInt64Array.of(7n));
  });
});

describe('reading dtypes trainkit does not write', () => {
  test('F16 and BF16 convert exactly: normals, subnormals, ±0, ±Infinity, NaN', () => {
    // F16 bits: 1.0 = 0x3c00, -2.5 = 0xc100, 65504 (max) = 0x7bff, 2^-24 (smallest subnormal) = 0x0001, -0 = 0x8000, +Inf = 0x7c00, NaN = 0x7e00
    const f16 = Uint16Array.of(0x3c00, 0xc100, 0x7bff, 0x0001, 0x8000, 0x7c00, 0x7e00);
    // BF16 bits are the top half of float32: 1.0 = 0x3f80, -2.5 = 0xc020, 3.140625 = 0x4049, 2^-133 (subnormal) = 0x0001, -0 = 0x8000, -Inf = 0xff80, NaN = 0x7fc0
    const bf16 = Uint16Array.of(0x3f80, 0xc020, 0x4049, 0x0001, 0x8000, 0xff80, 0x7fc0);
    const file = parseSafetensors(rawFile({ h: { dtype: 'F16', shape: [7], data_offsets: [0, 14] }, b: { dtype: 'BF16', shape: [7], data_offsets: [14, 28] } }, new Uint8Array([...new Uint8Array(f16.buffer), ...new Uint8Array(bf16.buffer)])));
    expect(Array.from(toFloat32(file.tensors.get('h')!))).toEqual([1, -2.5, 65504, 2 ** -24, -0, Infinity, NaN]);
    expect(Array.from(toFloat32(file.tensors.get('b')!))).toEqual([1, -2.5, 3.140625, 2 ** -133, -0, -Infinity, NaN]);
    expect(toTypedArray(file.tensors.get('h')!)).toBeInstanceOf(Float32Array);
  });

  test('F16 and BF16 NaNs keep their sign and payload in float32, as numpy and torch widen them', () => {
    // F16: a NaN with payload 1, -NaN, -Inf; BF16: -NaN with payload, NaN with the lowest payload bit
    const f16 = Uint16Array.of(0x7e01, 0xfe00, 0xfc00);
    const bf16 = Uint16Array.of(0xffc1, 0x7f81);
    const file = parseSafetensors(rawFile({ h: { dtype: 'F16', shape: [3], data_offsets: [0, 6] }, b: { dtype: 'BF16', shape: [2], data_offsets: [6, 10] } }, new Uint8Array([...new Uint8Array(f16.buffer), ...new Uint8Array(bf16.buffer)])));
    // numpy: np.array([0x7e01, 0xfe00, 0xfc00], np.uint16).view(np.float16).astype(np.float32).view(np.uint32)
    expect(new Uint32Array(toFloat32(file.tensors.get('h')!).buffer)).toEqual(Uint32Array.of(0x7fc02000, 0xffc00000, 0xff800000));
    expect(new Uint32Array(toFloat32(file.tensors.get('b')!).buffer)).toEqual(Uint32Array.of(0xffc10000, 0x7f810000));
  });

  test('a BOOL byte other than 0 or 1 is refused when the file is parsed, so that a parsed file always converts', () => {
    const bools = (...bytes: number[]) => rawFile({ m: { dtype: 'BOOL', shape: [bytes.length], data_offsets: [0, bytes.length] } }, Uint8Array.from(bytes));
    expect(() => parseSafetensors(bools(1, 0, 2))).toThrow('tensor "m" is BOOL but element 2 is 2 (expected 0 or 1)');
    expect(() => parseSafetensors(bools(0xff))).toThrow(expect.objectContaining({ problem: 'value' }));
    expect(Array.from(toFloat32(parseSafetensors(bools(1, 0, 1)).tensors.get('m')!))).toEqual([1, 0, 1]);
  });
});

describe('checksum', () => {
  test('is the CRC-32 of the whole file with its own 8 hex digits written as zeros', () => {
    const bytes = serializeSafetensors({ x: { shape: [1], data: [1] } }, { checksum: true });
    const text = ascii(bytes);
    const at = text.indexOf('"trainkit.checksum":"crc32:') + 27;
    const stored = text.slice(at, at + 8);
    const zeroed = bytes.slice();
    zeroed.set(new TextEncoder().encode('00000000'), at);
    expect(stored).toBe(crc32(zeroed).toString(16).padStart(8, '0'));
  });

  test('crc32 is the standard one (the check value of "123456789" is cbf43926)', () => {
    expect(crc32(new TextEncoder().encode('123456789')).toString(16)).toBe('cbf43926');
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  test("'require' rejects a file without one; 'ignore' skips verification", () => {
    const plain = serializeSafetensors({ x: { shape: [1], data: [1] } });
    expect(() => parseSafetensors(plain, { checksum: 'require' })).toThrow('the file has no trainkit.checksum in its metadata, and a checksum is required');
    const sealed = serializeSafetensors({ x: { shape: [1], data: [1] } }, { checksum: true });
    sealed[sealed.length - 1] ^= 1;
    expect(() => parseSafetensors(sealed)).toThrow(SafetensorsError);
    expect(parseSafetensors(sealed, { checksum: 'ignore' }).checksum).toBe('absent');
  });
});
