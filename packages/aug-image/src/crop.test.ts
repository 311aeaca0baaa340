import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { Rng } from '@trainkit/tensor';
import { randomCrop } from './crop';
import { randomTranslate } from './translate';
import { at, fromFn, images, replay, run, withinRange } from './__tests__/helpers';

describe('randomCrop', () => {
  test('the window (top, left) of the padded image: out[y][x] = padded[y + top][x + left]', () => {
    const img = fromFn({ n: 1, c: 1, h: 4, w: 4 }, (_i, _c, y, x) => 10 * y + x);
    const { out, shape } = replay(randomCrop({ size: [2, 3], padding: 1, fill: -1 }), img, [{ top: 0, left: 2 }]);
    expect(shape).toEqual({ n: 1, c: 1, h: 2, w: 3 });
    expect(Array.from(out)).toEqual([-1, -1, -1, 1, 2, 3]);
  });

  test.prop([images({ minSide: 2 }), fc.nat(3), fc.integer({ min: 0, max: 2 ** 32 - 1 })])(
    'a full-size crop of a padded image is a translation by (padding − left, padding − top)',
    (img, pad, seed) => {
      const crop = randomCrop({ size: [img.shape.h, img.shape.w], padding: pad, fill: 0.5 });
      const { out, params } = run(crop, img, new Rng(seed));
      const shifts = params.map((d) => ({ dx: pad - d!.left, dy: pad - d!.top }));
      expect(replay(randomTranslate({ max: pad, fill: 0.5 }), img, shifts).out).toEqual(out);
    },
  );

  test.prop([images()])('a crop of the whole image without padding is the identity', (img) => {
    expect(run(randomCrop({ size: [img.shape.h, img.shape.w] }), img).out).toEqual(img.data);
  });

  test.prop([images({ minSide: 3 }), fc.integer({ min: 0, max: 2 ** 32 - 1 })])('outputs come from the input or the fill', (img, seed) => {
    const { out } = run(randomCrop({ size: 2, padding: 2, fill: 3 }), img, new Rng(seed));
    expect(withinRange(img.data, out, [3])).toBe(true);
  });

  test('every window position is drawn, uniformly', () => {
    const draws = randomCrop({ size: 28, padding: 2 }).draw(new Rng(5), { n: 5000, c: 1, h: 28, w: 28 });
    const tops = new Map<number, number>();
    for (const d of draws) tops.set(d!.top, (tops.get(d!.top) ?? 0) + 1);
    expect([...tops.keys()].sort()).toEqual([0, 1, 2, 3, 4]);
    for (const count of tops.values()) expect(Math.abs(count - 1000)).toBeLessThan(150);
  });

  test('a crop larger than the padded image, or a size-changing crop with p < 1, is refused', () => {
    expect(randomCrop({ size: 40, padding: 4 }).outputShape({ n: 1, c: 3, h: 32, w: 32 })).toEqual({ n: 1, c: 3, h: 40, w: 40 });
    expect(() => randomCrop({ size: 41, padding: 4 }).outputShape({ n: 1, c: 3, h: 32, w: 32 })).toThrow(
      'aug-image: randomCrop: the crop 41×41 is larger than the padded image 40×40 (32×32 + 2·4 padding); use a smaller size or more padding',
    );
    expect(() => randomCrop({ size: 24, p: 0.5 }).outputShape({ n: 1, c: 1, h: 28, w: 28 })).toThrow(
      'aug-image: randomCrop: p must be 1 when the output size (24×24) differs from the input\'s (28×28), got p = 0.5',
    );
    expect(() => randomCrop({ size: 0 })).toThrow('aug-image: randomCrop: size must be a positive integer or a pair [height, width] of them, got 0');
    expect(() => randomCrop({ size: 8, padding: -1 })).toThrow('aug-image: randomCrop: padding must be a non-negative integer number of pixels, got -1');
  });

  test('values from the padding are the per-channel fill', () => {
    const img = fromFn({ n: 1, c: 2, h: 2, w: 2 }, () => 5);
    const { out, shape } = replay(randomCrop({ size: 2, padding: 1, fill: [7, 8] }), img, [{ top: 0, left: 0 }]);
    expect([at(out, shape, 0, 0, 0, 0), at(out, shape, 0, 1, 0, 0), at(out, shape, 0, 1, 1, 1)]).toEqual([7, 8, 5]);
  });
});
