import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { Rng } from '@trainkit/tensor';
import {
  colorJitter,
  compose,
  cutmix,
  cutout,
  mixup,
  randomCrop,
  randomErasing,
  randomHorizontalFlip,
  randomResizedCrop,
  randomRotation,
  randomTranslate,
  randomVerticalFlip,
  type Transform,
} from './index';
import { images, replay, run, withinRange } from './__tests__/helpers';

// Every built-in transform, with the fill values it may introduce when it is geometric
// (null: not a geometric transform, so no range law).
const TABLE: ReadonlyArray<{ make: () => Transform; channels?: number[]; fill: number[] | null }> = [
  { make: () => randomTranslate({ max: 3, fill: -0.5, p: 0.8 }), fill: [-0.5] },
  { make: () => randomRotation({ degrees: 180, fill: 2 }), fill: [2] },
  { make: () => randomRotation({ degrees: 30, fill: -1, interpolation: 'nearest', p: 0.6 }), fill: [-1] },
  { make: () => randomHorizontalFlip(), fill: [] },
  { make: () => randomVerticalFlip(), fill: [] },
  { make: () => randomCrop({ size: 2, padding: 1, fill: 0.5 }), fill: [0.5] },
  { make: () => randomResizedCrop({ size: [6, 4], scale: [0.2, 1] }), fill: [] },
  { make: () => randomResizedCrop({ p: 0.5 }), fill: [] },
  { make: () => colorJitter({ brightness: 0.5, contrast: 0.5 }), fill: null },
  { make: () => colorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.2, p: 0.7 }), channels: [3], fill: null },
  { make: () => randomErasing({ value: 3 }), fill: null },
  { make: () => cutout({ size: 3 }), fill: null },
  { make: () => mixup({ alpha: 0.4 }), fill: null },
  { make: () => cutmix({ p: 0.5 }), fill: [] },
  { make: () => compose([randomTranslate({ max: 2 }), randomRotation({ degrees: 10 }), randomHorizontalFlip()]), fill: [0] },
  { make: () => compose([randomResizedCrop({ scale: [0.5, 1] }), colorJitter({ brightness: 0.2 }), cutmix(), mixup()]), fill: null },
];

const seed = fc.integer({ min: 0, max: 2 ** 32 - 1 });

describe.each(TABLE.map((row) => ({ ...row, name: describeName(row.make()) })))('laws of $name', ({ make, channels, fill }) => {
  const batches = images({ channels: channels ?? [1, 3], minSide: 2 });

  test.prop([batches, seed])('the same seed gives the same parameters and the same batch', (img, s) => {
    const a = run(make(), img, new Rng(s));
    const b = run(make(), img, new Rng(s));
    expect(b.params).toEqual(a.params);
    expect(b.out).toEqual(a.out);
  });

  test.prop([batches, seed])('parameters replay from their JSON form, without the RNG', (img, s) => {
    const a = run(make(), img, new Rng(s));
    expect(replay(make(), img, JSON.parse(JSON.stringify(a.params))).out).toEqual(a.out);
  });

  test.prop([batches, seed])('the input is never modified and outputs are finite', (img, s) => {
    const before = Float32Array.from(img.data);
    const { out } = run(make(), img, new Rng(s));
    expect(img.data).toEqual(before);
    expect(out.every(Number.isFinite)).toBe(true);
  });

  if (fill !== null) {
    test.prop([batches, seed])('a geometric transform keeps values within the input range plus its fill', (img, s) => {
      expect(withinRange(img.data, run(make(), img, new Rng(s)).out, fill)).toBe(true);
    });
  }
});

function describeName(t: Transform): string {
  return t.name === 'compose' ? `compose([${(t as ReturnType<typeof compose>).transforms.map((c) => c.name).join(', ')}])` : t.name;
}
