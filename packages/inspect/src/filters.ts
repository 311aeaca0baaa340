import { Conv2d } from '@trainkit/nn';
import { Tensor, formatShape } from '@trainkit/tensor';
import { InspectError } from './errors';
import { type Rgb, type Tile, gridSvg } from './svg';
import { type Palette, channelLevel, channelMean, mapTile } from './tiles';

/** Options of {@link filterGrid}. */
export interface FilterGridOptions {
  /** Screen pixels per weight (default: a tile about 56 pixels wide). */
  scale?: number;
  /** `diverging` (default: negative blue, zero white, positive red) or `gray`. */
  palette?: Palette;
  /** Filters per row (default: about the square root of the count). */
  columns?: number;
  /** A line of text above the grid. */
  title?: string;
}

/** The filters of a convolution: the grid picture, and how many filters of what size it shows. */
export interface FilterGrid {
  svg: string;
  filters: number;
  inChannels: number;
  kernel: [number, number];
}

/** The 4-D weight `[out, in, kh, kw]` of a Conv2d or of a tensor, or an error saying what it got. */
function convWeight(conv: Conv2d | Tensor): Tensor {
  const w = conv instanceof Conv2d ? conv.weight : conv;
  if (!(w instanceof Tensor)) throw new InspectError(`filterGrid: expected a Conv2d or a weight tensor, got ${conv === null ? 'null' : typeof conv}`);
  if (w.rank !== 4) throw new InspectError(`filterGrid: a convolution weight is 4-D [out, in, kh, kw], got shape ${formatShape(w.shape)}`);
  return w;
}

/**
 * A colour filter: each of its three input channels is a colour channel, 0 grey, scaled by the
 * largest finite magnitude; a NaN or ±Infinity weight is drawn as 0 (grey).
 */
function rgbFilterTile(d: Float32Array, offset: number, kh: number, kw: number, caption: string): Tile {
  const plane = kh * kw;
  let m = 0;
  for (let i = 0; i < 3 * plane; i++) if (Number.isFinite(d[offset + i])) m = Math.max(m, Math.abs(d[offset + i]));
  const level = (i: number): number => channelLevel(127.5 + (127.5 * d[offset + i]) / (m || 1));
  const pixels: Rgb[] = [];
  for (let i = 0; i < plane; i++) pixels.push([level(i), level(plane + i), level(2 * plane + i)]);
  return { width: kw, height: kh, pixels, caption };
}

/**
 * The filters of a convolution (usually the first) as an image grid, each filter normalized on
 * its own. A filter over three input channels is drawn in colour (RGB, 0 as grey); any other
 * count as the mean over its input channels, in the chosen palette.
 *
 * @example
 * const { svg } = filterGrid(model.at('conv1') as Conv2d, { scale: 8 });
 */
export function filterGrid(conv: Conv2d | Tensor, options: FilterGridOptions = {}): FilterGrid {
  const w = convWeight(conv);
  const [out, inC, kh, kw] = w.shape;
  if (options.scale !== undefined && !(Number.isInteger(options.scale) && options.scale > 0)) {
    throw new InspectError(`filterGrid: scale must be a positive integer, got ${options.scale}`);
  }
  const tiles: Tile[] = [];
  for (let f = 0; f < out; f++) {
    const offset = f * inC * kh * kw;
    if (inC === 3) tiles.push(rgbFilterTile(w.data, offset, kh, kw, String(f)));
    else tiles.push(mapTile(channelMean(w.data, offset, inC, kh, kw), kh, kw, options.palette ?? 'diverging', String(f)));
  }
  const svg = gridSvg(tiles, { scale: options.scale, columns: options.columns, title: options.title });
  return { svg, filters: out, inChannels: inC, kernel: [kh, kw] };
}
