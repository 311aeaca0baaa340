import { describe, expect, test } from 'vitest';
import { decode, encode } from 'fast-png';
import { GLYPH, drawText, glyphsForTest, textWidth } from './font';
import { renderGrid } from './grid';
import { PREVIEW_ROWS } from './rows';

describe('aug-preview grid', () => {
  test('lays out label + n images per row and survives a PNG round trip', () => {
    const a = new Float32Array(2 * 3 * 4).fill(1); // two white 3×4 images
    const b = Float32Array.from({ length: 24 }, (_, k) => (k % 2 === 0 ? 0 : 2)); // clamps to 0 and 1
    const img = renderGrid([{ label: 'ab', images: a }, { label: 'c', images: b }], { n: 2, h: 3, w: 4, scale: 2, labelScale: 1 });
    const labelW = textWidth('ab', 1) + 8;
    expect(img.width).toBe(2 * 10 + labelW + 2 * 8 + 4);
    expect(img.height).toBe(2 * 10 + 2 * 6 + 4 + 8);
    // the first image's top-left pixel is white; the second row's first pixel is black (clamped 0)
    expect(img.data[10 * img.width + 10 + labelW]).toBe(255);
    expect(img.data[(10 + 6 + 4 + 8) * img.width + 10 + labelW]).toBe(0);
    const png = decode(encode({ width: img.width, height: img.height, data: img.data, channels: 1, depth: 8 }));
    expect([png.width, png.height, png.channels]).toEqual([img.width, img.height, 1]);
    expect(Array.from(png.data)).toEqual(Array.from(img.data));
  });

  test('a row with the wrong number of values is refused', () => {
    expect(() => renderGrid([{ label: 'x', images: new Float32Array(3) }], { n: 1, h: 2, w: 2, scale: 1, labelScale: 1 })).toThrow('aug-preview: row "x" has 3 values, expected 1×2×2');
  });

  test('every glyph is 5×7 and every preview label can be drawn', () => {
    for (const rows of Object.values(glyphsForTest)) expect(rows.map((r) => r.length)).toEqual(Array(GLYPH.h).fill(GLYPH.w));
    for (const { label } of PREVIEW_ROWS) for (const ch of label) expect(Object.keys(glyphsForTest)).toContain(/[a-z]/.test(ch) ? ch.toUpperCase() : ch);
  });

  test('text is drawn with the font: an "I" has a vertical stroke in its middle column', () => {
    const px = new Uint8Array(5 * 7);
    drawText(px, 5, 'i', 0, 0, 1, 9);
    expect([1, 2, 3, 4, 5].map((y) => px[y * 5 + 2])).toEqual([9, 9, 9, 9, 9]);
  });
});
