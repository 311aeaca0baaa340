/** Geometry of a 2-D convolution or pooling window over one [C, H, W] image. */
export interface ConvGeometry {
  C: number;
  H: number;
  W: number;
  KH: number;
  KW: number;
  OH: number;
  OW: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  dilationH: number;
  dilationW: number;
}

/**
 * Unfolds one image (at `xOff` in `x`) into columns: cols is [C·KH·KW, OH·OW], row
 * (c, kh, kw) holding the input pixel each output position sees through that tap (0 in padding).
 */
export function im2col(x: Float32Array, xOff: number, g: ConvGeometry, cols: Float32Array): void {
  const { C, H, W, KH, KW, OH, OW, strideH, strideW, padH, padW, dilationH, dilationW } = g;
  const ohw = OH * OW;
  let row = 0;
  for (let c = 0; c < C; c++) {
    const plane = xOff + c * H * W;
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++, row++) {
        const base = row * ohw;
        const dx = kw * dilationW - padW;
        for (let oh = 0; oh < OH; oh++) {
          const ih = oh * strideH - padH + kh * dilationH;
          const dst = base + oh * OW;
          if (ih < 0 || ih >= H) {
            cols.fill(0, dst, dst + OW);
            continue;
          }
          const src = plane + ih * W;
          if (strideW === 1) {
            // contiguous run: zero the padded edges, copy the middle
            const lo = Math.max(0, -dx);
            const hi = Math.min(OW, W - dx);
            for (let ow = 0; ow < lo && ow < OW; ow++) cols[dst + ow] = 0;
            for (let ow = lo, s = src + lo + dx; ow < hi; ow++, s++) cols[dst + ow] = x[s];
            for (let ow = Math.max(hi, lo); ow < OW; ow++) cols[dst + ow] = 0;
          } else {
            for (let ow = 0; ow < OW; ow++) {
              const iw = ow * strideW + dx;
              cols[dst + ow] = iw >= 0 && iw < W ? x[src + iw] : 0;
            }
          }
        }
      }
    }
  }
}

/** The adjoint of {@link im2col}: adds each column entry back onto the pixel it came from. */
export function col2im(cols: Float32Array, g: ConvGeometry, dx: Float32Array, dxOff: number): void {
  const { C, H, W, KH, KW, OH, OW, strideH, strideW, padH, padW, dilationH, dilationW } = g;
  const ohw = OH * OW;
  let row = 0;
  for (let c = 0; c < C; c++) {
    const plane = dxOff + c * H * W;
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++, row++) {
        const base = row * ohw;
        const offW = kw * dilationW - padW;
        for (let oh = 0; oh < OH; oh++) {
          const ih = oh * strideH - padH + kh * dilationH;
          if (ih < 0 || ih >= H) continue;
          const dst = plane + ih * W;
          const src = base + oh * OW;
          for (let ow = 0; ow < OW; ow++) {
            const iw = ow * strideW + offW;
            if (iw >= 0 && iw < W) dx[dst + iw] += cols[src + ow];
          }
        }
      }
    }
  }
}
