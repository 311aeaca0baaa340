import { describe, expect, test } from 'vitest';
import { Rng, Tensor } from '@trainkit/tensor';
import { AugmentError } from './errors';
import { augmentBatch } from './augmentBatch';
import { randomTranslate } from './translate';
import { randomRotation } from './rotation';
import { randomHorizontalFlip, randomVerticalFlip } from './flip';
import { randomCrop } from './crop';
import { colorJitter } from './colorJitter';
import { cutout } from './cutout';
import { randomErasing } from './erasing';
import { mixup } from './mixup';
import { cutmix } from './cutmix';
import { randomResizedCrop } from './resizedCrop';
import type { Transform } from './transform';

/** Expects `fn` to throw an AugmentError for `transform` with exactly `message`. */
function refuses(fn: () => unknown, transform: string, message: string): void {
  expect(fn).toThrow(new AugmentError(transform, message));
  try {
    fn();
  } catch (e) {
    expect((e as AugmentError).transform).toBe(transform);
    expect((e as Error).message.startsWith(`aug-image: ${transform}: `)).toBe(true);
  }
}

const batch = (shape: number[]) => ({ x: new Tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape), y: new Int32Array(shape[0]) });
const augmentAs = (t: Transform, shape: number[]) => () => augmentBatch(t, batch(shape), new Rng(0));

describe('bad input: each error names the transform and the value', () => {
  test('wrong rank', () => {
    refuses(augmentAs(randomRotation({ degrees: 5 }), [4, 28, 28]), 'randomRotation', 'expected an NCHW image batch (rank 4), got shape [4, 28, 28]; reshape it to [N, C, H, W] first (MNIST rows of 784: [N, 1, 28, 28])');
    refuses(augmentAs(randomTranslate({ max: 1 }), [0, 1, 2, 2]), 'randomTranslate', 'the batch [0, 1, 2, 2] has an empty dimension');
  });

  test('a channels-last batch [N, H, W, C] is refused with the permutation to apply (a flip reversed its RGB channels)', () => {
    for (const t of [randomHorizontalFlip({ p: 1 }), randomRotation({ degrees: 5 }), randomTranslate({ max: 2 })]) {
      expect(augmentAs(t, [2, 32, 32, 3])).toThrow('the batch [2, 32, 32, 3] looks channels-last ([N, H, W, C] with 3 channels); augmentations take [N, C, H, W]: permute it to [2, 3, 32, 32] first');
    }
    expect(augmentAs(randomHorizontalFlip({ p: 1 }), [2, 3, 32, 32])).not.toThrow();
    expect(augmentAs(randomHorizontalFlip({ p: 1 }), [2, 1, 4, 4])).not.toThrow(); // small images stay allowed
  });

  test('wrong channel count', () => {
    refuses(
      augmentAs(colorJitter({ brightness: 0.2, hue: 0.1 }), [8, 1, 28, 28]),
      'colorJitter',
      'hue needs 3-channel RGB images, got 1 channel (batch [8, 1, 28, 28]); for grey images use brightness and contrast only',
    );
  });

  test('a crop larger than the padded image', () => {
    refuses(augmentAs(randomCrop({ size: 36, padding: 2 }), [8, 3, 28, 28]), 'randomCrop', 'the crop 36×36 is larger than the padded image 32×32 (28×28 + 2·2 padding); use a smaller size or more padding');
  });

  test('negative magnitudes', () => {
    refuses(() => randomRotation({ degrees: -10 }), 'randomRotation', 'degrees must be ≥ 0 (the largest angle in degrees), got -10; pass a pair [lo, hi] for an explicit range');
    refuses(() => randomRotation({ degrees: [10, -10] }), 'randomRotation', 'degrees must have lo ≤ hi, got [10, -10]');
    refuses(() => randomRotation({ degrees: NaN }), 'randomRotation', 'degrees must be ≥ 0 (the largest angle in degrees), got NaN; pass a pair [lo, hi] for an explicit range');
    refuses(() => randomTranslate({ max: -2 }), 'randomTranslate', 'max must be a non-negative integer number of pixels, got -2');
    refuses(() => randomTranslate({ max: 1.5 }), 'randomTranslate', 'max must be a non-negative integer number of pixels, got 1.5');
    refuses(() => randomTranslate({ max: [1, 2, 3] as unknown as [number, number] }), 'randomTranslate', 'max must be a number or a pair [maxX, maxY] of non-negative integers, got [1, 2, 3]');
    refuses(() => randomTranslate({ max: [1] as unknown as [number, number] }), 'randomTranslate', 'max must be a number or a pair [maxX, maxY] of non-negative integers, got [1]');
    refuses(() => colorJitter({ saturation: -1 }), 'colorJitter', 'saturation must be ≥ 0 (how far the factor may move from 1), got -1; pass a pair [lo, hi] for an explicit range');
    refuses(() => randomCrop({ size: 24, padding: -4 }), 'randomCrop', 'padding must be a non-negative integer number of pixels, got -4');
    refuses(() => cutmix({ alpha: -1 }), 'cutmix', 'alpha must be a finite number > 0, got -1');
  });

  test('probabilities outside [0, 1]', () => {
    refuses(() => randomHorizontalFlip({ p: 1.5 }), 'randomHorizontalFlip', 'p must be a probability in [0, 1], got 1.5');
    refuses(() => randomVerticalFlip({ p: -0.1 }), 'randomVerticalFlip', 'p must be a probability in [0, 1], got -0.1');
    refuses(() => randomRotation({ degrees: 5, p: NaN }), 'randomRotation', 'p must be a probability in [0, 1], got NaN');
    for (const make of [(p: number) => mixup({ p }), (p: number) => cutmix({ p }), (p: number) => randomErasing({ p }), (p: number) => cutout({ size: 2, p }), (p: number) => randomResizedCrop({ p }), (p: number) => colorJitter({ brightness: 0.1, p })]) {
      expect(() => make(1.01)).toThrow(/^aug-image: \w+: p must be a probability in \[0, 1\], got 1.01$/);
    }
  });

  test("a bare number in torchvision's positional style is refused, not ignored (randomResizedCrop(224) kept the input size, mixup(0.2) used α = 1)", () => {
    const hint = "; torchvision's positional arguments are named options here";
    const asJs = <T>(make: (o: never) => T, v: unknown) => () => make(v as never);
    refuses(asJs(randomResizedCrop, 224), 'randomResizedCrop', `options must be an object such as randomResizedCrop({ size: 224 }), got 224${hint}`);
    refuses(asJs(colorJitter, 0.4), 'colorJitter', `options must be an object such as colorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4 }), got 0.4${hint}`);
    refuses(asJs(mixup, 0.2), 'mixup', `options must be an object such as mixup({ alpha: 0.2 }), got 0.2${hint}`);
    refuses(asJs(cutmix, 1), 'cutmix', `options must be an object such as cutmix({ alpha: 1 }), got 1${hint}`);
    refuses(asJs(randomRotation, 10), 'randomRotation', `options must be an object such as randomRotation({ degrees: 10 }), got 10${hint}`);
    for (const make of [randomHorizontalFlip, randomVerticalFlip, randomErasing, randomTranslate, randomCrop, cutout] as Array<(o: never) => Transform>) {
      expect(asJs(make, 0.5)).toThrow(/^aug-image: \w+: options must be an object such as \w+\(\{ [^)]*\}\), got 0\.5; torchvision/);
    }
    expect(asJs(randomErasing, null)).toThrow('options must be an object');
    expect(randomHorizontalFlip().name).toBe('randomHorizontalFlip');
  });

  test('a misspelled option is refused naming it and the options there are, not left at its default (colorJitter({ brightnes: 0.4 }) did nothing)', () => {
    const asJs = <T>(make: (o: never) => T, v: unknown) => () => make(v as never);
    refuses(asJs(colorJitter, { brightnes: 0.4 }), 'colorJitter', 'unknown option "brightnes"; the options are brightness, contrast, saturation, hue, clamp, p');
    refuses(asJs(randomCrop, { size: 8, pad: 2, prob: 1 }), 'randomCrop', 'unknown options "pad", "prob"; the options are size, padding, fill, p');
    refuses(asJs(mixup, { alpha: 0.2, num_classes: 10 }), 'mixup', 'unknown option "num_classes"; the options are alpha, p');
    expect(randomHorizontalFlip({ p: 0.5, ...{ unused: undefined } } as never).name).toBe('randomHorizontalFlip'); // undefined values are let through
  });

  test('an unknown interpolation', () => {
    refuses(() => randomRotation({ degrees: 5, interpolation: 'bicubic' as never }), 'randomRotation', "interpolation must be 'bilinear' or 'nearest', got bicubic");
  });

  test('a fill that is not finite, or has the wrong number of channels', () => {
    refuses(() => randomRotation({ degrees: 5, fill: Infinity }), 'randomRotation', 'fill must be a finite number or an array of them (one per channel), got Infinity');
    refuses(augmentAs(randomTranslate({ max: 1, fill: [0, 0, 0] }), [2, 1, 4, 4]), 'randomTranslate', 'fill has 3 values but the batch [2, 1, 4, 4] has 1 channel');
  });

  test('replayed parameters that are not whole pixels or finite numbers are refused, not turned into NaN or stale pixels', () => {
    const shape = { n: 1, c: 1, h: 3, w: 3 };
    const apply = (t: Transform, params: unknown) => () => {
      const o = t.outputShape(shape);
      t.apply(new Float32Array(9), new Float32Array(o.n * o.c * o.h * o.w), shape, params);
    };
    refuses(apply(randomTranslate({ max: 1 }), [{ dx: 0.5, dy: 0 }]), 'randomTranslate', 'replayed parameter dx must be an integer (pixels), got 0.5');
    refuses(apply(randomCrop({ size: 2, padding: 1 }), [{ top: 0.5, left: 0 }]), 'randomCrop', 'replayed parameter top must be an integer (pixels), got 0.5');
    refuses(apply(randomResizedCrop(), [{ top: 0.5, left: 0, height: 2, width: 2 }]), 'randomResizedCrop', 'replayed parameter top must be an integer (pixels), got 0.5');
    refuses(apply(randomRotation({ degrees: 10 }), [{ angle: NaN }]), 'randomRotation', 'replayed parameter angle must be a finite number, got NaN');
    refuses(apply(colorJitter({ brightness: 0.5 }), [{ order: ['brightness'] }]), 'colorJitter', 'replayed parameter brightness must be a finite number, got undefined');
  });
});
