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

/** RGBA pixels (`ImageData.data`) to channel-major bytes: R, G, B planes, or one BT.601 luma plane. */
export function rgbaToChw(rgba: Uint8ClampedArray | Uint8Array, channels: 1 | 3): Uint8Array {
  const plane = rgba.length / 4;
  const out = new Uint8Array(plane * channels);
  if (channels === 1) {
    for (let p = 0; p < plane; p++) out[p] = Math.round(0.299 * rgba[4 * p] + 0.587 * rgba[4 * p + 1] + 0.114 * rgba[4 * p + 2]);
    return out;
  }
  for (let p = 0; p < plane; p++) {
    out[p] = rgba[4 * p];
    out[plane + p] = rgba[4 * p + 1];
    out[2 * plane + p] = rgba[4 * p + 2];
  }
  return out;
}

/**
 * Decodes one image file with the browser's own decoders (`createImageBitmap`; PNG, JPEG,
 * WebP, GIF's first frame) and draws it, resized, onto a black `OffscreenCanvas`; returns
 * its CHW bytes. Rejects with the browser's reason when the file is not a decodable image.
 */
export async function decodeBlob(blob: Blob, spec: WebDecodeSpec): Promise<Uint8Array> {
  if (typeof createImageBitmap !== 'function' || typeof OffscreenCanvas !== 'function') {
    throw new Error('imageFolder: this runtime has no createImageBitmap / OffscreenCanvas (in Node, use imageFolder from @trainkit/data/node)');
  }
  const bitmap = await createImageBitmap(blob);
  try {
    const canvas = new OffscreenCanvas(spec.width, spec.height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (ctx === null) throw new Error('imageFolder: OffscreenCanvas gave no 2d context');
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, spec.width, spec.height);
    ctx.imageSmoothingQuality = 'high';
    const p = placement(bitmap.width, bitmap.height, spec);
    ctx.drawImage(bitmap, p.sx, p.sy, p.sw, p.sh, p.dx, p.dy, p.dw, p.dh);
    return rgbaToChw(ctx.getImageData(0, 0, spec.width, spec.height).data, spec.channels);
  } finally {
    bitmap.close();
  }
}
