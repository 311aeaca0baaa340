/**
 * The `orientation` option of the Node imageFolder: a photo whose EXIF orientation tag says it
 * was taken turned (6: rotate 90° clockwise to view) comes out upright by default, as image
 * viewers show it, and as stored with `'ignore'` (torchvision's and Keras's pixels).
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { resolveWebOptions } from '../web/options';
import { cacheFileName, cacheKey } from './imageCache';
import { imageFolder } from './imageFolder';
import type { ImageFolderDataset } from './imageDataset';

type Sharp = ReturnType<typeof sharp>;

let root = '';
let n = 0;
/** A fresh folder for one test. */
const fresh = (): string => join(root, `case-${n++}`);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'trainkit-orientation-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The stored image: 6 wide, 4 tall, every pixel different, the top-left one white. */
const [W, H] = [6, 4];
const stored = Buffer.alloc(W * H * 3);
for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) stored.set(x === 0 && y === 0 ? [255, 255, 255] : [x * 40, y * 60, 100], (y * W + x) * 3);

/** `raw` (`w × h` RGB, interleaved) turned 90° clockwise, by hand: `h` wide, `w` tall, its top-left pixel now top right. */
function turnedClockwise(raw: Buffer, w: number, h: number): Buffer {
  const out = Buffer.alloc(raw.length);
  for (let y = 0; y < w; y++) for (let x = 0; x < h; x++) raw.copy(out, (y * h + x) * 3, (((h - 1 - x) * w + y) * 3), ((h - 1 - x) * w + y) * 3 + 3);
  return out;
}

/** Interleaved RGB bytes as the CHW planes the dataset serves. */
function chw(rgb: Buffer): number[] {
  const plane = rgb.length / 3;
  return [0, 1, 2].flatMap((c) => Array.from({ length: plane }, (_, p) => rgb[p * 3 + c]));
}

/** Sample 0 of a split as bytes (the dataset serves pixel / 255). */
function bytesOf(split: ImageFolderDataset): number[] {
  return Array.from(split.gather([0]).x.data, (v) => Math.round(v * 255));
}

/** `dir/photos/<name>` holding `image` (a sharp pipeline on the stored pixels) tagged with EXIF orientation 6; resolves with the file's bytes. */
async function taggedPhoto(dir: string, name: string, encode: (img: Sharp) => Sharp): Promise<Buffer> {
  const bytes = await encode(sharp(stored, { raw: { width: W, height: H, channels: 3 } })).withMetadata({ orientation: 6 }).toBuffer();
  await mkdir(join(dir, 'photos'), { recursive: true });
  await writeFile(join(dir, 'photos', name), bytes);
  expect((await sharp(bytes).metadata()).orientation).toBe(6);
  return bytes;
}

describe('imageFolder orientation', () => {
  test("by default ('exif') a photo tagged orientation 6 comes out upright: the stored 6×4 image is 4 wide and 6 tall, its top-left corner at the top right (PNG, exact; lazy too)", async () => {
    const dir = fresh();
    await taggedPhoto(dir, 'tagged.png', (img) => img.png());
    const upright = chw(turnedClockwise(stored, W, H));
    expect(upright.slice(0, 4)).toEqual([0, 0, 0, 255]); // red plane, top row: the white corner is last
    const byDefault = (await imageFolder(dir, { size: [6, 4], fit: 'fill' })).train;
    expect(byDefault.sampleShape).toEqual([3, 6, 4]);
    expect(bytesOf(byDefault)).toEqual(upright);
    expect(bytesOf((await imageFolder(dir, { size: [6, 4], fit: 'fill', orientation: 'exif' })).train)).toEqual(upright);
    const lazy = (await imageFolder(dir, { size: [6, 4], fit: 'fill', lazy: true, cacheDir: join(dir, 'lazy-cache') })).train;
    await lazy.decodeAll();
    expect(bytesOf(lazy)).toEqual(upright);
  });

  test("orientation: 'ignore' keeps the pixels as stored (as torchvision's ImageFolder and Keras read them): 6 wide, 4 tall, the white corner top left", async () => {
    const dir = fresh();
    await taggedPhoto(dir, 'tagged.png', (img) => img.png());
    const { train } = await imageFolder(dir, { size: [4, 6], fit: 'fill', orientation: 'ignore' });
    expect(bytesOf(train)).toEqual(chw(stored));
  });

  test("a JPEG tagged orientation 6 is resized as sharp's auto-orientation (rotate()) gives it: size is the upright picture's [height, width]; with 'ignore', as sharp decodes the file unturned", async () => {
    const dir = fresh();
    const jpeg = await taggedPhoto(dir, 'tagged.jpg', (img) => img.jpeg({ quality: 90 }));
    const sharpRgb = async (img: Sharp) => chw(await img.resize(6, 9, { fit: 'fill' }).raw().toBuffer());
    const upright = (await imageFolder(dir, { size: [9, 6], fit: 'fill' })).train;
    expect(upright.sampleShape).toEqual([3, 9, 6]);
    expect(bytesOf(upright)).toEqual(await sharpRgb(sharp(jpeg).rotate()));
    const ignored = (await imageFolder(dir, { size: [9, 6], fit: 'fill', orientation: 'ignore' })).train;
    expect(bytesOf(ignored)).toEqual(await sharpRgb(sharp(jpeg)));
    expect(bytesOf(ignored)).not.toEqual(bytesOf(upright));
  });

  test('each orientation has its own cache: switching decodes again into another file, switching back reads the first', async () => {
    const dir = fresh();
    await taggedPhoto(dir, 'tagged.png', (img) => img.png());
    const options = { size: 4, fit: 'fill' } as const;
    const exif = await imageFolder(dir, options);
    const ignore = await imageFolder(dir, { ...options, orientation: 'ignore' });
    const again = await imageFolder(dir, { ...options, orientation: 'exif' });
    expect([exif.report.fromCache, ignore.report.fromCache, again.report.fromCache]).toEqual([{ train: false }, { train: false }, { train: true }]);
    expect([exif.report.decoded, ignore.report.decoded, again.report.decoded]).toEqual([1, 1, 0]);
    expect(ignore.train.cacheFile).not.toBe(exif.train.cacheFile);
    expect(again.train.cacheFile).toBe(exif.train.cacheFile);
    expect(bytesOf(again.train)).toEqual(bytesOf(exif.train));
    expect(bytesOf(ignore.train)).not.toEqual(bytesOf(exif.train));
  });

  test('a cache of the version before the option (its pixels as stored, the spec hashed without an orientation) is neither found by name nor accepted by key', async () => {
    const old = { width: 4, height: 4, channels: 3, fit: 'fill' } as const;
    const entries = [{ path: '/d/photos/tagged.png', rel: 'photos/tagged.png', size: 99, mtimeMs: 1, label: 0 }];
    // what the previous version computed: the spec as it was, hashed with the cache format (1)
    const oldName = `train.${createHash('sha256').update(JSON.stringify({ format: 1, spec: old })).digest('hex').slice(0, 8)}.tkcache`;
    const oldHash = createHash('sha256').update(JSON.stringify({ format: 1, spec: old, classes: ['photos'] }));
    for (const e of entries) oldHash.update(JSON.stringify([e.rel, e.size, e.mtimeMs, e.label]));
    const oldKey = oldHash.digest('hex');
    for (const spec of [old, { ...old, orientation: 'exif' as const }, { ...old, orientation: 'ignore' as const }]) {
      expect(cacheFileName('train', spec)).not.toBe(oldName);
      expect(cacheKey(entries, spec, ['photos'])).not.toBe(oldKey);
    }
    // a spec without the field means the default, 'exif'
    expect(cacheFileName('train', old)).toBe(cacheFileName('train', { ...old, orientation: 'exif' }));
    const dir = fresh();
    await taggedPhoto(dir, 'tagged.png', (img) => img.png());
    const { train } = await imageFolder(dir, { size: 4, fit: 'fill' });
    expect(basename(train.cacheFile)).toBe(cacheFileName('train', { ...old, orientation: 'exif' }));
  });

  test("a bad orientation is an error naming the option and its values, in Node and in the browser's options", async () => {
    const dir = fresh();
    await taggedPhoto(dir, 'tagged.png', (img) => img.png());
    for (const orientation of ['auto', true, null]) {
      const message = `imageFolder: orientation must be 'exif' or 'ignore', got ${JSON.stringify(orientation)}`;
      await expect(imageFolder(dir, { size: 4, orientation: orientation as never })).rejects.toThrow(message);
      expect(() => resolveWebOptions({ size: 4, orientation: orientation as never })).toThrow(message);
    }
  });
});
