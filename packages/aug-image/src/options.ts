import { formatShape } from '@trainkit/tensor';
import { AugmentError } from './errors';
import type { ImageShape } from './shape';

// Validation shared by the transform factories. Each helper checks one option once, when the
// transform is created, and throws an AugmentError naming the transform, the option and the value.

/** A closed interval `[lo, hi]`. */
export type Range = readonly [number, number];

const show = (v: unknown): string => (Array.isArray(v) ? `[${v.join(', ')}]` : String(v));

/**
 * The options argument must be an object (or left out): a bare number, as in torchvision's
 * positional `RandomResizedCrop(224)` or `ColorJitter(0.4, 0.4, 0.4)`, would otherwise be
 * ignored and the transform run with its defaults.
 */
export function optionsObject<T extends object>(who: string, v: T | undefined, example: string, known: ReadonlyArray<keyof T & string>): T {
  if (v === undefined) return {} as T;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new AugmentError(who, `options must be an object such as ${example}, got ${show(v)}; torchvision's positional arguments are named options here`);
  }
  // a misspelled option (brightnes) would otherwise leave its default in place without a word
  const unknown = Object.keys(v).filter((k) => !(known as readonly string[]).includes(k) && (v as Record<string, unknown>)[k] !== undefined);
  if (unknown.length > 0) throw new AugmentError(who, `unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')}; the options are ${known.join(', ')}`);
  return v;
}

/** `p` must be a probability in [0, 1]. */
export function probability(who: string, p: number): number {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new AugmentError(who, `p must be a probability in [0, 1], got ${show(p)}`);
  return p;
}

/** A finite number. */
export function finite(who: string, key: string, v: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new AugmentError(who, `${key} must be a finite number, got ${show(v)}`);
  return v;
}

/** A non-negative integer (pixels). */
export function pixels(who: string, key: string, v: number): number {
  if (!Number.isInteger(v) || v < 0) throw new AugmentError(who, `${key} must be a non-negative integer number of pixels, got ${show(v)}`);
  return v;
}

/**
 * A magnitude or an explicit range: a number `m ≥ 0` means `[center − m, center + m]`
 * (cut at `floor`), a pair `[lo, hi]` is taken as it is (lo ≤ hi, both ≥ floor).
 */
export function magnitude(who: string, key: string, v: number | Range, center: number, floor = -Infinity, what = ''): Range {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) {
      throw new AugmentError(who, `${key} must be ≥ 0${what === '' ? '' : ` (${what})`}, got ${show(v)}; pass a pair [lo, hi] for an explicit range`);
    }
    return [Math.max(floor, center - v), center + v];
  }
  return range(who, key, v, floor);
}

/** A pair `[lo, hi]` of finite numbers with `floor ≤ lo ≤ hi`. */
export function range(who: string, key: string, v: Range, floor = -Infinity, ceil = Infinity): Range {
  if (!Array.isArray(v) || v.length !== 2 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new AugmentError(who, `${key} must be a number or a pair [lo, hi] of finite numbers, got ${show(v)}`);
  }
  const [lo, hi] = v;
  if (lo > hi) throw new AugmentError(who, `${key} must have lo ≤ hi, got ${show(v)}`);
  if (lo < floor || hi > ceil) throw new AugmentError(who, `${key} must lie within [${floor}, ${ceil}], got ${show(v)}`);
  return [lo, hi];
}

/** An image size: a positive integer (square) or `[height, width]`. */
export function size(who: string, key: string, v: number | readonly [number, number]): readonly [number, number] {
  const pair = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((x) => Number.isInteger(x) && x > 0)) {
    throw new AugmentError(who, `${key} must be a positive integer or a pair [height, width] of them, got ${show(v)}`);
  }
  return [pair[0], pair[1]];
}

/** A fill value: one finite number, or one per channel. */
export function fillValue(who: string, key: string, v: number | readonly number[]): number | readonly number[] {
  const ok = typeof v === 'number' ? Number.isFinite(v) : Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number' && Number.isFinite(x));
  if (!ok) throw new AugmentError(who, `${key} must be a finite number or an array of them (one per channel), got ${show(v)}`);
  return typeof v === 'number' ? v : [...v];
}

/** The per-channel fill values for `c` channels; a per-channel array must have exactly `c` entries. */
export function fillPerChannel(who: string, key: string, v: number | readonly number[], shape: ImageShape): readonly number[] {
  if (typeof v === 'number') return Array.from({ length: shape.c }, () => v);
  if (v.length !== shape.c) {
    throw new AugmentError(who, `${key} has ${v.length} values but the batch ${formatShape([shape.n, shape.c, shape.h, shape.w])} has ${shape.c} channel${shape.c === 1 ? '' : 's'}`);
  }
  return v;
}

/**
 * Per-channel fill values, validated and expanded once per channel count (so the per-image
 * kernels never allocate).
 */
export function fillResolver(who: string, key: string, v: number | readonly number[]): (shape: ImageShape) => readonly number[] {
  const fill = fillValue(who, key, v);
  let cache: readonly number[] = [];
  return (shape) => {
    if (cache.length !== shape.c) cache = fillPerChannel(who, key, fill, shape);
    return cache;
  };
}

/** A pair `[lo, hi]` with `0 < lo ≤ hi` (aspect ratios). */
export function positiveRange(who: string, key: string, v: Range): Range {
  const r = range(who, key, v);
  if (!(r[0] > 0)) throw new AugmentError(who, `${key} must be positive, got ${show(v)}`);
  return r;
}

/**
 * Replayed per-image parameters (from JSON, say) must be numbers the kernels can use: the
 * named entries of `params` whole pixels (`integer`) or finite numbers. A fractional pixel
 * would index between array entries and an angle of NaN would fill the image with NaN.
 */
export function replayed(who: string, params: object, keys: readonly string[], integer: boolean): void {
  for (const key of keys) {
    const v = (params as Record<string, unknown>)[key];
    if (integer ? !Number.isInteger(v) : !(typeof v === 'number' && Number.isFinite(v))) {
      throw new AugmentError(who, `replayed parameter ${key} must be ${integer ? 'an integer (pixels)' : 'a finite number'}, got ${show(v)}`);
    }
  }
}
