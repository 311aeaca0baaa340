/**
 * The browser imageFolder in a real browser (Debian's Chromium via playwright-core): PNG and
 * JPEG files made here with sharp are handed to the page as bytes with their folder paths;
 * the browser decodes them (createImageBitmap + OffscreenCanvas) into the datasets.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { imageFolder as nodeImageFolder } from '../node/imageFolder';
import { type FileBytes, type ImagePage, type PageResult, openImagePage } from './__tests__/browser';

let page: ImagePage;

beforeAll(async () => {
  page = await openImagePage();
}, 60_000);

afterAll(async () => {
  await page?.close();
});

type Rgb = [number, number, number];

async function solid(path: string, width: number, height: number, [r, g, b]: Rgb, format: 'png' | 'jpeg' = 'png'): Promise<FileBytes> {
  const img = sharp({ create: { width, height, channels: 3, background: { r, g, b } } });
  return { path, bytes: [...(await (format === 'png' ? img.png() : img.jpeg({ quality: 95 })).toBuffer())] };
}

/** A 16×8 PNG: the left half red, the right half blue. */
async function halves(path: string): Promise<FileBytes> {
  const raw = Buffer.alloc(16 * 8 * 3);
  for (let p = 0; p < 16 * 8; p++) raw.set(p % 16 < 8 ? [255, 0, 0] : [0, 0, 255], p * 3);
  return { path, bytes: [...(await sharp(raw, { raw: { width: 16, height: 8, channels: 3 } }).png().toBuffer())] };
}

function ok(r: PageResult): Exclude<PageResult, { error: string }> {
  if ('error' in r) throw new Error(`the page failed: ${r.error}`);
  return r;
}

/** Channel c of sample i of a gathered dataset, as rows of bytes (value × 255, rounded). */
function plane(x: number[], shape: readonly number[], i: number, c: number): number[][] {
  const [C, H, W] = shape;
  const at = (i * C + c) * H * W;
  return Array.from({ length: H }, (_, y) => x.slice(at + y * W, at + (y + 1) * W).map((v) => Math.round(v * 255)));
}

describe('imageFolder in Chromium', () => {
  test('class folders sorted by name, RGB CHW float32 in [0, 1], every size stretched (fit: fill), PNG and JPEG', async () => {
    const files = [await solid('pick/red/a.png', 5, 7, [255, 0, 0]), await solid('pick/blue/b.png', 9, 3, [0, 0, 255]), await solid('pick/red/c.jpg', 6, 6, [0, 255, 0], 'jpeg')];
    const r = ok(await page.run(files, { size: 4, fit: 'fill' }));
    expect(r.classes).toEqual(['blue', 'red']);
    expect(r.train).toMatchObject({ length: 3, labels: [0, 1, 1], files: ['blue/b.png', 'red/a.png', 'red/c.jpg'], sampleShape: [3, 4, 4] });
    const [C, H, W] = [3, 4, 4];
    const firstPixel = (i: number) => [0, 1, 2].map((c) => Math.round(r.train.x[(i * C + c) * H * W] * 255));
    expect(firstPixel(0)).toEqual([0, 0, 255]);
    expect(firstPixel(1)).toEqual([255, 0, 0]);
    for (const [v, want] of firstPixel(2).map((v, c) => [v, [0, 255, 0][c]])) expect(Math.abs(v - want)).toBeLessThanOrEqual(4); // JPEG is lossy
    expect(r.report).toEqual({ ignored: [], skipped: [], decoded: 3 });
    expect(r.progress).toBe(3);
  });

  test("cover crops the centre, contain pads with black, fill stretches (a 16×8 image, red left half, blue right, to 8×8)", async () => {
    const file = [await halves('d/x/halves.png')];
    const red = (rows: number[][]) => rows.map((row) => row.map((v) => (v > 200 ? 1 : v < 50 ? 0 : -1)));
    const cover = ok(await page.run(file, { size: 8, fit: 'cover' })).train;
    // the centre 8×8 of the source, unscaled: 4 red columns, then 4 blue
    expect(red(plane(cover.x, cover.sampleShape, 0, 0))).toEqual(Array(8).fill([1, 1, 1, 1, 0, 0, 0, 0]));
    const contain = ok(await page.run(file, { size: 8, fit: 'contain' })).train;
    const rows = plane(contain.x, contain.sampleShape, 0, 0);
    const blue = plane(contain.x, contain.sampleShape, 0, 2);
    for (const y of [0, 1, 6, 7]) expect([...rows[y], ...blue[y]]).toEqual(Array(16).fill(0)); // black bars above and below the 8×4 image
    for (const y of [2, 3, 4, 5]) expect([rows[y][0], blue[y][7]]).toEqual([255, 255]);
    const fill = ok(await page.run(file, { size: 8, fit: 'fill' })).train;
    expect(red(plane(fill.x, fill.sampleShape, 0, 0)).map((row) => [row[0], row[1], row[6], row[7]])).toEqual(Array(8).fill([1, 1, 0, 0]));
  });

  test('grayscale gives one channel; normalize maps each byte to (b / 255 − mean) / std', async () => {
    const files = [await solid('g/a/1.png', 3, 3, [100, 100, 100]), await solid('g/b/2.png', 3, 3, [0, 255, 0])];
    const r = ok(await page.run(files, { size: 2, color: 'grayscale', normalize: { mean: [0.5], std: [0.25] } }));
    expect(r.train.sampleShape).toEqual([1, 2, 2]);
    expect(r.train.x.slice(0, 4)).toEqual(Array(4).fill(Math.fround((100 / 255 - 0.5) / 0.25)));
    expect(r.train.x.slice(4)).toEqual(Array(4).fill(Math.fround((220 / 255 - 0.5) / 0.25))); // pure green is grey 220, as sharp's b-w gives
  });

  test('a corrupt, a truncated and an empty image stop the load with an error naming the file, or with onBadImage: skip are left out and listed; non-images are ignored', async () => {
    const good = await solid('d/cat/good.png', 4, 4, [9, 9, 9]);
    const files = [
      good,
      await solid('d/dog/fine.png', 4, 4, [200, 0, 0]),
      { path: 'd/cat/broken.png', bytes: [...new TextEncoder().encode('not really a PNG')] },
      { path: 'd/cat/half.png', bytes: good.bytes.slice(0, good.bytes.length >> 1) },
      { path: 'd/dog/empty.jpg', bytes: [] },
      { path: 'd/dog/notes.txt', bytes: [1, 2, 3] },
    ];
    const failed = await page.run(files, { size: 4 });
    expect(failed).toEqual({ error: expect.stringMatching(/^imageFolder: cannot decode cat\/broken\.png: not a decodable image \(.+\) \(pass onBadImage: 'skip' to leave such files out\)$/) });
    const r = ok(await page.run(files, { size: 4, onBadImage: 'skip' }));
    expect(r.train.files).toEqual(['cat/good.png', 'dog/fine.png']);
    expect(r.train.labels).toEqual([0, 1]);
    expect(r.report.skipped).toEqual([
      { file: 'cat/broken.png', reason: expect.stringMatching(/^not a decodable image/) },
      { file: 'cat/half.png', reason: expect.stringMatching(/^not a decodable image/) },
      { file: 'dog/empty.jpg', reason: 'empty file (0 bytes)' },
    ]);
    expect(r.report.ignored).toEqual([{ file: 'dog/notes.txt', reason: 'not an image file (extension is not one of .png .jpg .jpeg .webp .gif)' }]);
    expect(r.report.decoded).toBe(2);
  });

  test('valFraction holds out a seeded share of each class; a train/ + val/ layout splits by folder', async () => {
    const files = await Promise.all(Array.from({ length: 10 }, (_, i) => solid(`s/${i % 2 ? 'b' : 'a'}/${i}.png`, 2, 2, [i * 20, 0, 0])));
    const r = ok(await page.run(files, { size: 2, valFraction: 0.4, seed: 3 }));
    expect([r.train.length, r.val?.length]).toEqual([6, 4]);
    expect([...r.train.files, ...(r.val?.files ?? [])].sort()).toEqual(files.map((f) => f.path.slice(2)).sort());
    const again = ok(await page.run(files, { size: 2, valFraction: 0.4, seed: 3 }));
    expect(again.val?.files).toEqual(r.val?.files);
    const layout = [await solid('t/train/a/1.png', 2, 2, [1, 1, 1]), await solid('t/train/b/2.png', 2, 2, [2, 2, 2]), await solid('t/val/b/3.png', 2, 2, [3, 3, 3])];
    const split = ok(await page.run(layout, { size: 2 }));
    expect([split.train.files, split.val?.files, split.val?.labels]).toEqual([['train/a/1.png', 'train/b/2.png'], ['val/b/3.png'], [1]]);
    expect(await page.run(layout, { size: 2, valFraction: 0.5 })).toEqual({ error: 'imageFolder: the files already have train/ + val/ folders; drop valFraction, or pick a folder of class folders' });
  });

  test("a dropped folder's entries (filesFromEntries) give each file its path from the folder down, past readEntries' batches of 100", async () => {
    const cats = await Promise.all(Array.from({ length: 130 }, (_, i) => solid(`pets/cat/${String(i).padStart(3, '0')}.png`, 2, 2, [i, i, i])));
    const files = [...cats, await solid('pets/dog/deep/er/1.png', 2, 2, [250, 250, 250]), { path: 'pets/dog/.hidden.png', bytes: [1] }];
    const { paths, result } = await page.runFromEntries(files, { size: 2, color: 'grayscale' });
    expect(paths).toEqual(files.map((f) => f.path).sort());
    const r = ok(result);
    expect(r.classes).toEqual(['cat', 'dog']);
    expect(r.train.files).toEqual([...cats.map((f) => f.path.slice('pets/'.length)), 'dog/deep/er/1.png']);
    expect(r.train.x.filter((_, i) => i % 4 === 0).map((v) => Math.round(v * 255))).toEqual([...cats.map((_, i) => i), 250]);
  });

  test("the browser decodes as @trainkit/data/node (sharp) does, within 1/255: alpha dropped keeping each colour, grey as libvips computes it, a JPEG's EXIF orientation applied (orientation: 'exif', the default) or not ('ignore')", async () => {
    const [w, h] = [8, 6];
    const rgba = Buffer.alloc(w * h * 4);
    const rgb = Buffer.alloc(w * h * 3);
    for (let p = 0; p < w * h; p++) {
      const colour = [(p * 37) % 256, (p * 91 + 40) % 256, (p * 53 + 200) % 256];
      rgba.set([...colour, [0, 1, 90, 128, 254, 255][p % 6]], p * 4); // transparent to opaque
      rgb.set(colour, p * 3);
    }
    const raw = (data: Buffer, channels: 3 | 4) => sharp(data, { raw: { width: w, height: h, channels } });
    // tagged 6 (turn 90° clockwise to view) and stored so that it reads as `rgb`, w × h, in the mode: turned back (6 × 8) for 'exif', as it is for 'ignore'
    const turned = async (orientation: 'exif' | 'ignore') => {
      const stored = orientation === 'exif' ? raw(rgb, 3).rotate(270) : raw(rgb, 3);
      const bytes = await stored.jpeg({ quality: 100, chromaSubsampling: '4:4:4' }).withMetadata({ orientation: 6 }).toBuffer();
      expect(await sharp(bytes).metadata()).toMatchObject({ orientation: 6, width: orientation === 'exif' ? h : w });
      return { path: 'cmp/c/turned.jpg', bytes: [...bytes] };
    };
    const dir = await mkdtemp(join(tmpdir(), 'trainkit-web-vs-node-'));
    try {
      for (const orientation of ['exif', 'ignore'] as const) {
        const files = [
          { path: 'cmp/a/alpha.png', bytes: [...(await raw(rgba, 4).png().toBuffer())] },
          { path: 'cmp/b/rgb.png', bytes: [...(await raw(rgb, 3).png().toBuffer())] },
          await turned(orientation),
        ];
        for (const f of files) {
          const path = join(dir, orientation, f.path.slice('cmp/'.length));
          await mkdir(dirname(path), { recursive: true });
          await writeFile(path, Uint8Array.from(f.bytes));
        }
        for (const color of ['rgb', 'grayscale'] as const) {
          const options = { size: [h, w] as [number, number], fit: 'fill' as const, color, orientation };
          const web = ok(await page.run(files, options)).train;
          const node = (await nodeImageFolder(join(dir, orientation), options)).train;
          expect(web.sampleShape).toEqual(node.sampleShape);
          const nodeX = node.gather([0, 1, 2]).x.data;
          const per = web.sampleShape.reduce((a, b) => a * b, 1);
          const worst = [0, 1, 2].map((k) => web.x.slice(k * per, (k + 1) * per).reduce((m, v, i) => Math.max(m, Math.abs(Math.round(v * 255) - Math.round(nodeX[k * per + i] * 255))), 0));
          // RGB bytes are the same; grey may differ by rounding (1/255)
          expect(Math.max(...worst), `${orientation}, ${color}: largest difference in bytes per file (${web.files.join(', ')}): ${worst}`).toBeLessThanOrEqual(color === 'rgb' ? 0 : 1);
          // the JPEG reads as the PNG of the same pixels (up to JPEG's loss): turned upright, or left as stored
          const jpegVsPng = web.x.slice(2 * per).reduce((m, v, i) => Math.max(m, Math.abs(Math.round(v * 255) - Math.round(web.x[per + i] * 255))), 0);
          expect(jpegVsPng, `${orientation}, ${color}: the JPEG against the PNG`).toBeLessThanOrEqual(4);
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
