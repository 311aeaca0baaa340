/**
 * Bilinear resize of the window (top, left, height, width) of one `ch × h × w` image to
 * `outH × outW`, with PyTorch's `align_corners=False` sampling (no antialiasing): output
 * pixel (x, y) reads the window at ((x + 0.5)·width/outW − 0.5, (y + 0.5)·height/outH − 0.5),
 * clamped to the window. Outputs are convex combinations of window pixels.
 */
export function resizeBilinear(
  src: Float32Array,
  so: number,
  out: Float32Array,
  oo: number,
  ch: number,
  h: number,
  w: number,
  top: number,
  left: number,
  height: number,
  width: number,
  outH: number,
  outW: number,
): void {
  const sy = height / outH;
  const sx = width / outW;
  for (let y = 0; y < outH; y++) {
    const fyRaw = Math.min(height - 1, Math.max(0, (y + 0.5) * sy - 0.5));
    const y0 = Math.floor(fyRaw);
    const y1 = Math.min(y0 + 1, height - 1);
    const fy = fyRaw - y0;
    for (let x = 0; x < outW; x++) {
      const fxRaw = Math.min(width - 1, Math.max(0, (x + 0.5) * sx - 0.5));
      const x0 = Math.floor(fxRaw);
      const x1 = Math.min(x0 + 1, width - 1);
      const fx = fxRaw - x0;
      for (let k = 0; k < ch; k++) {
        const base = so + k * h * w + top * w + left;
        const r0 = base + y0 * w;
        const r1 = base + y1 * w;
        const a = (1 - fx) * src[r0 + x0] + fx * src[r0 + x1];
        const b = (1 - fx) * src[r1 + x0] + fx * src[r1 + x1];
        out[oo + (k * outH + y) * outW + x] = (1 - fy) * a + fy * b;
      }
    }
  }
}
