// The browser image folder's bookkeeping, checked in Node: how paths become classes and
// splits, the seeded split (the same as @trainkit/data/node's), where an image lands on the
// canvas, and the option errors. Decoding itself runs in Chromium (imageFolder.web.test.ts).
import { fc, test } from '@fast-check/vitest';
import sharp from 'sharp';
import { describe, expect } from 'vitest';
import { type ImageEntry, splitEntries } from '../node/imageFiles';
import { placement, rgbaToChw } from './decode';
import { type PathedFile, indexFolder, minFilesForValidation, splitWebEntries } from './files';
import { resolveWebOptions } from './options';

const blob = (text = 'x') => new Blob([text]);
const pathed = (...paths: string[]): PathedFile[] => paths.map((path) => ({ path, file: blob(path) }));
const rels = (entries: Array<{ rel: string; label: number }>) => entries.map((e) => `${e.label}:${e.rel}`);

describe('files → classes', () => {
  test('the first folder is the class; classes sorted by name; files sorted within a class; the picked folder itself is dropped', () => {
    const r = indexFolder(pathed('photos/dog/b.png', 'photos/cat/z.jpg', 'photos/dog/a.PNG', 'photos/cat/sub/c.webp'));
    expect(r.classes).toEqual(['cat', 'dog']);
    expect(rels(r.parts.train)).toEqual(['0:cat/sub/c.webp', '0:cat/z.jpg', '1:dog/a.PNG', '1:dog/b.png']);
    expect(Object.keys(r.parts)).toEqual(['train']);
  });

  test('paths without the picked folder (class/file) work the same, and Files carry theirs in webkitRelativePath', () => {
    const file = (p: string) => Object.defineProperty(new File(['x'], p.split('/').pop() as string), 'webkitRelativePath', { value: p });
    expect(indexFolder(pathed('b/1.png', 'a/2.gif')).classes).toEqual(['a', 'b']);
    expect(rels(indexFolder([file('set/b/1.png'), file('set/a/2.gif')]).parts.train)).toEqual(['0:a/2.gif', '1:b/1.png']);
  });

  test('non-images and files outside a class folder are listed as ignored; hidden files and folders are left out silently', () => {
    const r = indexFolder(pathed('d/cat/1.png', 'd/cat/notes.txt', 'd/README.md', 'd/.DS_Store', 'd/cat/.hidden.png', 'd/.git/x/y.png'));
    expect(rels(r.parts.train)).toEqual(['0:cat/1.png']);
    expect(r.ignored).toEqual([
      { file: 'README.md', reason: 'not inside a class folder' },
      { file: 'cat/notes.txt', reason: 'not an image file (extension is not one of .png .jpg .jpeg .webp .gif)' },
    ]);
  });

  test('a picked folder holding only train/ with class folders takes its classes from train/ (it was one class named "train"); train/ holding images directly is refused', () => {
    const r = indexFolder(pathed('photos/train/dog/1.png', 'photos/train/cat/2.png', 'photos/train/cat/3.png'));
    expect(r.classes).toEqual(['cat', 'dog']);
    expect(rels(r.parts.train)).toEqual(['0:train/cat/2.png', '0:train/cat/3.png', '1:train/dog/1.png']);
    expect(() => indexFolder(pathed('photos/train/1.png', 'photos/train/2.png'))).toThrow('imageFolder: the only class folder is train/, named like a split; put each class\'s images in its own subfolder (train/<class>/<image>)');
  });

  test('a train/ + valid/ or validation/ layout (Kaggle, Roboflow) gives the val split, as the Node imageFolder; two val folders are refused', () => {
    for (const name of ['valid', 'validation']) {
      const r = indexFolder(pathed('x/train/b/1.png', 'x/train/a/2.png', `x/${name}/a/3.png`));
      expect(r.classes).toEqual(['a', 'b']);
      expect(rels(r.parts.val)).toEqual([`0:${name}/a/3.png`]);
    }
    expect(() => indexFolder(pathed('train/a/1.png', 'val/a/2.png', 'valid/a/3.png'))).toThrow('imageFolder: both val/ and valid/ are a val split; keep one');
    expect(indexFolder(pathed('toString/1.png', 'train/2.png')).classes).toEqual(['toString', 'train']); // not split names: classes
  });

  test('a train/ + val/ (+ test/) layout gives those splits, with the classes of train/', () => {
    const r = indexFolder(pathed('x/train/b/1.png', 'x/train/a/2.png', 'x/val/a/3.png', 'x/test/b/4.png', 'x/test/a/5.png'));
    expect(r.classes).toEqual(['a', 'b']);
    expect(rels(r.parts.train)).toEqual(['0:train/a/2.png', '1:train/b/1.png']);
    expect(rels(r.parts.val)).toEqual(['0:val/a/3.png']);
    expect(rels(r.parts.test)).toEqual(['0:test/a/5.png', '1:test/b/4.png']);
  });

  test('bad folders are errors that name the folder', () => {
    expect(() => indexFolder(pathed('a.png', 'b.png'))).toThrow('imageFolder: no file is inside a class folder; pick or drop a folder whose subfolders are the classes (<folder>/<class>/<image>)');
    expect(() => indexFolder(pathed('d/cat/1.png', 'd/dog/notes.txt'))).toThrow('imageFolder: class folder dog holds no images (.png, .jpg, .jpeg, .webp, .gif); add images or remove the folder');
    expect(() => indexFolder(pathed('train/a/1.png', 'val/z/1.png'))).toThrow('imageFolder: val/ has class folders that train/ lacks: z');
    expect(() => indexFolder('photos' as never)).toThrow(/files must be a FileList/);
    expect(() => indexFolder([42] as never)).toThrow('imageFolder: expected File objects or { path, file } pairs, got [object Number]');
  });
});

describe('the validation split', () => {
  test.prop([fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 4 }), fc.double({ min: 0.05, max: 0.9, noNaN: true }), fc.nat(1000)])(
    'for any class sizes, fraction and seed, the split is the one @trainkit/data/node makes from the same files',
    (sizes, fraction, seed) => {
      const web = sizes.flatMap((n, label) => Array.from({ length: n }, (_, i) => ({ rel: `c${label}/${i}.png`, file: blob(), label })));
      const node: ImageEntry[] = web.map((e) => ({ path: `/d/${e.rel}`, rel: e.rel, size: 1, mtimeMs: 0, label: e.label }));
      const a = splitWebEntries(web, fraction, seed);
      const b = splitEntries(node, fraction, seed);
      expect(a.train.map((e) => e.rel)).toEqual(b.train.map((e) => e.rel));
      expect(a.val.map((e) => e.rel)).toEqual(b.val.map((e) => e.rel));
    },
  );
});

describe('the smallest class that gets a validation image', () => {
  test.prop([fc.double({ min: 0.01, max: 0.95, noNaN: true }), fc.nat(1000)])(
    'for any fraction, a class of minFilesForValidation(fraction) files gets at least one validation file and a class of one fewer gets none',
    (fraction, seed) => {
      const n = minFilesForValidation(fraction);
      const cls = (size: number) => Array.from({ length: size }, (_, i) => ({ rel: `c/${i}.png`, file: blob(), label: 0 }));
      expect(splitWebEntries(cls(n), fraction, seed).val.length).toBeGreaterThanOrEqual(1);
      expect(splitWebEntries(cls(n - 1), fraction, seed).val).toHaveLength(0);
    },
  );

  test("with the playground's 0.2 split a class needs 3 images, not 2 (round(0.2 × 2) = 0)", () => {
    expect(minFilesForValidation(0.2)).toBe(3);
    expect(() => minFilesForValidation(0)).toThrow('minFilesForValidation: fraction must be in (0, 1), got 0');
  });
});

describe('where an image lands on the canvas', () => {
  const size = fc.integer({ min: 1, max: 300 });
  test.prop([size, size, size, size])('cover: the whole canvas is drawn from a centred source crop of the canvas aspect ratio', (w, h, W, H) => {
    const p = placement(w, h, { width: W, height: H, channels: 3, fit: 'cover' });
    expect([p.dx, p.dy, p.dw, p.dh]).toEqual([0, 0, W, H]);
    expect(p.sw / p.sh).toBeCloseTo(W / H, 6);
    expect(p.sw <= w + 1e-9 && p.sh <= h + 1e-9 && (Math.abs(p.sw - w) < 1e-9 || Math.abs(p.sh - h) < 1e-9)).toBe(true);
    expect(p.sx + p.sw / 2).toBeCloseTo(w / 2, 6);
    expect(p.sy + p.sh / 2).toBeCloseTo(h / 2, 6);
  });

  test.prop([size, size, size, size])('contain: the whole image is drawn, centred, inside the canvas, touching two opposite edges', (w, h, W, H) => {
    const p = placement(w, h, { width: W, height: H, channels: 1, fit: 'contain' });
    expect([p.sx, p.sy, p.sw, p.sh]).toEqual([0, 0, w, h]);
    expect(p.dx >= 0 && p.dy >= 0 && p.dx + p.dw <= W && p.dy + p.dh <= H).toBe(true);
    expect(p.dw === W || p.dh === H).toBe(true);
    expect(Math.abs(p.dx - (W - p.dx - p.dw))).toBeLessThanOrEqual(1);
    expect(Math.abs(p.dy - (H - p.dy - p.dh))).toBeLessThanOrEqual(1);
  });

  test('fill stretches the whole image over the whole canvas', () => {
    expect(placement(30, 10, { width: 8, height: 8, channels: 3, fit: 'fill' })).toEqual({ sx: 0, sy: 0, sw: 30, sh: 10, dx: 0, dy: 0, dw: 8, dh: 8 });
  });

  test('RGBA becomes R, G, B planes; alpha is dropped', () => {
    const rgba = Uint8Array.of(10, 20, 30, 255, 200, 100, 0, 7);
    expect([...rgbaToChw(rgba, 3)]).toEqual([10, 200, 20, 100, 30, 0]);
  });

  test.prop([fc.uint8Array({ minLength: 3, maxLength: 300 }).map((a) => a.subarray(0, a.length - (a.length % 3)))])(
    "the grey plane is sharp's b-w conversion (what @trainkit/data/node gives) within 1/255 for any colours",
    async (rgb) => {
      const n = rgb.length / 3;
      const want = await sharp(Buffer.from(rgb), { raw: { width: n, height: 1, channels: 3 } }).toColourspace('b-w').raw().toBuffer();
      const rgba = new Uint8Array(4 * n);
      for (let p = 0; p < n; p++) rgba.set([rgb[3 * p], rgb[3 * p + 1], rgb[3 * p + 2], 0], 4 * p);
      const got = rgbaToChw(rgba, 1);
      expect(Math.max(...[...got].map((v, p) => Math.abs(v - want[p])))).toBeLessThanOrEqual(1);
    },
  );
});

describe('options', () => {
  test('each bad option is an error naming it (the same words as the Node version)', () => {
    expect(() => resolveWebOptions(undefined as never)).toThrow('imageFolder: options are required, e.g. imageFolder(files, { size: 32 })');
    expect(() => resolveWebOptions({ size: 0 })).toThrow('imageFolder: size must be a positive integer, got 0');
    expect(() => resolveWebOptions({ size: [8] as never })).toThrow('imageFolder: size must be a number or [height, width], got [8]');
    expect(() => resolveWebOptions({ size: 8, fit: 'crop' as never })).toThrow(`imageFolder: fit must be 'cover', 'contain' or 'fill', got "crop"`);
    expect(() => resolveWebOptions({ size: 8, color: 'rgba' as never })).toThrow(`imageFolder: color must be 'rgb' or 'grayscale', got "rgba"`);
    expect(() => resolveWebOptions({ size: 8, valFraction: 1 })).toThrow('imageFolder: valFraction must be a number in [0, 1), got 1');
    expect(() => resolveWebOptions({ size: 8, normalize: { mean: [0.5], std: [0.5] } })).toThrow('imageFolder: normalize.mean and normalize.std need 3 values (one per channel), got 1 and 1');
    expect(() => resolveWebOptions({ size: 8, concurrency: 0 })).toThrow('imageFolder: concurrency must be a positive integer, got 0');
    expect(() => resolveWebOptions({ size: 8, onBadImage: 'ignore' as never })).toThrow(`imageFolder: onBadImage must be 'error' or 'skip', got "ignore"`);
  });

  test('normalize maps byte b of channel c to (b / 255 − mean[c]) / std[c]', () => {
    const { lut } = resolveWebOptions({ size: 4, color: 'grayscale', normalize: { mean: [0.5], std: [0.25] } });
    expect(lut[255]).toBe(Math.fround(2));
    expect(lut[0]).toBe(Math.fround(-2));
  });
});
