// im2col / col2im over one [C, H, W] image, as in src/kernels/im2col.ts (byte-offset pointers).

@inline
function zeros(dst: usize, n: i32): void {
  for (; n >= 4; n -= 4) {
    v128.store(dst, i32x4.splat(0));
    dst += 16;
  }
  for (; n > 0; n--) {
    store<f32>(dst, 0);
    dst += 4;
  }
}

@inline
function copy(dst: usize, src: usize, n: i32): void {
  for (; n >= 4; n -= 4) {
    v128.store(dst, v128.load(src));
    dst += 16;
    src += 16;
  }
  for (; n > 0; n--) {
    store<f32>(dst, load<f32>(src));
    dst += 4;
    src += 4;
  }
}

/**
 * Unfolds the image at `x` into `cols` [C·KH·KW, OH·OW]: row (c, kh, kw) holds the pixel each
 * output position sees through that tap, 0 in the padding.
 */
export function im2col(
  x: usize, C: i32, H: i32, W: i32, KH: i32, KW: i32, OH: i32, OW: i32,
  strideH: i32, strideW: i32, padH: i32, padW: i32, dilationH: i32, dilationW: i32, cols: usize,
): void {
  im2colRows(x, C, H, W, KH, KW, OH, OW, strideH, strideW, padH, padW, dilationH, dilationW, 0, C * KH * KW, cols);
}

/** Rows [r0, r1) of {@link im2col}, written from `cols` on (row r0 first). */
export function im2colRows(
  x: usize, C: i32, H: i32, W: i32, KH: i32, KW: i32, OH: i32, OW: i32,
  strideH: i32, strideW: i32, padH: i32, padW: i32, dilationH: i32, dilationW: i32, r0: i32, r1: i32, cols: usize,
): void {
  let dst = cols;
  for (let r = r0; r < r1; r++) {
    const c = r / (KH * KW);
    const kh = (r / KW) % KH;
    const kw = r % KW;
    const plane = x + ((<usize>c * H * W) << 2);
    const dx = kw * dilationW - padW;
    const lo = strideW == 1 ? min(OW, max(0, -dx)) : 0;
    const hi = strideW == 1 ? max(lo, min(OW, W - dx)) : 0;
    for (let oh = 0; oh < OH; oh++) {
      const ih = oh * strideH - padH + kh * dilationH;
      if (ih < 0 || ih >= H) {
        zeros(dst, OW);
      } else {
        const src = plane + ((<usize>ih * W) << 2);
        if (strideW == 1) {
          // rows are short (tens of floats): plain loops beat memory.copy/fill calls
          zeros(dst, lo);
          copy(dst + (<usize>lo << 2), src + (<usize>(lo + dx) << 2), hi - lo);
          zeros(dst + (<usize>hi << 2), OW - hi);
        } else {
          for (let ow = 0; ow < OW; ow++) {
            const iw = ow * strideW + dx;
            store<f32>(dst + (<usize>ow << 2), iw >= 0 && iw < W ? load<f32>(src + (<usize>iw << 2)) : 0);
          }
        }
      }
      dst += <usize>OW << 2;
    }
  }
}

/**
 * Copies image `x` [C, H, W] into `xp` [C, H + 2·padH, W + 2·padW] with zeros around it, and 4
 * zero floats after it (the conv GEMMs of convGemm.ts read B from it; packPanel's blended loads
 * read up to 7 floats past the image, within the scratch's CONV_SLACK, and mask those lanes out).
 */
export function padPlanes(x: usize, C: i32, H: i32, W: i32, padH: i32, padW: i32, xp: usize): void {
  const Hp = H + 2 * padH;
  const Wp = W + 2 * padW;
  zeros(xp, C * Hp * Wp + 4);
  for (let c = 0; c < C; c++) {
    for (let h = 0; h < H; h++) copy(xp + ((<usize>(c * Hp + h + padH) * Wp + padW) << 2), x + ((<usize>(c * H + h) * W) << 2), W);
  }
}

/** The adjoint of {@link im2col}: adds each column entry onto the pixel of `dx` it came from. */
export function col2im(
  cols: usize, C: i32, H: i32, W: i32, KH: i32, KW: i32, OH: i32, OW: i32,
  strideH: i32, strideW: i32, padH: i32, padW: i32, dilationH: i32, dilationW: i32, dx: usize,
): void {
  let src = cols;
  for (let c = 0; c < C; c++) {
    const plane = dx + ((<usize>c * H * W) << 2);
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++) {
        const offW = kw * dilationW - padW;
        const lo = strideW == 1 ? min(OW, max(0, -offW)) : 0;
        const hi = strideW == 1 ? max(lo, min(OW, W - offW)) : 0;
        for (let oh = 0; oh < OH; oh++) {
          const ih = oh * strideH - padH + kh * dilationH;
          if (ih >= 0 && ih < H) {
            const row = plane + ((<usize>ih * W) << 2);
            if (strideW == 1) {
              // contiguous run: vector adds, then the scalar tail
              let d = row + (<usize>(lo + offW) << 2);
              let s = src + (<usize>lo << 2);
              let n = hi - lo;
              for (; n >= 4; n -= 4) {
                v128.store(d, f32x4.add(v128.load(d), v128.load(s)));
                d += 16;
                s += 16;
              }
              for (; n > 0; n--) {
                store<f32>(d, load<f32>(d) + load<f32>(s));
                d += 4;
                s += 4;
              }
            } else {
              for (let ow = 0; ow < OW; ow++) {
                const iw = ow * strideW + offW;
                if (iw >= 0 && iw < W) {
                  const d = row + (<usize>iw << 2);
                  store<f32>(d, load<f32>(d) + load<f32>(src + (<usize>ow << 2)));
                }
              }
            }
          }
          src += <usize>OW << 2;
        }
      }
    }
  }
}
