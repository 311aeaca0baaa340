import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { Rng } from '@trainkit/tensor';
import { randomHorizontalFlip, randomVerticalFlip } from './flip';
import { dot, images, replay, run, whereIsOne } from './__tests__/helpers';

describe('flips: the convention', () => {
  const s = { n: 1, c: 1, h: 3, w: 5 };
  test('the horizontal flip mirrors left ↔ right (reverses W): column 0 goes to column W − 1', () => {
    expect(whereIsOne(run(randomHorizontalFlip({ p: 1 }), dot(s, 0, 0)).out, s)).toEqual([0, 4]);
  });
  test('the vertical flip mirrors top ↔ bottom (reverses H): row 0 goes to row H − 1', () => {
    expect(whereIsOne(run(randomVerticalFlip({ p: 1 }), dot(s, 0, 1)).out, s)).toEqual([2, 1]);
  });
});

describe('flips: laws', () => {
  for (const flip of [randomHorizontalFlip, randomVerticalFlip]) {
    test.prop([images()])(`${flip.name} is an involution: flipping twice gives the input back`, (img) => {
      const once = run(flip({ p: 1 }), img).out;
      expect(run(flip({ p: 1 }), { shape: img.shape, data: once }).out).toEqual(img.data);
    });

    test.prop([images(), fc.integer({ min: 0, max: 2 ** 32 - 1 })])(`${flip.name} with p < 1 leaves the undrawn images untouched`, (img, seed) => {
      const { out, params } = run(flip({ p: 0.5 }), img, new Rng(seed));
      const chw = img.shape.c * img.shape.h * img.shape.w;
      params.forEach((d, i) => {
        if (d === null) expect(out.subarray(i * chw, (i + 1) * chw)).toEqual(img.data.subarray(i * chw, (i + 1) * chw));
      });
    });
  }

  test('p is the probability per image (default 0.5)', () => {
    const draws = randomHorizontalFlip().draw(new Rng(9), { n: 4000, c: 1, h: 1, w: 1 });
    expect(draws.filter((d) => d !== null).length / 4000).toBeCloseTo(0.5, 1);
    expect(randomVerticalFlip({ p: 0 }).draw(new Rng(9), { n: 10, c: 1, h: 1, w: 1 }).every((d) => d === null)).toBe(true);
  });

  test('a replayed draw gives the same output as the original', () => {
    const img = dot({ n: 2, c: 1, h: 3, w: 3 }, 0, 0);
    const { out, params } = run(randomHorizontalFlip(), img, new Rng(4));
    expect(replay(randomHorizontalFlip(), img, JSON.parse(JSON.stringify(params))).out).toEqual(out);
  });
});
