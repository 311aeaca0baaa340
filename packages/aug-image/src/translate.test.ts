import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { Rng } from '@trainkit/tensor';
import { randomTranslate } from './translate';
import { at, dot, images, replay, run, whereIsOne, withinRange } from './__tests__/helpers';

const shape = { n: 1, c: 1, h: 7, w: 9 };

describe('randomTranslate: the convention', () => {
  test('translate (dx, dy) = (2, 0) moves the content 2 px right; (0, 1) moves it 1 px down', () => {
    const t = randomTranslate({ max: 2 });
    expect(whereIsOne(replay(t, dot(shape, 3, 4), [{ dx: 2, dy: 0 }]).out, shape)).toEqual([3, 6]);
    expect(whereIsOne(replay(t, dot(shape, 3, 4), [{ dx: 0, dy: 1 }]).out, shape)).toEqual([4, 4]);
    expect(whereIsOne(replay(t, dot(shape, 3, 4), [{ dx: -2, dy: -1 }]).out, shape)).toEqual([2, 2]);
  });

  test('vacated pixels take the fill value; content moved past the border is dropped', () => {
    const ones = { shape, data: new Float32Array(63).fill(1) };
    const { out } = replay(randomTranslate({ max: 2, fill: 0.5 }), ones, [{ dx: 2, dy: -1 }]);
    expect([at(out, shape, 0, 0, 0, 0), at(out, shape, 0, 0, 0, 1), at(out, shape, 0, 0, 0, 2)]).toEqual([0.5, 0.5, 1]);
    expect(at(out, shape, 0, 0, 6, 5)).toBe(0.5); // last row came from below the image
    expect(whereIsOne(replay(randomTranslate({ max: 2 }), dot(shape, 3, 8), [{ dx: 1, dy: 0 }]).out, shape)).toBeNull();
  });

  test('shifts are whole pixels, uniform over [−max, max] in each axis', () => {
    const t = randomTranslate({ max: [2, 1] });
    const draws = t.draw(new Rng(3), { n: 5000, c: 1, h: 4, w: 4 });
    const dx = new Map<number, number>();
    for (const d of draws) dx.set(d!.dx, (dx.get(d!.dx) ?? 0) + 1);
    expect([...dx.keys()].sort()).toEqual([-1, -2, 0, 1, 2]);
    for (const count of dx.values()) expect(Math.abs(count - 1000)).toBeLessThan(150);
    expect(new Set(draws.map((d) => d!.dy))).toEqual(new Set([-1, 0, 1]));
  });
});

describe('randomTranslate: laws', () => {
  test.prop([images(), fc.double({ min: -2, max: 2, noNaN: true })])('translation by 0 is the identity', (img, fill) => {
    expect(run(randomTranslate({ max: 0, fill }), img).out).toEqual(img.data);
  });

  test.prop([images(), fc.integer({ min: -4, max: 4 }), fc.integer({ min: -4, max: 4 })])(
    'out[y][x] = in[y − dy][x − dx] where that exists, fill elsewhere',
    (img, dx, dy) => {
      const { out } = replay(randomTranslate({ max: 4, fill: -1 }), img, Array.from({ length: img.shape.n }, () => ({ dx, dy })));
      const s = img.shape;
      for (let i = 0; i < s.n; i++)
        for (let ch = 0; ch < s.c; ch++)
          for (let y = 0; y < s.h; y++)
            for (let x = 0; x < s.w; x++) {
              const [sy, sx] = [y - dy, x - dx];
              const want = sy >= 0 && sy < s.h && sx >= 0 && sx < s.w ? at(img.data, s, i, ch, sy, sx) : -1;
              expect(at(out, s, i, ch, y, x)).toBe(want);
            }
    },
  );

  test.prop([images(), fc.nat(3), fc.integer({ min: 0, max: 2 ** 32 - 1 })])('outputs stay within the input range plus fill', (img, max, seed) => {
    expect(withinRange(img.data, run(randomTranslate({ max, fill: 2 }), img, new Rng(seed)).out, [2])).toBe(true);
  });
});
