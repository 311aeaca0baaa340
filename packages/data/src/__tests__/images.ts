import sharp from 'sharp';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Encodings the image-folder tests write. */
export type Format = 'png' | 'jpeg' | 'webp' | 'gif';

/**
 * Writes a `width × height` image with `channels` (1 grey, 2 grey + alpha, 3 RGB, 4 RGBA)
 * whose pixel (x, y) channel k is `pixel(x, y, k)`, creating its folder.
 */
export async function writeImage(
  path: string,
  { width, height, channels = 3, format = 'png', pixel }: { width: number; height: number; channels?: 1 | 2 | 3 | 4; format?: Format; pixel: (x: number, y: number, k: number) => number },
): Promise<void> {
  const raw = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let k = 0; k < channels; k++) raw[(y * width + x) * channels + k] = pixel(x, y, k);
  const img = sharp(raw, { raw: { width, height, channels } });
  const encoded = format === 'jpeg' ? img.jpeg({ quality: 95 }) : format === 'webp' ? img.webp({ lossless: true }) : format === 'gif' ? img.gif() : img.png();
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, await encoded.toBuffer());
}

/** An image of one colour. */
export function solid(path: string, rgb: readonly number[], size: { width: number; height: number; format?: Format } = { width: 8, height: 8 }): Promise<void> {
  return writeImage(path, { ...size, channels: 3, pixel: (_x, _y, k) => rgb[k] });
}
