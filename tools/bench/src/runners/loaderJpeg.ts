// The JPEG row of the loader bench: 64×64 RGB JPEGs decoded on one core by imageFolder (one
// worker, one image in flight, libvips on one thread) and by a plain sequential sharp loop.
import { imageFolder } from '@trainkit/data/node';
import { Rng } from '@trainkit/tensor';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import type { LoaderRow } from './loader';

const SIDE = 64;

/** `count` noisy 64×64 RGB JPEGs (quality 90) in 3 class folders. */
async function writeJpegs(dir: string, count: number): Promise<string[]> {
  const rng = new Rng(5);
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const raw = Buffer.alloc(SIDE * SIDE * 3);
    const tint = [0, 1, 2].map(() => rng.uniform(0, 200));
    for (let p = 0; p < raw.length; p++) raw[p] = tint[p % 3] + rng.uniform(0, 55);
    const path = join(dir, `c${i % 3}`, `${i}.jpg`);
    await mkdir(join(dir, `c${i % 3}`), { recursive: true });
    await writeFile(path, await sharp(raw, { raw: { width: SIDE, height: SIDE, channels: 3 } }).jpeg({ quality: 90 }).toBuffer());
    paths.push(path);
  }
  return paths;
}

export async function jpegRow(scratch: string, count: number): Promise<LoaderRow> {
  const dir = join(scratch, 'jpeg64');
  const paths = await writeJpegs(dir, count);
  const threads = sharp.concurrency();
  sharp.concurrency(1); // libvips is shared by the process and its worker threads: one thread for both
  try {
    // the same pipeline as imageFolder's worker, one image at a time
    const plain = async (): Promise<number> => {
      const t = performance.now();
      for (const p of paths) await sharp(p, { pages: 1 }).removeAlpha().toColourspace('srgb').resize(SIDE, SIDE, { fit: 'cover', background: { r: 0, g: 0, b: 0 } }).raw().toBuffer();
      return (performance.now() - t) / 1000;
    };
    const folder = async (k: number): Promise<number> => {
      const t = performance.now();
      await imageFolder(dir, { size: SIDE, workers: 1, prefetch: 1, cacheDir: join(scratch, `jpeg-cache-${k}`) });
      return (performance.now() - t) / 1000;
    };
    await plain(); // warm the page cache and libvips
    const times = { plain: [] as number[], imageFolder: [] as number[] };
    for (let k = 0; k < 3; k++) {
      times.plain.push(await plain());
      times.imageFolder.push(await folder(k));
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[1];
    const [mine, reference] = [count / median(times.imageFolder), count / median(times.plain)];
    const overhead = 100 * (1 - mine / reference);
    return {
      id: 'loader-jpeg64',
      value: mine,
      target: { text: 'overhead < 10 % against the plain sharp loop', met: overhead < 10 },
      details: { images: count, plainSharpImagesPerSec: reference, imageFolderImagesPerSec: mine, overheadPercent: overhead, secondsPlain: times.plain, secondsImageFolder: times.imageFolder, note: 'imageFolder time includes listing the folder, hashing the cache key, HWC→CHW and writing the cache file' },
    };
  } finally {
    sharp.concurrency(threads);
  }
}
