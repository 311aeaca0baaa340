import { type Rgb, type Tile, blend, diverging, gray, heat } from './svg';

/** How the values of a map become colours. */
export type Palette = 'gray' | 'diverging';

/** The smallest and the largest finite value of `values`. */
function range(values: ArrayLike<number>): [number, number] {
  let [lo, hi] = [Infinity, -Infinity];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  }
  return lo > hi ? [0, 0] : [lo, hi];
}

/**
 * A colour channel: `level` rounded into [0, 255], or the neutral middle grey 128 when it is not
 * finite (a NaN or ±Infinity value), so that every pixel is a valid `#rrggbb`.
 */
export const channelLevel = (level: number): number => (Number.isFinite(level) ? Math.min(255, Math.max(0, Math.round(level))) : 128);

/**
 * One 2-D map (`height × width` values, row-major) as a tile. `gray` stretches the values'
 * range to black–white; `diverging` keeps zero white and scales by the largest magnitude.
 */
export function mapTile(values: ArrayLike<number>, height: number, width: number, palette: Palette = 'gray', caption?: string): Tile {
  const [lo, hi] = range(values);
  const pixels: Rgb[] = [];
  if (palette === 'diverging') {
    const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    for (let i = 0; i < height * width; i++) pixels.push(diverging(values[i] / m));
  } else {
    const span = hi - lo || 1;
    for (let i = 0; i < height * width; i++) pixels.push(gray((values[i] - lo) / span));
  }
  return { width, height, pixels, caption };
}

/** The mean over `channels` planes of `height × width` values starting at `offset`. */
export function channelMean(data: ArrayLike<number>, offset: number, channels: number, height: number, width: number): Float32Array {
  const plane = height * width;
  const out = new Float32Array(plane);
  for (let c = 0; c < channels; c++) for (let i = 0; i < plane; i++) out[i] += data[offset + c * plane + i] / channels;
  return out;
}

/**
 * An image stored as `channels × height × width` values from `offset`: three channels as
 * colour (the range of the finite values of all three stretched to [0, 255], a non-finite
 * value drawn as the middle grey 128), any other count as the grey of their mean.
 */
export function imageTile(data: ArrayLike<number>, offset: number, channels: number, height: number, width: number, caption?: string): Tile {
  if (channels !== 3) return mapTile(channelMean(data, offset, channels, height, width), height, width, 'gray', caption);
  const plane = height * width;
  const [lo, hi] = range(Array.from({ length: 3 * plane }, (_, i) => data[offset + i]));
  const span = hi - lo || 1;
  const level = (i: number): number => channelLevel((255 * (data[offset + i] - lo)) / span);
  const pixels: Rgb[] = [];
  for (let i = 0; i < plane; i++) pixels.push([level(i), level(plane + i), level(2 * plane + i)]);
  return { width, height, pixels, caption };
}

/** Grey values of an image in [0, 1] (channel mean, range stretched), for overlays. */
export function imageGray(data: ArrayLike<number>, offset: number, channels: number, height: number, width: number): Float32Array {
  const m = channelMean(data, offset, channels, height, width);
  const [lo, hi] = range(m);
  const span = hi - lo || 1;
  return m.map((v) => (v - lo) / span);
}

/**
 * The image stored as `channels × height × width` values from `offset`, in grey, covered by
 * `map` (`height × width` values in [0, 1]) on the heat scale with opacity `alpha`: a
 * Grad-CAM overlay.
 */
export function overlayTile(data: ArrayLike<number>, offset: number, channels: number, height: number, width: number, map: ArrayLike<number>, alpha: number, caption?: string): Tile {
  const picture = imageGray(data, offset, channels, height, width);
  return { width, height, pixels: Array.from(picture, (v, i) => blend(gray(v), heat(map[i]), alpha)), caption };
}
