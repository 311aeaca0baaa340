import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { Rng } from '@trainkit/tensor';
import { randomRotation } from './rotation';
import { randomHorizontalFlip, randomVerticalFlip } from './flip';
import { at, dot, fromFn, images, replay, run, transpose, whereIsOne, withinRange } from './__tests__/helpers';

const rotateBy = (angle: number, fill = 0) => {
  const t = randomRotation({ degrees: [angle, angle], fill });
  return (img: { shape: { n: number; c: number; h: number; w: number }; data: Float32Array }) => run(t, img).out;
};
const flipH = randomHorizontalFlip({ p: 1 });
const flipV = randomVerticalFlip({ p: 1 });

describe('randomRotation: the convention (as torchvision: positive = counter-clockwise as displayed)', () => {
  const s = { n: 1, c: 1, h: 5, w: 5 };

  test('+90° sends the top-right corner to the top-left, the top-left to the bottom-left', () => {
    expect(whereIsOne(rotateBy(90)(dot(s, 0, 4)), s)).toEqual([0, 0]);
    expect(whereIsOne(rotateBy(90)(dot(s, 0, 0)), s)).toEqual([4, 0]);
  });

  test('−90° turns clockwise: the top-left corner goes to the top-right', () => {
    expect(whereIsOne(rotateBy(-90)(dot(s, 0, 0)), s)).toEqual([0, 4]);
  });

  test('a small positive angle moves a point right of the centre upwards', () => {
    const out = rotateBy(10)(fromFn({ n: 1, c: 1, h: 21, w: 21 }, (_i, _c, y, x) => (y === 10 && x === 19 ? 1 : 0)));
    const s21 = { n: 1, c: 1, h: 21, w: 21 };
    // the point (x = 19, y = 10) sits 9 px right of the centre; turned 10° CCW it lands near (18.86, 8.44)
    expect(at(out, s21, 0, 0, 8, 19)).toBeGreaterThan(at(out, s21, 0, 0, 12, 19));
    expect(at(out, s21, 0, 0, 10, 19)).toBeLessThan(0.5);
  });

  test('pixels from outside the image take the fill value', () => {
    const ones = fromFn({ n: 1, c: 1, h: 8, w: 8 }, () => 1);
    const out = rotateBy(45, 0.25)(ones);
    expect(out[0]).toBe(0.25); // the corner comes from outside
    expect(out[8 * 4 + 4]).toBe(1); // the centre stays
  });
});

describe('randomRotation: laws', () => {
  test.prop([images(), fc.double({ min: -2, max: 2, noNaN: true })])('rotation by 0 is the identity', (img, fill) => {
    expect(rotateBy(0, fill)(img)).toEqual(img.data);
  });

  test.prop([images({ square: true })])('rotation by 90° of a square image equals an exact vertical flip of its transpose', (img) => {
    expect(rotateBy(90)(img)).toEqual(run(flipV, transpose(img)).out);
  });

  test.prop([images({ square: true })])('rotation by −90° equals a horizontal flip of the transpose; 180° equals both flips', (img) => {
    expect(rotateBy(-90)(img)).toEqual(run(flipH, transpose(img)).out);
    expect(rotateBy(180)(img)).toEqual(run(flipV, { shape: img.shape, data: run(flipH, img).out }).out);
    expect(rotateBy(360)(img)).toEqual(img.data);
  });

  test.prop([images(), fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.double({ min: -1, max: 2, noNaN: true })])(
    'outputs are finite and stay within the input range plus fill',
    (img, seed, fill) => {
      expect(withinRange(img.data, run(randomRotation({ degrees: 180, fill }), img, new Rng(seed)).out, [fill])).toBe(true);
    },
  );

  test('angles are uniform in [−degrees, degrees]', () => {
    const angles = randomRotation({ degrees: 10 }).draw(new Rng(1), { n: 4000, c: 1, h: 2, w: 2 }).map((d) => d!.angle);
    expect(Math.min(...angles)).toBeGreaterThanOrEqual(-10);
    expect(Math.max(...angles)).toBeLessThan(10);
    expect(Math.abs(angles.reduce((a, b) => a + b, 0) / angles.length)).toBeLessThan(0.3);
    expect(angles.filter((a) => a > 5).length / angles.length).toBeCloseTo(0.25, 1);
  });

  test('a per-channel fill is used channel by channel', () => {
    const img = fromFn({ n: 1, c: 3, h: 8, w: 8 }, () => 0.5);
    const out = replay(randomRotation({ degrees: 45, fill: [0, 1, 2] }), img, [{ angle: 45 }]).out;
    expect([out[0], out[64], out[128]]).toEqual([0, 1, 2]);
  });
});
