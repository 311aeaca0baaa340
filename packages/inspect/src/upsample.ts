/**
 * Bilinear resize of an `h × w` map to `outH × outW`, sampling at pixel centres (PyTorch's
 * `interpolate(mode='bilinear', align_corners=False)`).
 */
export function bilinear(map: ArrayLike<number>, h: number, w: number, outH: number, outW: number): Float32Array {
  const out = new Float32Array(outH * outW);
  const source = (i: number, n: number, outN: number): [number, number, number] => {
    const s = Math.min(n - 1, Math.max(0, ((i + 0.5) * n) / outN - 0.5));
    const lo = Math.floor(s);
    return [lo, Math.min(n - 1, lo + 1), s - lo];
  };
  for (let y = 0; y < outH; y++) {
    const [y0, y1, fy] = source(y, h, outH);
    for (let x = 0; x < outW; x++) {
      const [x0, x1, fx] = source(x, w, outW);
      const top = map[y0 * w + x0] * (1 - fx) + map[y0 * w + x1] * fx;
      const bottom = map[y1 * w + x0] * (1 - fx) + map[y1 * w + x1] * fx;
      out[y * outW + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}
