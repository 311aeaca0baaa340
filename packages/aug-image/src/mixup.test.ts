import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { Rng, Tensor } from '@trainkit/tensor';
import { mixup } from './mixup';
import { cutmix } from './cutmix';
import { compose } from './compose';
import { augmentBatch } from './augmentBatch';
import { sampleBeta } from './beta';
import { at, images, replay } from './__tests__/helpers';
import type { Images } from './__tests__/helpers';

const seed = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const labelsFor = (n: number, k: number) => Int32Array.from({ length: n }, (_, i) => i % k);
const batchOf = (img: Images) => ({ x: new Tensor(img.data, [img.shape.n, img.shape.c, img.shape.h, img.shape.w]), y: labelsFor(img.shape.n, 3) });

describe('mixup', () => {
  test.prop([images(), fc.integer({ min: 0, max: 100 })])('mixup with λ = 1 is the identity, whatever the permutation', (img, r) => {
    const perm = Array.from({ length: img.shape.n }, (_, i) => (i + r) % img.shape.n);
    expect(replay(mixup(), img, { lambda: 1, perm }).out).toEqual(img.data);
  });

  test.prop([images(), seed])('each image is λ·xᵢ + (1 − λ)·x_perm(i), each label row λ·yᵢ + (1 − λ)·y_perm(i), and rows sum to 1', (img, s) => {
    const { x, y, params } = augmentBatch(mixup({ alpha: 0.4 }), batchOf(img), new Rng(s), { numClasses: 3 });
    const { lambda, perm } = params!;
    const chw = img.shape.c * img.shape.h * img.shape.w;
    x.data.forEach((v, k) => {
      const i = Math.floor(k / chw);
      expect(v).toBeCloseTo(lambda * img.data[k] + (1 - lambda) * img.data[perm[i] * chw + (k % chw)], 6);
    });
    const soft = y as Tensor;
    expect(soft.shape).toEqual([img.shape.n, 3]);
    for (let i = 0; i < img.shape.n; i++) {
      const row = Array.from(soft.data.subarray(i * 3, i * 3 + 3));
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
      const want = [0, 0, 0];
      want[i % 3] += lambda;
      want[perm[i] % 3] += 1 - lambda;
      row.forEach((v, k) => expect(v).toBeCloseTo(want[k], 6));
    }
  });

  test('soft-label targets are mixed as they are; a batch skipped by p keeps one-hot rows', () => {
    const img = { shape: { n: 2, c: 1, h: 1, w: 1 }, data: Float32Array.of(0, 1) };
    const soft = new Tensor(Float32Array.of(0.9, 0.1, 0.2, 0.8), [2, 2]);
    const r = augmentBatch(mixup(), { x: new Tensor(img.data, [2, 1, 1, 1]), y: soft }, new Rng(0));
    expect((r.y as Tensor).shape).toEqual([2, 2]);
    const skipped = augmentBatch(mixup({ p: 0 }), { x: new Tensor(img.data, [2, 1, 1, 1]), y: Int32Array.of(1, 0) }, new Rng(0), { numClasses: 2 });
    expect(Array.from((skipped.y as Tensor).data)).toEqual([0, 1, 1, 0]);
    expect(skipped.params).toBeNull();
  });

  test('class-index targets without numClasses, or labels out of range, are refused', () => {
    const b = { x: new Tensor(new Float32Array(2), [2, 1, 1, 1]), y: Int32Array.of(0, 1) };
    expect(() => augmentBatch(compose([mixup()]), b, new Rng(0))).toThrow(
      'aug-image: compose: mixup and cutmix make soft labels, so class-index targets need numClasses: augment(pipeline, { numClasses: 10 })',
    );
    expect(() => augmentBatch(mixup(), { ...b, y: Int32Array.of(0, 5) }, new Rng(0), { numClasses: 3 })).toThrow('aug-image: mixup: target 1 is 5, not a class index in [0, 3)');
    expect(() => mixup({ alpha: 0 })).toThrow('aug-image: mixup: alpha must be a finite number > 0, got 0');
    expect(() => mixup({ p: -1 })).toThrow('aug-image: mixup: p must be a probability in [0, 1], got -1');
  });
});

describe('cutmix', () => {
  test.prop([images(), seed])('outside the box every image is its own, inside it is image perm(i); λ is the uncovered fraction', (img, s) => {
    const { x, y, params } = augmentBatch(cutmix(), batchOf(img), new Rng(s), { numClasses: 3 });
    const { lambda, top, left, height, width, perm } = params!;
    const sh = img.shape;
    expect(lambda).toBeCloseTo(1 - (height * width) / (sh.h * sh.w), 12);
    for (let i = 0; i < sh.n; i++)
      for (let ch = 0; ch < sh.c; ch++)
        for (let yy = 0; yy < sh.h; yy++)
          for (let xx = 0; xx < sh.w; xx++) {
            const inside = yy >= top && yy < top + height && xx >= left && xx < left + width;
            expect(at(x.data, sh, i, ch, yy, xx)).toBe(at(img.data, sh, inside ? perm[i] : i, ch, yy, xx));
          }
    const rows = (y as Tensor).data;
    for (let i = 0; i < sh.n; i++) expect(rows[i * 3] + rows[i * 3 + 1] + rows[i * 3 + 2]).toBeCloseTo(1, 6);
  });

  test.prop([images()])('an empty box (λ = 1) is the identity', (img) => {
    const perm = Array.from({ length: img.shape.n }, (_, i) => img.shape.n - 1 - i);
    expect(replay(cutmix(), img, { lambda: 1, top: 0, left: 0, height: 0, width: 0, perm }).out).toEqual(img.data);
  });

  test('replayed parameters that do not fit the batch are refused', () => {
    const img = { shape: { n: 2, c: 1, h: 4, w: 4 }, data: new Float32Array(32) };
    expect(() => replay(cutmix(), img, { lambda: 0.5, top: 2, left: 0, height: 4, width: 2, perm: [1, 0] })).toThrow('aug-image: cutmix: the box (top 2, left 0, 4×2) does not fit the 4×4 images');
    expect(() => replay(cutmix(), img, { lambda: 0.5, top: 0, left: 0, height: 2, width: 2, perm: [1] })).toThrow('aug-image: cutmix: perm has 1 entries but the batch has 2 images');
  });

  test.each([
    ['mixup', () => mixup(), { lambda: 0.5 }],
    ['cutmix', () => cutmix(), { lambda: 0.75, top: 0, left: 0, height: 2, width: 2 }],
  ] as const)('%s refuses a replayed perm entry that is not an image of the batch (it would mix in NaN)', (name, make, rest) => {
    const img = { shape: { n: 2, c: 1, h: 4, w: 4 }, data: new Float32Array(32) };
    const t = make() as ReturnType<typeof mixup>;
    expect(() => replay(t, img, { ...rest, perm: [5, 0] } as never)).toThrow(`aug-image: ${name}: perm[0] is 5, not the index of an image of the batch (an integer in [0, 2))`);
    expect(() => replay(t, img, { ...rest, perm: [1, 0.5] } as never)).toThrow(`aug-image: ${name}: perm[1] is 0.5, not the index of an image of the batch (an integer in [0, 2))`);
  });
});

describe('sampleBeta', () => {
  test('Beta(a, b) samples have mean a / (a + b) and variance ab / ((a + b)²(a + b + 1))', () => {
    for (const [a, b] of [[0.2, 0.2], [1, 1], [2, 5], [0.5, 3]]) {
      const rng = new Rng(11);
      const xs = Array.from({ length: 20000 }, () => sampleBeta(rng, a, b));
      const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
      const variance = xs.reduce((s, v) => s + (v - mean) ** 2, 0) / xs.length;
      expect(xs.every((v) => v >= 0 && v <= 1)).toBe(true);
      expect(mean).toBeCloseTo(a / (a + b), 2);
      expect(variance).toBeCloseTo((a * b) / ((a + b) ** 2 * (a + b + 1)), 2);
    }
  });
});
