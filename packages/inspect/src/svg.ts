import { InspectError } from './errors';

/** An RGB colour, each channel in [0, 255]. */
export type Rgb = readonly [number, number, number];

/** One picture of a grid: `width × height` pixels in row-major order, and a caption under it. */
export interface Tile {
  readonly width: number;
  readonly height: number;
  readonly pixels: readonly Rgb[];
  readonly caption?: string;
}

/** How a grid is laid out. */
export interface GridOptions {
  /** Screen pixels per image pixel (default: what makes a tile about 56 pixels wide). */
  scale?: number;
  /** Tiles per row (default: about the square root of the count). */
  columns?: number;
  /** A line of text above the grid. */
  title?: string;
}

/** `s` with the five XML special characters escaped, safe inside SVG text and attributes. */
export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/**
 * A size option of a picture (`scale`, `columns`): undefined (the default) or a positive finite
 * number; otherwise an error naming the function, since a NaN or 0 would write `width="NaN"`.
 */
export function positiveOption(who: string, key: string, v: number | undefined): number | undefined {
  if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v > 0)) throw new InspectError(`${who}: ${key} must be a positive number, got ${v}`);
  return v;
}

const clamp01 = (v: number): number => (Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0);

/** `v` in [0, 1] as a grey: 0 black, 1 white. */
export function gray(v: number): Rgb {
  const g = Math.round(255 * clamp01(v));
  return [g, g, g];
}

/** `v` in [−1, 1] on a blue–white–red scale: negative blue, zero white, positive red. */
export function diverging(v: number): Rgb {
  const t = clamp01(Math.abs(v));
  const fade = Math.round(255 * (1 - t));
  return v >= 0 ? [255, fade, fade] : [fade, fade, 255];
}

/** `v` in [0, 1] on a heat scale (dark blue → cyan → yellow → red), for class-activation maps. */
export function heat(v: number): Rgb {
  const t = clamp01(v);
  const stops: Rgb[] = [[20, 20, 120], [0, 200, 230], [250, 230, 40], [220, 30, 20]];
  const x = t * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  return [0, 1, 2].map((c) => Math.round(stops[i][c] + f * (stops[i + 1][c] - stops[i][c]))) as unknown as Rgb;
}

/** `a` blended towards `b` by `t` in [0, 1]. */
export function blend(a: Rgb, b: Rgb, t: number): Rgb {
  const u = clamp01(t);
  return [0, 1, 2].map((c) => Math.round(a[c] + u * (b[c] - a[c]))) as unknown as Rgb;
}

const hex = ([r, g, b]: Rgb): string => `#${[r, g, b].map((c) => c.toString(16).padStart(2, '0')).join('')}`;

/** One tile's pixels as rects; horizontal runs of one colour merge into one rect. */
function tileRects(tile: Tile, x0: number, y0: number, scale: number): string[] {
  const out: string[] = [];
  for (let y = 0; y < tile.height; y++) {
    let x = 0;
    while (x < tile.width) {
      const colour = hex(tile.pixels[y * tile.width + x]);
      let end = x + 1;
      while (end < tile.width && hex(tile.pixels[y * tile.width + end]) === colour) end++;
      out.push(`<rect x="${x0 + x * scale}" y="${y0 + y * scale}" width="${(end - x) * scale}" height="${scale}" fill="${colour}"/>`);
      x = end;
    }
  }
  return out;
}

/** Tiles in a grid, each with its caption under it, as a standalone SVG document. */
export function gridSvg(tiles: readonly Tile[], options: GridOptions = {}): string {
  positiveOption('gridSvg', 'scale', options.scale);
  const columns = Math.max(1, Math.min(tiles.length, Math.round(positiveOption('gridSvg', 'columns', options.columns) ?? Math.ceil(Math.sqrt(tiles.length)))));
  const tileW = Math.max(1, ...tiles.map((t) => t.width));
  const tileH = Math.max(1, ...tiles.map((t) => t.height));
  const scale = options.scale ?? Math.max(1, Math.round(56 / tileW));
  const captions = tiles.some((t) => t.caption !== undefined && t.caption !== '');
  const [gap, captionH, titleH] = [6, captions ? 14 : 0, options.title === undefined ? 0 : 22];
  const cellW = Math.max(tileW * scale, captions ? 56 : 0) + gap;
  const cellH = tileH * scale + captionH + gap;
  const rows = Math.ceil(tiles.length / columns);
  const width = gap + columns * cellW;
  const height = titleH + gap + rows * cellH;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="10" shape-rendering="crispEdges">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
  ];
  if (options.title !== undefined) parts.push(`<text x="${gap}" y="16" font-size="13">${escapeXml(options.title)}</text>`);
  tiles.forEach((tile, i) => {
    const x = gap + (i % columns) * cellW;
    const y = titleH + gap + Math.floor(i / columns) * cellH;
    parts.push(`<g>`, ...tileRects(tile, x, y, scale), '</g>');
    if (tile.caption) parts.push(`<text x="${x}" y="${y + tileH * scale + 11}">${escapeXml(tile.caption)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
