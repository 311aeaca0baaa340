import { inflateSync } from 'node:zlib';
import { expect, test } from 'vitest';
import { encodeGrayPng } from './png';

/** The chunks of a PNG file: type, data and the CRC stored after them. */
function chunks(png: Uint8Array): Array<{ type: string; data: Uint8Array; crc: number }> {
  const v = new DataView(png.buffer, png.byteOffset, png.length);
  const out = [];
  for (let o = 8; o < png.length; ) {
    const n = v.getUint32(o);
    out.push({ type: String.fromCharCode(...png.subarray(o + 4, o + 8)), data: png.subarray(o + 8, o + 8 + n), crc: v.getUint32(o + 8 + n) });
    o += 12 + n;
  }
  return out;
}

test('encodeGrayPng writes signature, IHDR, IDAT and IEND with the CRC-32 PNG requires (IEND\'s is always ae426082) and the rows behind filter bytes', () => {
  const pixels = Uint8Array.of(0, 64, 128, 255, 1, 2);
  const png = encodeGrayPng(pixels, 3, 2);
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const [ihdr, idat, iend] = chunks(png);
  expect([ihdr.type, idat.type, iend.type]).toEqual(['IHDR', 'IDAT', 'IEND']);
  expect(iend.crc.toString(16)).toBe('ae426082');
  expect([...ihdr.data]).toEqual([0, 0, 0, 3, 0, 0, 0, 2, 8, 0, 0, 0, 0]);
  expect([...inflateSync(idat.data)]).toEqual([0, 0, 64, 128, 0, 255, 1, 2]);
  expect(() => encodeGrayPng(pixels, 4, 2)).toThrow('encodeGrayPng: 6 pixels for 4×2');
});
