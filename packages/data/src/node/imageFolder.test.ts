import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, truncate, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { solid, writeImage } from '../__tests__/images';
import { DataLoader } from '../dataLoader';
import { imageFolder } from './imageFolder';

let root = '';
let n = 0;
/** A fresh folder for one test. */
const fresh = (): string => join(root, `case-${n++}`);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'trainkit-imagefolder-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const RED = [255, 0, 0];
const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const GREEN = [0, 255, 0];
const BLUE = [0, 0, 255];

/** The values of sample i, channel c, as an array. */
function channel(x: Float32Array, shape: readonly number[], i: number, c: number): number[] {
  const [C, H, W] = shape;
  const start = (i * C + c) * H * W;
  return Array.from(x.subarray(start, start + H * W));
}

/** Three classes (blue, green, red folders, written in that non-sorted order) of `perClass` solid images. */
async function colours(dir: string, perClass = 2): Promise<void> {
  for (const [name, rgb] of [['red', RED], ['blue', BLUE], ['green', GREEN]] as const) {
    for (let i = 0; i < perClass; i++) await solid(join(dir, name, `${i}.png`), rgb);
  }
}

describe('imageFolder', () => {
  test('classes are the subfolders sorted by name; inputs are CHW float32 pixel / 255 with one label per file', async () => {
    const dir = fresh();
    await colours(dir);
    const { train, val, classes } = await imageFolder(dir, { size: 4, workers: 2 });
    expect(classes).toEqual(['blue', 'green', 'red']);
    expect(val).toBeUndefined();
    expect([train.length, train.sampleShape, train.numClasses]).toEqual([6, [3, 4, 4], 3]);
    expect(train.files).toEqual(['blue/0.png', 'blue/1.png', 'green/0.png', 'green/1.png', 'red/0.png', 'red/1.png']);
    const { x, y } = train.gather([4, 0]);
    expect([x.shape, Array.from(y)]).toEqual([[2, 3, 4, 4], [2, 0]]);
    expect([channel(x.data, train.sampleShape, 0, 0), channel(x.data, train.sampleShape, 0, 1)]).toEqual([new Array(16).fill(1), new Array(16).fill(0)]);
    expect(channel(x.data, train.sampleShape, 1, 2)).toEqual(new Array(16).fill(1));
    expect(JSON.parse(await readFile(join(dir, '.trainkit-cache', 'classes.json'), 'utf8'))).toEqual({ classes: ['blue', 'green', 'red'] });
  });

  test('symbolic links are followed as torchvision does: a linked class folder is a class, a linked image an image, a link back up the tree is walked once', async () => {
    const src = fresh();
    await colours(src, 1);
    const dir = fresh();
    await mkdir(join(dir, 'blue'), { recursive: true });
    await symlink(join(src, 'blue', '0.png'), join(dir, 'blue', 'linked.png')); // a linked image
    await symlink(join(src, 'green'), join(dir, 'green')); // a linked class folder
    await solid(join(dir, 'red', '0.png'), RED);
    await symlink(join(dir, 'red'), join(dir, 'red', 'loop')); // a link back to its own folder
    const { train, classes } = await imageFolder(dir, { size: 4, workers: 1 });
    expect(classes).toEqual(['blue', 'green', 'red']);
    expect(train.files).toEqual(['blue/linked.png', 'green/0.png', 'red/0.png']);
    expect(Array.from(train.gather([0, 1, 2]).y)).toEqual([0, 1, 2]);
  });

  test('normalize maps each channel to (pixel / 255 − mean) / std; grayscale gives one channel', async () => {
    const dir = fresh();
    await colours(dir, 1);
    const norm = await imageFolder(dir, { size: 2, normalize: { mean: [0.5, 0.25, 0], std: [0.5, 0.25, 2] } });
    const red = norm.train.gather([2]).x.data;
    expect([red[0], red[4], red[8]]).toEqual([1, -1, 0]);
    const grey = await imageFolder(dir, { size: [2, 3], color: 'grayscale', cacheDir: join(dir, 'grey-cache') /* inside the folder: not taken for a class */ });
    expect(grey.train.sampleShape).toEqual([1, 2, 3]);
    const g = grey.train.gather([0, 1, 2]).x.data; // blue, green, red: luminance weights differ, green brightest
    expect(g[6]).toBeGreaterThan(g[12]);
    expect(g[12]).toBeGreaterThan(g[0]);
  });

  test('fit: contain pads with black, cover crops, fill stretches a 16×8 image to 8×8', async () => {
    const dir = fresh();
    await writeImage(join(dir, 'a', 'wide.png'), { width: 16, height: 8, pixel: () => 255 });
    await solid(join(dir, 'b', 'other.png'), RED); // a second class: one class is refused
    const row = async (fit: 'cover' | 'contain' | 'fill'): Promise<number[]> => {
      const { train } = await imageFolder(dir, { size: 8, fit, color: 'grayscale', cacheDir: `${dir}-cache-${fit}` });
      return channel(train.gather([0]).x.data, train.sampleShape, 0, 0).filter((_, p) => p % 8 === 0); // column 0 of every row
    };
    expect(await row('contain')).toEqual([0, 0, 1, 1, 1, 1, 0, 0]);
    expect(await row('cover')).toEqual(new Array(8).fill(1));
    expect(await row('fill')).toEqual(new Array(8).fill(1));
  });

  test('PNG, JPEG, WebP and GIF of mixed sizes and color modes (grey, grey + alpha, RGB, RGBA) all load at the one requested shape', async () => {
    const dir = fresh();
    const white = (): number => 255;
    await writeImage(join(dir, 'a', 'grey.png'), { width: 5, height: 7, channels: 1, pixel: white });
    await writeImage(join(dir, 'a', 'grey-alpha.png'), { width: 9, height: 3, channels: 2, pixel: white });
    await writeImage(join(dir, 'a', 'rgba.webp'), { width: 12, height: 12, channels: 4, format: 'webp', pixel: white });
    await writeImage(join(dir, 'b', 'rgb.jpg'), { width: 20, height: 10, format: 'jpeg', pixel: white });
    await writeImage(join(dir, 'b', 'anim.gif'), { width: 6, height: 6, format: 'gif', pixel: white });
    const { train } = await imageFolder(dir, { size: 6 });
    const { x } = train.gather([0, 1, 2, 3, 4]);
    expect(x.shape).toEqual([5, 3, 6, 6]);
    for (let i = 0; i < x.size; i++) expect(x.data[i]).toBeGreaterThan(0.97); // white in every channel of every format
  });

  test('the second call with the same files and options reads the cache (decodes nothing) and gives the same pixels', async () => {
    const dir = fresh();
    await colours(dir);
    const first = await imageFolder(dir, { size: 4 });
    const second = await imageFolder(dir, { size: 4 });
    expect([first.report.decoded, first.report.fromCache, second.report.decoded, second.report.fromCache]).toEqual([6, { train: false }, 0, { train: true }]);
    expect(second.train.gather([0, 5]).x.data).toEqual(first.train.gather([0, 5]).x.data);
  });

  test('the cache is rebuilt when a file changes (mtime), a file is added, or a decoding option changes', async () => {
    const dir = fresh();
    await colours(dir);
    await imageFolder(dir, { size: 4 });
    await utimes(join(dir, 'red', '0.png'), new Date(), new Date(Date.now() + 5000));
    expect((await imageFolder(dir, { size: 4 })).report.decoded).toBe(6);
    await solid(join(dir, 'red', '2.png'), RED);
    expect((await imageFolder(dir, { size: 4 })).report.decoded).toBe(7);
    expect((await imageFolder(dir, { size: 4, fit: 'fill' })).report.decoded).toBe(7);
    expect((await imageFolder(dir, { size: 4, fit: 'fill', normalize: { mean: [0, 0, 0], std: [2, 2, 2] } })).report.decoded).toBe(0); // normalisation is applied when reading
  });

  test('a damaged cache file (truncated, or with its footer cut) is never used: it is rebuilt', async () => {
    const dir = fresh();
    await colours(dir);
    const { train } = await imageFolder(dir, { size: 4 });
    const expected = train.gather([0, 1, 2, 3, 4, 5]).x.data;
    for (const bytes of [100, 6 * 48 + 10]) {
      await truncate(train.cacheFile, bytes);
      const again = await imageFolder(dir, { size: 4 });
      expect(again.report.fromCache).toEqual({ train: false });
      expect(again.train.gather([0, 1, 2, 3, 4, 5]).x.data).toEqual(expected);
    }
  });

  test('two option sets keep a cache file each (an eval script at another size does not break a training run); a dataset whose own file was rebuilt refuses to read it', async () => {
    const dir = fresh();
    await colours(dir, 1);
    const { train } = await imageFolder(dir, { size: 4 });
    const other = await imageFolder(dir, { size: 5 });
    expect(other.train.cacheFile).not.toBe(train.cacheFile);
    expect(train.gather([0]).x.shape).toEqual([1, 3, 4, 4]); // still reads its own cache
    expect((await imageFolder(dir, { size: 4 })).report.fromCache).toEqual({ train: true });
    await utimes(join(dir, 'red', '0.png'), new Date(), new Date(Date.now() + 5000)); // a changed file: the same options rebuild the same file
    await imageFolder(dir, { size: 4 });
    expect(() => train.gather([0])).toThrow(`ImageFolderDataset: the cache file ${train.cacheFile} was replaced`);
  });

  test('valFraction holds out round(fraction × n) files of each class by a seeded shuffle; train and val are disjoint and cover every file', async () => {
    const dir = fresh();
    await colours(dir, 10);
    const a = await imageFolder(dir, { size: 2, valFraction: 0.3, seed: 7 });
    const b = await imageFolder(dir, { size: 2, valFraction: 0.3, seed: 7 });
    const c = await imageFolder(dir, { size: 2, valFraction: 0.3, seed: 8 });
    const val = a.val!;
    expect([a.train.length, val.length]).toEqual([21, 9]);
    expect(Array.from(val.labels).sort()).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2]);
    expect(new Set([...a.train.files, ...val.files]).size).toBe(30);
    expect(b.val!.files).toEqual(val.files);
    expect(c.val!.files).not.toEqual(val.files);
    expect(b.report.fromCache).toEqual({ train: true, val: true });
  });

  test('a train/ + val/ layout gives those splits (val may lack a class); classes come from train/', async () => {
    const dir = fresh();
    await colours(join(dir, 'train'));
    await solid(join(dir, 'val', 'red', 'v.png'), RED);
    const { train, val, classes } = await imageFolder(dir, { size: 2 });
    expect([classes, train.length, val!.files, Array.from(val!.labels)]).toEqual([['blue', 'green', 'red'], 6, ['val/red/v.png'], [2]]);
    await expect(imageFolder(dir, { size: 2, valFraction: 0.1 })).rejects.toThrow('already has train/ + val/ folders; drop valFraction');
    await solid(join(dir, 'val', 'cyan', 'v.png'), [0, 255, 255]);
    await expect(imageFolder(dir, { size: 2 })).rejects.toThrow(`${join(dir, 'val')} has class folders that train/ lacks: cyan`);
  });

  test('a folder whose only subfolder is train/ takes its classes from train/; valFraction then holds out the validation split from train/', async () => {
    const dir = fresh();
    await colours(join(dir, 'train'));
    const whole = await imageFolder(dir, { size: 2 });
    expect([whole.classes, whole.train.files.slice(0, 2), Array.from(whole.train.labels), whole.val]).toEqual([['blue', 'green', 'red'], ['train/blue/0.png', 'train/blue/1.png'], [0, 0, 1, 1, 2, 2], undefined]);
    const split = await imageFolder(dir, { size: 2, valFraction: 0.5, seed: 1 });
    expect([split.classes, Array.from(split.train.labels), Array.from(split.val!.labels)]).toEqual([['blue', 'green', 'red'], [0, 1, 2], [0, 1, 2]]);
    expect(new Set([...split.train.files, ...split.val!.files]).size).toBe(6);
  });

  test('batches from a DataLoader over the dataset cover every sample once per epoch', async () => {
    const dir = fresh();
    await colours(dir, 3);
    const { train } = await imageFolder(dir, { size: 2 });
    const labels = [...new DataLoader(train, { batchSize: 4, shuffle: true, seed: 1 }).epoch(0)].flatMap((b) => Array.from(b.y));
    expect(labels.sort()).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2]);
  });
});

describe('imageFolder on bad input', () => {
  /** A folder with one good image per class plus `bad` files in class "a". */
  async function withBad(bad: Record<string, Uint8Array | string>): Promise<string> {
    const dir = fresh();
    await solid(join(dir, 'a', 'good.png'), RED);
    await solid(join(dir, 'b', 'good.png'), BLUE);
    const jpeg = await readFile(join(dir, 'a', 'good.png'));
    for (const [name, bytes] of Object.entries(bad)) await writeFile(join(dir, 'a', name), bytes === 'half' ? jpeg.subarray(0, jpeg.length >> 1) : bytes);
    return dir;
  }

  test.each([
    ['a truncated image', { 'cut.png': 'half' }, 'cut.png: '],
    ['a corrupt image (random bytes)', { 'noise.jpg': new Uint8Array(500).map((_, i) => (i * 7919) % 256) }, 'noise.jpg: '],
    ['a 0-byte file', { 'empty.webp': new Uint8Array(0) }, 'empty.webp: empty file (0 bytes)'],
    ['a text file with an image extension', { 'notes.gif': 'hello' }, 'notes.gif: '],
  ] as const)('%s is an error naming the file, and the refused call writes nothing (no cache folder, no classes.json)', async (_name, bad, message) => {
    const dir = await withBad(bad);
    await expect(imageFolder(dir, { size: 4 })).rejects.toThrow(new RegExp(`imageFolder: cannot decode ${escape(join(dir, 'a', message))}.*onBadImage: 'skip'`));
    expect(await readdir(dir)).toEqual(['a', 'b']);
  });

  test('a call refused on a bad image in val/ commits no split: an existing cache folder keeps exactly its files, a new cacheDir (and its new parents) is removed', async () => {
    const dir = fresh();
    await colours(join(dir, 'train'), 1);
    await solid(join(dir, 'val', 'red', 'good.png'), RED);
    const first = await imageFolder(dir, { size: 4 });
    const cache = join(dir, '.trainkit-cache');
    const before = { files: (await readdir(cache)).sort(), classes: await readFile(join(cache, 'classes.json'), 'utf8') };
    await solid(join(dir, 'train', 'cyan', '0.png'), [0, 255, 255]); // the classes change: train/ is decoded again
    await writeFile(join(dir, 'val', 'red', 'cut.png'), (await readFile(join(dir, 'val', 'red', 'good.png'))).subarray(0, 40));
    await expect(imageFolder(dir, { size: 4 })).rejects.toThrow(`imageFolder: cannot decode ${join(dir, 'val', 'red', 'cut.png')}`);
    expect({ files: (await readdir(cache)).sort(), classes: await readFile(join(cache, 'classes.json'), 'utf8') }).toEqual(before);
    expect(first.train.gather([0]).x.shape).toEqual([1, 3, 4, 4]); // the earlier cache file is still the one in place
    const elsewhere = join(fresh(), 'nested', 'cache');
    await expect(imageFolder(dir, { size: 4, cacheDir: elsewhere })).rejects.toThrow('cut.png');
    expect(existsSync(dirname(dirname(elsewhere)))).toBe(false);
  });

  test('a lone class folder named like a split (train/ holding images) is refused, naming the folder; one ordinary class folder is read as one class (as predict decodes files)', async () => {
    const flatTrain = fresh(); // train/ holding images, not class folders: "train" would be the one class
    await solid(join(flatTrain, 'train', '0.png'), RED);
    await expect(imageFolder(flatTrain, { size: 4, valFraction: 0.5 })).rejects.toThrow(`imageFolder: ${flatTrain} has 1 class folder (train), named like a split; put each class's images in its own subfolder (${join(flatTrain, 'train')}/<class>/…)`);
    expect(existsSync(join(flatTrain, '.trainkit-cache'))).toBe(false);
    const one = fresh();
    await solid(join(one, 'cat', '0.png'), RED);
    expect((await imageFolder(one, { size: 4 })).classes).toEqual(['cat']);
    const trainOnly = fresh();
    await solid(join(trainOnly, 'train', 'cat', '0.png'), RED);
    expect((await imageFolder(trainOnly, { size: 4 })).classes).toEqual(['cat']);
  });

  test("with onBadImage: 'skip' every bad file is left out and listed in the report with its reason; later calls list them again from the cache", async () => {
    const dir = await withBad({ 'cut.png': 'half', 'empty.jpg': new Uint8Array(0), 'notes.gif': 'hello' });
    for (const call of [0, 1]) {
      const { train, report } = await imageFolder(dir, { size: 4, onBadImage: 'skip' });
      expect([train.files, report.fromCache.train]).toEqual([['a/good.png', 'b/good.png'], call === 1]);
      expect(report.skipped.map((s) => s.file)).toEqual(['a/cut.png', 'a/empty.jpg', 'a/notes.gif']);
      expect(report.skipped[1].reason).toBe('empty file (0 bytes)');
      expect(report.skipped[2].reason).toMatch(/unsupported image format/);
    }
    await expect(imageFolder(dir, { size: 4 })).rejects.toThrow(/cannot decode .*cut\.png: .*the cache lists 3 bad files/);
  });

  test('files without an image extension are ignored and counted in the report', async () => {
    const dir = await withBad({ 'README.txt': 'about', 'labels.csv': 'x' });
    const { train, report } = await imageFolder(dir, { size: 4 });
    expect(train.length).toBe(2);
    expect(report.ignored.map((f) => f.file)).toEqual(['a/README.txt', 'a/labels.csv']);
  });

  test('an empty class folder, a folder without class folders and a missing folder are errors naming the folder', async () => {
    const dir = await withBad({});
    await mkdir(join(dir, 'c'));
    await writeFile(join(dir, 'c', 'only.txt'), 'x');
    await expect(imageFolder(dir, { size: 4 })).rejects.toThrow(`imageFolder: class folder ${join(dir, 'c')} holds no images (.png, .jpg, .jpeg, .webp, .gif); add images or remove the folder`);
    const flat = fresh();
    await solid(join(flat, 'x.png'), RED);
    await expect(imageFolder(flat, { size: 4 })).rejects.toThrow(`imageFolder: ${flat} has no class folders`);
    await expect(imageFolder(join(root, 'nowhere'), { size: 4 })).rejects.toThrow(`imageFolder: folder not found: ${join(root, 'nowhere')}`);
  });

  test('bad options name the option', async () => {
    const dir = fresh();
    const cases: [object, string][] = [
      [{ size: 0 }, 'size must be a positive integer, got 0'],
      [{ size: [4] }, 'size must be a number or [height, width], got [4]'],
      [{ size: 4, fit: 'crop' }, `fit must be 'cover', 'contain' or 'fill', got "crop"`],
      [{ size: 4, color: 'rgba' }, `color must be 'rgb' or 'grayscale', got "rgba"`],
      [{ size: 4, valFraction: 1 }, 'valFraction must be a number in [0, 1), got 1'],
      [{ size: 4, normalize: { mean: [0], std: [1] } }, 'normalize.mean and normalize.std need 3 values (one per channel), got 1 and 1'],
      [{ size: 4, normalize: { mean: [0, 0, 0], std: [1, 0, 1] } }, 'normalize needs finite means and positive stds'],
      [{ size: 4, workers: 0 }, 'workers must be a positive integer, got 0'],
    ];
    for (const [options, message] of cases) await expect(imageFolder(dir, options as never)).rejects.toThrow(`imageFolder: ${message}`);
  });
});
