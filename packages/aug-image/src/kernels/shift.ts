/**
 * Integer window copy, the kernel behind translation and (padded) cropping: for every
 * channel, `out[y][x] = src[y + offY][x + offX]` where that lies inside the `h × w` source,
 * otherwise the channel's fill value. Image `src` starts at `so`, image `out` at `oo`.
 */
export function shiftCopy(
  src: Float32Array,
  so: number,
  out: Float32Array,
  oo: number,
  c: number,
  h: number,
  w: number,
  outH: number,
  outW: number,
  offY: number,
  offX: number,
  fill: readonly number[],
): void {
  // columns x in [x0, x1) read from the source; the rest are fill
  const x0 = Math.min(outW, Math.max(0, -offX));
  const x1 = Math.max(x0, Math.min(outW, w - offX));
  for (let ch = 0; ch < c; ch++) {
    const f = fill[ch];
    const sBase = so + ch * h * w;
    const oBase = oo + ch * outH * outW;
    for (let y = 0; y < outH; y++) {
      const sy = y + offY;
      const row = oBase + y * outW;
      if (sy < 0 || sy >= h) {
        for (let x = 0; x < outW; x++) out[row + x] = f;
        continue;
      }
      const sRow = sBase + sy * w + offX;
      for (let x = 0; x < x0; x++) out[row + x] = f;
      for (let x = x0; x < x1; x++) out[row + x] = src[sRow + x];
      for (let x = x1; x < outW; x++) out[row + x] = f;
    }
  }
}
