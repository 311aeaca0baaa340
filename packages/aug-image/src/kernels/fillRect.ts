/**
 * Sets the rectangle rows [top, top + height) × columns [left, left + width) of every
 * channel of one `c × h × w` image (starting at `oo`) to that channel's value.
 */
export function fillRect(out: Float32Array, oo: number, c: number, h: number, w: number, top: number, left: number, height: number, width: number, values: readonly number[]): void {
  for (let ch = 0; ch < c; ch++) {
    const v = values[ch];
    for (let y = top; y < top + height; y++) {
      const row = oo + (ch * h + y) * w;
      for (let x = left; x < left + width; x++) out[row + x] = v;
    }
  }
}
