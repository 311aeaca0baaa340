// A JPEG's EXIF orientation set to 1 in place, so the browser decodes it unrotated as sharp does
// (the pixels themselves are compared with @trainkit/data/node's in imageFolder.web.test.ts).
import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import { withUprightExif } from './exif';

const jpeg = (orientation?: number) => {
  const img = sharp({ create: { width: 4, height: 2, channels: 3, background: { r: 9, g: 99, b: 199 } } }).jpeg();
  return (orientation === undefined ? img : img.withMetadata({ orientation })).toBuffer();
};

describe('withUprightExif', () => {
  test.each([2, 3, 5, 6, 8])('a JPEG with orientation %i gets orientation 1 and otherwise the same bytes', async (orientation) => {
    const bytes = new Uint8Array(await jpeg(orientation));
    const upright = withUprightExif(bytes);
    expect(upright).not.toBeNull();
    expect((await sharp(upright as Uint8Array).metadata()).orientation).toBe(1);
    expect([...(upright as Uint8Array)].filter((b, i) => b !== bytes[i])).toHaveLength(1);
  });

  test('a JPEG without Exif or already upright, a PNG and a few garbage bytes are left alone (null)', async () => {
    expect(withUprightExif(new Uint8Array(await jpeg()))).toBeNull();
    expect(withUprightExif(new Uint8Array(await jpeg(1)))).toBeNull();
    expect(withUprightExif(new Uint8Array(await sharp({ create: { width: 2, height: 2, channels: 3, background: 'red' } }).png().toBuffer()))).toBeNull();
    expect(withUprightExif(Uint8Array.of(0xff, 0xd8, 0xff, 0xe1, 0x00))).toBeNull();
  });
});
