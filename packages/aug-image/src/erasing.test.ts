import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { Rng } from '@trainkit/tensor';
import { randomErasing } from './erasing';
import { cutout } from './cutout';
import { at, images, replay, run } from './__tests__/helpers';
import type { RectParams } from './erasing';
import type { Images } from './__tests__/helpers';

/** Pixels inside the rectangle hold `value`; every other pixel is the input's. */
function onlyRectChanged(img: Images, out: Float32Array, rects: ReadonlyArray<RectParams | null>, value: number): void {
  const s = img.shape;
  rects.forEach((r, i) => {
    for (let ch = 0; ch < s.c; ch++)
      for (let y = 0; y < s.h; y++)
        for (let x = 0; x < s.w; x++) {
          const inside = r !== null && y >= r.top && y < r.top + r.height && x >= r.left && x < r.left + r.width;
          expect(at(out, s, i, ch, y, x)).toBe(inside ? Math.fround(value) : at(img.data, s, i, ch, y, x));
        }
  });
}

describe('randomErasing', () => {
  test.prop([images({ minSide: 3 }), fc.integer({ min: 0, max: 2 ** 32 - 1 })])('only the drawn rectangle changes, to the erasing value', (img, seed) => {
    const { out, params } = run(randomErasing({ p: 0.7, value: 0.25 }), img, new Rng(seed));
    onlyRectChanged(img, out, params, 0.25);
  });

  test('rectangles cover a fraction `scale` of the image (when one fits)', () => {
    const draws = randomErasing({ p: 1, scale: [0.1, 0.2] }).draw(new Rng(1), { n: 1000, c: 1, h: 100, w: 100 });
    for (const r of draws) {
      expect(r!.height * r!.width).toBeGreaterThan(900);
      expect(r!.height * r!.width).toBeLessThan(2150);
    }
  });

  test('p defaults to 0.5 as in torchvision; an image too small for any rectangle is left as it is', () => {
    const draws = randomErasing().draw(new Rng(1), { n: 2000, c: 1, h: 28, w: 28 });
    expect(draws.filter((d) => d !== null).length / 2000).toBeCloseTo(0.5, 1);
    expect(randomErasing({ p: 1 }).draw(new Rng(1), { n: 3, c: 1, h: 1, w: 1 })).toEqual(Array(3).fill({ top: 0, left: 0, height: 0, width: 0 }));
  });

  test('options are validated', () => {
    expect(() => randomErasing({ p: 2 })).toThrow('aug-image: randomErasing: p must be a probability in [0, 1], got 2');
    expect(() => randomErasing({ scale: [-0.1, 0.2] })).toThrow('aug-image: randomErasing: scale must lie within [0, 1], got [-0.1, 0.2]');
    expect(() => randomErasing({ value: NaN })).toThrow('aug-image: randomErasing: value must be a finite number');
  });
});

describe('randomErasing and cutout: replayed rectangles', () => {
  const img = { shape: { n: 2, c: 1, h: 4, w: 4 }, data: new Float32Array(32).fill(0.5) };
  const one = (r: RectParams): RectParams[] => [r, { top: 0, left: 0, height: 0, width: 0 }];

  test.each([
    ['randomErasing', () => randomErasing({ p: 1, value: -1 })],
    ['cutout', () => cutout({ size: 2, value: -1 })],
  ] as const)('%s refuses a rectangle outside the image instead of writing into the next row or image', (name, make) => {
    const msg = (r: string) => `aug-image: ${name}: the rectangle (${r}) does not fit the 4×4 image`;
    expect(() => replay(make(), img, one({ top: 3, left: 0, height: 2, width: 1 }))).toThrow(msg('top 3, left 0, 2×1'));
    expect(() => replay(make(), img, one({ top: 0, left: 3, height: 1, width: 2 }))).toThrow(msg('top 0, left 3, 1×2'));
    expect(() => replay(make(), img, one({ top: -1, left: 0, height: 1, width: 1 }))).toThrow(msg('top -1, left 0, 1×1'));
    expect(() => replay(make(), img, one({ top: 0.5, left: 0, height: 1, width: 1 }))).toThrow(msg('top 0.5, left 0, 1×1'));
    expect(replay(make(), img, one({ top: 2, left: 2, height: 2, width: 2 })).out.filter((v) => v === -1)).toHaveLength(4);
  });
});

describe('cutout', () => {
  test.prop([images(), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 2 ** 32 - 1 })])(
    'the hole is a clipped size × size square around a pixel of the image, filled with the value',
    (img, size, seed) => {
      const { out, params } = run(cutout({ size, value: -1 }), img, new Rng(seed));
      for (const r of params) {
        expect(r!.height).toBeLessThanOrEqual(size);
        expect(r!.width).toBeLessThanOrEqual(size);
        expect(r!.height).toBeGreaterThanOrEqual(Math.min(img.shape.h, Math.ceil(size / 2)));
        expect(r!.top + r!.height).toBeLessThanOrEqual(img.shape.h);
      }
      onlyRectChanged(img, out, params, -1);
    },
  );

  test('options are validated', () => {
    expect(() => cutout({ size: -4 })).toThrow('aug-image: cutout: size must be a positive integer or a pair [height, width] of them, got -4');
  });
});
