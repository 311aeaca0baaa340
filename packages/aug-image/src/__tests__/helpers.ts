import fc from 'fast-check';
import { Rng } from '@trainkit/tensor';
import type { ImageShape } from '../shape';
import type { Transform } from '../transform';

/** A batch of images with pixel values k/255 (as MNIST), in NCHW order. */
export interface Images {
  shape: ImageShape;
  data: Float32Array;
}

/** Random small batches: n ≤ 3 images, 1 or 3 channels, sides 1..9 (square when `square`). */
export function images(opts: { channels?: number[]; square?: boolean; minSide?: number; maxSide?: number; maxN?: number } = {}): fc.Arbitrary<Images> {
  const { channels = [1, 3], square = false, minSide = 1, maxSide = 9, maxN = 3 } = opts;
  const side = fc.integer({ min: minSide, max: maxSide });
  return fc
    .record({ n: fc.integer({ min: 1, max: maxN }), c: fc.constantFrom(...channels), h: side, w: side })
    .map((s) => (square ? { ...s, w: s.h } : s))
    .chain((shape) => {
      const size = shape.n * shape.c * shape.h * shape.w;
      return fc
        .array(fc.integer({ min: 0, max: 255 }), { minLength: size, maxLength: size })
        .map((px) => ({ shape, data: Float32Array.from(px, (v) => v / 255) }));
    });
}

/** Draws with `rng` and applies to a fresh output buffer. */
export function run<P>(t: Transform<P>, img: Images, rng: Rng = new Rng(0)): { out: Float32Array; params: P; shape: ImageShape } {
  const params = t.draw(rng, img.shape);
  return { ...replay(t, img, params), params };
}

/** Applies given parameters to a fresh output buffer. */
export function replay<P>(t: Transform<P>, img: Images, params: P): { out: Float32Array; shape: ImageShape } {
  const shape = t.outputShape(img.shape);
  const out = new Float32Array(shape.n * shape.c * shape.h * shape.w).fill(Number.NaN);
  t.apply(img.data, out, img.shape, params);
  return { out, shape };
}

/** Value at (image i, channel ch, row y, column x). */
export function at(data: Float32Array, s: ImageShape, i: number, ch: number, y: number, x: number): number {
  return data[((i * s.c + ch) * s.h + y) * s.w + x];
}

/** A batch from a function of (i, ch, y, x). */
export function fromFn(shape: ImageShape, f: (i: number, ch: number, y: number, x: number) => number): Images {
  const data = new Float32Array(shape.n * shape.c * shape.h * shape.w);
  let k = 0;
  for (let i = 0; i < shape.n; i++) for (let ch = 0; ch < shape.c; ch++) for (let y = 0; y < shape.h; y++) for (let x = 0; x < shape.w; x++) data[k++] = f(i, ch, y, x);
  return { shape, data };
}

/** A zero image with one pixel set to 1 at (y, x) in every channel. */
export function dot(shape: ImageShape, y: number, x: number): Images {
  return fromFn(shape, (_i, _c, yy, xx) => (yy === y && xx === x ? 1 : 0));
}

/** Where the (single) value 1 sits in image 0, channel 0: [y, x]. */
export function whereIsOne(data: Float32Array, s: ImageShape): [number, number] | null {
  for (let y = 0; y < s.h; y++) for (let x = 0; x < s.w; x++) if (at(data, s, 0, 0, y, x) === 1) return [y, x];
  return null;
}

/** min and max of an array. */
export function extent(a: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < a.length; i++) {
    lo = Math.min(lo, a[i]);
    hi = Math.max(hi, a[i]);
  }
  return [lo, hi];
}

/** Every output is finite and within [min(input, fill), max(input, fill)] (fill as float32). */
export function withinRange(input: Float32Array, out: Float32Array, fill: number[] = []): boolean {
  const [lo, hi] = extent([...extent(input), ...fill.map(Math.fround)]); // the fill is stored as float32
  return out.every((v) => Number.isFinite(v) && v >= lo && v <= hi);
}

/** Transposes each image plane (needs h = w). */
export function transpose(img: Images): Images {
  return fromFn(img.shape, (i, ch, y, x) => at(img.data, img.shape, i, ch, x, y));
}
