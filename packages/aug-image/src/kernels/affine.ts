/**
 * An inverse affine map from output pixel (x, y) to source position:
 * `sx = a·x + b·y + tx`, `sy = c·x + d·y + ty` (pixel centres at integer coordinates).
 */
export interface InverseAffine {
  a: number;
  b: number;
  tx: number;
  c: number;
  d: number;
  ty: number;
}

/**
 * Bilinear resampling of one `ch × h × w` image through an inverse affine map. A source
 * neighbour outside the image counts as the channel's fill value, so every output is a convex
 * combination of input pixels and fill (within their range), and a map that lands on integer
 * positions copies pixels exactly. Image `src` starts at `so`, image `out` at `oo`.
 */
export function sampleBilinear(
  src: Float32Array,
  so: number,
  out: Float32Array,
  oo: number,
  ch: number,
  h: number,
  w: number,
  m: InverseAffine,
  fill: readonly number[],
): void {
  const plane = h * w;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const sx = m.a * x + m.b * y + m.tx;
      const sy = m.c * x + m.d * y + m.ty;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      const o = oo + y * w + x;
      if (x0 >= 0 && y0 >= 0 && x0 + 1 < w && y0 + 1 < h) {
        // interior: all four neighbours exist
        let p = so + y0 * w + x0;
        for (let k = 0; k < ch; k++, p += plane) {
          const top = (1 - fx) * src[p] + fx * src[p + 1];
          const bottom = (1 - fx) * src[p + w] + fx * src[p + w + 1];
          out[o + k * plane] = (1 - fy) * top + fy * bottom;
        }
      } else if (x0 < -1 || y0 < -1 || x0 >= w || y0 >= h) {
        for (let k = 0; k < ch; k++) out[o + k * plane] = fill[k];
      } else {
        // border: neighbours outside the image take the fill value
        const inX0 = x0 >= 0;
        const inX1 = x0 + 1 < w;
        const inY0 = y0 >= 0;
        const inY1 = y0 + 1 < h;
        for (let k = 0; k < ch; k++) {
          const f = fill[k];
          const p = so + k * plane + y0 * w + x0;
          const v00 = inY0 && inX0 ? src[p] : f;
          const v01 = inY0 && inX1 ? src[p + 1] : f;
          const v10 = inY1 && inX0 ? src[p + w] : f;
          const v11 = inY1 && inX1 ? src[p + w + 1] : f;
          out[o + k * plane] = (1 - fy) * ((1 - fx) * v00 + fx * v01) + fy * ((1 - fx) * v10 + fx * v11);
        }
      }
    }
  }
}

/** Round half to even (as C's nearbyint, which grid_sample's nearest mode uses). */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Nearest-neighbour resampling of one `ch × h × w` image through an inverse affine map
 * (torchvision's `InterpolationMode.NEAREST`): each output pixel copies the source pixel
 * nearest to its source position, or takes the channel's fill value when that pixel lies
 * outside the image.
 */
export function sampleNearest(
  src: Float32Array,
  so: number,
  out: Float32Array,
  oo: number,
  ch: number,
  h: number,
  w: number,
  m: InverseAffine,
  fill: readonly number[],
): void {
  const plane = h * w;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const sx = roundHalfEven(m.a * x + m.b * y + m.tx);
      const sy = roundHalfEven(m.c * x + m.d * y + m.ty);
      const o = oo + y * w + x;
      if (sx >= 0 && sy >= 0 && sx < w && sy < h) for (let k = 0, p = so + sy * w + sx; k < ch; k++, p += plane) out[o + k * plane] = src[p];
      else for (let k = 0; k < ch; k++) out[o + k * plane] = fill[k];
    }
  }
}
