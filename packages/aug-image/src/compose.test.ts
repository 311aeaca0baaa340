import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { Rng, Tensor } from '@trainkit/tensor';
import { compose } from './compose';
import { randomTranslate } from './translate';
import { randomRotation } from './rotation';
import { randomHorizontalFlip } from './flip';
import { augmentBatch } from './augmentBatch';
import { AugmentError } from './errors';
import { images, replay, run } from './__tests__/helpers';
import type { Transform } from './transform';

const pipeline = () => compose([randomTranslate({ max: 2 }), randomRotation({ degrees: 10 }), randomHorizontalFlip({ p: 0.5 })]);
const seed = fc.integer({ min: 0, max: 2 ** 32 - 1 });

describe('compose', () => {
  test.prop([images(), seed])('the same seed gives the same batch and the same parameters', (img, s) => {
    const a = run(pipeline(), img, new Rng(s));
    const b = run(pipeline(), img, new Rng(s));
    expect(b.params).toEqual(a.params);
    expect(b.out).toEqual(a.out);
  });

  test.prop([images(), seed])('a draw replays from its JSON form, without the RNG', (img, s) => {
    const p = pipeline();
    const { out, params } = run(p, img, new Rng(s));
    expect(p.lastDraw).toBe(params);
    expect(replay(pipeline(), img, JSON.parse(JSON.stringify(params))).out).toEqual(out);
  });

  test.prop([images(), seed])('running the transforms one by one gives the same batch as the pipeline', (img, s) => {
    const p = pipeline();
    const { out, params } = run(p, img, new Rng(s));
    let data = img.data;
    p.transforms.forEach((t, j) => {
      data = replay(t, { shape: img.shape, data }, params[j]).out;
    });
    expect(data).toEqual(out);
  });

  test.prop([images()])('an empty pipeline is the identity', (img) => {
    expect(run(compose([]), img).out).toEqual(img.data);
  });

  test('the pipeline reuses its scratch buffers but never the output or the input', () => {
    const p = pipeline();
    const x = new Tensor(new Rng(1).fillUniform(new Float32Array(4 * 64)), [4, 1, 8, 8]);
    const before = Float32Array.from(x.data);
    const a = augmentBatch(p, { x, y: Int32Array.of(0, 1, 2, 3) }, new Rng(2));
    const b = augmentBatch(p, { x, y: Int32Array.of(0, 1, 2, 3) }, new Rng(3));
    expect(x.data).toEqual(before);
    expect(a.x.data).not.toBe(b.x.data);
    expect(a.x.data).not.toEqual(b.x.data);
  });

  test('entries must be transforms', () => {
    expect(() => compose([randomTranslate({ max: 1 }), undefined as unknown as Transform])).toThrow(
      new AugmentError('compose', 'entry 1 is not a transform (got undefined); build entries with randomTranslate(...), randomRotation(...), …'),
    );
  });

  test('apply refuses parameters drawn for another pipeline', () => {
    const img = { shape: { n: 1, c: 1, h: 2, w: 2 }, data: new Float32Array(4) };
    expect(() => replay(pipeline(), img, [null])).toThrow('aug-image: compose: got 1 parameter entries for 3 transforms');
  });
});
