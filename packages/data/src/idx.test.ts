import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { encodeIdx } from './__tests__/encodeIdx';
import { IdxError, type IdxType, parseIdx } from './idx';

/** Values exactly representable in each IDX type. */
const VALUES: Record<IdxType, fc.Arbitrary<number>> = {
  uint8: fc.integer({ min: 0, max: 255 }),
  int8: fc.integer({ min: -128, max: 127 }),
  int16: fc.integer({ min: -32768, max: 32767 }),
  int32: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  float32: fc.float({ noNaN: true }),
  float64: fc.double({ noNaN: true }),
};

/** Any type, a small shape (rank 0–4, dimensions 0–4) and values filling it. */
const idxArray = fc
  .record({ type: fc.constantFrom(...(Object.keys(VALUES) as IdxType[])), shape: fc.array(fc.nat(4), { maxLength: 4 }) })
  .chain(({ type, shape }) => {
    const size = shape.reduce((a, b) => a * b, 1);
    return fc.record({
      type: fc.constant(type),
      shape: fc.constant(shape),
      values: fc.array(VALUES[type], { minLength: size, maxLength: size }),
    });
  });

const parse = (bytes: ArrayLike<number>): unknown => parseIdx(Uint8Array.from(bytes), 'test.idx');

describe('parseIdx', () => {
  test.prop([idxArray])('parseIdx(encodeIdx(type, shape, values)) returns the same type, shape and values', ({ type, shape, values }) => {
    const parsed = parseIdx(encodeIdx(type, shape, values));
    expect(parsed.type).toBe(type);
    expect(parsed.shape).toEqual(shape);
    expect(Array.from(parsed.data)).toEqual(values);
  });

  test.prop([idxArray, fc.nat(16)])('parsing bytes at a non-zero offset of a larger buffer gives the same result', ({ type, shape, values }, pad) => {
    const bytes = encodeIdx(type, shape, values);
    const big = new Uint8Array(pad + bytes.length);
    big.set(bytes, pad);
    expect(Array.from(parseIdx(big.subarray(pad)).data)).toEqual(values);
  });

  test('decodes big-endian multi-byte elements (MNIST-style header, int16 / float32 bodies)', () => {
    const int16 = parseIdx(Uint8Array.of(0, 0, 0x0b, 1, 0, 0, 0, 2, 0x01, 0x02, 0xff, 0xfe));
    expect(int16).toEqual({ type: 'int16', shape: [2], data: Int16Array.of(0x0102, -2) });
    const f32 = parseIdx(Uint8Array.of(0, 0, 0x0d, 1, 0, 0, 0, 1, 0x3f, 0x80, 0, 0));
    expect(Array.from(f32.data)).toEqual([1]);
  });

  test('the returned data does not alias the input bytes', () => {
    const bytes = encodeIdx('uint8', [2], [7, 8]);
    const parsed = parseIdx(bytes);
    bytes[bytes.length - 1] = 0;
    expect(Array.from(parsed.data)).toEqual([7, 8]);
  });
});

describe('parseIdx errors name the source and the problem', () => {
  test('fewer than 4 bytes is a truncated header', () => {
    expect(() => parse([0, 0, 8])).toThrow(new IdxError('parseIdx(test.idx): truncated header: expected at least 4 bytes (magic number), found 3'));
  });

  test('non-zero first bytes are a wrong magic number, and the bytes found are printed', () => {
    expect(() => parse([0x50, 0x4b, 0x03, 0x04, 0, 0])).toThrow('parseIdx(test.idx): wrong magic number: expected 00 00 <type> <rank>, found 50 4b 03 04');
  });

  test('a gzip file gets a hint to gunzip it first', () => {
    expect(() => parse([0x1f, 0x8b, 0x08, 0x00])).toThrow(/found 1f 8b 08 00; this looks gzip-compressed, gunzip it first/);
  });

  test('an unknown type code is named, with the valid ones', () => {
    expect(() => parse([0, 0, 0x0a, 1, 0, 0, 0, 0])).toThrow(/test\.idx\): unknown data type code 0x0a; expected one of 0x08 \(uint8\), 0x09 \(int8\)/);
  });

  test('fewer dimension bytes than the rank needs is a truncated header', () => {
    expect(() => parse([0, 0, 8, 3, 0, 0, 0, 1, 0, 0])).toThrow('parseIdx(test.idx): truncated header: rank 3 needs 16 header bytes, found 10');
  });

  test('fewer data bytes than the dimensions describe is truncated data: "expected N bytes of data, found M"', () => {
    const bytes = encodeIdx('int16', [2, 3], [1, 2, 3, 4, 5, 6]).subarray(0, -3);
    expect(() => parseIdx(bytes, 'x.idx')).toThrow('parseIdx(x.idx): truncated data: dimensions [2, 3] of int16: expected 12 bytes of data, found 9');
  });

  test('bytes after the data are trailing garbage', () => {
    const bytes = Uint8Array.from([...encodeIdx('uint8', [2], [1, 2]), 9, 9]);
    expect(() => parseIdx(bytes, 'x.idx')).toThrow('parseIdx(x.idx): trailing garbage: 2 bytes after the 2 bytes of data that dimensions [2] describe');
  });

  test('absurd dimensions are rejected before anything is allocated', () => {
    // 0xffffffff × 0xffffffff × 8 bytes: far beyond any typed array; the file is 20 bytes.
    const bytes = encodeIdx('float64', [0xffffffff, 0xffffffff], []);
    expect(() => parseIdx(bytes, 'x.idx')).toThrow(/parseIdx\(x\.idx\): absurd dimensions \[4294967295, 4294967295\]: .* the file has 0/);
    expect(() => parseIdx(encodeIdx('uint8', [0x10000, 0x10001], []), 'y.idx')).toThrow(/absurd dimensions/);
  });

  test.prop([idxArray, fc.nat()])('every strict prefix of a valid file is rejected with an IdxError', ({ type, shape, values }, cut) => {
    const bytes = encodeIdx(type, shape, values); // at least the 4 magic bytes
    expect(() => parseIdx(bytes.subarray(0, cut % bytes.length))).toThrow(IdxError);
  });

  test('the default source is <buffer>', () => {
    expect(() => parseIdx(new Uint8Array(0))).toThrow(/^parseIdx\(<buffer>\): truncated header/);
  });
});
