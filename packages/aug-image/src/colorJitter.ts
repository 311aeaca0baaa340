import { type ImageShape, dims } from './shape';
import { formatShape } from '@trainkit/tensor';
import { AugmentError } from './errors';
import { type Range, magnitude, probability, range, replayed, optionsObject } from './options';
import { type PerImage, type Transform, defineImageTransform } from './transform';

/** Options of {@link colorJitter}. Each factor is a magnitude `m` or an explicit `[lo, hi]`. */
export interface ColorJitterOptions {
  /** Brightness factor from [max(0, 1 − m), 1 + m]: pixels are multiplied by it. */
  brightness?: number | Range;
  /** Contrast factor from [max(0, 1 − m), 1 + m]: pixels are blended with the image's mean grey. */
  contrast?: number | Range;
  /** Saturation factor from [max(0, 1 − m), 1 + m]: pixels are blended with their grey. RGB only. */
  saturation?: number | Range;
  /** Hue shift from [−m, m], m ≤ 0.5, in turns of the colour wheel. RGB only. */
  hue?: number | Range;
  /** Results are clamped to this range (as torchvision does to [0, 1]); `false` to not clamp. Default [0, 1]. */
  clamp?: Range | false;
  /** Probability that an image is jittered. Default 1. */
  p?: number;
}

/** The four adjustments of {@link colorJitter}. */
export type JitterOp = 'brightness' | 'contrast' | 'saturation' | 'hue';

/** One image's jitter: the enabled adjustments in the (random) order applied, and their factors. */
export interface ColorJitterParams {
  order: JitterOp[];
  brightness?: number;
  contrast?: number;
  saturation?: number;
  hue?: number;
}

const OPS: readonly JitterOp[] = ['brightness', 'contrast', 'saturation', 'hue'];
// luma weights of torchvision's rgb_to_grayscale (ITU-R 601-2 with 0.2989 for red)
const [LR, LG, LB] = [0.2989, 0.587, 0.114];

/**
 * Random colour jitter (torchvision's `ColorJitter`): brightness, contrast, saturation and
 * hue, each with its own random factor, applied per image in a random order. Brightness and
 * contrast work on 1-channel (grey) images too; saturation and hue need 3-channel RGB, and
 * asking for them on another channel count is an error. Inputs are taken to be in the `clamp`
 * range ([0, 1] by default, as MNIST from `@trainkit/data`).
 *
 * @param options - `brightness`, `contrast`, `saturation`, `hue`, `clamp`, `p`.
 * @example
 * colorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 })   // RGB
 * colorJitter({ brightness: 0.3, contrast: 0.3 })                              // MNIST
 */
export function colorJitter(options: ColorJitterOptions): Transform<PerImage<ColorJitterParams>> {
  options = optionsObject('colorJitter', options, 'colorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4 })', ['brightness', 'contrast', 'saturation', 'hue', 'clamp', 'p']);
  const name = 'colorJitter';
  const factor = (key: 'brightness' | 'contrast' | 'saturation'): Range | null => {
    const v = options[key];
    if (v === undefined) return null;
    const r = magnitude(name, key, v, 1, 0, 'how far the factor may move from 1');
    return r[0] === 1 && r[1] === 1 ? null : r;
  };
  const ranges: Record<JitterOp, Range | null> = {
    brightness: factor('brightness'),
    contrast: factor('contrast'),
    saturation: factor('saturation'),
    hue: options.hue === undefined ? null : range(name, 'hue', typeof options.hue === 'number' ? magnitude(name, 'hue', options.hue, 0, -Infinity, 'at most 0.5 of a turn') : options.hue, -0.5, 0.5),
  };
  if (ranges.hue !== null && ranges.hue[0] === 0 && ranges.hue[1] === 0) ranges.hue = null;
  const clamp = options.clamp === false ? null : range(name, 'clamp', options.clamp ?? [0, 1]);
  const enabled = OPS.filter((op) => ranges[op] !== null);
  return defineImageTransform<ColorJitterParams>({
    name,
    p: probability(name, options.p ?? 1),
    outputSize(shape) {
      checkChannels(name, shape, enabled);
      return shape;
    },
    drawOne(rng) {
      const perm = rng.permutation(OPS.length);
      const params: ColorJitterParams = { order: [] };
      for (const k of perm) {
        const op = OPS[k];
        const r = ranges[op];
        if (r === null) continue;
        params.order.push(op);
        params[op] = rng.uniform(r[0], r[1]);
      }
      return params;
    },
    applyOne(src, out, i, shape, _o, params) {
      checkOrder(name, params.order, shape);
      replayed(name, params, params.order, false);
      const { c, h, w } = shape;
      const start = i * c * h * w;
      const end = start + c * h * w;
      for (let k = start; k < end; k++) out[k] = src[k];
      for (const op of params.order) {
        const f = params[op] as number;
        if (op === 'brightness') blend(out, start, end, f, 0, clamp);
        else if (op === 'contrast') blend(out, start, end, f, meanGrey(out, start, c, h * w), clamp);
        else if (op === 'saturation') saturate(out, start, h * w, f, clamp);
        else shiftHue(out, start, h * w, f, clamp);
      }
    },
  });
}

function checkChannels(name: string, shape: ImageShape, enabled: readonly JitterOp[]): void {
  const where = `(batch ${formatShape(dims(shape))})`;
  const rgbOnly = enabled.filter((op) => op === 'saturation' || op === 'hue');
  if (rgbOnly.length > 0 && shape.c !== 3) {
    throw new AugmentError(name, `${rgbOnly.join(' and ')} need${rgbOnly.length === 1 ? 's' : ''} 3-channel RGB images, got ${shape.c} channel${shape.c === 1 ? '' : 's'} ${where}; for grey images use brightness and contrast only`);
  }
  if (enabled.includes('contrast') && shape.c !== 1 && shape.c !== 3) {
    throw new AugmentError(name, `contrast needs 1-channel (grey) or 3-channel (RGB) images, got ${shape.c} channels ${where}`);
  }
}

/**
 * A replayed `order` must list known adjustments, each at most once, that the batch's channel
 * count allows: an unknown name would run as a hue shift, and saturation or hue on a grey
 * image would read the next image's pixels (or past the batch, giving NaN).
 */
function checkOrder(name: string, order: unknown, shape: ImageShape): void {
  const ok = Array.isArray(order) && order.every((op, k) => OPS.includes(op as JitterOp) && order.indexOf(op) === k);
  if (!ok) throw new AugmentError(name, `replayed parameter order must list distinct adjustments among ${OPS.join(', ')}, got ${JSON.stringify(order)}`);
  checkChannels(name, shape, order as JitterOp[]);
}

/** `v ← f·v + (1 − f)·ref` over [start, end), clamped. */
function blend(a: Float32Array, start: number, end: number, f: number, ref: number, clamp: Range | null): void {
  const add = (1 - f) * ref;
  if (clamp === null) for (let k = start; k < end; k++) a[k] = f * a[k] + add;
  else for (let k = start; k < end; k++) a[k] = Math.min(clamp[1], Math.max(clamp[0], f * a[k] + add));
}

/** Mean grey level of one image (the mean itself for one channel, luma for RGB). */
function meanGrey(a: Float32Array, start: number, c: number, plane: number): number {
  let sum = 0;
  if (c === 1) for (let k = 0; k < plane; k++) sum += a[start + k];
  else for (let k = 0; k < plane; k++) sum += LR * a[start + k] + LG * a[start + plane + k] + LB * a[start + 2 * plane + k];
  return sum / plane;
}

function saturate(a: Float32Array, start: number, plane: number, f: number, clamp: Range | null): void {
  const [lo, hi] = clamp ?? [-Infinity, Infinity];
  for (let k = start; k < start + plane; k++) {
    const grey = (1 - f) * (LR * a[k] + LG * a[k + plane] + LB * a[k + 2 * plane]);
    for (let ch = 0; ch < 3; ch++) {
      const j = k + ch * plane;
      a[j] = Math.min(hi, Math.max(lo, f * a[j] + grey));
    }
  }
}

/** Rotates the hue of each RGB pixel by `shift` turns (HSV round trip, as torchvision's adjust_hue). */
function shiftHue(a: Float32Array, start: number, plane: number, shift: number, clamp: Range | null): void {
  const [lo, hi] = clamp ?? [-Infinity, Infinity];
  for (let k = start; k < start + plane; k++) {
    const r = a[k];
    const g = a[k + plane];
    const b = a[k + 2 * plane];
    const max = Math.max(r, g, b);
    const min = Math.min(r, g, b);
    const chroma = max - min;
    if (chroma === 0) continue; // grey: no hue to turn
    const s = max === 0 ? 0 : chroma / max;
    let hue: number;
    if (max === r) hue = (g - b) / chroma;
    else if (max === g) hue = 2 + (b - r) / chroma;
    else hue = 4 + (r - g) / chroma;
    hue = (((hue / 6 + shift) % 1) + 1) % 1;
    const six = hue * 6;
    const sector = Math.floor(six) % 6;
    const frac = six - Math.floor(six);
    const p = max * (1 - s);
    const q = max * (1 - s * frac);
    const t = max * (1 - s * (1 - frac));
    let nr = max;
    let ng = p;
    let nb = q; // sector 5
    switch (sector) {
      case 0: ng = t; nb = p; break;
      case 1: nr = q; ng = max; nb = p; break;
      case 2: nr = p; ng = max; nb = t; break;
      case 3: nr = p; ng = q; nb = max; break;
      case 4: nr = t; ng = p; nb = max; break;
    }
    a[k] = Math.min(hi, Math.max(lo, nr));
    a[k + plane] = Math.min(hi, Math.max(lo, ng));
    a[k + 2 * plane] = Math.min(hi, Math.max(lo, nb));
  }
}
