import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { Rng } from '@trainkit/tensor';
import { randomResizedCrop } from './resizedCrop';
import { fromFn, images, replay, run, withinRange } from './__tests__/helpers';

describe('randomResizedCrop', () => {
  test('bilinear resizing samples like PyTorch with align_corners=False', () => {
    // a 1×2 row [0, 1] stretched to 1×4 reads the source at x = −0.25→0, 0.25, 0.75, 1.25→1
    const img = fromFn({ n: 1, c: 1, h: 1, w: 2 }, (_i, _c, _y, x) => x);
    const { out } = replay(randomResizedCrop({ size: [1, 4] }), img, [{ top: 0, left: 0, height: 1, width: 2 }]);
    expect(Array.from(out)).toEqual([0, 0.25, 0.75, 1]);
  });

  test('a 2×2 window of a 4×4 image blown up to 4×4 is a 2× zoom of that corner', () => {
    const img = fromFn({ n: 1, c: 1, h: 4, w: 4 }, (_i, _c, y, x) => (y < 2 && x < 2 ? 10 * y + x : 99));
    const { out } = replay(randomResizedCrop(), img, [{ top: 0, left: 0, height: 2, width: 2 }]);
    expect(Array.from(out.subarray(0, 4))).toEqual([0, 0.25, 0.75, 1]);
    expect(Math.max(...out)).toBe(11);
  });

  test.prop([images()])('the whole image resized to its own size is the identity', (img) => {
    const { out } = replay(randomResizedCrop(), img, Array.from({ length: img.shape.n }, () => ({ top: 0, left: 0, height: img.shape.h, width: img.shape.w })));
    expect(out).toEqual(img.data);
  });

  test.prop([images(), fc.integer({ min: 0, max: 2 ** 32 - 1 })])('windows fit the image and outputs stay within the input range', (img, seed) => {
    const t = randomResizedCrop({ size: [5, 7] });
    const { out, params, shape } = run(t, img, new Rng(seed));
    expect(shape).toEqual({ ...img.shape, h: 5, w: 7 });
    for (const d of params) {
      expect(d!.top + d!.height).toBeLessThanOrEqual(img.shape.h);
      expect(d!.left + d!.width).toBeLessThanOrEqual(img.shape.w);
      expect(Math.min(d!.top, d!.left, d!.height - 1, d!.width - 1)).toBeGreaterThanOrEqual(0);
    }
    expect(withinRange(img.data, out)).toBe(true);
  });

  test('on a large image the window area lies within scale and its aspect ratio within ratio', () => {
    const draws = randomResizedCrop({ scale: [0.25, 0.5], ratio: [0.5, 2] }).draw(new Rng(2), { n: 2000, c: 1, h: 200, w: 200 });
    for (const d of draws) {
      const area = (d!.height * d!.width) / 40000;
      expect(area).toBeGreaterThan(0.24);
      expect(area).toBeLessThan(0.51);
      expect(d!.width / d!.height).toBeGreaterThan(0.48);
      expect(d!.width / d!.height).toBeLessThan(2.05);
    }
  });

  test('options are validated', () => {
    expect(() => randomResizedCrop({ scale: [0.5, 1.5] })).toThrow('aug-image: randomResizedCrop: scale must lie within [0, 1], got [0.5, 1.5]');
    expect(() => randomResizedCrop({ ratio: [2, 1] })).toThrow('aug-image: randomResizedCrop: ratio must have lo ≤ hi, got [2, 1]');
    expect(() => randomResizedCrop({ ratio: [0, 1] })).toThrow('aug-image: randomResizedCrop: ratio must be positive, got [0, 1]');
    expect(() => randomResizedCrop({ scale: [0, 0] })).toThrow('aug-image: randomResizedCrop: scale must allow a non-empty crop, got [0, 0]');
    expect(() => randomResizedCrop({ size: 16, p: 0.5 }).outputShape({ n: 1, c: 1, h: 28, w: 28 })).toThrow('p must be 1 when the output size (16×16)');
  });
});
