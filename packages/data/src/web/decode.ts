import { withUprightExif } from './exif';
import type { WebDecodeSpec } from './options';

/** Where an image goes on the output canvas: the source rectangle drawn into the destination rectangle. */
export interface Placement {
  sx: number;
  sy: number;
  sw: number;
  sh: number;
  dx: number;
  dy: number;
  dw: number;
  dh: number;
}

/**
 * How a `width × height` image is drawn into the spec's canvas: `'fill'` stretches the whole
 * image over it; `'cover'` scales it to cover the canvas and crops the centre of the source;
 * `'contain'` scales it to fit inside and centres it (the rest stays black).
 */
export function placement(width: number, height: number, spec: WebDecodeSpec): Placement {
  const W = spec.width;
  const H = spec.height;
  const whole = { sx: 0, sy: 0, sw: width, sh: height };
  if (spec.fit === 'fill') return { ...whole, dx: 0, dy: 0, dw: W, dh: H };
  if (spec.fit === 'cover') {
    const scale = Math.max(W / width, H / height);
    const sw = Math.min(width, W / scale);
    const sh = Math.min(height, H / scale);
    return { sx: (width - sw) / 2, sy: (height - sh) / 2, sw, sh, dx: 0, dy: 0, dw: W, dh: H };
  }
  const scale = Math.min(W / width, H / height);
  const dw = Math.min(W, Math.max(1, Math.round(width * scale)));
  const dh = Math.min(H, Math.max(1, Math.round(height * scale)));
  return { ...whole, dx: Math.floor((W - dw) / 2), dy: Math.floor((H - dh) / 2), dw, dh };
}

/** sRGB byte → linear light in [0, 1]. */
const LINEAR = Float64Array.from({ length: 256 }, (_, v) => (v <= 10 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4));

/** Linear light in [0, 1] → sRGB byte. */
function srgbByte(y: number): number {
  return Math.round(255 * (y <= 0.0031308 ? 12.92 * y : 1.055 * y ** (1 / 2.4) - 0.055));
}

/**
 * RGBA pixels (`ImageData.data`) to channel-major bytes: R, G, B planes, or one grey plane
 * computed as sharp/libvips's `b-w` does (what `@trainkit/data/node` uses): Rec. 709 luminance
 * (0.2126 R + 0.7152 G + 0.0722 B) of the linear-light values, encoded back with the sRGB curve.
 */
export function rgbaToChw(rgba: Uint8ClampedArray | Uint8Array, channels: 1 | 3): Uint8Array {
  const plane = rgba.length / 4;
  const out = new Uint8Array(plane * channels);
  if (channels === 1) {
    for (let p = 0; p < plane; p++) out[p] = srgbByte(0.2126 * LINEAR[rgba[4 * p]] + 0.7152 * LINEAR[rgba[4 * p + 1]] + 0.0722 * LINEAR[rgba[4 * p + 2]]);
    return out;
  }
  for (let p = 0; p < plane; p++) {
    out[p] = rgba[4 * p];
    out[plane + p] = rgba[4 * p + 1];
    out[2 * plane + p] = rgba[4 * p + 2];
  }
  return out;
}

/** Enough of a file's start to hold a JPEG's Exif segment (at most 64 KiB, after the APP0 segment). */
const HEAD_BYTES = 1 << 17;

/**
 * Decodes a file as `@trainkit/data/node` (sharp) reads it: alpha not premultiplied, and a
 * JPEG's EXIF orientation applied (the browser's default, as sharp's `rotate()`) or, with
 * `'ignore'`, not (sharp without `rotate()`; Chromium rotates even with `imageOrientation: 'none'`,
 * so the tag is set to 1 in a copy of the file's first bytes).
 */
async function bitmapOf(blob: Blob, head: Uint8Array, orientation: WebDecodeSpec['orientation']): Promise<ImageBitmap> {
  const upright = orientation === 'ignore' ? withUprightExif(head) : null;
  const source = upright === null ? blob : new Blob([upright as Uint8Array<ArrayBuffer>, blob.slice(head.length)]);
  return createImageBitmap(source, { premultiplyAlpha: 'none' });
}

let glCanvas: OffscreenCanvas | null | undefined;

/**
 * The bitmap's RGBA bytes with alpha not applied (a transparent pixel keeps the colour stored in
 * the file), read through a WebGL2 texture, which a 2D canvas cannot do (it stores colours
 * multiplied by alpha). Null where the runtime has no WebGL2.
 */
function straightRgba(bitmap: ImageBitmap): Uint8ClampedArray<ArrayBuffer> | null {
  glCanvas ??= typeof OffscreenCanvas === 'function' ? new OffscreenCanvas(1, 1) : null;
  const gl = glCanvas?.getContext('webgl2') ?? null;
  if (gl === null || gl.isContextLost()) return null;
  const tex = gl.createTexture();
  const fb = gl.createFramebuffer();
  try {
    gl.bindTexture(gl.TEXTURE_2D, tex);
    gl.pixelStorei(gl.UNPACK_PREMULTIPLY_ALPHA_WEBGL, false);
    gl.pixelStorei(gl.UNPACK_FLIP_Y_WEBGL, false);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, gl.RGBA, gl.UNSIGNED_BYTE, bitmap);
    gl.bindFramebuffer(gl.FRAMEBUFFER, fb);
    gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, tex, 0);
    if (gl.checkFramebufferStatus(gl.FRAMEBUFFER) !== gl.FRAMEBUFFER_COMPLETE) return null;
    const px = new Uint8ClampedArray(bitmap.width * bitmap.height * 4);
    gl.readPixels(0, 0, bitmap.width, bitmap.height, gl.RGBA, gl.UNSIGNED_BYTE, px); // rows top first: the texture's first row is the image's
    return gl.getError() === gl.NO_ERROR ? px : null;
  } finally {
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
    gl.deleteFramebuffer(fb);
    gl.deleteTexture(tex);
  }
}

/**
 * The image at its own size on an opaque canvas, alpha dropped as sharp's `removeAlpha()` does:
 * each pixel keeps its colour whatever its opacity. JPEGs (never transparent) are drawn as they are.
 */
function opaqueSource(head: Uint8Array, bitmap: ImageBitmap): ImageBitmap | OffscreenCanvas {
  if (head[0] === 0xff && head[1] === 0xd8) return bitmap;
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (ctx === null) throw new Error('imageFolder: OffscreenCanvas gave no 2d context');
  ctx.drawImage(bitmap, 0, 0);
  const seen = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
  let opaque = true;
  for (let i = 3; i < seen.data.length && opaque; i += 4) opaque = seen.data[i] === 255;
  if (opaque) return bitmap;
  // without WebGL2, the 2D canvas's un-premultiplied colours (exact where opaque, black where fully transparent)
  const px = straightRgba(bitmap) ?? seen.data;
  for (let i = 3; i < px.length; i += 4) px[i] = 255;
  ctx.putImageData(new ImageData(px, bitmap.width, bitmap.height), 0, 0);
  return canvas;
}

/**
 * Decodes one image file with the browser's own decoders (`createImageBitmap`; PNG, JPEG,
 * WebP, GIF's first frame), as sharp reads it in `@trainkit/data/node` (turned upright by a
 * JPEG's EXIF orientation unless the spec says `'ignore'`, alpha dropped, grey as libvips
 * computes it), and draws it, resized, onto a black `OffscreenCanvas` (the padding of
 * `'contain'`); returns its CHW bytes. Rejects with the browser's reason when the file is not a
 * decodable image.
 */
export async function decodeBlob(blob: Blob, spec: WebDecodeSpec): Promise<Uint8Array> {
  if (typeof createImageBitmap !== 'function' || typeof OffscreenCanvas !== 'function') {
    throw new Error('imageFolder: this runtime has no createImageBitmap / OffscreenCanvas (in Node, use imageFolder from @trainkit/data/node)');
  }
  const head = new Uint8Array(await blob.slice(0, HEAD_BYTES).arrayBuffer());
  const bitmap = await bitmapOf(blob, head, spec.orientation);
  try {
    const source = opaqueSource(head, bitmap);
    const canvas = new OffscreenCanvas(spec.width, spec.height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (ctx === null) throw new Error('imageFolder: OffscreenCanvas gave no 2d context');
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, spec.width, spec.height);
    ctx.imageSmoothingQuality = 'high';
    const p = placement(bitmap.width, bitmap.height, spec);
    ctx.drawImage(source, p.sx, p.sy, p.sw, p.sh, p.dx, p.dy, p.dw, p.dh);
    return rgbaToChw(ctx.getImageData(0, 0, spec.width, spec.height).data, spec.channels);
  } finally {
    bitmap.close();
  }
}
