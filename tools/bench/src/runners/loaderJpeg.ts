// The JPEG row of the loader bench: 64×64 RGB JPEGs decoded on one core by imageFolder (one
// worker) and by plain sharp loops (one image at a time, and four in flight). One core: the
// process runs with UV_THREADPOOL_SIZE=1 (sharp decodes on libuv's pool, shared by the main
// thread and the workers) and libvips on one thread.
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
  if (process.env.UV_THREADPOOL_SIZE !== '1') throw new Error('loader bench: run the loader-jpeg64 row with UV_THREADPOOL_SIZE=1 (one decoding thread for every loop compared)');
  const dir = join(scratch, 'jpeg64');
  const paths = await writeJpegs(dir, count);
  const threads = sharp.concurrency();
  sharp.concurrency(1); // libvips is shared by the process and its worker threads: one thread for both
  try {
    // the same pipeline as imageFolder's worker, `inFlight` images at a time
    const decode = (p: string): Promise<Buffer> => sharp(p, { pages: 1 }).removeAlpha().toColourspace('srgb').resize(SIDE, SIDE, { fit: 'cover', background: { r: 0, g: 0, b: 0 } }).raw().toBuffer();
    const plain = async (inFlight = 1): Promise<number> => {
      const t = performance.now();
      const queue = [...paths];
      const lane = async (): Promise<void> => {
        for (let p = queue.shift(); p !== undefined; p = queue.shift()) await decode(p);
      };
      await Promise.all(Array.from({ length: inFlight }, lane));
      return (performance.now() - t) / 1000;
    };
    const folder = async (k: number): Promise<number> => {
      const t = performance.now();
      await imageFolder(dir, { size: SIDE, workers: 1, cacheDir: join(scratch, `jpeg-cache-${k}`) });
      return (performance.now() - t) / 1000;
    };
    await plain(); // warm the page cache and libvips
    const times = { plain: [] as number[], plain4: [] as number[], imageFolder: [] as number[] };
    for (let k = 0; k < 3; k++) {
      times.plain.push(await plain());
      times.plain4.push(await plain(4));
      times.imageFolder.push(await folder(k));
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[1];
    const [mine, sequential, pipelined] = [count / median(times.imageFolder), count / median(times.plain), count / median(times.plain4)];
    const reference = Math.max(sequential, pipelined); // the faster plain loop
    const overhead = 100 * (1 - mine / reference);
    return {
      id: 'loader-jpeg64',
      value: mine,
      target: { text: 'overhead < 10 % against the faster plain sharp loop', met: overhead < 10 },
      details: {
        images: count,
        uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE,
        plainSequentialImagesPerSec: sequential,
        plainFourInFlightImagesPerSec: pipelined,
        imageFolderImagesPerSec: mine,
        overheadPercent: overhead,
        seconds: times,
        note: 'imageFolder time includes listing the folder, hashing the cache key, HWC→CHW and writing (and fsyncing) the cache file',
      },
    };
  } finally {
    sharp.concurrency(threads);
  }
}
