import { GLYPH, drawText, textWidth } from './font';

/** One row of the preview: a label and `n` grey images of `h × w` values in [0, 1] (flat, row-major). */
export interface PreviewRow {
  label: string;
  images: Float32Array;
}

/** Layout of {@link renderGrid}. */
export interface GridLayout {
  /** Images per row. */
  n: number;
  /** Image height and width in pixels. */
  h: number;
  w: number;
  /** Each image pixel becomes a `scale × scale` square. */
  scale: number;
  /** Font pixel size of the labels. */
  labelScale: number;
}

/** An 8-bit grey image. */
export interface GreyImage {
  width: number;
  height: number;
  data: Uint8Array;
}

const MARGIN = 10;
const GAP = 4;
const BACKGROUND = 40;
const INK = 235;
const RULE = 140;

/**
 * Lays the rows out as a grid: the label on the left, then the row's images side by side.
 * The first row (the originals) is set apart from the augmented rows by a rule. Values are
 * clamped to [0, 1] and mapped to 0–255.
 */
export function renderGrid(rows: readonly PreviewRow[], layout: GridLayout): GreyImage {
  const { n, h, w, scale, labelScale } = layout;
  for (const r of rows) if (r.images.length !== n * h * w) throw new Error(`aug-preview: row "${r.label}" has ${r.images.length} values, expected ${n}×${h}×${w}`);
  const labelW = Math.max(0, ...rows.map((r) => textWidth(r.label, labelScale))) + 2 * GAP;
  const cellW = w * scale;
  const cellH = h * scale;
  const ruleH = rows.length > 1 ? 2 * GAP : 0;
  const width = 2 * MARGIN + labelW + n * cellW + (n - 1) * GAP;
  const height = 2 * MARGIN + rows.length * cellH + (rows.length - 1) * GAP + ruleH;
  const data = new Uint8Array(width * height).fill(BACKGROUND);
  rows.forEach((row, r) => {
    const top = MARGIN + r * (cellH + GAP) + (r > 0 ? ruleH : 0);
    drawText(data, width, row.label, MARGIN, top + Math.floor((cellH - GLYPH.h * labelScale) / 2), labelScale, INK);
    for (let i = 0; i < n; i++) {
      const left = MARGIN + labelW + i * (cellW + GAP);
      for (let y = 0; y < cellH; y++)
        for (let x = 0; x < cellW; x++) {
          const v = row.images[i * h * w + Math.floor(y / scale) * w + Math.floor(x / scale)];
          data[(top + y) * width + left + x] = Math.round(255 * Math.min(1, Math.max(0, v)));
        }
    }
  });
  if (ruleH > 0) {
    const y0 = MARGIN + cellH + GAP + GAP / 2 - 1;
    data.fill(RULE, y0 * width + MARGIN, y0 * width + width - MARGIN);
  }
  return { width, height, data };
}
