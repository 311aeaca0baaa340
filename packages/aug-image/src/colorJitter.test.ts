import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { Rng } from '@trainkit/tensor';
import { colorJitter } from './colorJitter';
import { fromFn, images, replay, run } from './__tests__/helpers';

const rgb = (r: number, g: number, b: number) => fromFn({ n: 1, c: 3, h: 1, w: 1 }, (_i, ch) => [r, g, b][ch]);
const close = (a: ArrayLike<number>, b: number[]) => Array.from(a).forEach((v, k) => expect(v).toBeCloseTo(b[k], 6));

describe('colorJitter: each adjustment', () => {
  test('brightness multiplies and clamps to [0, 1]', () => {
    const img = fromFn({ n: 1, c: 1, h: 1, w: 3 }, (_i, _c, _y, x) => [0.2, 0.5, 0.8][x]);
    close(replay(colorJitter({ brightness: 0.5 }), img, [{ order: ['brightness'], brightness: 1.5 }]).out, [0.3, 0.75, 1]);
  });

  test('contrast blends with the mean grey: factor 0 gives a flat image, works on one channel', () => {
    const img = fromFn({ n: 1, c: 1, h: 1, w: 3 }, (_i, _c, _y, x) => [0.2, 0.5, 0.8][x]);
    close(replay(colorJitter({ contrast: 1 }), img, [{ order: ['contrast'], contrast: 0 }]).out, [0.5, 0.5, 0.5]);
    close(replay(colorJitter({ contrast: 1 }), img, [{ order: ['contrast'], contrast: 2 }]).out, [0, 0.5, 1]);
  });

  test("saturation 0 turns RGB pixels grey (torchvision's luma 0.2989 R + 0.587 G + 0.114 B)", () => {
    const g = 0.2989 * 0.9 + 0.587 * 0.3 + 0.114 * 0.1;
    close(replay(colorJitter({ saturation: 1 }), rgb(0.9, 0.3, 0.1), [{ order: ['saturation'], saturation: 0 }]).out, [g, g, g]);
  });

  test('a hue shift of 1/3 turns red into green and green into blue', () => {
    close(replay(colorJitter({ hue: 0.5 }), rgb(1, 0, 0), [{ order: ['hue'], hue: 1 / 3 }]).out, [0, 1, 0]);
    close(replay(colorJitter({ hue: 0.5 }), rgb(0, 0.6, 0), [{ order: ['hue'], hue: 1 / 3 }]).out, [0, 0, 0.6]);
    close(replay(colorJitter({ hue: 0.5 }), rgb(0.8, 0.4, 0.2), [{ order: ['hue'], hue: -1 }]).out, [0.8, 0.4, 0.2]);
  });
});

describe('colorJitter: laws', () => {
  test.prop([images({ channels: [3] }), fc.double({ min: -0.5, max: 0.5, noNaN: true })])(
    'a hue shift followed by the opposite shift gives the image back (within float error)',
    (img, h) => {
      const t = colorJitter({ hue: 0.5 });
      const n = img.shape.n;
      const once = replay(t, img, Array.from({ length: n }, () => ({ order: ['hue' as const], hue: h }))).out;
      const back = replay(t, { shape: img.shape, data: once }, Array.from({ length: n }, () => ({ order: ['hue' as const], hue: -h }))).out;
      back.forEach((v, k) => expect(v).toBeCloseTo(img.data[k], 5));
    },
  );

  test.prop([images({ channels: [3] }), fc.integer({ min: 0, max: 2 ** 32 - 1 })])('outputs are finite and stay in [0, 1]', (img, seed) => {
    const { out } = run(colorJitter({ brightness: 0.8, contrast: 0.8, saturation: 0.8, hue: 0.5 }), img, new Rng(seed));
    expect(out.every((v) => Number.isFinite(v) && v >= 0 && v <= 1)).toBe(true);
  });

  test.prop([images({ channels: [1, 3] })])('factors of 1 and a hue of 0 leave the image as it is', (img) => {
    const c = img.shape.c;
    const params = { order: (c === 3 ? ['hue', 'saturation', 'contrast', 'brightness'] : ['contrast', 'brightness']) as never, brightness: 1, contrast: 1, saturation: 1, hue: 0 };
    const t = c === 3 ? colorJitter({ brightness: 0.5, contrast: 0.5, saturation: 0.5, hue: 0.1 }) : colorJitter({ brightness: 0.5, contrast: 0.5 });
    replay(t, img, Array.from({ length: img.shape.n }, () => params)).out.forEach((v, k) => expect(v).toBeCloseTo(img.data[k], 6));
  });

  test('factors are drawn from their ranges, in a random order of the enabled adjustments', () => {
    const draws = colorJitter({ brightness: 0.4, contrast: [0.5, 0.6], hue: 0.1, saturation: 0 }).draw(new Rng(4), { n: 500, c: 3, h: 1, w: 1 });
    const orders = new Set<string>();
    for (const d of draws) {
      expect([...d!.order].sort()).toEqual(['brightness', 'contrast', 'hue']);
      orders.add(d!.order.join());
      expect(d!.brightness).toBeGreaterThanOrEqual(0.6);
      expect(d!.brightness).toBeLessThan(1.4);
      expect(d!.contrast).toBeGreaterThanOrEqual(0.5);
      expect(d!.contrast).toBeLessThan(0.6);
      expect(Math.abs(d!.hue!)).toBeLessThanOrEqual(0.1);
      expect(d!.saturation).toBeUndefined();
    }
    expect(orders.size).toBe(6);
  });
});

describe('colorJitter: bad input', () => {
  test('saturation or hue on a 1-channel batch is an error that says what to use instead', () => {
    expect(() => colorJitter({ brightness: 0.2, saturation: 0.3 }).outputShape({ n: 64, c: 1, h: 28, w: 28 })).toThrow(
      'aug-image: colorJitter: saturation needs 3-channel RGB images, got 1 channel (batch [64, 1, 28, 28]); for grey images use brightness and contrast only',
    );
    expect(() => colorJitter({ saturation: 0.3, hue: 0.1 }).outputShape({ n: 2, c: 4, h: 2, w: 2 })).toThrow('saturation and hue need 3-channel RGB images, got 4 channels');
    expect(() => colorJitter({ contrast: 0.3 }).outputShape({ n: 2, c: 2, h: 2, w: 2 })).toThrow('contrast needs 1-channel (grey) or 3-channel (RGB) images, got 2 channels');
    expect(colorJitter({ brightness: 0.2, saturation: 0, hue: 0 }).outputShape({ n: 1, c: 1, h: 2, w: 2 })).toEqual({ n: 1, c: 1, h: 2, w: 2 });
  });

  test('a replayed order with an unknown adjustment, a repeat, or saturation on a grey batch is refused instead of producing NaN', () => {
    const grey = fromFn({ n: 2, c: 1, h: 2, w: 2 }, (i) => i / 2);
    const t = colorJitter({ brightness: 0.5 });
    expect(() => replay(t, grey, [{ order: ['gamma'], gamma: 0.3 } as never, null])).toThrow(
      'aug-image: colorJitter: replayed parameter order must list distinct adjustments among brightness, contrast, saturation, hue, got ["gamma"]',
    );
    expect(() => replay(t, grey, [{ order: ['brightness', 'brightness'], brightness: 1.2 }, null])).toThrow('replayed parameter order must list distinct adjustments');
    expect(() => replay(t, grey, [{ order: ['saturation'], saturation: 0 }, null])).toThrow('aug-image: colorJitter: saturation needs 3-channel RGB images, got 1 channel (batch [2, 1, 2, 2])');
  });

  test('negative magnitudes and a hue beyond half a turn are refused', () => {
    expect(() => colorJitter({ brightness: -0.1 })).toThrow('aug-image: colorJitter: brightness must be ≥ 0 (how far the factor may move from 1), got -0.1; pass a pair [lo, hi] for an explicit range');
    expect(() => colorJitter({ contrast: [-1, 2] })).toThrow('aug-image: colorJitter: contrast must lie within [0, Infinity], got [-1, 2]');
    expect(() => colorJitter({ hue: 0.7 })).toThrow('aug-image: colorJitter: hue must lie within [-0.5, 0.5], got [-0.7, 0.7]');
  });
});
