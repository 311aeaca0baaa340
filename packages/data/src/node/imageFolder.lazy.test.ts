import { readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { writeImage } from '../__tests__/images';
import { DataLoader } from '../dataLoader';
import type { Batch } from '../dataset';
import { imageFolder } from './imageFolder';

let root = '';
let n = 0;
const fresh = (): string => join(root, `case-${n++}`);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'trainkit-lazy-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Three classes of `perClass` 12×12 images, each with its own gradient, in PNG and JPEG. */
async function gradients(dir: string, perClass = 6): Promise<void> {
  for (const [c, name] of ['cat', 'dog', 'owl'].entries()) {
    for (let i = 0; i < perClass; i++) {
      const format = i % 2 === 0 ? 'png' : 'jpeg';
      await writeImage(join(dir, name, `${i}.${format === 'png' ? 'png' : 'jpg'}`), { width: 12, height: 12, format, pixel: (x, y, k) => (x * 17 + y * (5 + i) + k * 40 + c * 60) % 256 });
    }
  }
}

/** A split's cache file, `train.<options hash>.tkcache`. */
const isTrainCache = (f: string) => /^train\.[0-9a-f]{8}\.tkcache$/.test(f);
const rows = (batches: Batch[]): number[][] => batches.map((b) => [...b.x.data, ...b.y]);

async function epoch(loader: DataLoader, e: number): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of loader.epochAsync(e)) out.push(b);
  return out;
}

describe('imageFolder({ lazy: true }): decoding during the first epoch', () => {
  test('returns before decoding; epochs read through gatherAsync give the bytes of an up-front build, and the cache is committed once every image is decoded', async () => {
    const dir = fresh();
    const [cacheA, cacheB] = [fresh(), fresh()];
    await gradients(dir);
    const upFront = await imageFolder(dir, { size: 8, cacheDir: cacheA, valFraction: 0.34, seed: 3 });
    const lazy = await imageFolder(dir, { size: 8, cacheDir: cacheB, valFraction: 0.34, seed: 3, lazy: true, workers: 2 });
    expect(lazy.report.decoded).toBe(0);
    expect((await readdir(cacheB)).filter(isTrainCache)).toEqual([]);
    const options = { batchSize: 4, shuffle: true, seed: 7, prefetch: 2 };
    const a = new DataLoader(upFront.train, options);
    const b = new DataLoader(lazy.train, options);
    expect(rows(await epoch(b, 0))).toEqual(rows([...a.epoch(0)]));
    expect((await readdir(cacheB)).filter(isTrainCache)).toHaveLength(1);
    expect(rows(await epoch(b, 1))).toEqual(rows([...a.epoch(1)]));
    expect(rows([...b.epoch(2)])).toEqual(rows([...a.epoch(2)]));
    const trainCache = (await readdir(cacheB)).find(isTrainCache)!;
    expect(await readFile(join(cacheB, trainCache))).toEqual(await readFile(join(cacheA, trainCache)));
    const again = await imageFolder(dir, { size: 8, cacheDir: cacheB, valFraction: 0.34, seed: 3, lazy: true });
    expect([again.report.fromCache.train, again.report.fromCache.val]).toEqual([true, false]);
  });

  test('gather (synchronous) refuses images not decoded yet, naming the way out; after decodeAll it reads them', async () => {
    const dir = fresh();
    await gradients(dir, 2);
    const { train } = await imageFolder(dir, { size: 8, lazy: true, workers: 1 });
    expect(() => train.gather([0, 5])).toThrow('ImageFolderDataset.gather: 2 of these 2 images are not decoded yet (this split decodes during the first epoch, lazy: true); use gatherAsync');
    await train.gatherAsync([5]);
    expect(() => train.gather([0, 5])).toThrow('1 of these 2 images are not decoded yet');
    await train.decodeAll();
    expect(train.gather([0, 5]).x.shape).toEqual([2, 3, 8, 8]);
  });

  test('a file that does not decode stops the epoch at its batch with an error naming it; no cache file is committed and no temporary file stays', async () => {
    const dir = fresh();
    await gradients(dir, 2);
    await writeFile(join(dir, 'dog', 'broken.png'), 'not a png');
    const { train } = await imageFolder(dir, { size: 8, lazy: true, workers: 1 });
    const loader = new DataLoader(train, { batchSize: 2, prefetch: 1 });
    await expect(epoch(loader, 0)).rejects.toThrow(`imageFolder: cannot decode ${join(dir, 'dog', 'broken.png')}: `);
    await expect(train.gatherAsync([0])).rejects.toThrow('broken.png');
    expect(await readdir(join(dir, '.trainkit-cache'))).toEqual(['classes.json']);
  });

  test("a 0-byte file is an error before training starts; lazy with onBadImage: 'skip' is refused", async () => {
    const dir = fresh();
    await gradients(dir, 1);
    await writeFile(join(dir, 'owl', 'empty.jpg'), '');
    await expect(imageFolder(dir, { size: 8, lazy: true })).rejects.toThrow(`imageFolder: cannot decode ${join(dir, 'owl', 'empty.jpg')}: empty file (0 bytes)`);
    await expect(imageFolder(dir, { size: 8, lazy: true, onBadImage: 'skip' })).rejects.toThrow("imageFolder: lazy: true needs onBadImage: 'error'");
  });

  test('a lazy call refused at val/ (a 0-byte file) stops the build train/ had started: no cache folder, cache file or temporary file stays', async () => {
    const dir = fresh();
    await gradients(join(dir, 'train'), 2);
    await writeImage(join(dir, 'val', 'cat', 'ok.png'), { width: 12, height: 12, pixel: () => 9 });
    await writeFile(join(dir, 'val', 'cat', 'empty.jpg'), '');
    await expect(imageFolder(dir, { size: 8, lazy: true, workers: 1 })).rejects.toThrow(`imageFolder: cannot decode ${join(dir, 'val', 'cat', 'empty.jpg')}: empty file (0 bytes)`);
    expect((await readdir(dir)).sort()).toEqual(['train', 'val']);
  });

  test('gatherAsync on a cached split reads in its own thread: the batches of gather; a cache file rebuilt since is refused by both', async () => {
    const dir = fresh();
    await gradients(dir, 3);
    const { train } = await imageFolder(dir, { size: 8, normalize: { mean: [0.5, 0.4, 0.3], std: [0.2, 0.3, 0.4] } });
    const ix = [8, 0, 3, 3, 5];
    expect(rows([await train.gatherAsync(ix)])).toEqual(rows([train.gather(ix)]));
    await utimes(join(dir, 'cat', '0.png'), new Date(), new Date(Date.now() + 5000));
    await imageFolder(dir, { size: 8 }); // the same cache file, rebuilt after a file changed
    const message = `ImageFolderDataset: the cache file ${train.cacheFile} was replaced`;
    expect(() => train.gather([0])).toThrow(message);
    await expect(train.gatherAsync([0])).rejects.toThrow(message);
  });
});
